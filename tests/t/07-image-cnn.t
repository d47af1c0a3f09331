#!/usr/bin/perl
# The convolutional template, templates/image-cnn.models, trained inside a
# real package build (dpkg-buildpackage with the tree's dh-model) on
# Debian's dataset-fashion-mnist.  The .deb ships the weights, the card and
# the provenance, and PyTorch (a torch.nn.Sequential built from the
# template's Network line, load_state_dict) gets the test accuracy that the
# provenance records.
#
# By default (make check) the template runs unchanged but for its data and
# length: the first 2000 training and 500 test images, as IDX files made
# here, and Epochs 1 (a few seconds).  DH_MODEL_TEST_CNN=full trains the
# template exactly as shipped, on all 60,000 images (about 30 min on 2
# cores; "make check-all" and the autopkgtest build-image-cnn run it), and
# holds it to its own Expect.  DH_MODEL_TEST_CNN=0 skips it.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use Test::More;
use DhModelTest;

my $mode = $ENV{DH_MODEL_TEST_CNN} // 'subset';
plan(skip_all => 'DH_MODEL_TEST_CNN=0: not building the CNN template') if $mode eq '0';
need_trainer();
my $fmnist = '/usr/share/datasets/fashion-mnist';
plan(skip_all => "needs dataset-fashion-mnist ($fmnist), python3-numpy and python3-torch")
	if not -d $fmnist or system('/usr/bin/python3', '-c', 'import numpy, torch') != 0;

my $template = "$TOP/templates/image-cnn.models";
my $src = fixture('image-cnn');
my $recipe = slurp($template);
my ($test_images, $test_labels) = ("$fmnist/t10k-images-idx3-ubyte.gz", "$fmnist/t10k-labels-idx1-ubyte.gz");
if ($mode ne 'full') {
	# The first N images and labels of each set, as plain IDX files in the
	# source package (the header's count rewritten; data copied as is).
	my $py = <<'PY';
import gzip, struct, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = gzip.open(src, "rb").read()
ndim = data[3]
dims = list(struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim]))
row = 1
for d in dims[1:]:
    row *= d
dims[0] = n
head = data[:4] + struct.pack(">" + "I" * ndim, *dims)
open(dst, "wb").write(head + data[4 + 4 * ndim:4 + 4 * ndim + n * row])
PY
	mkdir("$src/data") or die("mkdir: $!");
	for my $f (['train-images-idx3-ubyte', 2000], ['train-labels-idx1-ubyte', 2000],
			['t10k-images-idx3-ubyte', 500], ['t10k-labels-idx1-ubyte', 500]) {
		my ($name, $n) = @$f;
		system('/usr/bin/python3', '-c', $py, "$fmnist/$name.gz", "$src/data/$name.idx", $n) == 0
			or BAIL_OUT("cannot make the IDX subset $name");
		$recipe =~ s{^(\S+:) \Q$fmnist/$name.gz\E$}{$1 data/$name.idx}m
			or BAIL_OUT("$template: no $fmnist/$name.gz");
	}
	($test_images, $test_labels) = ("$src/data/t10k-images-idx3-ubyte.idx", "$src/data/t10k-labels-idx1-ubyte.idx");
	$recipe =~ s/^Epochs: .*$/Epochs: 1/m or BAIL_OUT("$template: no Epochs");
	# One epoch on 2000 images is far from the template's gate.
	$recipe =~ s/^Expect: .*$/Expect: test-accuracy >= 0.6/m or BAIL_OUT("$template: no Expect");
}
write_file("$src/debian/models", $recipe);

my $r = run_in($src, {}, 'dpkg-buildpackage', '-us', '-uc', '-d');
is($r->{code}, 0, "dpkg-buildpackage trains the template ($mode)") or diag($r->{all});
my $deb = dirname($src) . '/fashion-cnn-classifier_1.0_all.deb';
my $weights = '/usr/share/fashion-cnn-classifier/fashion-cnn.safetensors';
my @paths = deb_contents($deb);
ok((grep { $_ eq $weights } @paths), 'the .deb ships the weights');
ok((grep { m{^/usr/share/doc/fashion-cnn-classifier/models/fashion-cnn\.md(?:\.gz)?$} } @paths), '... and the model card');

my $root = dirname($src) . '/root';
is(run_in('/', {}, 'dpkg-deb', '-x', $deb, $root)->{code}, 0, 'dpkg-deb -x');
my $json = doc_file($root, '/usr/share/doc/fashion-cnn-classifier/models/fashion-cnn.json') // '';
my ($recorded) = $json =~ m/"test-accuracy"\s*:\s*([0-9.eE+-]+)/;
ok(defined($recorded), 'the provenance records the test accuracy') or diag($json);
like($json, qr/"layers"\s*:\s*"conv 32 3x3 [^"]*maxpool 2,[^"]*flatten/, '... and the conv layers');

$r = run_in('/', {}, '/usr/bin/python3', "$TOP/tests/py/cnn_accuracy.py", "$src/debian/models",
	"$root$weights", $test_images, $test_labels);
is($r->{code}, 0, 'torch.nn.Sequential loads the weights (load_state_dict, strict)') or diag($r->{all});
my ($torch_acc) = $r->{out} =~ m/^accuracy ([0-9.]+)$/m;
my ($rows) = $r->{out} =~ m/^rows (\d+)$/m;
diag("test accuracy: dh-model " . ($recorded // '?') . ", PyTorch on the same weights " . ($torch_acc // '?'));
# The same predictions but for near-ties of float rounding: one image in 500.
ok(defined($torch_acc) && defined($recorded) && abs($torch_acc - $recorded) <= 1 / ($rows || 1) + 1e-9,
	'... and classifies the test images as the trainer did');
if ($mode eq 'full') {
	my ($gate) = slurp($template) =~ m/^Expect: test-accuracy >= ([0-9.]+)$/m;
	cmp_ok($torch_acc // 0, '>=', $gate, "PyTorch's accuracy meets the template's gate ($gate)");
}

done_testing();
