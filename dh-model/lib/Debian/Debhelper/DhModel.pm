# Debian::Debhelper::DhModel - what dh_model and dh_installmodels share.
#
# The commands stay thin: every recipe is parsed, checked and trained by the
# C trainer, dh-model-train; this module only finds it, runs it and turns its
# failures into debhelper errors that name the package and the recipe.

package Debian::Debhelper::DhModel;

use strict;
use warnings;
use Exporter qw(import);
use File::Temp ();
use POSIX ();
use Debian::Debhelper::Dh_Lib;

our $VERSION = '0.1.0';

our @EXPORT = qw(
	model_trainer
	model_staging_dir
	model_recipe_digest
	model_list
	model_run_trainer
	model_capture_trainer
	model_check_name
	model_file_class
	model_glob_match
	model_staged_records
	MODEL_STAMP
);

# The file dh_model writes last into a package's staging directory: the
# SHA-256 of the recipe that was trained.  Without it (or with another
# digest) the staged outputs are not complete or not current.
use constant MODEL_STAMP => 'recipe.sha256';

my %EXIT_MEANING = (
	1 => 'bad input or runtime error',
	2 => 'usage error (does this dh-model-train match dh_model?)',
	3 => 'a quality gate (Expect or Upstream-Max-Regression) failed',
	4 => 'over the compute budget, or a cap fired',
	127 => 'the trainer could not be run',
);

# The trainer: $DH_MODEL_TRAIN if set (the test suite and the in-tree demo
# point it at the tree's build/dh-model-train), else dh-model-train on PATH.
sub model_trainer {
	my $t = $ENV{DH_MODEL_TRAIN};
	return (defined($t) && $t ne '') ? $t : 'dh-model-train';
}

# Where dh_model stages a package's outputs: under debian/.debhelper/, which
# dh_prep leaves alone (it only clears debian/.debhelper/generated/PKG) and
# dh_clean removes as a whole.
sub model_staging_dir {
	my ($package) = @_;
	return "debian/.debhelper/model/${package}";
}

sub model_recipe_digest {
	my ($recipe) = @_;
	require Digest::SHA;
	my $sha = Digest::SHA->new(256);
	open(my $fd, '<:raw', $recipe) or error("cannot read ${recipe}: $!");
	$sha->addfile($fd);
	close($fd);
	return $sha->hexdigest;
}

# A model name becomes a file name: allow what a Debian package name allows,
# plus "_".
sub model_check_name {
	my ($package, $recipe, $name) = @_;
	if ($name !~ m/^[A-Za-z0-9][A-Za-z0-9.+_-]*$/) {
		error("${package} (${recipe}): model name \"${name}\" is not usable as a file name"
			. ' (letters, digits, ".", "+", "_" and "-", starting with a letter or digit)');
	}
	return;
}

# Run the trainer.  Its stdout goes to our stdout as it comes (progress
# lines keep sbuild's inactivity timer happy) unless $opts->{capture} asks
# for it as a string.  Its stderr is passed on line by line, prefixed with
# the package and the recipe.  The last stderr line is held back: when the
# trainer fails, it is the one-line reason and goes into error().
sub _run {
	my ($package, $recipe, $opts, @cmd) = @_;
	my $capture = $opts->{capture};
	my $who = "${package} (${recipe})";
	my $out_tmp;
	if ($capture) {
		$out_tmp = File::Temp->new(TEMPLATE => 'dh-model-XXXXXX', TMPDIR => 1);
	}
	pipe(my $err_r, my $err_w) or error("pipe: $!");
	STDOUT->flush;
	STDERR->flush;
	my $pid = fork();
	error("fork: $!") if not defined($pid);
	if ($pid == 0) {
		close($err_r);
		open(STDERR, '>&', $err_w) or POSIX::_exit(127);
		if ($capture) {
			open(STDOUT, '>&', $out_tmp) or POSIX::_exit(127);
		}
		open(STDIN, '<', '/dev/null') or POSIX::_exit(127);
		{ no warnings 'exec'; exec { $cmd[0] } @cmd; }
		syswrite($err_w, "cannot run $cmd[0]: $!\n");
		POSIX::_exit(127);
	}
	close($err_w);
	my $held;
	while (my $line = <$err_r>) {
		chomp($line);
		# The trainer names itself; the prefix below names what matters here.
		$line =~ s/^(?:\S*\/)?dh-model-train:\s+(?:error:\s+)?//;
		next if $line eq '';
		print STDERR "${Debian::Debhelper::Dh_Lib::TOOL_NAME}: ${who}: ${held}\n"
			if defined($held);
		$held = $line;
	}
	close($err_r);
	waitpid($pid, 0) == $pid or error("waitpid: $!");
	my $status = $?;
	if ($status == 0) {
		print STDERR "${Debian::Debhelper::Dh_Lib::TOOL_NAME}: ${who}: ${held}\n"
			if defined($held);
		if ($capture) {
			open(my $fd, '<', $out_tmp->filename) or error("cannot read trainer output: $!");
			local $/ = undef;
			my $text = <$fd>;
			close($fd);
			return $text // '';
		}
		return;
	}
	my $why;
	if ($status & 127) {
		$why = sprintf('%s was killed by signal %d', $cmd[0], $status & 127);
	} else {
		my $code = $status >> 8;
		$why = sprintf('%s exited with code %d', $cmd[0], $code);
		$why .= ": $EXIT_MEANING{$code}" if exists($EXIT_MEANING{$code});
		if ($code == 127 && $cmd[0] eq 'dh-model-train') {
			$why .= ' (is dh-model installed? DH_MODEL_TRAIN may name another trainer)';
		}
	}
	$held //= 'failed without a message';
	error("${who}: ${held} [${why}]");
}

sub model_run_trainer {
	my ($package, $recipe, @cmd) = @_;
	return _run($package, $recipe, {}, @cmd);
}

sub model_capture_trainer {
	my ($package, $recipe, @cmd) = @_;
	return _run($package, $recipe, { capture => 1 }, @cmd);
}

# The models of a recipe, as [NAME, INSTALL] pairs, from "dh-model-train
# list" (which also validates the recipe).  An empty INSTALL means the
# default, usr/share/PKG/.
sub model_list {
	my ($package, $recipe) = @_;
	my $text = model_capture_trainer($package, $recipe, model_trainer(), 'list', $recipe);
	my @models;
	my %seen;
	for my $line (split(/\n/, $text)) {
		next if $line =~ m/^\s*$/;
		my ($name, $install) = split(/\t/, $line, 2);
		$install //= '';
		model_check_name($package, $recipe, $name);
		error("${package} (${recipe}): model \"${name}\" appears twice") if $seen{$name}++;
		if ($install eq '') {
			$install = "usr/share/${package}/";
		}
		$install =~ s{^(?:\./)+}{};
		if ($install =~ m{^/} or $install !~ m{/$} or grep { $_ eq '..' or $_ eq '.' } split(m{/}, $install)) {
			error("${package} (${recipe}): model \"${name}\": Install: \"${install}\" must be a directory"
				. ' relative to the package root, ending in "/", without "." or ".." (e.g. usr/share/'
				. "${package}/)");
		}
		push(@models, [$name, $install]);
	}
	error("${package} (${recipe}): the recipe has no model stanza") if not @models;
	return @models;
}

# ---- the audit of model-like files ----

# Extensions of model files, and the class each suggests.
my @MODEL_EXTENSIONS = (
	[qr/\.safetensors$/i, 'safetensors weights'],
	[qr/\.onnx$/i, 'ONNX model'],
	[qr/\.(?:pt|pth)$/i, 'PyTorch checkpoint'],
	[qr/\.ckpt$/i, 'checkpoint (.ckpt)'],
	[qr/(?:^|\/)saved_model\.pbtxt?$/i, 'TensorFlow SavedModel'],
	[qr/\.pbtxt?$/i, 'TensorFlow graph (.pb)'],
	[qr/\.data-\d{5}-of-\d{5}$/, 'TensorFlow checkpoint shard'],
	[qr/\.(?:h5|hdf5)$/i, 'Keras/HDF5 weights'],
	[qr/\.keras$/i, 'Keras model'],
	[qr/\.gguf$/i, 'GGUF model'],
	[qr/\.ggml$/i, 'GGML model'],
	[qr/\.tflite$/i, 'TensorFlow Lite model'],
	[qr/\.npz$/i, 'NumPy arrays (.npz)'],
	[qr/\.npy$/i, 'NumPy array (.npy)'],
	[qr/\.caffemodel$/i, 'Caffe model'],
	[qr/\.weights$/i, 'darknet weights'],
	[qr/\.ftz$/i, 'fastText model'],
	[qr/\.mlmodel$/i, 'Core ML model'],
	[qr/\.joblib$/i, 'pickled model (joblib)'],
);

# The names of the members of a zip file, from its central directory, or ().
sub _zip_members {
	my ($fd, $size) = @_;
	my $tail_len = $size < 65536 + 22 ? $size : 65536 + 22;
	my $tail;
	seek($fd, $size - $tail_len, 0) or return ();
	read($fd, $tail, $tail_len) == $tail_len or return ();
	my $eocd = rindex($tail, "PK\x05\x06");
	return () if $eocd < 0 or $eocd + 22 > length($tail);
	my ($entries, $cd_size, $cd_off) = unpack('v V V', substr($tail, $eocd + 10, 10));
	return () if $cd_off + $cd_size > $size or $cd_size > 64 << 20;
	my $cd;
	seek($fd, $cd_off, 0) or return ();
	read($fd, $cd, $cd_size) == $cd_size or return ();
	my @names;
	my $pos = 0;
	while (@names < $entries and $pos + 46 <= length($cd) and substr($cd, $pos, 4) eq "PK\x01\x02") {
		my ($nlen, $xlen, $clen) = unpack('v v v', substr($cd, $pos + 28, 6));
		push(@names, substr($cd, $pos + 46, $nlen));
		$pos += 46 + $nlen + $xlen + $clen;
	}
	return @names;
}

# What the content of a file says it is, or undef.
sub _magic_class {
	my ($path) = @_;
	open(my $fd, '<:raw', $path) or return undef;
	my $size = -s $fd // 0;
	my $head = '';
	read($fd, $head, 4096);
	my $class;
	if (length($head) >= 16) {
		my ($lo, $hi) = unpack('V V', substr($head, 0, 8));
		if ($hi == 0 and $lo >= 2 and 8 + $lo <= $size and substr($head, 8, 1) eq '{') {
			$class = 'safetensors weights';
		}
	}
	if (defined($class)) {
		# found
	} elsif ($head =~ m/^GGUF/) {
		$class = 'GGUF model';
	} elsif ($head =~ m/^(?:lmgg|fmgg|tjgg|algg|ggml|ggjt)/) {
		$class = 'GGML model';
	} elsif (length($head) >= 8 and substr($head, 4, 4) eq 'TFL3') {
		$class = 'TensorFlow Lite model';
	} elsif ($head =~ m/^\x89HDF\r\n\x1a\n/) {
		$class = 'Keras/HDF5 weights';
	} elsif ($head =~ m/^\x93NUMPY/) {
		$class = 'NumPy array (.npy)';
	} elsif (length($head) >= 4 and unpack('V', $head) == 793712314) {
		$class = 'fastText model';
	} elsif ($head =~ m/^\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19/) {
		$class = 'PyTorch checkpoint (legacy pickle)';
	} elsif ($head =~ m/^\x80[\x02-\x05]/ and $head =~ m/sklearn|joblib|xgboost|lightgbm/) {
		$class = 'pickled model (scikit-learn/joblib)';
	} elsif ($head =~ m/^\x08[\x01-\x0c][\x12\x1a\x22\x28\x32\x3a\x42]/
		and $head =~ m/onnx|pytorch|tf2onnx|skl2onnx|keras2onnx/i) {
		$class = 'ONNX model';
	} elsif ($head =~ m/^PK\x03\x04/) {
		my @members = _zip_members($fd, $size);
		if (grep { m{(?:^|/)data\.pkl$} } @members) {
			$class = 'PyTorch checkpoint (zip with data.pkl)';
		} elsif ((grep { $_ eq 'config.json' } @members) and (grep { m/\.weights\.h5$/ } @members)) {
			$class = 'Keras model (zip)';
		} elsif (@members and not grep { !m/\.npy$/ } @members) {
			$class = 'NumPy arrays (.npz)';
		}
	}
	close($fd);
	return $class;
}

# The likely class of a model-like file, with how it was recognised
# ("ONNX model, by extension and content"), or undef.
sub model_file_class {
	my ($path) = @_;
	return undef if -l $path or not -f _;
	my $by_ext;
	for my $e (@MODEL_EXTENSIONS) {
		if ($path =~ $e->[0]) {
			$by_ext = $e->[1];
			last;
		}
	}
	my $by_magic = _magic_class($path);
	return "${by_magic}, by extension and content" if defined($by_magic) and defined($by_ext);
	return "${by_magic}, by content" if defined($by_magic);
	return "${by_ext}, by extension" if defined($by_ext);
	return undef;
}

# Globs of Model-Files and Not-Model-Files: "*" matches any characters
# ("/" too) and "?" one; a pattern with a "/" is matched against the path
# from the package root, one without against the file name.
sub model_glob_match {
	my ($patterns, $path) = @_;
	(my $base = $path) =~ s{.*/}{};
	for my $p (split(/[\s,]+/, $patterns // '')) {
		next if $p eq '';
		my $re = join('', map { $_ eq '*' ? '.*' : $_ eq '?' ? '.' : quotemeta($_) } split(/([*?])/, $p));
		return 1 if ($p =~ m{/} ? $path : $base) =~ m/^${re}$/s;
	}
	return 0;
}

# The provenance records that dh_model staged for a package's models, as
# [NAME, decoded JSON] pairs (the trainer wrote them; no recipe is parsed).
sub model_staged_records {
	my ($package, @models) = @_;
	require JSON::PP;
	my $stage = model_staging_dir($package);
	my @records;
	for my $model (@models) {
		my ($name) = @{$model};
		my $path = "${stage}/${name}.json";
		open(my $fd, '<:raw', $path) or next;
		local $/ = undef;
		my $text = <$fd>;
		close($fd);
		my $doc = eval { JSON::PP->new->decode($text) };
		error("${path}: not a provenance record: $@") if not ref($doc);
		push(@records, [$name, $doc]);
	}
	return @records;
}

1;
