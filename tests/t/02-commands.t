#!/usr/bin/perl
# The Perl side of dh_model, dh_installmodels and dh_auditmodels, with the real trainer
# ($DH_MODEL_TRAIN, the tree's build/dh-model-train under "make check"):
# how the build options reach the trainer (seen in the command that -v
# prints, and in what the trainer then does), package selection, --no-act,
# error reporting, staging and cleaning.  The fixture recipes train in well
# under a second.  The trained files themselves are checked in 03-train.t.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use DhModelTest;

my $trainer = need_trainer();

# The trainer commands that "dh_model -v" printed (verbose_print: a tab,
# then the command), each as an array of the arguments after "train".
sub train_cmds {
	my ($r) = @_;
	return map { [split(' ', $_)] } ($r->{out} =~ m/^\t\S+ train (.*)$/mg);
}

sub opt_value {
	my ($cmd, $opt) = @_;
	for my $i (0 .. $#{$cmd} - 1) { return $cmd->[$i + 1] if $cmd->[$i] eq $opt; }
	return undef;
}

sub has_opt {
	my ($cmd, $opt) = @_;
	return scalar(grep { $_ eq $opt } @{$cmd // []});
}

# The trainer's progress lines ("NAME: epoch I/N done, ...").
my $PROGRESS = qr/^simple-mlp: epoch \d+\/\d+ done/m;

my $src = fixture('simple');
my $stage = "$src/debian/.debhelper/model/dhm-simple-model";
my $stamp = "$stage/recipe.sha256";

# --- defaults -------------------------------------------------------------
my $r = run_in($src, {}, 'dh_model', '-v');
is($r->{code}, 0, 'dh_model -v succeeds') or diag($r->{all});
my @train = train_cmds($r);
is(scalar(@train), 1, '-v shows one trainer command that trains');
like($r->{out}, qr/^\t\Q$trainer\E train /m, 'the trainer run is $DH_MODEL_TRAIN');
is(opt_value($train[0], '--threads'), 1, 'default: --threads 1');
is(opt_value($train[0], '--output-dir'), 'debian/.debhelper/model/dhm-simple-model', 'trains into debian/.debhelper/model/PKG');
is($train[0][-1], 'debian/models', 'the recipe is debian/models (the first package)');
ok(!has_opt($train[0], '--no-expect'), 'default: quality gates on (no --no-expect)');
ok(!has_opt($train[0], '--quiet'), 'default: progress lines on (no --quiet)');
like($r->{out}, $PROGRESS, "the trainer's progress lines reach stdout");
like($r->{out}, qr/^simple-mlp: trained in .*test-accuracy \d/m, "... and its summary with the test accuracy");
is_deeply([staged_files($src, 'dhm-simple-model')],
	[qw(recipe.sha256 simple-mlp.json simple-mlp.md simple-mlp.safetensors)],
	'weights, provenance, model card and stamp are staged');
like(slurp("$stage/simple-mlp.md"), qr/^# Model card: simple-mlp/, 'the model card comes from "dh-model-train card"');
like($r->{out}, qr/^\t\Q$trainer\E card debian\/\.debhelper\/model\/dhm-simple-model\/simple-mlp\.json > \S+\/simple-mlp\.md$/m,
	'-v shows the card command too');

$r = run_in($src, {}, 'dh_model');
is($r->{code}, 0, 'dh_model without -v succeeds') or diag($r->{all});
unlike($r->{out}, qr/^\t/m, 'without -v no command is printed');
like($r->{out}, $PROGRESS, '... but the progress lines are');
$r = run_in($src, { DH_VERBOSE => 1 }, 'dh_model');
is(scalar(train_cmds($r)), 1, 'DH_VERBOSE=1 prints the trainer command like -v');

# --- DEB_BUILD_OPTIONS and DH_QUIET ---------------------------------------
$r = run_in($src, { DEB_BUILD_OPTIONS => 'parallel=3' }, 'dh_model', '-v');
is($r->{code}, 0, 'parallel=3: dh_model succeeds') or diag($r->{all});
is(opt_value((train_cmds($r))[0], '--threads'), 3, 'parallel=3: --threads 3');
ok(-f $stamp, 'parallel=3: the outputs are staged');

# parallel=N is a maximum: above what the trainer takes (256 threads), the
# trainer's maximum, never an error
for my $n (257, 100000) {
	$r = run_in($src, { DEB_BUILD_OPTIONS => "parallel=$n" }, 'dh_model', '-v');
	is($r->{code}, 0, "parallel=$n: dh_model succeeds") or diag($r->{all});
	is(opt_value((train_cmds($r))[0], '--threads'), 256, "parallel=$n: --threads 256, the trainer's maximum");
	ok(-f $stamp, "parallel=$n: the outputs are staged");
}

$r = run_in($src, { DEB_BUILD_OPTIONS => 'nocheck' }, 'dh_model', '-v');
is($r->{code}, 0, 'nocheck: dh_model succeeds') or diag($r->{all});
ok(has_opt((train_cmds($r))[0], '--no-expect'), 'nocheck: --no-expect');
like($r->{out}, qr/^simple-mlp: trained in /m, 'nocheck still trains');

for my $case (['DEB_BUILD_OPTIONS=terse', { DEB_BUILD_OPTIONS => 'terse' }], ['DH_QUIET=1', { DH_QUIET => 1 }]) {
	my ($what, $env) = @{$case};
	unlink($stamp);
	$r = run_in($src, $env, 'dh_model', '-v');
	is($r->{code}, 0, "$what: dh_model succeeds") or diag($r->{all});
	ok(has_opt((train_cmds($r))[0], '--quiet'), "$what: --quiet");
	unlike($r->{out}, qr/^simple-mlp:/m, "$what: no progress lines");
	ok(-f $stamp, "$what: the outputs are still staged");
}

like(run_in($src, {}, 'dh_model', '-v')->{out},
	qr/^\t\Q$trainer\E train --threads 1 --output-dir debian\/\.debhelper\/model\/dhm-simple-model debian\/models$/m,
	'-v prints the whole trainer command');

# --- --no-act ---------------------------------------------------------------
system('rm', '-rf', "$src/debian/.debhelper");
$r = run_in($src, {}, 'dh_model', '--no-act');
is($r->{code}, 0, 'dh_model --no-act succeeds') or diag($r->{all});
unlike($r->{out}, $PROGRESS, '--no-act trains nothing');
ok(!-e "$src/debian/.debhelper/model", '--no-act stages nothing');
$r = run_in($src, {}, 'dh_model', '--no-act', '-v');
like($r->{out}, qr/^\t\Q$trainer\E verdict --section science debian\/models\n(?:.*\n)*\t\Q$trainer\E train .*debian\/models\n\t\Q$trainer\E card \S+\/simple-mlp\.json > \S+\/simple-mlp\.md$/m,
	'--no-act -v prints the commands it would run: the check of the archive area, the training, the card') or diag($r->{out});
unlike($r->{out}, $PROGRESS, '... and still trains nothing');
ok(!-e "$src/debian/.debhelper/model", '... and stages nothing');

# --- dh_installmodels -------------------------------------------------------
$r = run_in($src, {}, 'dh_installmodels');
isnt($r->{code}, 0, 'dh_installmodels fails when dh_model did not run');
like($r->{err}, qr/dhm-simple-model \(debian\/models\): model "simple-mlp" was never trained.*run dh_model/,
	'... and says which model, package and recipe, and what to do');

$r = run_in($src, {}, 'dh_model');
is($r->{code}, 0, 'dh_model') or diag($r->{all});
$r = run_in($src, {}, 'dh_installmodels');
is($r->{code}, 0, 'dh_installmodels succeeds after dh_model') or diag($r->{all});
my $pkg = "$src/debian/dhm-simple-model";
my $weights = "$pkg/usr/share/dhm-simple/simple-mlp.safetensors";
ok(-f $weights, 'weights installed at the Install: path');
ok(slurp($weights) eq slurp("$stage/simple-mlp.safetensors"), '... the staged ones');
ok(-f "$pkg/usr/share/doc/dhm-simple-model/models/simple-mlp.json", 'provenance in /usr/share/doc/PKG/models/');
ok(-f "$pkg/usr/share/doc/dhm-simple-model/models/simple-mlp.md", 'model card in /usr/share/doc/PKG/models/');
is((stat($weights))[2] & 07777, 0644, 'weights are mode 0644');

# dh_prep leaves the staging directory alone; dh_clean removes it.
$r = run_in($src, {}, 'dh_prep');
is($r->{code}, 0, 'dh_prep succeeds') or diag($r->{all});
ok(!-e $pkg, 'dh_prep clears debian/PKG');
ok(-f "$stage/simple-mlp.safetensors" && -f $stamp, 'dh_prep keeps the staged outputs');

# A recipe changed after training is not installed.
edit_file("$src/debian/models", sub { s/^Epochs: 30$/Epochs: 31/m or die });
$r = run_in($src, {}, 'dh_installmodels');
isnt($r->{code}, 0, 'dh_installmodels fails when the recipe changed after training');
like($r->{err}, qr/dhm-simple-model \(debian\/models\): the recipe changed after dh_model trained it/, '... and says so');
$r = run_in($src, {}, 'dh_auditmodels');
isnt($r->{code}, 0, 'so does dh_auditmodels (the staged records would not be the recipe\'s)');
like($r->{err}, qr/^dh_auditmodels: error: dhm-simple-model \(debian\/models\): the recipe changed after dh_model trained it/m,
	'... and says so') or diag($r->{err});
$r = run_in($src, {}, 'dh_model');
is($r->{code}, 0, 'dh_model retrains the changed recipe') or diag($r->{all});
like($r->{out}, qr/^simple-mlp: epoch 31\/31 done/m, '... with the new number of epochs');

# Files that look like weights but no recipe produced: dh_auditmodels.
is(run_in($src, {}, 'dh_installmodels')->{code}, 0, 'dh_installmodels');
system('mkdir', '-p', "$pkg/usr/share/dhm-simple") == 0 or die;
write_file("$pkg/usr/share/dhm-simple/blob.onnx", "x");
$r = run_in($src, {}, 'dh_installmodels');
is($r->{code}, 0, 'dh_installmodels with an unexplained model file in the package') or diag($r->{all});
unlike($r->{err}, qr/looks like model weights/, '... does not audit it (dh_auditmodels does)');
# "dh $@ --strict" passes -O--strict to every command; those that do not
# know it ignore it, as debhelper commands do
$r = run_in($src, {}, 'dh_installmodels', '-O--strict');
is($r->{code}, 0, 'dh_installmodels -O--strict (from dh $@ --strict) ignores the option') or diag($r->{all});
unlike($r->{all}, qr/strict/, '... silently');
$r = run_in($src, {}, 'dh_installmodels', '--strict');
isnt($r->{code}, 0, 'dh_installmodels --strict given directly is an unknown option');
$r = run_in($src, {}, 'dh_auditmodels');
is($r->{code}, 0, 'an unexplained model file is not an error') or diag($r->{all});
like($r->{err}, qr/^dh_auditmodels: warning: dhm-simple-model: usr\/share\/dhm-simple\/blob\.onnx looks like model weights/m,
	'... but a warning names it');
unlike($r->{err}, qr/simple-mlp\.safetensors looks like/, 'the recipe\'s own weights are not flagged');
$r = run_in($src, {}, 'dh_auditmodels', '--no-act', '--strict');
is($r->{code}, 0, 'dh_auditmodels --no-act --strict audits nothing') or diag($r->{all});
unlike($r->{err}, qr/looks like/, '... and says nothing');
$r = run_in($src, {}, 'dh_auditmodels', '--no-act', '-v', '--strict');
is($r->{code}, 0, 'dh_auditmodels --no-act -v --strict audits nothing') or diag($r->{all});
like($r->{out}, qr/^\taudit debian\/dhm-simple-model\/: model files that no recipe produced are errors \(dh_auditmodels --strict\)\n\taudit the source package: model files in it are warnings$/m,
	'... but says what it would audit, and how') or diag($r->{out});
unlike($r->{err}, qr/looks like/, '... without auditing');
$r = run_in($src, {}, 'dh_auditmodels', '--no-act', '-v');
like($r->{out}, qr/^\taudit debian\/dhm-simple-model\/: model files that no recipe produced are warnings$/m,
	'... warnings without --strict');
$r = run_in($src, { DH_MODEL_UNEXPLAINED => 'sometimes' }, 'dh_auditmodels');
isnt($r->{code}, 0, 'DH_MODEL_UNEXPLAINED=sometimes is an error');
like($r->{err}, qr/DH_MODEL_UNEXPLAINED=sometimes: expected warn or error/, '... that says what is expected');
$r = run_in($src, { DH_QUIET => 1 }, 'dh_auditmodels');
like($r->{err}, qr/blob\.onnx looks like model weights/, 'DH_QUIET does not silence the warning');
unlink("$pkg/usr/share/dhm-simple/blob.onnx") or die;
$r = run_in($src, {}, 'dh_auditmodels', '--strict');
is($r->{code}, 0, 'dh_auditmodels --strict passes a package with only its retrained model') or diag($r->{all});
is($r->{all}, '', '... silently');

# An Install: path the package cannot use is refused: the trainer checks it
# when dh_model lists the recipe, with the same rule that dh_installmodels
# applies (relative, a final "/", no "." or "..").
for my $bad ('usr/share/../../etc/', 'usr/share/./dhm-simple/', 'usr/share/dhm-simple') {
	edit_file("$src/debian/models", sub { s{^Install: .*$}{Install: $bad}m or die });
	$r = run_in($src, {}, 'dh_model');
	isnt($r->{code}, 0, "Install: $bad is refused");
	like($r->{err}, qr/^dh_model: error: dhm-simple-model \(debian\/models\): debian\/models: line \d+: Install: expected a directory inside the package.*got '\Q$bad\E'/m,
		'... naming the package, the recipe, the line and the path') or diag($r->{err});
	unlike($r->{out}, $PROGRESS, '... before any training');
	ok(!-e $stamp, '... and nothing complete is staged');
	$r = run_in($src, {}, 'dh_installmodels');
	isnt($r->{code}, 0, '... and dh_installmodels refuses it too');
}
edit_file("$src/debian/models", sub { s{^Install: .*$}{Install: usr/share/dhm-simple/}m or die });

# dh_clean removes everything staged.
$r = run_in($src, {}, 'dh_model');
is($r->{code}, 0, 'dh_model') or diag($r->{all});
$r = run_in($src, {}, 'dh_installmodels');
is($r->{code}, 0, 'dh_installmodels') or diag($r->{all});
$r = run_in($src, {}, 'dh_clean');
is($r->{code}, 0, 'dh_clean succeeds') or diag($r->{all});
ok(!-e "$src/debian/.debhelper", 'dh_clean removes debian/.debhelper with the staged models');
ok(!-e $pkg, 'dh_clean removes debian/PKG');

# --- trainer errors ---------------------------------------------------------
edit_file("$src/debian/models", sub { s{^Dataset: .*$}{Dataset: data/missing.csv}m or die });
$r = run_in($src, {}, 'dh_model');
isnt($r->{code}, 0, 'a trainer error fails dh_model');
like($r->{err}, qr/^dh_model: error: dhm-simple-model \(debian\/models\): debian\/models:(?: line )?\d+: .*data\/missing\.csv/m,
	"the trainer's message comes through, prefixed with package and recipe");
unlike($r->{err}, qr/\): (?:\S*\/)?dh-model-train:/, '... without the trainer\'s own prefix');
like($r->{err}, qr/exited with code 1: bad input/, '... with what the exit code means');
is(scalar(() = $r->{err} =~ m/missing\.csv/g), 1, '... once');
edit_file("$src/debian/models", sub { s{^Dataset: .*$}{Dataset: data/train.csv}m or die });

# A gate the toy model cannot pass (it reaches about 0.92).
edit_file("$src/debian/models", sub { s{^Expect: .*$}{Expect: test-accuracy >= 0.999}m or die });
$r = run_in($src, {}, 'dh_model');
isnt($r->{code}, 0, 'a failed Expect gate fails dh_model');
like($r->{err}, qr/^dh_model: error: dhm-simple-model \(debian\/models\): .*test-accuracy >= 0\.999\b.*exited with code 3: a quality gate/m,
	'... naming package, recipe, metric and threshold, and exit code 3');
ok(!-e $stamp, '... and leaving nothing complete staged');
$r = run_in($src, { DEB_BUILD_OPTIONS => 'nocheck' }, 'dh_model', '-v');
is($r->{code}, 0, 'nocheck: the gate is skipped and training succeeds') or diag($r->{all});
ok(has_opt((train_cmds($r))[0], '--no-expect'), '... through --no-expect');
ok(-f $stamp, '... and the outputs are staged');
$r = run_in($src, {}, 'dh_installmodels');
is($r->{code}, 0, '... and install') or diag($r->{all});
$r = run_in($src, { DEB_BUILD_OPTIONS => 'nocheck terse' }, 'dh_model');
is($r->{code}, 0, 'nocheck terse: training succeeds') or diag($r->{all});
like($r->{err}, qr/^dh_model: warning: dhm-simple-model \(debian\/models\): debian\/models: line \d+: Expect: test-accuracy >= 0\.999 does not hold: test-accuracy is 0\.\d+ \(not fatal: /m,
	'... and a warning, even with terse, says that the gate does not hold') or diag($r->{err});
edit_file("$src/debian/models", sub { s{^Expect: .*$}{Expect: test-accuracy >= 0.75}m or die });

$r = run_in($src, { DH_MODEL_TRAIN => '/nonexistent/dh-model-train' }, 'dh_model');
isnt($r->{code}, 0, 'a missing trainer fails dh_model');
like($r->{err}, qr/^dh_model: error: dhm-simple-model \(debian\/models\): cannot run \/nonexistent\/dh-model-train: No such file or directory/m,
	'... clearly');

# --- package selection --------------------------------------------------------
my $mixed = fixture('mixed');
my %stage_of = map { $_ => "$mixed/debian/.debhelper/model/$_" } qw(dhm-mixed-tool dhm-mixed-data);
sub mixed_staged { return join(' ', grep { -f "$stage_of{$_}/recipe.sha256" } sort keys(%stage_of)); }
my @cases = (
	[['-p', 'dhm-mixed-data'], 'dhm-mixed-data'],
	[['-N', 'dhm-mixed-data'], 'dhm-mixed-tool'],
	[['-a'], 'dhm-mixed-tool'],
	[['-i'], 'dhm-mixed-data'],
	[[], 'dhm-mixed-data dhm-mixed-tool'],
);
for my $case (@cases) {
	my ($args, $want) = @{$case};
	my $what = join(' ', 'dh_model', @{$args});
	system('rm', '-rf', "$mixed/debian/.debhelper");
	$r = run_in($mixed, {}, 'dh_model', '-v', @{$args});
	is($r->{code}, 0, "$what succeeds") or diag($r->{all});
	is(mixed_staged(), $want, "$what trains $want");
	is(join(' ', sort map { $_->[-1] } train_cmds($r)),
		join(' ', map { "debian/$_.models" } split(' ', $want)), "... from debian/PKG.models");
}
$r = run_in($mixed, {}, 'dh_installmodels', '-p', 'dhm-mixed-data');
is($r->{code}, 0, 'dh_installmodels -p dhm-mixed-data') or diag($r->{all});
ok(-f "$mixed/debian/dhm-mixed-data/usr/share/dhm-mixed-data/data-mlp.safetensors", '... installs that package');
ok(!-e "$mixed/debian/dhm-mixed-tool", '... and no other');

# dh_auditmodels audits the packages it is asked to.
is(run_in($mixed, {}, 'dh_installmodels')->{code}, 0, 'dh_installmodels (both packages)');
for my $p (qw(dhm-mixed-tool dhm-mixed-data)) {
	write_file("$mixed/debian/$p/usr/share/$p/stray.onnx", "x");
}
for my $case ([['-p', 'dhm-mixed-data'], 'dhm-mixed-data'], [['-N', 'dhm-mixed-data'], 'dhm-mixed-tool'],
	[['-a'], 'dhm-mixed-tool'], [['-i'], 'dhm-mixed-data'], [[], 'dhm-mixed-data dhm-mixed-tool']) {
	my ($args, $want) = @{$case};
	my $what = join(' ', 'dh_auditmodels', '--strict', @{$args});
	$r = run_in($mixed, {}, 'dh_auditmodels', '--strict', @{$args});
	isnt($r->{code}, 0, "$what fails");
	is(join(' ', sort($r->{err} =~ m/^dh_auditmodels: warning: (\S+): usr\/share\/\S+\/stray\.onnx looks like/mg)), $want,
		"... warning about $want") or diag($r->{err});
	is(join(' ', sort($r->{err} =~ m/(?:error: |; )(\S+): 1 model file that no recipe produced/g)), $want,
		"... and failing for $want, in one error");
}

done_testing();
