#!/usr/bin/perl
# The audit of model files: a package that ships upstream's ONNX model and
# PyTorch checkpoint besides the model that dh_model retrains gets a
# warning naming both files (and their class); in strict mode the build
# fails.  Blobs in the source package are reported too.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use Test::More;
use DhModelTest;

need_trainer();

my @DPKG_BUILDPACKAGE = ('dpkg-buildpackage', '-us', '-uc', '-d', '-b');
my $DEB = 'dhm-stray_1.0_all.deb';
my $ONNX = 'usr/share/dhm-stray/upstream/model.onnx';
my $PT = 'usr/share/dhm-stray/upstream/model.pt';

# --- by default: a warning for each file, and the package is built ------------
my $src = fixture('stray-models');
my $r = run_in($src, {}, @DPKG_BUILDPACKAGE);
is($r->{code}, 0, 'dpkg-buildpackage builds the package with stray model files') or diag($r->{all});
like($r->{all}, qr/^dh_installmodels: warning: dhm-stray: \Q$ONNX\E looks like model weights \(ONNX model, by extension and content\), but no recipe in debian\/dhm-stray\.models produced it: a model that Debian cannot retrain is not a Free Model$/m,
	'a warning names the .onnx and its class');
like($r->{all}, qr/^dh_installmodels: warning: dhm-stray: \Q$PT\E looks like model weights \(PyTorch checkpoint \(zip with data\.pkl\), by extension and content\), but no recipe/m,
	'a warning names the .pt and its class');
unlike($r->{all}, qr/stray-mlp\.safetensors looks like/, 'the retrained weights are not flagged');
like($r->{all}, qr/^dh_installmodels: warning: source package: upstream\/model\.onnx looks like model weights \(ONNX model, by extension and content\): a blob in the source package/m,
	'the blobs in the source tree are reported as well');
unlike($r->{all}, qr/source package: debian\//, '... but not the package trees or the staging directory');
ok((grep { $_ eq "/$ONNX" } deb_contents(dirname($src) . "/$DEB")), 'the .deb was built, with the stray file');

# --- strict: the recipe promises that every model is regenerated ---------------
$src = fixture('stray-models');
edit_file("$src/debian/dhm-stray.models", sub { s/^License: Expat$/License: Expat\nUnexplained-Models: error/m or die });
$r = run_in($src, {}, @DPKG_BUILDPACKAGE);
isnt($r->{code}, 0, 'with Unexplained-Models: error the build fails');
like($r->{all}, qr/^dh_installmodels: error: dhm-stray: 2 model files that no recipe produced \(\Q$ONNX\E, \Q$PT\E\), and Unexplained-Models: error in debian\/dhm-stray\.models makes that an error/m,
	'... naming both files and the field') or diag($r->{all});
like($r->{all}, qr/warning: dhm-stray: \Q$ONNX\E looks like/, '... after a warning for each');
ok(!-e dirname($src) . "/$DEB", '... and no .deb');

# The same from the environment (a distribution's or a buildd's policy).
$src = fixture('stray-models');
$r = run_in($src, {DH_MODEL_UNEXPLAINED => 'error'}, @DPKG_BUILDPACKAGE);
isnt($r->{code}, 0, 'DH_MODEL_UNEXPLAINED=error fails the build too');
like($r->{all}, qr/2 model files that no recipe produced .* and DH_MODEL_UNEXPLAINED=error makes that an error/,
	'... and says why');

# --- dh_installmodels by hand: --strict, Not-Model-Files, Model-Files, magic ---
$src = fixture('stray-models');
$r = run_in($src, {}, 'dh', 'build', '--without', 'auto_test');
is($r->{code}, 0, 'dh build') or diag($r->{all});
for my $cmd (qw(dh_prep dh_install)) {
	is(run_in($src, {}, $cmd)->{code}, 0, $cmd);
}
$r = run_in($src, {}, 'dh_installmodels', '--strict');
isnt($r->{code}, 0, 'dh_installmodels --strict fails');
like($r->{err}, qr/and dh_installmodels --strict makes that an error/, '... and says why');

my $pkg = "$src/debian/dhm-stray/usr/share/dhm-stray";
system('cp', "$src/upstream/model.pt", "$pkg/pytorch_model.bin") == 0 or die;
write_file("$pkg/lookup.dat", "not recognisable by content\n");
edit_file("$src/debian/dhm-stray.models", sub {
	s/^License: Expat$/License: Expat\nUnexplained-Models: error\nNot-Model-Files: usr\/share\/dhm-stray\/upstream\/*\nModel-Files: *.dat/m or die;
});
is(run_in($src, {}, 'dh_model')->{code}, 0, 'dh_model retrains with the audit fields');
$r = run_in($src, {}, 'dh_installmodels');
isnt($r->{code}, 0, 'still strict');
unlike($r->{err}, qr/upstream\/model\.(?:onnx|pt) looks like/, 'Not-Model-Files silences the files it lists');
like($r->{err}, qr/usr\/share\/dhm-stray\/pytorch_model\.bin looks like model weights \(PyTorch checkpoint \(zip with data\.pkl\), by content\)/,
	'a PyTorch zip named .bin is recognised by its content');
like($r->{err}, qr/usr\/share\/dhm-stray\/lookup\.dat looks like model weights \(listed by Model-Files\)/,
	'a file that Model-Files lists is flagged');
like($r->{err}, qr/error: dhm-stray: 2 model files that no recipe produced \(usr\/share\/dhm-stray\/lookup\.dat, usr\/share\/dhm-stray\/pytorch_model\.bin\)/,
	'... and both make the strict build fail');

unlink("$pkg/pytorch_model.bin", "$pkg/lookup.dat");
$r = run_in($src, {}, 'dh_installmodels');
is($r->{code}, 0, 'once nothing unexplained is left, strict mode passes') or diag($r->{all});

# --- recognition by content ----------------------------------------------------
{
	unshift(@INC, "$TOP/dh-model/lib");
	require Debian::Debhelper::DhModel;
	my $dir = dirname($src);
	my %files = (
		'a.gguf' => "GGUF\x03\x00\x00\x00" . ("\0" x 16),
		'noext1' => "GGUF\x03\x00\x00\x00" . ("\0" x 16),
		'noext2' => "\x93NUMPY\x01\x00v\x00{'descr': '<f4'}",
		'noext3' => "\x89HDF\r\n\x1a\n" . ("\0" x 16),
		'noext4' => "\x1c\x00\x00\x00TFL3" . ("\0" x 16),
		'noext5' => pack('V', 793712314) . pack('V', 12) . ("\0" x 8),
		'noext6' => do { my $h = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'; pack('VV', length($h), 0) . $h . "\0\0\0\0" },
		'plain.txt' => "just text\n",
		'model.caffemodel' => "whatever",
		'yolo.weights' => "whatever",
	);
	my %want = (
		'a.gguf' => 'GGUF model, by extension and content',
		'noext1' => 'GGUF model, by content',
		'noext2' => 'NumPy array (.npy), by content',
		'noext3' => 'Keras/HDF5 weights, by content',
		'noext4' => 'TensorFlow Lite model, by content',
		'noext5' => 'fastText model, by content',
		'noext6' => 'safetensors weights, by content',
		'plain.txt' => undef,
		'model.caffemodel' => 'Caffe model, by extension',
		'yolo.weights' => 'darknet weights, by extension',
	);
	for my $name (sort keys(%files)) {
		write_file("$dir/$name", $files{$name});
		is(Debian::Debhelper::DhModel::model_file_class("$dir/$name"), $want{$name},
			"$name: " . ($want{$name} // 'not a model'));
	}
}

done_testing();
