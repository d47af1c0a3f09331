#!/usr/bin/perl
# The audit of model files (dh_auditmodels, just before dh_builddeb): a
# package that ships upstream's ONNX model and PyTorch checkpoint besides
# the model that dh_model retrains gets a warning naming both files (and
# their class), also when a command after dh_install (dh_installexamples,
# an override) put them there; when the recipe, the policy, the environment
# or --strict says so, the build fails.  Blobs in the source package are
# reported too.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use IO::Compress::Gzip qw(gzip $GzipError);
use Test::More;
use DhModelTest;

need_trainer();

# The number of the line of $text that is $want.
sub line_of {
	my ($text, $want) = @_;
	my @lines = split(/\n/, $text);
	for my $i (0 .. $#lines) { return $i + 1 if $lines[$i] eq $want; }
	die("no line '$want'");
}

my @DPKG_BUILDPACKAGE = ('dpkg-buildpackage', '-us', '-uc', '-d', '-b');
my $DEB = 'dhm-stray_1.0_all.deb';
my $ONNX = 'usr/share/dhm-stray/upstream/model.onnx';
my $PT = 'usr/share/dhm-stray/upstream/model.pt';

# --- by default: a warning for each file, and the package is built ------------
my $src = fixture('stray-models');
my $r = run_in($src, {}, @DPKG_BUILDPACKAGE);
is($r->{code}, 0, 'dpkg-buildpackage builds the package with stray model files') or diag($r->{all});
like($r->{all}, qr/^dh_auditmodels: warning: dhm-stray: \Q$ONNX\E looks like model weights \(ONNX model, by extension and content\), but no recipe in debian\/dhm-stray\.models produced it: a model that Debian cannot retrain is not a Free Model$/m,
	'a warning names the .onnx and its class');
like($r->{all}, qr/^dh_auditmodels: warning: dhm-stray: \Q$PT\E looks like model weights \(PyTorch checkpoint \(zip with data\.pkl\), by extension and content\), but no recipe/m,
	'a warning names the .pt and its class');
unlike($r->{all}, qr/stray-mlp\.safetensors looks like/, 'the retrained weights are not flagged');
like($r->{all}, qr/^dh_auditmodels: warning: source package: upstream\/model\.onnx looks like model weights \(ONNX model, by extension and content\): a blob in the source package/m,
	'the blobs in the source tree are reported as well');
unlike($r->{all}, qr/source package: debian\//, '... but not the package trees or the staging directory');
unlike($r->{all}, qr/^dh_installmodels: warning/m, 'dh_installmodels does not audit (dh_auditmodels does)');
like($r->{all}, qr/^\s+dh_md5sums\n\s+dh_auditmodels\n\s+dh_builddeb$/m, 'dh_auditmodels ran just before dh_builddeb');
ok((grep { $_ eq "/$ONNX" } deb_contents(dirname($src) . "/$DEB")), 'the .deb was built, with the stray file');

# --- strict: the recipe promises that every model is regenerated ---------------
$src = fixture('stray-models');
edit_file("$src/debian/dhm-stray.models", sub { s/^License: Expat$/License: Expat\nUnexplained-Models: error/m or die });
$r = run_in($src, {}, @DPKG_BUILDPACKAGE);
isnt($r->{code}, 0, 'with Unexplained-Models: error the build fails');
like($r->{all}, qr/^dh_auditmodels: error: dhm-stray: 2 model files that no recipe produced \(\Q$ONNX\E, \Q$PT\E\), and Unexplained-Models: error in debian\/dhm-stray\.models makes that an error/m,
	'... naming both files and the field') or diag($r->{all});
like($r->{all}, qr/warning: dhm-stray: \Q$ONNX\E looks like/, '... after a warning for each');
ok(!-e dirname($src) . "/$DEB", '... and no .deb');

# The same from the environment (a distribution's or a buildd's policy).
$src = fixture('stray-models');
$r = run_in($src, {DH_MODEL_UNEXPLAINED => 'error'}, @DPKG_BUILDPACKAGE);
isnt($r->{code}, 0, 'DH_MODEL_UNEXPLAINED=error fails the build too');
like($r->{all}, qr/2 model files that no recipe produced .* and DH_MODEL_UNEXPLAINED=error makes that an error/,
	'... and says why');

# --- files that commands after dh_install add ------------------------------------
# dh_installexamples (debian/PKG.examples), and an override_dh_installexamples
# that adds a larger copy to the documentation, which dh_compress then
# compresses: the audit sees the final contents.
my $DOC = 'usr/share/doc/dhm-stray';
my $EX = "$DOC/examples";
sub examples_fixture {
	my $src = fixture('stray-models');
	unlink("$src/debian/dhm-stray.install") or die;
	write_file("$src/debian/dhm-stray.examples", "upstream/model.onnx\n");
	open(my $fd, '>>', "$src/debian/rules") or die;
	print {$fd} "\noverride_dh_installexamples:\n\tdh_installexamples\n"
		. "\t{ cat upstream/model.onnx; head -c 8192 /dev/zero; } > debian/dhm-stray/$DOC/big.onnx\n";
	close($fd) or die;
	return $src;
}
$src = examples_fixture();
$r = run_in($src, {}, @DPKG_BUILDPACKAGE);
is($r->{code}, 0, 'dpkg-buildpackage builds a package whose stray models dh_installexamples added') or diag($r->{all});
like($r->{all}, qr/^dh_auditmodels: warning: dhm-stray: \Q$EX\E\/model\.onnx looks like model weights \(ONNX model, by extension and content\), but no recipe in debian\/dhm-stray\.models produced it/m,
	'the .onnx that dh_installexamples installed (debian/PKG.examples) is flagged');
like($r->{all}, qr/^dh_auditmodels: warning: dhm-stray: \Q$DOC\E\/big\.onnx\.gz looks like model weights \(ONNX model, by extension and content, compressed with gzip\), but no recipe/m,
	'the .onnx that override_dh_installexamples added, compressed by dh_compress, is flagged');
ok((grep { $_ eq "/$DOC/big.onnx.gz" } deb_contents(dirname($src) . "/$DEB")), '... as it is in the .deb');

# --- a policy that says Unexplained-Models: error ------------------------------------
my $policies = dirname($src) . '/policies';
mkdir($policies) or die;
my $main = slurp("$TOP/policy/main");
(my $strict_policy = $main) =~ s/^Policy: main$/Policy: all-retrained/m or die;
$strict_policy =~ s/^Unexplained-Models: warning$/Unexplained-Models: error/m or die;
write_file("$policies/all-retrained", $strict_policy);

$src = examples_fixture();
$r = run_in($src, { DH_MODEL_POLICY => "$policies/all-retrained" }, @DPKG_BUILDPACKAGE);
isnt($r->{code}, 0, 'DH_MODEL_POLICY naming a policy with Unexplained-Models: error fails the build');
like($r->{all}, qr/^dh_auditmodels: error: dhm-stray: 2 model files that no recipe produced \(\Q$DOC\E\/big\.onnx\.gz, \Q$EX\E\/model\.onnx\), and Unexplained-Models: error in policy all-retrained makes that an error/m,
	'... naming the files and the policy') or diag($r->{all});
like(slurp("$src/debian/.debhelper/model/dhm-stray/stray-mlp.json"), qr/"policy-unexplained-models": "error"/,
	'the provenance records the policy\'s Unexplained-Models');
ok(!-e dirname($src) . "/$DEB", '... and no .deb');

# The recipe's Policy field chooses it too (from DH_MODEL_POLICY_DIR), and
# the recipe may say error as well: both reasons are given.
$src = fixture('stray-models');
edit_file("$src/debian/dhm-stray.models", sub { s/^License: Expat$/License: Expat\nPolicy: all-retrained\nUnexplained-Models: error/m or die });
$r = run_in($src, { DH_MODEL_POLICY_DIR => $policies }, @DPKG_BUILDPACKAGE);
isnt($r->{code}, 0, 'Policy: all-retrained in the recipe fails the build');
like($r->{all}, qr/^dh_auditmodels: error: dhm-stray: 2 model files that no recipe produced \(\Q$ONNX\E, \Q$PT\E\), and Unexplained-Models: error in debian\/dhm-stray\.models and Unexplained-Models: error in policy all-retrained make that an error/m,
	'... naming the files, the recipe and the policy') or diag($r->{all});

# A recipe cannot weaken the policy: the trainer refuses before training.
$src = fixture('stray-models');
edit_file("$src/debian/dhm-stray.models", sub { s/^License: Expat$/License: Expat\nUnexplained-Models: warn/m or die });
my $line = line_of(slurp("$src/debian/dhm-stray.models"), 'Unexplained-Models: warn');
$r = run_in($src, { DH_MODEL_POLICY => "$policies/all-retrained" }, @DPKG_BUILDPACKAGE);
isnt($r->{code}, 0, 'Unexplained-Models: warn in a recipe under a policy that says error fails the build');
like($r->{all}, qr/^dh_model: error: dhm-stray \(debian\/dhm-stray\.models\): debian\/dhm-stray\.models: line \Q$line\E: Unexplained-Models: warn is weaker than policy all-retrained, which says error; a recipe may only make the audit stricter/m,
	'... at dh_model, naming the recipe\'s line and the policy') or diag($r->{all});
unlike($r->{all}, qr/stray-mlp: epoch/, '... before any training');
ok(!-e dirname($src) . "/$DEB", '... and no .deb');

# A bad value in the policy file: the file and the line.
(my $bad_policy = $main) =~ s/^Unexplained-Models: warning$/Unexplained-Models: sometimes/m or die;
write_file("$policies/bad", $bad_policy);
$line = line_of($bad_policy, 'Unexplained-Models: sometimes');
$r = run_in($src, { DH_MODEL_POLICY => "$policies/bad" }, 'dh_model');
isnt($r->{code}, 0, 'Unexplained-Models: sometimes in the policy fails dh_model');
like($r->{err}, qr/^dh_model: error: dhm-stray \(debian\/dhm-stray\.models\): \Q$policies\E\/bad: line \Q$line\E: Unexplained-Models: expected warning or error, got 'sometimes'/m,
	'... naming the policy file, the line and what is expected') or diag($r->{err});

# --- dh_auditmodels by hand: --strict, Not-Model-Files, Model-Files, magic ---
$src = fixture('stray-models');
$r = run_in($src, {}, 'dh_auditmodels');
isnt($r->{code}, 0, 'dh_auditmodels before dh_model fails');
like($r->{err}, qr/dhm-stray \(debian\/dhm-stray\.models\): model "stray-mlp" was never trained .*run dh_model and dh_installmodels before dh_auditmodels/,
	'... and says what to run');
$r = run_in($src, {}, 'dh', 'build', '--without', 'auto_test');
is($r->{code}, 0, 'dh build') or diag($r->{all});
for my $cmd (qw(dh_prep dh_install dh_installmodels)) {
	is(run_in($src, {}, $cmd)->{code}, 0, $cmd);
}
$r = run_in($src, {}, 'dh_auditmodels', '--strict');
isnt($r->{code}, 0, 'dh_auditmodels --strict fails');
like($r->{err}, qr/and dh_auditmodels --strict makes that an error/, '... and says why');
$r = run_in($src, { DH_MODEL_UNEXPLAINED => 'error' }, 'dh_auditmodels', '--strict');
like($r->{err}, qr/and DH_MODEL_UNEXPLAINED=error and dh_auditmodels --strict make that an error/, '... with every reason');

# The retrained weights are recognised by their content: a copy is not
# flagged, other weights at their place are.
my $pkg = "$src/debian/dhm-stray/usr/share/dhm-stray";
system('cp', "$pkg/stray-mlp.safetensors", "$pkg/copy.safetensors") == 0 or die;
$r = run_in($src, {}, 'dh_auditmodels');
unlike($r->{err}, qr/(?:copy|stray-mlp)\.safetensors looks like/, 'a copy of the retrained weights is not flagged');
unlink("$pkg/copy.safetensors") or die;
my $weights = slurp("$pkg/stray-mlp.safetensors");
my $other = $weights;
substr($other, -1, 1) ^= "\x01";   # one bit of the last weight
write_file("$pkg/stray-mlp.safetensors", $other);
$r = run_in($src, {}, 'dh_auditmodels');
like($r->{err}, qr/usr\/share\/dhm-stray\/stray-mlp\.safetensors looks like model weights \(safetensors weights, by extension and content\), but no recipe/,
	'other weights at the Install: path are flagged') or diag($r->{err});
write_file("$pkg/stray-mlp.safetensors", $weights);

system('cp', "$src/upstream/model.pt", "$pkg/pytorch_model.bin") == 0 or die;
write_file("$pkg/lookup.dat", "not recognisable by content\n");
edit_file("$src/debian/dhm-stray.models", sub {
	s/^License: Expat$/License: Expat\nUnexplained-Models: error\nNot-Model-Files: usr\/share\/dhm-stray\/upstream\/*\nModel-Files: *.dat/m or die;
});
is(run_in($src, {}, 'dh_model')->{code}, 0, 'dh_model retrains with the audit fields');
is(run_in($src, {}, 'dh_installmodels')->{code}, 0, 'dh_installmodels installs the retrained model');
$r = run_in($src, {}, 'dh_auditmodels');
isnt($r->{code}, 0, 'still strict');
unlike($r->{err}, qr/dhm-stray: usr\/share\/dhm-stray\/upstream\/model\.(?:onnx|pt) looks like/, 'Not-Model-Files silences the files it lists');
like($r->{err}, qr/usr\/share\/dhm-stray\/pytorch_model\.bin looks like model weights \(PyTorch checkpoint \(zip with data\.pkl\), by content\)/,
	'a PyTorch zip named .bin is recognised by its content');
like($r->{err}, qr/usr\/share\/dhm-stray\/lookup\.dat looks like model weights \(listed by Model-Files\)/,
	'a file that Model-Files lists is flagged');
like($r->{err}, qr/error: dhm-stray: 2 model files that no recipe produced \(usr\/share\/dhm-stray\/lookup\.dat, usr\/share\/dhm-stray\/pytorch_model\.bin\)/,
	'... and both make the strict build fail');

unlink("$pkg/pytorch_model.bin", "$pkg/lookup.dat");
$r = run_in($src, {}, 'dh_auditmodels');
is($r->{code}, 0, 'once nothing unexplained is left, strict mode passes') or diag($r->{all});

# A policy that says error changes nothing when nothing is unexplained.
is(run_in($src, { DH_MODEL_POLICY => "$policies/all-retrained" }, 'dh_model')->{code}, 0, 'dh_model under the policy all-retrained');
is(run_in($src, {}, 'dh_installmodels')->{code}, 0, 'dh_installmodels');
$r = run_in($src, {}, 'dh_auditmodels');
is($r->{code}, 0, '... and dh_auditmodels passes: nothing unexplained') or diag($r->{all});
write_file("$pkg/extra.npy", "\x93NUMPY\x01\x00v\x00{'descr': '<f4'}");
$r = run_in($src, {}, 'dh_auditmodels');
like($r->{err}, qr/1 model file that no recipe produced \(usr\/share\/dhm-stray\/extra\.npy\), and Unexplained-Models: error in debian\/dhm-stray\.models and Unexplained-Models: error in policy all-retrained make that an error/,
	'a new stray file fails it, with both reasons') or diag($r->{err});

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
	my %gz = (
		'x.onnx.gz' => slurp("$src/upstream/model.onnx"),
		'model.pt.gz' => slurp("$src/upstream/model.pt"),
		'noext7.gz' => "GGUF\x03\x00\x00\x00" . ("\0" x 8192),
		'changelog.gz' => "dhm-stray (1.0) unstable; urgency=medium\n" x 200,
		'data.npy.gz' => 'not a gzip file',
	);
	for my $name (keys(%gz)) {
		if ($name eq 'data.npy.gz') {
			$files{$name} = $gz{$name};
		} else {
			gzip(\$gz{$name}, \$files{$name}) or die("gzip: $GzipError");
		}
	}
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
		'x.onnx.gz' => 'ONNX model, by extension and content, compressed with gzip',
		'model.pt.gz' => 'PyTorch checkpoint (zip with data.pkl), by extension and content, compressed with gzip',
		'noext7.gz' => 'GGUF model, by content, compressed with gzip',
		'changelog.gz' => undef,
		'data.npy.gz' => 'NumPy array (.npy), by extension',
	);
	for my $name (sort keys(%files)) {
		write_file("$dir/$name", $files{$name});
		is(Debian::Debhelper::DhModel::model_file_class("$dir/$name"), $want{$name},
			"$name: " . ($want{$name} // 'not a model'));
	}
}

done_testing();
