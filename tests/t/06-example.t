#!/usr/bin/perl
# The example package, fashion-mnist-classifier, built with the tree's
# dh-model: it retrains on the 60,000 Fashion-MNIST images (about 20 s on 2
# cores).  DH_MODEL_TEST_EXAMPLE=0 skips it.  (The autopkgtest
# "build-example" builds it against the installed dh-model.)

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA;
use File::Temp qw(tempdir);
use Test::More;
use DhModelTest;

plan(skip_all => 'DH_MODEL_TEST_EXAMPLE=0: not building the Fashion-MNIST example')
	if defined($ENV{DH_MODEL_TEST_EXAMPLE}) and $ENV{DH_MODEL_TEST_EXAMPLE} eq '0';
need_trainer();
plan(skip_all => 'needs dataset-fashion-mnist (/usr/share/datasets/fashion-mnist) and python3-torch')
	if not -d '/usr/share/datasets/fashion-mnist' or system('/usr/bin/python3', '-c', 'import torch') != 0;

my $tmp = tempdir('dh-model-example-XXXXXX', TMPDIR => 1, CLEANUP => 1);
system('cp', '-a', "$TOP/templates/fashion-mnist-classifier", "$tmp/") == 0 or BAIL_OUT('cp');
my $src = "$tmp/fashion-mnist-classifier";
my $r = run_in($src, {}, 'dpkg-buildpackage', '-us', '-uc', '-d');
is($r->{code}, 0, 'dpkg-buildpackage builds the example') or diag($r->{all});
my $deb = "$tmp/fashion-mnist-classifier_0.1.0_all.deb";
my @paths = deb_contents($deb);
ok((grep { $_ eq '/usr/share/fashion-mnist-classifier/fashion-mlp.safetensors' } @paths), 'the .deb ships the weights');
ok((grep { m{^/usr/share/doc/fashion-mnist-classifier/models/fashion-mlp\.md(?:\.gz)?$} } @paths), '... and the model card');
ok((grep { $_ eq '/usr/bin/fashion-mnist-classify' } @paths), '... and the consumer');

$r = run_in($tmp, {}, 'dpkg-deb', '-x', $deb, "$tmp/root");
is($r->{code}, 0, 'dpkg-deb -x');
$r = run_in($tmp, {}, '/usr/bin/python3', "$tmp/root/usr/bin/fashion-mnist-classify",
	'--weights', "$tmp/root/usr/share/fashion-mnist-classifier/fashion-mlp.safetensors", '--show', '3');
is($r->{code}, 0, 'fashion-mnist-classify runs on the built weights') or diag($r->{all});
like($r->{out}, qr/^image     0: \S/m, '... prints per-image predictions');
my ($acc) = $r->{out} =~ m/^accuracy: ([0-9.]+)/m;
diag("fashion-mnist-classify: accuracy $acc") if defined($acc);
cmp_ok($acc // 0, '>=', 0.85, '... and an accuracy that meets the recipe\'s gate');

# the MLP bits (README): the consumers changed, the weights did not
my $weights = "$tmp/root/usr/share/fashion-mnist-classifier/fashion-mlp.safetensors";
my $sha = Digest::SHA->new(256)->addfile($weights)->hexdigest;
like($sha, qr/^349b7b2b6bd790b9[0-9a-f]{42}8432da$/, "the weights are the example's bits ($sha)");

# the consumers against the trainer's own forward pass, image by image
my $images = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
my $labels = '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz';
$r = run_in($tmp, {}, $ENV{DH_MODEL_TRAIN}, 'predict', $weights, $images);
my @trainer = split(/\n/, $r->{out});
$r = run_in($tmp, {}, '/usr/bin/python3', "$tmp/root/usr/bin/fashion-mnist-classify",
	'--weights', $weights, '--show', '-1');
my @torch = $r->{out} =~ /^image +\d+: (.+?) +\( *[0-9.]+%\)/mg;
is(scalar(@torch), 10000, 'the PyTorch consumer classifies the 10,000 test images');
is(scalar(grep { $torch[$_] ne ($trainer[$_] // '') } 0 .. $#torch), 0,
	'... each as dh-model-train predict does');
my %class = do { my $i = 0; map { ($_ => $i++) } ('T-shirt/top', 'Trouser', 'Pullover', 'Dress',
	'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot') };
my $c_src = "$tmp/root/usr/share/doc/fashion-mnist-classifier/examples/classify.c";
ok(-f $c_src, 'the .deb ships the C example, examples/classify.c');
$r = run_in($tmp, {}, 'cc', '-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-o', "$tmp/classify",
	$c_src, '-lz', '-lm');
is($r->{code}, 0, '... which compiles without a warning') or diag($r->{all});
$r = run_in($tmp, {}, "$tmp/classify", $weights, $images, $labels, 10000);
my @c = $r->{out} =~ /^image +\d+: class (\d+),/mg;
is(scalar(@c), 10000, 'the C consumer classifies the 10,000 test images');
is(scalar(grep { $c[$_] != ($class{$trainer[$_] // ''} // -1) } 0 .. $#c), 0,
	'... each as dh-model-train predict does');
like($r->{out}, qr/^accuracy: \Q$acc\E \(/m, '... with the PyTorch consumer\'s accuracy');

done_testing();
