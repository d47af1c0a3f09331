#!/usr/bin/perl
# The verdict decides the archive area, in real package builds.  The
# binary package's Section names its area (contrib/..., non-free/..., no
# prefix: main), and the policy's Archive-Areas say which verdicts each
# area accepts.  A ToxicCandy model in main fails the build in dh_model
# before any model of any package is trained, with one line that names the
# model, the verdict, the reason and what to do; nocheck does not waive it.
# In contrib the same package builds.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use Test::More;
use DhModelTest;

need_trainer();

my @DPKG_BUILDPACKAGE = ('dpkg-buildpackage', '-us', '-uc', '-d', '-b');
my $HIDDEN = 'dhm-area-hidden';
my $REFUSED = "dh_model: error: $HIDDEN (debian/$HIDDEN.models): digits-hidden: ToxicCandy (data licence "
	. "'Fixture-Proprietary' is not free) cannot go in main; move the package to contrib (Section: "
	. 'contrib/science) or use free data [';

# A Section of the hidden package's own.
sub set_section {
	my ($src, $section) = @_;
	edit_file("$src/debian/control", sub {
		s/^(Package: \Q$HIDDEN\E\n)(?:Section: .*\n)?/$1Section: $section\n/m or die;
	});
	return;
}

# --- a ToxicCandy model in main: refused before any training ------------------------
for my $options ('', 'nocheck') {
	my $src = fixture('area-toxic');
	my $r = run_in($src, { DEB_BUILD_OPTIONS => $options }, @DPKG_BUILDPACKAGE);
	my $what = $options ? "DEB_BUILD_OPTIONS=$options" : 'Section: science (main)';
	isnt($r->{code}, 0, "$what: dpkg-buildpackage fails");
	my @errors = ($r->{err} =~ m/^(dh_model: error: .*)$/mg);
	is(scalar(@errors), 1, "$what: dh_model fails with one error line") or diag($r->{all});
	is(substr($errors[0] // '', 0, length($REFUSED)), $REFUSED,
		"$what: it names the model, the verdict, the reason and what to do") or diag($errors[0]);
	like($r->{out}, qr/^\s+dh_model\n(?:digits-free: .*\n)?\z/m, "$what: in dh_model, the first command that could train") or diag(substr($r->{out}, -400));
	unlike($r->{all}, qr/: epoch \d+|trained in/, "$what: before any training, of either package");
	ok(!-e "$src/debian/.debhelper/model/dhm-area-free/digits-free.safetensors"
		&& !-e "$src/debian/.debhelper/model/$HIDDEN", "$what: nothing is staged");
	ok(!glob(dirname($src) . '/*.deb'), "$what: no .deb is built");
}

# --- in contrib it builds -------------------------------------------------------------
my $src = fixture('area-toxic');
set_section($src, 'contrib/science');
my $r = run_in($src, {}, @DPKG_BUILDPACKAGE);
is($r->{code}, 0, 'Section: contrib/science: dpkg-buildpackage builds the ToxicCandy package') or diag($r->{all});
like($r->{out}, qr/^digits-hidden: ToxicCandy \(data licence 'Fixture-Proprietary' is not free\); the archive area contrib \(Section: contrib\/science\) accepts it$/m,
	'... the build log says that contrib accepts it');
like($r->{out}, qr/^digits-free: Free Model \(the weights are Expat and the data are free\); the archive area main \(Section: science\) accepts it$/m,
	'... and that main accepts the Free Model of the other package');
my $deb = dirname($src) . "/${HIDDEN}_1.0_all.deb";
is(run_in('/', {}, 'dpkg-deb', '--field', $deb, 'Section')->{out}, "contrib/science\n", '... into a .deb of contrib/science');

# --- Non-free weights: not in contrib, in non-free ------------------------------------
edit_file("$src/debian/$HIDDEN.models", sub { s/^License: Expat$/License: CC-BY-NC-4.0/m or die });
$r = run_in($src, {}, 'dh_model');
isnt($r->{code}, 0, 'non-commercial weights in contrib: dh_model fails');
like($r->{err}, qr/^dh_model: error: \Q$HIDDEN\E \(debian\/\Q$HIDDEN\E\.models\): digits-hidden: Non-free \(weights licence 'CC-BY-NC-4\.0' is not free\) cannot go in contrib; move the package to non-free \(Section: non-free\/science\) or give the weights a free licence \[/m,
	'... and points to non-free') or diag($r->{err});
set_section($src, 'non-free/science');
$r = run_in($src, {}, 'dh_model', '-p', $HIDDEN);
is($r->{code}, 0, 'in non-free/science dh_model trains it') or diag($r->{all});

# --- the policy file decides; an area it does not list is an error ----------------------
set_section($src, 'non-free-firmware/science');
$r = run_in($src, {}, 'dh_model', '-p', $HIDDEN);
like($r->{err}, qr/digits-hidden: Section: non-free-firmware\/science names the archive area non-free-firmware, which policy main does not list \(Archive-Areas: main, contrib, non-free\)/,
	'an area that the policy does not list is refused') or diag($r->{err});
set_section($src, 'science');
edit_file("$src/debian/$HIDDEN.models", sub { s/^License: CC-BY-NC-4\.0$/License: Expat/m or die });
write_file("$src/lenient", "Policy: lenient\nMax-Compute: 1e12\nArchive-Areas:\n main: Free Model, ToxicCandy\n");
$r = run_in($src, { DH_MODEL_POLICY => './lenient' }, 'dh_model', '-p', $HIDDEN);
is($r->{code}, 0, 'a policy whose main accepts ToxicCandy lets it train in main') or diag($r->{all});
like($r->{out}, qr/^digits-hidden: ToxicCandy .*; the archive area main \(Section: science\) accepts it$/m, '... and says so');

done_testing();
