# Debian::Debhelper::DhModel - what dh_model, dh_installmodels and
# dh_auditmodels share.
#
# The commands stay thin: every recipe is parsed, checked and trained by the
# C trainer, dh-model-train; this module only finds it, runs it and turns its
# failures into debhelper errors that name the package and the recipe.

package Debian::Debhelper::DhModel;

use strict;
use warnings;
use Exporter qw(import);
use File::Find ();
use File::Temp ();
use POSIX ();
use Debian::Debhelper::Dh_Lib;

# debian/changelog's version: make install writes it here (one place: the
# Makefile's VERSION)
our $VERSION = '@VERSION@';

our @EXPORT = qw(
	model_trainer
	model_section
	model_staging_dir
	model_recipe_digest
	model_list
	model_run_trainer
	model_capture_trainer
	model_check_staged
	model_file_class
	model_glob_match
	model_staged_records
	model_staged_exports
	model_audit_settings
	model_audit_package
	model_audit_source
	MODEL_STAMP
	MODEL_MAX_THREADS
);

# The file dh_model writes last into a package's staging directory: the
# SHA-256 of the recipe that was trained.  Without it (or with another
# digest) the staged outputs are not complete or not current.
use constant MODEL_STAMP => 'recipe.sha256';

# The most threads that "dh-model-train --threads" takes: parallel=N above
# it is clamped, as parallel=N is a maximum.
use constant MODEL_MAX_THREADS => 256;

my %EXIT_MEANING = (
	1 => 'bad input or runtime error',
	2 => 'usage error (does this dh-model-train match dh_model?)',
	3 => 'a quality gate (Expect or Upstream-Max-Regression) failed',
	4 => 'over the compute budget, a cap fired, or the archive area does not accept the verdict',
	127 => 'the trainer could not be run',
);

# The trainer: $DH_MODEL_TRAIN if set (the test suite and the in-tree demo
# point it at the tree's build/dh-model-train), else dh-model-train on PATH.
sub model_trainer {
	my $t = $ENV{DH_MODEL_TRAIN};
	return (defined($t) && $t ne '') ? $t : 'dh-model-train';
}

# The Section of a binary package (its own, else the source's), for the
# trainer's check of the archive area: "contrib/science" is in contrib,
# "science" in main.  "" when debian/control gives none.
sub model_section {
	my ($package) = @_;
	my $section = package_section($package);
	return (not defined($section) or $section eq 'unknown') ? '' : $section;
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
	my $digest = _sha256_file($recipe);
	error("cannot read ${recipe}: $!") if $digest eq '';
	return $digest;
}

# One stderr line of the trainer, on our stderr: its warnings as Dh_Lib's
# warning() says them ("dh_model: warning: ..."), the rest (the verdict)
# prefixed with the tool's name.  Neither depends on DH_QUIET or terse.
sub _pass_on {
	my ($who, $line) = @_;
	my $tool = $Debian::Debhelper::Dh_Lib::TOOL_NAME;
	if ($line =~ s/^warning:\s+//) {
		print STDERR "${tool}: warning: ${who}: ${line}\n";
	} else {
		print STDERR "${tool}: ${who}: ${line}\n";
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
		_pass_on($who, $held) if defined($held);
		$held = $line;
	}
	close($err_r);
	waitpid($pid, 0) == $pid or error("waitpid: $!");
	my $status = $?;
	if ($status == 0) {
		_pass_on($who, $held) if defined($held);
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
# list".  The trainer alone checks the recipe, in one place: model names
# (dm_model_name_problem), Install directories, a model defined twice, a
# recipe with no stanza (tests/t/48-model-names.t); this only reads its
# answer.  An empty INSTALL means the default, usr/share/PKG/.
sub model_list {
	my ($package, $recipe) = @_;
	my $text = model_capture_trainer($package, $recipe, model_trainer(), 'list', $recipe);
	my @models;
	for my $line (split(/\n/, $text)) {
		next if $line =~ m/^\s*$/;
		my ($name, $install) = split(/\t/, $line, 2);
		$install = "usr/share/${package}/" if ($install // '') eq '';
		push(@models, [$name, $install]);
	}
	return @models;
}

# Check that dh_model staged every model of the recipe, for the recipe as it
# is now: the stamp holds the recipe's digest, and each model has its
# weights, provenance and card.  $hint says what to run.
sub model_check_staged {
	my ($package, $recipe, $hint, @models) = @_;
	my $stage = model_staging_dir($package);
	my $stamp = "${stage}/" . MODEL_STAMP;
	my $digest = model_recipe_digest($recipe);
	my $staged = '';
	if (open(my $fd, '<', $stamp)) {
		$staged = <$fd> // '';
		close($fd);
	}
	($staged) = split(' ', $staged);
	$staged //= '';
	if ($staged ne '' and $staged ne $digest) {
		error("${package} (${recipe}): the recipe changed after dh_model trained it; run dh_model again");
	}
	foreach my $model (@models) {
		my ($name) = @{$model};
		if ($staged eq '' or not -f "${stage}/${name}.safetensors") {
			error("${package} (${recipe}): model \"${name}\" was never trained"
				. " (no ${stage}/${name}.safetensors); ${hint}");
		}
		for my $ext (qw(json md)) {
			error("${package} (${recipe}): model \"${name}\" has no ${stage}/${name}.${ext}; ${hint}")
				if not -f "${stage}/${name}.${ext}";
		}
	}
	return;
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

# What the members of a zip-like file (.npz, .pt, .keras; gzipped too) say
# it is, or undef: "dh-model-train audit-container" reads it through
# libarchive (the code path the fuzz target "container" covers) and judges
# it.  A file it cannot read as a zip is not classed by its content.
sub _container_class {
	my ($path) = @_;
	require JSON::PP;
	my $trainer = model_trainer();
	my $pid = open(my $fd, '-|');
	error("fork: $!") if not defined($pid);
	if ($pid == 0) {
		open(STDERR, '>', '/dev/null');
		open(STDIN, '<', '/dev/null');
		{ no warnings 'exec'; exec { $trainer } $trainer, 'audit-container', $path; }
		POSIX::_exit(127);
	}
	my $out = do { local $/ = undef; <$fd> };
	close($fd);
	error("cannot run ${trainer} audit-container (is dh-model installed? DH_MODEL_TRAIN may name another trainer)")
		if $? >> 8 == 127;
	return undef if $? != 0;
	my $r = eval { JSON::PP->new->decode($out // '') };
	return ref($r) eq 'HASH' ? $r->{class} : undef;
}

# What the content of a file says it is, or undef: $fd is open at its start,
# $size is its size, $path the file (for a zip, read again by the trainer).
sub _magic_class {
	my ($fd, $size, $path) = @_;
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
		$class = _container_class($path);
	}
	return $class;
}

# The start of the content of a gzip file (dh_compress compresses
# documentation larger than 4 KiB), for _magic_class: an in-memory handle on
# its first 4 KiB and the content's size from the trailer.
sub _gunzip {
	my ($path) = @_;
	require IO::Uncompress::Gunzip;
	my $z = IO::Uncompress::Gunzip->new($path, Transparent => 0, MultiStream => 1) or return ();
	my $data = '';
	while (length($data) < 4096) {
		my $n = $z->read($data, 4096 - length($data), length($data));
		last if not $n or $n < 0;
	}
	my $eof = $z->eof;
	$z->close;
	my $size = length($data);
	if (not $eof and open(my $raw, '<:raw', $path)) {
		# ISIZE: the size of the content, modulo 2^32
		my $tail = '';
		seek($raw, -4, 2) and read($raw, $tail, 4) == 4 and $size = unpack('V', $tail);
		close($raw);
		$size = length($data) if $size < length($data);
	}
	open(my $fd, '<:raw', \$data) or return ();
	return ($fd, $size);
}

# The likely class of a model-like file, with how it was recognised
# ("ONNX model, by extension and content"), or undef.  A gzip file
# (NAME.gz) is judged by NAME and by its content, and said to be compressed.
sub model_file_class {
	my ($path) = @_;
	return undef if -l $path or not -f _;
	(my $name = $path) =~ s/\.gz$//i;
	my $gz = $name ne $path;
	my $by_ext;
	for my $e (@MODEL_EXTENSIONS) {
		if ($name =~ $e->[0]) {
			$by_ext = $e->[1];
			last;
		}
	}
	my $by_magic;
	my ($fd, $size);
	($fd, $size) = _gunzip($path) if $gz;
	$gz = 0 if not $fd;   # a NAME.gz that is not gzip: as it is
	if (not $fd and open($fd, '<:raw', $path)) {
		$size = -s $fd // 0;
	}
	if ($fd) {
		$by_magic = _magic_class($fd, $size, $path);
		close($fd);
	}
	my $how = $gz ? ', compressed with gzip' : '';
	return "${by_magic}, by extension and content${how}" if defined($by_magic) and defined($by_ext);
	return "${by_magic}, by content${how}" if defined($by_magic);
	return "${by_ext}, by extension${how}" if defined($by_ext);
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

# The files that each model's Export: wrote beside its weights, as its
# staged provenance record lists them: {NAME} = [FILE...].  Each must be a
# plain file name, staged, with the SHA-256 that the record gives.
sub model_staged_exports {
	my ($package, @models) = @_;
	my $stage = model_staging_dir($package);
	my %exports;
	foreach my $record (model_staged_records($package, @models)) {
		my ($name, $doc) = @{$record};
		next if ref($doc->{exports}) ne 'ARRAY';
		foreach my $x (@{$doc->{exports}}) {
			my $file = ref($x) eq 'HASH' ? $x->{file} // '' : '';
			error("${stage}/${name}.json: exports: \"${file}\" is not a file name of model ${name}")
				if $file !~ m/^\Q${name}\E\.[a-z0-9]+$/;
			error("${package}: model \"${name}\" has no ${stage}/${file} (Export:); run dh_model again")
				if not -f "${stage}/${file}";
			error("${stage}/${file}: its SHA-256 is not the one ${name}.json records; run dh_model again")
				if _sha256_file("${stage}/${file}") ne ($x->{sha256} // '');
			push(@{$exports{$name}}, $file);
		}
	}
	return %exports;
}

# SHA-256 of a file in hex, or '' (and $!) when it cannot be opened.
sub _sha256_file {
	my ($path) = @_;
	require Digest::SHA;
	my $sha = Digest::SHA->new(256);
	open(my $fd, '<:raw', $path) or return '';
	$sha->addfile($fd);
	close($fd);
	return $sha->hexdigest;
}

# What the audit of a package with a recipe takes from the provenance
# records that dh_model staged (only the trainer parses recipes and
# policies), as a hash:
#   errors           what makes unexplained files errors: the recipe's and
#                    the policy's Unexplained-Models: error
#   model_files, not_model_files
#                    the recipe's globs
#   weights          {SIZE}{SHA256} of the retrained weights: a file with
#                    that content is the recipe's, wherever it is
#   upstream         {source path} = what it is, for Upstream-Weights
sub model_audit_settings {
	my ($package, $recipe, @models) = @_;
	my %s = (errors => [], model_files => '', not_model_files => '', weights => {}, upstream => {});
	my $stage = model_staging_dir($package);
	my %seen;
	foreach my $record (model_staged_records($package, @models)) {
		my ($name, $doc) = @{$record};
		my $audit = ref($doc->{audit}) eq 'HASH' ? $doc->{audit} : {};
		my @why;
		push(@why, "Unexplained-Models: error in ${recipe}")
			if ($audit->{'unexplained-models'} // '') eq 'error';
		if (($audit->{'policy-unexplained-models'} // '') eq 'error') {
			my $policy = ref($doc->{budget}) eq 'HASH' ? $doc->{budget}{policy} : undef;
			push(@why, 'Unexplained-Models: error in policy ' . ($policy // '(unnamed)'));
		}
		push(@{$s{errors}}, grep { not $seen{$_}++ } @why);
		$s{model_files} .= ' ' . $audit->{'model-files'} if defined($audit->{'model-files'});
		$s{not_model_files} .= ' ' . $audit->{'not-model-files'} if defined($audit->{'not-model-files'});
		if (ref($doc->{upstream}) eq 'HASH' and defined($doc->{upstream}{weights})) {
			(my $w = $doc->{upstream}{weights}) =~ s{^(?:\./)+}{};
			$s{upstream}{$w} = "the Upstream-Weights of model ${name} (${package}),"
				. ' evaluated next to the retrained model';
		}
		# the weights, and what Export: wrote from them
		my @files = ("${name}.safetensors");
		push(@files, map { ref($_) eq 'HASH' && defined($_->{file}) ? $_->{file} : () }
			@{$doc->{exports}}) if ref($doc->{exports}) eq 'ARRAY';
		foreach my $file (@files) {
			my $path = "${stage}/${file}";
			next if $file =~ m{/} or not -f $path;
			$s{weights}{-s $path}{_sha256_file($path)} = 1;
		}
	}
	return \%s;
}

# "A makes", "A and B make", "A, B and C make"
sub _reasons {
	my (@why) = @_;
	return "$why[0] makes" if @why == 1;
	return join(', ', @why[0 .. $#why - 1]) . " and $why[-1] make";
}

# The audit of one binary package: every file in $tmp (its final contents,
# without DEBIAN/) that looks like model weights and is not the weights that
# a recipe produced gets a warning that names it and its likely class; $from
# says why it is unexplained.  With reasons in @{$s->{errors}}, they are an
# error: returns its message (the caller fails after auditing every
# package), else undef.
sub model_audit_package {
	my ($package, $tmp, $s, $from) = @_;
	my @unexplained;
	my $matches = sub {
		my ($patterns, $path) = @_;
		(my $plain = $path) =~ s/\.gz$//i;
		return model_glob_match($patterns, $path) || model_glob_match($patterns, $plain);
	};
	File::Find::find({
		no_chdir => 1,
		wanted => sub {
			(my $path = $_) =~ s{^\Q${tmp}\E/}{};
			return if $path eq $_;
			if ($path eq 'DEBIAN' and -d $_ and not -l $_) {
				$File::Find::prune = 1;
				return;
			}
			return if -l $_ or not -f _;
			return if $matches->($s->{not_model_files}, $path);
			my $class = model_file_class($_);
			$class //= 'listed by Model-Files' if $matches->($s->{model_files}, $path);
			return if not defined($class);
			my $size = -s $_;
			return if $s->{weights}{$size} and $s->{weights}{$size}{_sha256_file($_)};
			push(@unexplained, [$path, $class]);
		},
	}, $tmp);
	@unexplained = sort { $a->[0] cmp $b->[0] } @unexplained;
	foreach my $u (@unexplained) {
		my ($path, $class) = @{$u};
		warning("${package}: ${path} looks like model weights (${class}), but ${from}:"
			. ' a model that Debian cannot retrain is not a Free Model');
	}
	return undef if not @{$s->{errors}} or not @unexplained;
	return "${package}: " . scalar(@unexplained) . ' model file' . (@unexplained == 1 ? '' : 's')
		. ' that no recipe produced (' . join(', ', map { $_->[0] } @unexplained)
		. '), and ' . _reasons(@{$s->{errors}}) . ' that an error: retrain them with a recipe,'
		. ' remove them, or list files that are not models in Not-Model-Files';
}

# Blobs in the source package: what dpkg-source would ship, roughly the tree
# (the current directory) without version control, the build's staging and
# the packages' trees.  Each gets a warning; never an error.  $upstream
# names the files that a recipe uses as Upstream-Weights.
sub model_audit_source {
	my ($upstream) = @_;
	my %skip = map { ("./debian/$_" => 1) } (getpackages(), 'tmp', '.debhelper');
	$skip{"./$_"} = 1 for qw(.git .pc .svn .bzr .hg);
	my @blobs;
	File::Find::find({
		no_chdir => 1,
		preprocess => sub { return sort @_; },
		wanted => sub {
			if (-d $_ and not -l $_) {
				$File::Find::prune = 1 if $skip{$_} or m{^\./obj-[^/]+$};
				return;
			}
			my $class = model_file_class($_);
			push(@blobs, [substr($_, 2), $class]) if defined($class);
		},
	}, '.');
	foreach my $b (@blobs) {
		my ($path, $class) = @{$b};
		my $use = $upstream->{$path} ? "; it is $upstream->{$path}" : '';
		warning("source package: ${path} looks like model weights (${class}): a blob in the"
			. " source package, which Debian cannot rebuild${use}");
	}
	return @blobs;
}

1;
