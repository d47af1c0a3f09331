#!/usr/bin/perl
# dh_model and dh_installmodels with the real trainer on the small fixture
# packages: staged outputs, quality gates, nocheck, errors, selection,
# --no-act, thread count, dh_clean.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP ();
use Test::More;
use DhModelTest;

my $trainer = need_trainer();

my $src = fixture('simple');
my $stage = "$src/debian/.debhelper/model/dhm-simple-model";

# --- --no-act first: nothing may be trained ---------------------------------
my $r = run_in($src, {}, 'dh_model', '--no-act');
is($r->{code}, 0, 'dh_model --no-act succeeds');
ok(!-e "$src/debian/.debhelper", '--no-act trains nothing and stages nothing');

# --- a real training ----------------------------------------------------------
$r = run_in($src, {}, 'dh_model');
is($r->{code}, 0, 'dh_model trains the fixture recipe') or diag($r->{all});
is_deeply([staged_files($src, 'dhm-simple-model')],
	[qw(recipe.sha256 simple-mlp.json simple-mlp.md simple-mlp.safetensors)],
	'weights, provenance, model card and stamp are staged');

# The weights are safetensors: 8-byte little-endian length, then a JSON header.
my $st = slurp("$stage/simple-mlp.safetensors");
my $hlen = unpack('Q<', substr($st, 0, 8));
my $header = eval { JSON::PP->new->decode(substr($st, 8, $hlen)) };
ok($header, 'the weights have a valid safetensors JSON header') or diag($@);
my @tensors = grep { $_ ne '__metadata__' } keys(%{$header // {}});
cmp_ok(scalar(@tensors), '>=', 2, 'the weights hold the tensors of "dense 8 relu, dense 2"');
my $params = 0;
for my $t (@tensors) {
	my $n = 1;
	$n *= $_ for @{$header->{$t}{shape}};
	$params += $n;
}
is($params, 4 * 8 + 8 + 8 * 2 + 2, 'the tensors hold 58 parameters (4->8->2 with biases)');
is(length($st), 8 + $hlen + 4 * $params, 'the file size matches header and F32 data');

my $prov = eval { JSON::PP->new->decode(slurp("$stage/simple-mlp.json")) };
ok($prov, 'the provenance record is valid JSON') or diag($@);
like(slurp("$stage/simple-mlp.json"), qr/test-accuracy/, 'the provenance record has the test accuracy');
like(slurp("$stage/simple-mlp.md"), qr/simple-mlp/, 'the model card names the model');

$r = run_in($src, {}, $trainer, 'inspect', "$stage/simple-mlp.safetensors");
is($r->{code}, 0, 'dh-model-train inspect reads the staged weights') or diag($r->{all});

# The weights do not depend on parallel=N (portable numerics).
$r = run_in($src, { DEB_BUILD_OPTIONS => 'parallel=2' }, 'dh_model');
is($r->{code}, 0, 'dh_model with parallel=2') or diag($r->{all});
ok(slurp("$stage/simple-mlp.safetensors") eq $st, 'parallel=2 gives the same weights as parallel=1');

# --- installing, dh_prep, dh_clean -----------------------------------------
$r = run_in($src, {}, 'dh_installmodels');
is($r->{code}, 0, 'dh_installmodels succeeds') or diag($r->{all});
my $pkg = "$src/debian/dhm-simple-model";
ok(slurp("$pkg/usr/share/dhm-simple/simple-mlp.safetensors") eq $st, 'the trained weights are installed at the Install: path');
ok(-s "$pkg/usr/share/doc/dhm-simple-model/models/simple-mlp.md", 'the model card is installed');
ok(-s "$pkg/usr/share/doc/dhm-simple-model/models/simple-mlp.json", 'the provenance record is installed');
$r = run_in($src, {}, 'dh_prep');
ok(-f "$stage/simple-mlp.safetensors", 'dh_prep keeps the staged weights');
$r = run_in($src, {}, 'dh_clean');
is($r->{code}, 0, 'dh_clean succeeds');
ok(!-e "$src/debian/.debhelper", 'dh_clean removes everything dh_model staged');

# --- quality gates --------------------------------------------------------------
edit_file("$src/debian/models", sub { s{^Expect: .*$}{Expect: test-accuracy >= 0.999}m or die });
$r = run_in($src, {}, 'dh_model');
isnt($r->{code}, 0, 'a failed Expect gate fails dh_model');
like($r->{err}, qr/^dh_model: error: dhm-simple-model \(debian\/models\): .*test-accuracy/m,
	'the error names the package, the recipe and the metric');
like($r->{err}, qr/0\.999/, '... and the threshold');
like($r->{err}, qr/exited with code 3/, '... and the trainer exit code 3');
ok(!-e "$stage/recipe.sha256", 'a failed gate leaves no complete staging');
$r = run_in($src, {}, 'dh_installmodels');
isnt($r->{code}, 0, 'so dh_installmodels refuses to install');

$r = run_in($src, { DEB_BUILD_OPTIONS => 'nocheck' }, 'dh_model');
is($r->{code}, 0, 'nocheck skips the gate and still trains') or diag($r->{all});
ok(-f "$stage/simple-mlp.safetensors" && -f "$stage/recipe.sha256", '... and stages the outputs');

# --- bad recipes ---------------------------------------------------------------
edit_file("$src/debian/models", sub { s{^Expect: .*$}{Expect: test-accuracy >= 0.75\nColour: blue}m or die });
$r = run_in($src, {}, 'dh_model');
isnt($r->{code}, 0, 'an unknown field fails dh_model');
like($r->{err}, qr/^dh_model: error: dhm-simple-model \(debian\/models\): .*debian\/models:(?: line )?\d+.*Colour/im,
	'the error names package, recipe, file:line and the field');
edit_file("$src/debian/models", sub { s{^Colour: blue\n}{}m or die });

edit_file("$src/debian/models", sub { s{^Dataset: .*$}{Dataset: data/missing.csv}m or die });
$r = run_in($src, {}, 'dh_model');
isnt($r->{code}, 0, 'a missing dataset fails dh_model');
like($r->{err}, qr/^dh_model: error: dhm-simple-model \(debian\/models\): .*missing\.csv/m, '... naming it');

# --- package selection with the real trainer ------------------------------------
my $mixed = fixture('mixed');
for my $case ([['-p', 'dhm-mixed-data'], 'dhm-mixed-data', 'dhm-mixed-tool'],
	      [['-N', 'dhm-mixed-data'], 'dhm-mixed-tool', 'dhm-mixed-data']) {
	my ($args, $yes, $no) = @{$case};
	system('rm', '-rf', "$mixed/debian/.debhelper");
	$r = run_in($mixed, {}, 'dh_model', @{$args});
	is($r->{code}, 0, "dh_model @{$args}") or diag($r->{all});
	ok(-f "$mixed/debian/.debhelper/model/$yes/recipe.sha256", "... trains $yes");
	ok(!-e "$mixed/debian/.debhelper/model/$no", "... and not $no");
}

done_testing();
