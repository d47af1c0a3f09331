#!/usr/bin/perl
# Issue 18, "one rule, said the same everywhere": the parameter count that
# inspect prints is the one of the provenance and the card (the trained
# values; the normalisation constants apart, as PyTorch's parameters() and
# buffers), and an output layer wider than the classes in the data is a
# warning that names both numbers.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Cwd qw(abs_path);
use JSON::PP;
use Test::More;
use DhModelTest;

my $trainer = abs_path(need_trainer());
my $src = fixture('simple');

sub recipe {
	my ($network, $extra) = @_;
	write_file("$src/models", "Model: m\nDataset: data/train.csv\nTest-Dataset: data/test.csv\n"
		. "Format: csv\nNetwork: $network\nLoss: softmax-cross-entropy\nEpochs: 1\nSeed: 1\n"
		. ($extra // ''));
}

# --- the parameter count -------------------------------------------------------
recipe('dense 8 relu, dense 2', "Normalize: standardize\n");
mkdir("$src/out");
my $r = run_in($src, {}, $trainer, 'train', '-o', 'out', 'models');
is($r->{code}, 0, 'trains with Normalize: standardize') or diag($r->{all});
# 4 inputs: 4*8 + 8 + 8*2 + 2 = 58 trained; shift and scale 4 each
my $json = decode_json(slurp("$src/out/m.json"));
is($json->{network}{parameters}, 58, 'the provenance counts 58 parameters');
$r = run_in($src, {}, $trainer, 'inspect', 'out/m.safetensors');
like($r->{out}, qr/^parameters: 58$/m, 'inspect counts the same 58');
like($r->{out}, qr/^constants: 8 \(input\.shift and input\.scale/m, 'and the 8 constants apart');
like($r->{out}, qr/^  input\.shift .*\(constant\)$/m, 'input.shift is marked a constant');
$r = run_in($src, {}, $trainer, 'card', 'out/m.json');
like($r->{out}, qr/\(58 parameters/, 'the card says 58 too');

# --- an output layer wider than the classes -----------------------------------
recipe('dense 8 relu, dense 5');
$r = run_in($src, {}, $trainer, 'train', '-o', 'out', 'models');
is($r->{code}, 0, 'a wider output layer still trains') or diag($r->{all});
like($r->{all}, qr/^dh-model-train: warning: m: models: line 5: Network: the last layer has 5 outputs, but the labels are 0 to 1, 2 classes: 3 outputs are never the right answer$/m,
	'a warning names both numbers and the Network line');
$r = run_in($src, {}, $trainer, 'train', '--quiet', '-o', 'out', 'models');
like($r->{err}, qr/^dh-model-train: warning: m: models: line 5: Network: the last layer has 5 outputs/m,
	'--quiet hides progress, not this warning: it is on stderr');
recipe('dense 8 relu, dense 2');
$r = run_in($src, {}, $trainer, 'train', '-o', 'out', 'models');
unlike($r->{all}, qr/warning: .*outputs/, 'no warning when the widths agree');

done_testing();
