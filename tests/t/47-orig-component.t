#!/usr/bin/perl
# Data in an orig component tarball, end to end: a "3.0 (quilt)" source
# package whose upstream ships its data in a tarball of their own,
# dhm-component_1.0.orig-data.tar.xz.  dpkg-source -b builds the source
# package from the two orig tarballs, dpkg-source -x unpacks the component
# into data/, and dpkg-buildpackage trains on it there: the data's licence
# comes from the Files: data/* stanza of debian/copyright, the weights'
# from Files: * (the recipe has no License field).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP ();
use Test::More;
use DhModelTest;

need_trainer();

my $FIXTURE = "$TOP/tests/fixtures/packages/orig-component";
my $PKG = 'dhm-component-model';
my $dir = tempdir('dh-model-test-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# The orig tarballs, as upstream would publish them (deterministic tars).
my @TAR = ('tar', '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner');
is(run_in($FIXTURE, {}, @TAR, '-C', 'upstream', '--transform', 's,^\.,dhm-component-1.0,', '-cJf',
	"$dir/dhm-component_1.0.orig.tar.xz", '.')->{code}, 0, 'dhm-component_1.0.orig.tar.xz');
is(run_in($FIXTURE, {}, @TAR, '-cJf', "$dir/dhm-component_1.0.orig-data.tar.xz", 'data')->{code}, 0,
	'dhm-component_1.0.orig-data.tar.xz: the component "data"');

# The source package: upstream's tree with debian/ and the component.
system('mkdir', "$dir/dhm-component-1.0") == 0 or die;
system('cp', '-a', "$FIXTURE/upstream/.", "$FIXTURE/debian", "$FIXTURE/data", "$dir/dhm-component-1.0/") == 0 or die;
my $r = run_in($dir, {}, 'dpkg-source', '-b', 'dhm-component-1.0');
is($r->{code}, 0, 'dpkg-source -b builds the 3.0 (quilt) source package') or diag($r->{all});
like($r->{all}, qr/using existing \.\/dhm-component_1\.0\.orig-data\.tar\.xz/, '... with the data component');
like(slurp("$dir/dhm-component_1.0-1.dsc") // '', qr/^ \S+ \d+ dhm-component_1\.0\.orig-data\.tar\.xz$/m,
	'the .dsc lists the component tarball');

# dpkg-source -x: the component lands in data/.
$r = run_in($dir, {}, 'dpkg-source', '-x', 'dhm-component_1.0-1.dsc', 'unpacked');
is($r->{code}, 0, 'dpkg-source -x unpacks it') or diag($r->{all});
like($r->{all}, qr/unpacking dhm-component_1\.0\.orig-data\.tar\.xz/, '... the component too');
my $src = "$dir/unpacked";
ok(-f "$src/data/train.csv" && slurp("$src/data/train.csv") eq slurp("$FIXTURE/data/train.csv"),
	'data/train.csv comes from the component');

$r = run_in($src, {}, 'dpkg-buildpackage', '-us', '-uc', '-d', '-b');
is($r->{code}, 0, 'dpkg-buildpackage builds it from the unpacked source') or diag($r->{all});
like($r->{out}, qr/^component-mlp: trained in \d+ steps/m, 'dh_model trained on data/ of the component');
my $root = "$dir/root";
is(run_in('/', {}, 'dpkg-deb', '-x', "$dir/${PKG}_1.0-1_all.deb", $root)->{code}, 0, 'dpkg-deb -x');
ok(-f "$root/usr/share/dhm-component/component-mlp.safetensors", 'the .deb ships the weights');
my $p = JSON::PP->new->decode(doc_file($root, "/usr/share/doc/$PKG/models/component-mlp.json") // '{}');
my $v = $p->{verdict} // {};
is($v->{class}, 'Free Model', 'the verdict is Free Model') or diag($v->{reason});
is_deeply([map { [@{$_}{qw(path license license-from copyright-file stanza)}] } @{$v->{data} // []}],
	[['data/train.csv', 'CC-BY-4.0', 'source-copyright', 'debian/copyright', 'Files: data/*'],
	 ['data/test.csv', 'CC-BY-4.0', 'source-copyright', 'debian/copyright', 'Files: data/*']],
	'the data\'s licence, CC-BY-4.0, comes from the Files: data/* stanza');
is_deeply([@{$v->{weights} // {}}{qw(license license-from stanza)}], ['Expat', 'source-copyright', 'Files: *'],
	'the weights\' licence, Expat, from Files: *, which covers the recipe');
is($p->{data}{train}[0]{sha256}, $v->{data}[0]{sha256}, 'the provenance records the component data\'s SHA-256');

done_testing();
