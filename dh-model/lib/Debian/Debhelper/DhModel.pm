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
	MODEL_STAMP
);

# The file dh_model writes last into a package's staging directory: the
# SHA-256 of the recipe that was trained.  Without it (or with another
# digest) the staged outputs are not complete or not current.
use constant MODEL_STAMP => 'recipe.sha256';

my %EXIT_MEANING = (
	1 => 'bad input or runtime error',
	2 => 'usage error (does this dh-model-train match dh_model?)',
	3 => 'a quality gate (Expect) failed',
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

1;
