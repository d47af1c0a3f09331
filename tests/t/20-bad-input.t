#!/usr/bin/perl
# The bad-input corpus (tests/bad/*.cases) against the real trainer: every
# case must exit with its code, print exactly its one-line error on stderr,
# and leave its output directory empty.  tests/bad/README describes the
# format of the cases.
#
#   prove tests/t/20-bad-input.t                 every case
#   BAD_CASES=csv-nan,gzip-truncated prove ...   only these cases
#   BAD_KEEP=1 prove ...                         keep the case directories
#
# DH_MODEL_TRAIN names the trainer (make check sets it).  The sanitizer run
# (tests/fuzz/asan-check) runs this file against an ASan+UBSan trainer: any
# report of theirs is more lines on stderr, and fails the case.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../bad";
use Cwd qw(abs_path);
use File::Path qw(make_path remove_tree);
use File::Spec;
use File::Temp qw(tempdir);
use POSIX qw(WIFEXITED WEXITSTATUS WIFSIGNALED WTERMSIG);
use Test::More;
use DhModelTest;
use Fixtures;

my $trainer = abs_path(need_trainer());
my $BAD = abs_path("$FindBin::Bin/../bad");
my %only = map { ($_ => 1) } split(/,/, $ENV{BAD_CASES} // '');

# ---- reading the cases: deb822, as the recipes are ------------------------

sub parse_cases {
	my ($path) = @_;
	open(my $fh, '<', $path) or die "$path: $!\n";
	my (@stanzas, $cur, $field);
	while (my $line = <$fh>) {
		chomp($line);
		next if $line =~ m/^#/;
		if ($line =~ m/^\s*$/) {
			undef($cur);
			next;
		}
		if ($line =~ m/^[ \t]/) {
			die "$path:$.: continuation line outside a field\n" if not $cur;
			$line =~ s/^[ \t]//;
			$line = '' if $line eq '.';
			$cur->{$field} .= ($cur->{$field} eq '' ? '' : "\n") . $line;
			$cur->{"$field/lines"}++;
			next;
		}
		my ($name, $value) = $line =~ m/^([^:\s]+):[ \t]*(.*?)\s*$/
			or die "$path:$.: expected 'Field: value'\n";
		if (not $cur) {
			$cur = { _file => $path, _line => $. };
			push(@stanzas, $cur);
		}
		die "$path:$.: duplicate field $name\n" if exists($cur->{$name});
		($field, $cur->{$name}) = ($name, $value);
		$cur->{"$name/first"} = $value;   # the first line is kept apart
		$cur->{$name} = '';                # the continuation lines
		$cur->{"$name/lines"} = 0;
	}
	return @stanzas;
}

my (%base, @cases, %seen);
for my $file (sort(glob("$BAD/*.cases"))) {
	for my $s (parse_cases($file)) {
		if (defined($s->{Base})) {
			$base{$s->{'Base/first'}} = $s;
		} elsif (defined($s->{Case})) {
			my $id = $s->{'Case/first'};
			die "$file: case $id twice\n" if $seen{$id}++;
			push(@cases, $s);
		} else {
			die "$file:$s->{_line}: a stanza without Case: or Base:\n";
		}
	}
}

# ---- building a case's directory ------------------------------------------

# The recipe: the base's lines with the case's changes.  "Field: value"
# replaces that field in place (its line number stays) or is added at the
# end; an indented line continues the field changed just before; "-Field"
# removes a field.
sub recipe_text {
	my ($case) = @_;
	my $first = $case->{'Recipe/first'};
	return $case->{Recipe} if $first eq '';
	my $b = $base{$first} or die "case $case->{'Case/first'}: no Base: $first\n";
	my @lines = split(/\n/, $b->{Recipe}, -1);
	my $last;   # the line changed last, for continuation lines
	for my $change (split(/\n/, $case->{Recipe})) {
		if ($change =~ m/^[ \t]/ and defined($last)) {
			splice(@lines, ++$last, 0, $change);
		} elsif ($change =~ m/^-(\S+)$/) {
			my $f = $1;
			@lines = grep { !m/^\Q$f\E:/i } @lines;
			undef($last);
		} elsif ($change =~ m/^([^:]+):/) {
			my $f = $1;
			($last) = grep { $lines[$_] =~ m/^\Q$f\E:/i } 0 .. $#lines;
			if (defined($last)) {
				$lines[$last] = $change;
			} else {
				push(@lines, $change);
				$last = $#lines;
			}
		} else {
			die "case $case->{'Case/first'}: bad recipe change '$change'\n";
		}
	}
	return join("\n", @lines) . "\n";
}

my $weights;   # a valid weights file of the csv base recipe, trained once
sub weights {
	return $weights if defined($weights);
	my $dir = tempdir(CLEANUP => 1);
	my $case = { Recipe => '', 'Recipe/first' => 'csv', 'Case/first' => 'weights' };
	write_files($dir, $base{csv});
	write_file("$dir/models", recipe_text($case));
	mkdir("$dir/out");
	system("cd '$dir' && '$trainer' train --quiet -o out models >/dev/null") == 0
		or die "cannot train the weights fixture\n";
	$weights = slurp("$dir/out/m.safetensors");
	return $weights;
}
sub fixture_file { return slurp("$TOP/tests/fixtures/packages/$_[0]"); }

# "NAME = PERL EXPRESSION" per line; the expression has Fixtures' functions,
# weights() and fixture_file() at hand.
sub write_files {
	my ($dir, $stanza) = @_;
	return if not defined($stanza->{Files});
	for my $line ($stanza->{'Files/first'}, split(/\n/, $stanza->{Files})) {
		next if $line =~ m/^\s*$/;
		my ($name, $expr) = $line =~ m/^(\S+)\s+=\s+(.*)$/
			or die "bad Files line '$line'\n";
		my $data = eval($expr);
		die "$name = $expr: $@" if $@;
		die "$name = $expr: undefined\n" if not defined($data);
		make_path($1) if "$dir/$name" =~ m{^(.*)/[^/]+$};
		open(my $fh, '>:raw', "$dir/$name") or die "$dir/$name: $!\n";
		print {$fh} $data;
		close($fh) or die "$dir/$name: $!\n";
	}
}

# ---- running one case ------------------------------------------------------

# How a Setup runs the trainer: in a mount namespace (root only) with a
# small or read-only tmpfs on out/, as another user, under a limit, or
# killed in the middle.  out.before/ holds what out/ holds before the run
# (the Output field); a copy of out/ after the run goes to out.after/,
# taken inside the namespace, where the tmpfs is visible.
sub run_case {
	my ($dir, $case) = @_;
	my @args = split(' ', $case->{'Run/first'} || 'train -o out models');
	my $setup = $case->{'Setup/first'} // '';
	my ($pre, $mount, $remount, @wrap) = ('', '', '');
	if ($setup eq '') {
	} elsif ($setup =~ m/^file-size-limit (\d+)$/) {
		$pre = "ulimit -f $1;";            # KiB; SIGXFSZ is ignored by the trainer
	} elsif ($setup =~ m/^full-tmpfs (\d+k)$/) {
		$mount = "mount -t tmpfs -o size=$1,mode=0755 dh-model-test out || exit 97";
	} elsif ($setup eq 'read-only-tmpfs') {
		$mount = 'mount -t tmpfs -o size=64k,mode=0755 dh-model-test out || exit 97';
		$remount = 'mount -o remount,ro out || exit 97';
	} elsif ($setup eq 'read-only-output' or $setup eq 'as-nobody') {
		# root reads and writes anywhere: run as nobody, on files owned by
		# root; a directory secret/ is for root alone
		if ($> == 0) {
			system('chmod', '-R', 'a+rX', $dir);
			@wrap = ('setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--');
		}
		chmod(0, "$dir/secret") if -d "$dir/secret";
		$remount = 'chmod 0555 out' if $setup eq 'read-only-output';
	} elsif ($setup eq 'sigterm-in-training') {
		return run_reading_stdout($dir, sub { kill('TERM', $_[0]); }, @args);
	} elsif ($setup =~ m/^stop-reading-stdout (\d+)$/) {
		my $s = $1;
		return run_reading_stdout($dir, sub { sleep($s); }, @args);
	} else {
		die "case $case->{'Case/first'}: unknown Setup '$setup'\n";
	}
	my $env = join('', map { m/^(\w+)=(.*)$/ ? "export $1='$2'; " : die("bad Env line '$_'\n") }
		grep { $_ ne '' } ($case->{'Env/first'} // '', split(/\n/, $case->{Env} // '')));
	my $cmd = join(' ', map { "'$_'" } @wrap, $trainer, @args);
	my $script = join("\n", "cd '$dir' || exit 97", $mount,
		'cp -a out.before/. out/ || exit 97', $remount,
		"( $env$pre exec $cmd ) >stdout.txt 2>stderr.txt", 'rc=$?',
		'mkdir out.after && cp -a out/. out.after/ || exit 97', 'exit $rc');
	my @shell = ('bash', '-c', $script);
	unshift(@shell, 'unshare', '-m', '--propagation', 'private') if $mount;
	system(@shell);
	my $status = $?;
	my ($out, $err) = (slurp("$dir/stdout.txt"), slurp("$dir/stderr.txt"));
	die "case $case->{'Case/first'}: the set-up failed: $err\n"
		if WIFEXITED($status) and WEXITSTATUS($status) == 97;
	# bash reports a trainer killed by signal N as exit 128 + N
	return ((WIFEXITED($status) && WEXITSTATUS($status) > 128 ? signame(WEXITSTATUS($status) - 128)
		: outcome($status)), $out, $err);
}

# Run as root, can the trainer run as nobody: is it, and are the case
# directories, in directories that others may enter (a clone under /root
# is not)?  Nothing outside a case's own directory is ever changed.
my $can_be_nobody;
sub can_be_nobody {
	return 1 if $> != 0;
	my $tmp = File::Spec->tmpdir();
	$can_be_nobody //= system('setpriv', '--reuid=65534', '--regid=65534', '--clear-groups',
		'--', 'sh', '-c', "test -x '$trainer' && test -r '$TOP/policy/main' && test -x '$tmp'") == 0;
	return $can_be_nobody;
}

# Can this run mount a tmpfs in a namespace of its own?
my $can_mount;
sub can_mount {
	$can_mount //= $> == 0 && system('unshare -m --propagation private '
		. 'mount -t tmpfs -o size=4k dh-model-test /tmp >/dev/null 2>&1') == 0;
	return $can_mount;
}

# Run the trainer with its stdout on a pipe that this test reads.  Once the
# first progress line ("m: epoch 1/...") is read, the training has started
# and $then->($pid) runs: meanwhile nothing reads the pipe, so a training
# that prints more than a pipe holds (a line per epoch, many epochs) cannot
# end by itself, however fast the machine.  Then the rest is read.  Reads
# block without a time-out: a trainer that stops early closes the pipe.
sub run_reading_stdout {
	my ($dir, $then, @args) = @_;
	system('cp', '-a', "$dir/out.before/.", "$dir/out/") == 0 or die "cp failed\n";
	pipe(my $from, my $to) or die "pipe: $!\n";
	my $pid = fork() // die "fork: $!\n";
	if ($pid == 0) {
		close($from);
		chdir($dir) or POSIX::_exit(127);
		open(STDOUT, '>&', $to) or POSIX::_exit(127);
		open(STDERR, '>', 'stderr.txt') or POSIX::_exit(127);
		exec($trainer, @args) or POSIX::_exit(127);
	}
	close($to);
	my $out = '';
	while (my $line = <$from>) {
		$out .= $line;
		if ($line =~ m/^\S+: epoch \d+\//) {
			$then->($pid);
			last;
		}
	}
	$out .= do { local $/ = undef; <$from> // '' };
	close($from);
	waitpid($pid, 0);
	my $status = $?;
	system('cp', '-a', "$dir/out/.", "$dir/out.after/") == 0 or die "cp failed\n";
	return (outcome($status), $out, slurp("$dir/stderr.txt"));
}

# An exit code, or "signal TERM".
sub signame {
	my ($n) = @_;
	my %names = (2 => 'INT', 6 => 'ABRT', 9 => 'KILL', 11 => 'SEGV', 15 => 'TERM',
		24 => 'XCPU', 25 => 'XFSZ');
	return 'signal ' . ($names{$n} // $n);
}
sub outcome {
	my ($status) = @_;
	return WIFSIGNALED($status) ? signame(WTERMSIG($status)) : WEXITSTATUS($status);
}

# "A ... B": A, then anything, then B; nothing else is a pattern.
sub error_re {
	my ($text) = @_;
	return join('.*', map { quotemeta($_) } split(/ \.\.\. /, $text));
}

# name => content of the files in a directory, dot files too.
sub snapshot {
	my ($d) = @_;
	opendir(my $dh, $d) or die "$d: $!\n";
	my %files = map { ($_ => -d "$d/$_" ? '(a directory)' : slurp("$d/$_")) }
		grep { !m/^\.\.?$/ } readdir($dh);
	closedir($dh);
	return \%files;
}

sub check_case {
	my ($case) = @_;
	my $id = $case->{'Case/first'};
	my $dir = tempdir("bad-$id-XXXXXX", TMPDIR => 1, CLEANUP => !$ENV{BAD_KEEP});
	diag("case $id: $dir") if $ENV{BAD_KEEP};
	mkdir("$dir/$_") or die "$dir/$_: $!\n" for qw(out out.before);
	write_files($dir, $base{$case->{'Recipe/first'}}) if ($case->{'Recipe/first'} // '') ne '';
	write_files($dir, $case);
	write_files("$dir/out.before", { Files => $case->{Output}, 'Files/first' => $case->{'Output/first'} })
		if defined($case->{Output});
	write_file("$dir/models", recipe_text($case)) if defined($case->{Recipe});
	my ($got, $out, $err) = run_case($dir, $case);
	$err //= '';
	my $want = $case->{'Exit/first'};
	is($got, $want, "$id: exit $want") or diag("stderr: $err");
	# the verdict, said before the outputs are written, is not part of an error
	my @lines = grep { !m/^dh-model-train: \S+: verdict: / } split(/\n/, $err);
	my $nlines = $case->{'Stderr-Lines/first'} // 1;
	is(scalar(@lines), $nlines, "$id: $nlines line" . ($nlines == 1 ? '' : 's') . ' on stderr')
		or diag("stderr: $err");
	my $re = error_re($case->{'Error/first'});
	like($lines[0] // '', qr/^dh-model-train: .*$re/, "$id: the message")
		or diag("expected: $case->{'Error/first'}");
	is_deeply(snapshot("$dir/out.after"), snapshot("$dir/out.before"),
		"$id: the output directory holds what it held before, and nothing else");
	system('chmod', '-R', 'u+rwX', $dir);
}

my $n = 0;
for my $case (@cases) {
	my $id = $case->{'Case/first'};
	next if %only and not $only{$id};
	for my $f (qw(Exit Error)) {
		die "case $id: no $f\n" if not defined($case->{"$f/first"});
	}
	if (my $tools = $case->{'Needs/first'}) {
		my @missing = grep { $_ eq 'mount' ? !can_mount() : $_ eq 'nobody' ? !can_be_nobody()
			: !have_tool($_) } split(/[\s,]+/, $tools);
		if (@missing) {
			SKIP: { skip("$id: needs @missing", 4); }
			next;
		}
	}
	$n++;
	if (my $todo = $case->{'Todo/first'}) {
		TODO: {
			local $TODO = "$id: $todo";
			check_case($case);
		}
	} else {
		check_case($case);
	}
}
note("$n cases");
done_testing();
