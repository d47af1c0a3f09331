#!/usr/bin/perl
# Quiet builds hide progress, never a warning: with DEB_BUILD_OPTIONS=terse
# or DH_QUIET=1 a package build shows no progress line of the trainer, but
# the warning that a dataset comes from a package missing from
# Build-Depends, and the verdict, are on stderr as in a normal build (as
# Dh_Lib's warning() is: only verbose_print depends on the quiet options).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use DhModelTest;

need_trainer();
my $DATA = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';
plan(skip_all => "needs dataset-fashion-mnist ($DATA)") if not -f $DATA;

my @DPKG_BUILDPACKAGE = ('dpkg-buildpackage', '-us', '-uc', '-d', '-b');
my $WHO = qr/dhm-verdict-datapkg \(debian\/dhm-verdict-datapkg\.models\)/;
my $WARNING = qr/^dh_model: warning: $WHO: fashion-softmax: \Q$DATA\E comes from dataset-fashion-mnist, which is not in Build-Depends of debian\/control: a clean build would not have it$/m;
my $VERDICT = qr/^dh_model: $WHO: fashion-softmax: verdict: Free Model: the weights are Expat/m;
# the trainer's progress: the sandbox, each epoch, the result of the training
my $PROGRESS = qr/^(?:sandbox: |fashion-softmax: (?:epoch |trained in ))/m;

# The data package's fixture, its data package left out of Build-Depends.
sub fixture_without_build_depends {
	my $src = fixture('verdict-datapkg');
	edit_file("$src/debian/control", sub { s/, dataset-fashion-mnist$//m or die('no Build-Depends to edit') });
	return $src;
}

my @cases = (
	['a normal build', {}],
	['DEB_BUILD_OPTIONS=terse', { DEB_BUILD_OPTIONS => 'terse' }],
	['DH_QUIET=1', { DH_QUIET => 1 }],
);
foreach my $case (@cases) {
	my ($what, $env) = @{$case};
	my $r = run_in(fixture_without_build_depends(), $env, @DPKG_BUILDPACKAGE);
	is($r->{code}, 0, "$what: the package builds") or diag($r->{all});
	like($r->{err}, $WARNING, "$what: the warning that dataset-fashion-mnist is not in Build-Depends is on stderr")
		or diag($r->{err});
	like($r->{err}, $VERDICT, "$what: the verdict is on stderr") or diag($r->{err});
	unlike($r->{out}, $WARNING, "$what: ... and not on stdout");
	if (%{$env}) {
		unlike($r->{all}, $PROGRESS, "$what: no progress line") or diag($r->{all});
	} else {
		like($r->{out}, $PROGRESS, "$what: the progress lines are on stdout");
	}
}

done_testing();
