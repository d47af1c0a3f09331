#!/usr/bin/perl
# The budget in a real package build: a fixture whose recipe is over the
# policy fails at dh_model, before any training, with the policy's message
# in the build log; within the budget, the verdict reaches the package.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use Test::More;
use DhModelTest;

need_trainer();

my $src = fixture('simple');
edit_file("$src/debian/models", sub {
	s/^Network:.*$/Network: dense 4096 relu, dense 4096 relu, dense 2/m;
	s/^Epochs:.*$/Epochs: 100000/m;
});
my $r = run_in($src, {}, 'dpkg-buildpackage', '-us', '-uc', '-d', '-b');
isnt($r->{code}, 0, 'dpkg-buildpackage fails');
like($r->{all}, qr/^\s*dh_model\b/m, 'the build reached dh_model');
like($r->{all}, qr/dhm-simple-model \(debian\/models\): debian\/models: stanza 1 \(simple-mlp\): needs [0-9.e+]+ FLOP, main allows 3\.6e\+14 FLOP \(about .* vs .* at [0-9.]+ GFLOP\/s on one amd64 core\)/,
	'the build log has the policy message, naming the package, the recipe and both figures')
	or diag($r->{all});
unlike($r->{all}, qr/epoch 1\//, 'nothing was trained');
is_deeply([staged_files($src, 'dhm-simple-model')], [], 'nothing was staged');
ok(!-e dirname($src) . '/dhm-simple-model_1.0_all.deb', 'no .deb');

# within the budget: the provenance in the package carries the verdict
$src = fixture('simple');
$r = run_in($src, {}, 'dh_model');
is($r->{code}, 0, 'dh_model trains the fixture') or diag($r->{all});
my $json = slurp("$src/debian/.debhelper/model/dhm-simple-model/simple-mlp.json") // '';
like($json, qr/"policy": "main"/, 'the provenance names the policy');
like($json, qr/"within-main": true/, 'and says that the model is within the budget of main');
like($json, qr/"estimated-flop": (\d+),\s*"counted-flop": \1\b/, 'estimated and counted FLOP agree exactly');

done_testing();
