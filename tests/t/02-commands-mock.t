#!/usr/bin/perl
# The Perl side of dh_model and dh_installmodels, run against a stand-in
# trainer (tests/t/lib/mock-dh-model-train) that logs how it is called:
# options, package selection, --no-act, error reporting, staging, cleaning.
# Real training is tested in 03-train.t and 04-build.t.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use Test::More;
use DhModelTest;

my $logdir = tempdir('dh-model-mock-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $log = "$logdir/log";
my %MOCK = (DH_MODEL_TRAIN => mock_trainer(), DH_MODEL_MOCK_LOG => $log);

# Run a command with the mock trainer; return the result and the trainer
# calls it made (each an array of arguments).
sub mock_run {
	my ($src, $env, @cmd) = @_;
	unlink($log);
	my $r = run_in($src, { %MOCK, %{$env} }, @cmd);
	my @calls = map { [split(/\t/, $_)] } split(/\n/, slurp($log) // '');
	return ($r, @calls);
}

sub train_calls { return grep { $_->[0] eq 'train' } @_; }

sub opt_value {
	my ($call, $opt) = @_;
	for my $i (0 .. $#{$call} - 1) { return $call->[$i + 1] if $call->[$i] eq $opt; }
	return undef;
}

my $src = fixture('simple');
my $stage = "$src/debian/.debhelper/model/dhm-simple-model";

# --- defaults -------------------------------------------------------------
my ($r, @calls) = mock_run($src, {}, 'dh_model');
is($r->{code}, 0, 'dh_model succeeds') or diag($r->{all});
my @train = train_calls(@calls);
is(scalar(@train), 1, 'the trainer is called once to train');
is(opt_value($train[0], '--threads'), 1, 'default: --threads 1');
is(opt_value($train[0], '--output-dir'), 'debian/.debhelper/model/dhm-simple-model', 'trains into debian/.debhelper/model/PKG');
is($train[0][-1], 'debian/models', 'the recipe is debian/models (the first package)');
ok(!(grep { $_ eq '--no-expect' } @{$train[0]}), 'default: quality gates on');
ok(!(grep { $_ eq '--quiet' } @{$train[0]}), 'default: progress lines on');
like($r->{out}, qr/mock: training simple-mlp/, "the trainer's progress reaches stdout");
is_deeply([staged_files($src, 'dhm-simple-model')],
	[qw(recipe.sha256 simple-mlp.json simple-mlp.md simple-mlp.safetensors)],
	'weights, provenance, model card and stamp are staged');
like(slurp("$stage/simple-mlp.md"), qr/^# Model card: simple-mlp/, 'the model card comes from "dh-model-train card"');

# --- DEB_BUILD_OPTIONS and DH_QUIET ---------------------------------------
($r, @train) = mock_run($src, { DEB_BUILD_OPTIONS => 'parallel=3' }, 'dh_model');
is(opt_value((train_calls(@train))[0], '--threads'), 3, 'parallel=3: --threads 3');
($r, @train) = mock_run($src, { DEB_BUILD_OPTIONS => 'nocheck' }, 'dh_model');
ok((grep { $_ eq '--no-expect' } @{(train_calls(@train))[0]}), 'nocheck: --no-expect');
($r, @train) = mock_run($src, { DEB_BUILD_OPTIONS => 'terse' }, 'dh_model');
ok((grep { $_ eq '--quiet' } @{(train_calls(@train))[0]}), 'terse: --quiet');
($r, @train) = mock_run($src, { DH_QUIET => 1 }, 'dh_model');
ok((grep { $_ eq '--quiet' } @{(train_calls(@train))[0]}), 'DH_QUIET: --quiet');
($r, @train) = mock_run($src, {}, 'dh_model', '-v');
like($r->{out}, qr/^\t\S*mock-dh-model-train train --threads 1 --output-dir \S+ debian\/models$/m, '-v prints the trainer command');

# --- --no-act ---------------------------------------------------------------
system('rm', '-rf', "$src/debian/.debhelper");
($r, @calls) = mock_run($src, {}, 'dh_model', '--no-act');
is($r->{code}, 0, 'dh_model --no-act succeeds');
is(scalar(train_calls(@calls)), 0, '--no-act trains nothing');
ok(!-e "$src/debian/.debhelper/model", '--no-act stages nothing');
($r, @calls) = mock_run($src, {}, 'dh_model', '--no-act', '-v');
like($r->{out}, qr/mock-dh-model-train train .*debian\/models/, '--no-act -v prints the command it would run');
is(scalar(train_calls(@calls)), 0, '... and still trains nothing');

# --- dh_installmodels -------------------------------------------------------
($r) = mock_run($src, {}, 'dh_installmodels');
isnt($r->{code}, 0, 'dh_installmodels fails when dh_model did not run');
like($r->{err}, qr/dhm-simple-model \(debian\/models\): model "simple-mlp" was never trained.*run dh_model/,
	'... and says which model, package and recipe, and what to do');

mock_run($src, {}, 'dh_model');
($r) = mock_run($src, {}, 'dh_installmodels');
is($r->{code}, 0, 'dh_installmodels succeeds after dh_model') or diag($r->{all});
my $pkg = "$src/debian/dhm-simple-model";
ok(-f "$pkg/usr/share/dhm-simple/simple-mlp.safetensors", 'weights installed at the Install: path');
ok(-f "$pkg/usr/share/doc/dhm-simple-model/models/simple-mlp.json", 'provenance in /usr/share/doc/PKG/models/');
ok(-f "$pkg/usr/share/doc/dhm-simple-model/models/simple-mlp.md", 'model card in /usr/share/doc/PKG/models/');
is((stat("$pkg/usr/share/dhm-simple/simple-mlp.safetensors"))[2] & 07777, 0644, 'weights are mode 0644');

# dh_prep leaves the staging directory alone; dh_clean removes it.
($r) = mock_run($src, {}, 'dh_prep');
ok(!-e $pkg, 'dh_prep clears debian/PKG');
ok(-f "$stage/simple-mlp.safetensors", 'dh_prep keeps the staged outputs');

# A recipe changed after training is not installed.
edit_file("$src/debian/models", sub { s/^Epochs: 30$/Epochs: 31/m });
($r) = mock_run($src, {}, 'dh_installmodels');
isnt($r->{code}, 0, 'dh_installmodels fails when the recipe changed after training');
like($r->{err}, qr/recipe changed after dh_model trained it/, '... and says so');
mock_run($src, {}, 'dh_model');

# Files that look like weights but no recipe produced.
mkdir("$pkg"); system('mkdir', '-p', "$pkg/usr/share/dhm-simple");
write_file("$pkg/usr/share/dhm-simple/blob.onnx", "x");
($r) = mock_run($src, {}, 'dh_installmodels');
is($r->{code}, 0, 'an unexplained model file is not an error');
like($r->{err}, qr/warning: dhm-simple-model: usr\/share\/dhm-simple\/blob\.onnx looks like model weights/,
	'... but a warning names it');
unlike($r->{err}, qr/simple-mlp\.safetensors looks like/, 'the recipe\'s own weights are not flagged');

# An Install: path outside the package is refused.
edit_file("$src/debian/models", sub { s{^Install: .*$}{Install: usr/share/../../etc/}m });
($r) = mock_run($src, {}, 'dh_model');
isnt($r->{code}, 0, 'Install: with ".." is refused');
like($r->{err}, qr/Install: "usr\/share\/\.\.\/\.\.\/etc\/" must be a directory relative to the package root/, '... with a clear message');
edit_file("$src/debian/models", sub { s{^Install: .*$}{Install: usr/share/dhm-simple/}m });

# dh_clean removes everything staged.
($r) = mock_run($src, {}, 'dh_clean');
is($r->{code}, 0, 'dh_clean succeeds');
ok(!-e "$src/debian/.debhelper", 'dh_clean removes debian/.debhelper with the staged models');
ok(!-e $pkg, 'dh_clean removes debian/PKG');

# --- trainer errors ---------------------------------------------------------
edit_file("$src/debian/models", sub { s{^Dataset: .*$}{Dataset: data/missing.csv}m });
($r) = mock_run($src, {}, 'dh_model');
isnt($r->{code}, 0, 'a trainer error fails dh_model');
like($r->{err}, qr/^dh_model: error: dhm-simple-model \(debian\/models\): debian\/models:\d+: dataset data\/missing.csv: cannot open/m,
	"the trainer's message comes through, prefixed with package and recipe");
like($r->{err}, qr/exited with code 1: bad input/, '... with what the exit code means');
is(scalar(() = $r->{err} =~ m/missing\.csv/g), 1, '... once');
edit_file("$src/debian/models", sub { s{^Dataset: .*$}{Dataset: data/train.csv}m });

edit_file("$src/debian/models", sub { s{^Expect: .*$}{Expect: test-accuracy >= 0.95}m });
($r) = mock_run($src, {}, 'dh_model');
isnt($r->{code}, 0, 'a failed Expect gate fails dh_model');
like($r->{err}, qr/dhm-simple-model \(debian\/models\): .*test-accuracy >= 0\.95 failed.*exited with code 3: a quality gate/,
	'... naming package, recipe, metric and threshold');
($r) = mock_run($src, { DEB_BUILD_OPTIONS => 'nocheck' }, 'dh_model');
is($r->{code}, 0, 'nocheck: the gate is skipped and training succeeds');
edit_file("$src/debian/models", sub { s{^Expect: .*$}{Expect: test-accuracy >= 0.75}m });

($r) = mock_run($src, { DH_MODEL_TRAIN => '/nonexistent/dh-model-train' }, 'dh_model');
isnt($r->{code}, 0, 'a missing trainer fails dh_model');
like($r->{err}, qr/cannot run \/nonexistent\/dh-model-train: No such file or directory/, '... clearly');

# --- package selection --------------------------------------------------------
my $mixed = fixture('mixed');
my %stage_of = map { $_ => "$mixed/debian/.debhelper/model/$_" } qw(dhm-mixed-tool dhm-mixed-data);
sub mixed_staged { return join(' ', grep { -d $stage_of{$_} } sort keys(%stage_of)); }
my @cases = (
	[['-p', 'dhm-mixed-data'], 'dhm-mixed-data'],
	[['-N', 'dhm-mixed-data'], 'dhm-mixed-tool'],
	[['-a'], 'dhm-mixed-tool'],
	[['-i'], 'dhm-mixed-data'],
	[[], 'dhm-mixed-data dhm-mixed-tool'],
);
for my $case (@cases) {
	my ($args, $want) = @{$case};
	system('rm', '-rf', "$mixed/debian/.debhelper");
	($r, @calls) = mock_run($mixed, {}, 'dh_model', @{$args});
	is($r->{code}, 0, "dh_model @{$args} succeeds") or diag($r->{all});
	is(mixed_staged(), $want, "dh_model @{$args} trains $want");
	is(join(' ', sort map { $_->[-1] } train_calls(@calls)),
		join(' ', map { "debian/$_.models" } split(' ', $want)), "... from debian/PKG.models");
}
($r) = mock_run($mixed, {}, 'dh_installmodels', '-p', 'dhm-mixed-data');
is($r->{code}, 0, 'dh_installmodels -p dhm-mixed-data') or diag($r->{all});
ok(-f "$mixed/debian/dhm-mixed-data/usr/share/dhm-mixed-data/data-mlp.safetensors", '... installs that package');
ok(!-e "$mixed/debian/dhm-mixed-tool", '... and no other');

done_testing();
