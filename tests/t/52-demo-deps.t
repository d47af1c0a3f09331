#!/usr/bin/perl
# "apt-get build-dep -P nocheck ./ && make demo" (README, "Two commands")
# must work on a fresh machine: what the example package needs to build
# (its Build-Depends, but dh-sequence-model, which make demo replaces with
# this tree) must be among dh-model's Build-Depends that the nocheck profile
# keeps, and PyTorch must not be.  On a fresh bookworm, dataset-fashion-mnist
# marked <!nocheck> made make demo fail (no such file: the training data).
# Parsed by dpkg's own Dpkg::Deps, as apt-get build-dep and
# dpkg-checkbuilddeps -P nocheck read them.

use strict;
use warnings;
use FindBin;
use Test::More;
use Dpkg::Control::Info;
use Dpkg::Deps qw(deps_parse);

my $TOP = "$FindBin::Bin/../..";

# build_depends(CONTROL, PROFILES...): the package names of the
# Build-Depends of CONTROL that the build profiles keep.
sub build_depends {
	my ($control, @profiles) = @_;
	my $src = Dpkg::Control::Info->new($control)->get_source();
	my $deps = deps_parse($src->{'Build-Depends'}, build_dep => 1,
		reduce_profiles => 1, build_profiles => \@profiles)
		or die("$control: Build-Depends do not parse");
	my %names;
	for my $dep ($deps->get_deps()) {
		$names{$_->{package}} = 1 for ($dep->isa('Dpkg::Deps::Simple') ? $dep : $dep->get_deps());
	}
	return \%names;
}

my $nocheck = build_depends("$TOP/debian/control", 'nocheck');
my $full = build_depends("$TOP/debian/control");
my $example = build_depends("$TOP/templates/fashion-mnist-classifier/debian/control");

ok($example->{'dataset-fashion-mnist'}, 'the example package build-depends on dataset-fashion-mnist');
for my $pkg (sort keys %$example) {
	next if $pkg eq 'dh-sequence-model';	# make demo uses this tree's
	ok($nocheck->{$pkg}, "make demo's $pkg is installed by apt-get build-dep -P nocheck ./");
}
ok(!$nocheck->{'python3-torch'}, 'apt-get build-dep -P nocheck ./ leaves python3-torch out');
ok($full->{'python3-torch'}, 'apt-get build-dep ./ installs python3-torch (the tests\' oracle)');
done_testing();
