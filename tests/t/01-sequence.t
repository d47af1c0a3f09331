#!/usr/bin/perl
# Where the "model" add-on puts dh_model, dh_installmodels and
# dh_auditmodels in dh's sequences, and the ways to activate it.  Needs no
# trainer.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use DhModelTest;

sub commands {
	my ($src, @args) = @_;
	my $r = run_in($src, {}, 'dh', @args, '--no-act');
	is($r->{code}, 0, "dh @args --no-act succeeds") or diag($r->{all});
	# The command names, without the options dh adds (-a, -i, -O...).
	return map { (split(' ', $_))[0] } grep { m/^\s+\S/ } split(/\n/, $r->{out});
}

sub index_of {
	my ($name, @list) = @_;
	for my $i (0 .. $#list) { return $i if $list[$i] eq $name; }
	return -1;
}

my $src = fixture('simple');

# Activated by Build-Depends: dh-sequence-model.
my @binary = commands($src, 'binary');
my %at = map { $_ => index_of($_, @binary) } qw(dh_auto_build dh_model dh_auto_test dh_prep dh_install
	dh_installmodels dh_installdocs dh_installexamples dh_compress dh_md5sums dh_auditmodels dh_builddeb);
cmp_ok($at{dh_model}, '>=', 0, 'dh_model is in the binary sequence');
is($at{dh_model}, $at{dh_auto_build} + 1, 'dh_model runs right after dh_auto_build');
cmp_ok($at{dh_model}, '<', $at{dh_auto_test}, 'dh_model runs before dh_auto_test');
cmp_ok($at{dh_model}, '<', $at{dh_prep}, 'dh_model is in the build part, before dh_prep');
is($at{dh_installmodels}, $at{dh_install} + 1, 'dh_installmodels runs right after dh_install');
cmp_ok($at{dh_installmodels}, '<', $at{dh_builddeb}, 'dh_installmodels runs before dh_builddeb');
is(scalar(grep { $_ eq 'dh_model' } @binary), 1, 'dh_model appears once');
cmp_ok($at{dh_auditmodels}, '>=', 0, 'dh_auditmodels is in the binary sequence');
is($at{dh_auditmodels}, $at{dh_builddeb} - 1, 'dh_auditmodels runs right before dh_builddeb');
ok($at{$_} >= 0 && $at{dh_auditmodels} > $at{$_}, "... after $_") for qw(dh_installmodels dh_installdocs dh_installexamples dh_compress dh_md5sums);
is(scalar(grep { $_ eq 'dh_auditmodels' } @binary), 1, 'dh_auditmodels appears once');

# Training belongs to the build sequences, installing to the install ones
# (the "mixed" fixture has an arch:any and an arch:all package).
my $mixed = fixture('mixed');
for my $target (qw(build build-arch build-indep)) {
	my @cmds = commands($mixed, $target);
	ok((grep { $_ eq 'dh_model' } @cmds), "dh $target runs dh_model");
	ok(!(grep { $_ eq 'dh_installmodels' } @cmds), "dh $target does not run dh_installmodels");
	ok(!(grep { $_ eq 'dh_auditmodels' } @cmds), "dh $target does not run dh_auditmodels");
}
for my $target (qw(install binary-indep binary-arch)) {
	my @cmds = commands($mixed, $target);
	ok((grep { $_ eq 'dh_installmodels' } @cmds), "dh $target runs dh_installmodels");
}
ok(!(grep { $_ eq 'dh_auditmodels' } commands($mixed, 'install')), 'dh install does not run dh_auditmodels (no dh_builddeb)');
for my $target (qw(binary-indep binary-arch)) {
	my @cmds = commands($mixed, $target);
	is(index_of('dh_auditmodels', @cmds), index_of('dh_builddeb', @cmds) - 1, "dh $target runs dh_auditmodels right before dh_builddeb");
}
my $r = run_in($mixed, {}, 'dh', 'build-arch', '--no-act');
like($r->{out}, qr/^\s+dh_model -a$/m, 'dh build-arch trains the arch:any packages only (dh_model -a)');
$r = run_in($mixed, {}, 'dh', 'build-indep', '--no-act');
like($r->{out}, qr/^\s+dh_model -i$/m, 'dh build-indep trains the arch:all packages only (dh_model -i)');
$r = run_in($mixed, {}, 'dh', 'binary-arch', '--no-act');
like($r->{out}, qr/^\s+dh_auditmodels -a$/m, 'dh binary-arch audits the arch:any packages only (dh_auditmodels -a)');
$r = run_in($mixed, {}, 'dh', 'binary-indep', '--no-act');
like($r->{out}, qr/^\s+dh_auditmodels -i$/m, 'dh binary-indep audits the arch:all packages only (dh_auditmodels -i)');

# Without the add-on, neither command is there.
edit_file("$src/debian/control", sub { s/, dh-sequence-model// });
my @plain = commands($src, 'binary');
ok(!(grep { m/^dh_(?:model|installmodels|auditmodels)$/ } @plain), 'without dh-sequence-model: no model commands');

# Activated by "dh $@ --with model".
my @with = commands($src, 'binary', '--with', 'model');
is(index_of('dh_model', @with), index_of('dh_auto_build', @with) + 1, '--with model: dh_model after dh_auto_build');
is(index_of('dh_installmodels', @with), index_of('dh_install', @with) + 1, '--with model: dh_installmodels after dh_install');
is(index_of('dh_auditmodels', @with), index_of('dh_builddeb', @with) - 1, '--with model: dh_auditmodels before dh_builddeb');

# Activated by Build-Depends-Indep: dh-sequence-model (insert_after and
# insert_before only).
edit_file("$src/debian/control", sub { s/^(Build-Depends: .*)$/$1\nBuild-Depends-Indep: dh-sequence-model/m });
my @indep = commands($src, 'binary');
is(index_of('dh_model', @indep), index_of('dh_auto_build', @indep) + 1, 'Build-Depends-Indep activation: dh_model after dh_auto_build');
ok((grep { $_ eq 'dh_installmodels' } @indep), 'Build-Depends-Indep activation: dh_installmodels in the sequence');
is(index_of('dh_auditmodels', @indep), index_of('dh_builddeb', @indep) - 1, 'Build-Depends-Indep activation: dh_auditmodels before dh_builddeb');
$r = run_in($src, {}, 'dh', 'binary', '--no-act');
like($r->{out}, qr/^\s+dh_auditmodels -i$/m, '... for the arch:all packages (dh_auditmodels -i)');

# Activated by Build-Depends-Arch: dh-sequence-model, in the "mixed" fixture.
edit_file("$mixed/debian/control", sub { s/, dh-sequence-model// or die; s/^(Build-Depends: .*)$/$1\nBuild-Depends-Arch: dh-sequence-model/m or die });
$r = run_in($mixed, {}, 'dh', 'binary', '--no-act');
is($r->{code}, 0, 'Build-Depends-Arch activation: dh binary --no-act succeeds') or diag($r->{all});
like($r->{out}, qr/^\s+dh_model -a\n.*^\s+dh_installmodels -a\n.*^\s+dh_auditmodels -a\n\s+dh_builddeb\n/ms,
	'... dh_model, dh_installmodels and dh_auditmodels (right before dh_builddeb) for the arch:any packages');

# The NOOP promises: without a recipe dh skips dh_model and
# dh_installmodels, never dh_auditmodels, which audits every package (one
# without a recipe may ship an upstream blob) and takes --strict.  (dh only
# optimises commands that it passes no options to, so use a fresh copy that
# activates the add-on through Build-Depends.)
$src = fixture('simple');
unlink("$src/debian/models") or die;
$r = run_in($src, { DH_INTERNAL_TEST_CAN_SKIP => 1 }, 'dh', 'binary', '--no-act');
is($r->{code}, 0, 'dh binary --no-act without a recipe');
unlike($r->{out}, qr/dh_model|dh_installmodels/, 'without a recipe dh skips dh_model and dh_installmodels (PROMISE)');
like($r->{out}, qr/^\s+dh_auditmodels\n\s+dh_builddeb$/m, '... and runs dh_auditmodels, which has no PROMISE');
$r = run_in($src, { DH_INTERNAL_TEST_CAN_SKIP => 1 }, 'dh', 'binary', '--no-act', '--strict');
like($r->{out}, qr/^\s+dh_auditmodels -O--strict\n\s+dh_builddeb -O--strict$/m, '... with --strict too');
write_file("$src/debian/dhm-simple-model.models", slurp("$TOP/tests/fixtures/packages/simple/debian/models"));
$r = run_in($src, { DH_INTERNAL_TEST_CAN_SKIP => 1 }, 'dh', 'binary', '--no-act');
like($r->{out}, qr/dh_model.*dh_installmodels.*dh_auditmodels/s, 'with debian/PKG.models dh keeps the three commands');

done_testing();
