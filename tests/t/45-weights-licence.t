#!/usr/bin/perl
# Where a weight's licence comes from, in a real package build: a recipe
# without License takes the licence of the debian/copyright stanza that
# covers the recipe file (DEP-5 matching, the last matching stanza wins),
# and the provenance and the model card in the .deb say which stanza.  A
# License field in the recipe still overrides it.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use JSON::PP ();
use Test::More;
use DhModelTest;

need_trainer();

my $PKG = 'dhm-licence-model';
my $RECIPE = "debian/$PKG.models";

# --- Files: * covers debian/PKG.models: Expat ----------------------------------
my $src = fixture('licence-copyright');
unlike(slurp("$src/$RECIPE"), qr/^License:/mi, 'the recipe has no License field');
my $r = run_in($src, {}, 'dpkg-buildpackage', '-us', '-uc', '-d', '-b');
is($r->{code}, 0, 'dpkg-buildpackage builds it') or diag($r->{all});
my $root = dirname($src) . '/root';
is(run_in('/', {}, 'dpkg-deb', '-x', dirname($src) . "/${PKG}_1.0_all.deb", $root)->{code}, 0, 'dpkg-deb -x');
my $p = JSON::PP->new->decode(doc_file($root, "/usr/share/doc/$PKG/models/licence-mlp.json") // '{}');
my $card = doc_file($root, "/usr/share/doc/$PKG/models/licence-mlp.md") // '';
my $v = $p->{verdict} // {};
is($v->{class}, 'Free Model', 'the verdict is Free Model');
is($p->{license}, 'Expat', 'the provenance gives the weights the licence Expat');
is_deeply([@{$v->{weights} // {}}{qw(license free license-from copyright-file stanza stanza-line)}],
	['Expat', JSON::PP::true, 'source-copyright', 'debian/copyright', 'Files: *', 4],
	'... from debian/copyright, the stanza Files: * at line 4');
like($v->{weights}{note}, qr/^\Q$RECIPE\E has no License field for model licence-mlp; the last Files: stanza of debian\/copyright that matches \Q$RECIPE\E$/,
	'... and says why that stanza');
like($v->{reason}, qr/^the weights are Expat \(debian\/copyright, Files: \*, line 4\); the data are free/, 'the reason names it');
like($card, qr/^\| Licence of the weights \| Expat \(debian\/copyright, Files: \*\) \(free\) \|$/m,
	'the card in the .deb: Expat (debian/copyright, Files: *)') or diag($card);
like($r->{out}, qr/^licence-mlp: Free Model \(the weights are Expat and the data are free\); the archive area main \(Section: science\) accepts it$/m,
	'the build log says the verdict before training');

# --- the last stanza that matches wins: Files: debian/* -------------------------
edit_file("$src/debian/copyright", sub {
	$_ .= "\nFiles: debian/*\nCopyright: 2026 the packagers\nLicense: GPL-2+\n";
});
$r = run_in($src, {}, 'dh_model');
is($r->{code}, 0, 'with a later Files: debian/* stanza, dh_model trains') or diag($r->{all});
$v = JSON::PP->new->decode(slurp("$src/debian/.debhelper/model/$PKG/licence-mlp.json") // '{}')->{verdict};
is_deeply([@{$v->{weights}}{qw(license stanza stanza-line)}], ['GPL-2+', 'Files: debian/*', 11],
	'the weights take GPL-2+ from Files: debian/*, the last stanza that matches the recipe');
like(slurp("$src/debian/.debhelper/model/$PKG/licence-mlp.md"),
	qr/^\| Licence of the weights \| GPL-2\+ \(debian\/copyright, Files: debian\/\*\) \(free\) \|$/m, '... and the card says so');

# --- License in the recipe overrides debian/copyright ---------------------------
edit_file("$src/$RECIPE", sub { s/^Install:/License: CC0-1.0\nInstall:/m or die });
$r = run_in($src, {}, 'dh_model');
is($r->{code}, 0, 'with License: CC0-1.0 in the recipe, dh_model trains') or diag($r->{all});
$p = JSON::PP->new->decode(slurp("$src/debian/.debhelper/model/$PKG/licence-mlp.json") // '{}');
is_deeply([$p->{license}, @{$p->{verdict}{weights}}{qw(license license-from)}], ['CC0-1.0', 'CC0-1.0', 'recipe'],
	'the recipe\'s License wins');
ok(!exists($p->{verdict}{weights}{stanza}), '... and no copyright stanza is named');
like(slurp("$src/debian/.debhelper/model/$PKG/licence-mlp.md"),
	qr/^\| Licence of the weights \| CC0-1\.0 \(License, \Q$RECIPE\E\) \(free\) \|$/m, '... as the card says');

# --- no stanza covers the recipe: Non-free, and no licence at all ---------------
edit_file("$src/$RECIPE", sub { s/^License: CC0-1\.0\n//m or die });
edit_file("$src/debian/copyright", sub { s/^Files: \*$/Files: data\/*/m or die; s/^Files: debian\/\*$/Files: debian\/rules/m or die });
$r = run_in($src, {}, 'dh_model');
isnt($r->{code}, 0, 'no stanza covers the recipe: the weights have no licence, and main refuses them');
like($r->{err}, qr/^dh_model: error: \Q$PKG\E \(\Q$RECIPE\E\): licence-mlp: Non-free \(the weights have no licence\) cannot go in main; move the package to non-free \(Section: non-free\/science\) or give the weights a free licence/m,
	'... saying so') or diag($r->{err});

done_testing();
