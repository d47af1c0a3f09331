#!/usr/bin/perl
# Anyone can verify a shipped model: build the fixture package, unpack the
# .deb as a user would have it installed, and retrain the model from the
# provenance inside its weights (the data from the source package).  The
# weights are identical; one flipped byte is named.  A recipe that asks for
# the openblas back-end gets a warning in the build log.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Test::More;
use DhModelTest;

my $trainer = need_trainer();

my $src = fixture('simple');
my $r = run_in($src, {}, 'dpkg-buildpackage', '-us', '-uc', '-d', '-b');
is($r->{code}, 0, 'the fixture package builds') or diag($r->{all});
my $root = tempdir('dh-model-root-XXXXXX', TMPDIR => 1, CLEANUP => 1);
$r = run_in('/', {}, 'dpkg-deb', '-x', dirname($src) . '/dhm-simple-model_1.0_all.deb', $root);
is($r->{code}, 0, 'dpkg-deb -x');
my $weights = "$root/usr/share/dhm-simple/simple-mlp.safetensors";
ok(-f $weights, 'the installed weights');

$r = run_in('/', {}, $trainer, 'verify', '--data-dir', $src, $weights);
is($r->{code}, 0, 'verify retrains the shipped model') or diag($r->{all});
like($r->{out}, qr/identical: all \d+ tensors .* of simple-mlp match the retrained weights bit for bit/,
	'... and finds it identical');

# flip one byte at the end of the file: the last tensor's data
open(my $fd, '+<:raw', $weights) or die("$weights: $!");
seek($fd, -1, 2);
read($fd, my $byte, 1);
seek($fd, -1, 2);
print {$fd} chr(ord($byte) ^ 1);
close($fd);
$r = run_in('/', {}, $trainer, 'verify', '--data-dir', $src, $weights);
is($r->{code}, 5, 'a flipped byte: exit status 5');
like($r->{err}, qr/tensor 'layers\.\d+\.(?:weight|bias)' differs: element \d+/, '... naming the tensor');

# a recipe for the openblas back-end is built, with a warning
$src = fixture('simple');
edit_file("$src/debian/models", sub { s/^Seed: 1$/Seed: 1\nNumerics: openblas/m or die });
$r = run_in($src, {}, 'dh_model');
is($r->{code}, 0, 'dh_model trains an openblas recipe');
like($r->{all}, qr/warning: .*Numerics: openblas: the weights of simple-mlp will be reproducible only on the same CPU core type/,
	'... and warns that it is reproducible only on the same core type and thread count');

done_testing();
