# DhModelTest - what the dh-model tool tests share.
#
# Loading it puts the tree's commands first on PATH and the tree's Perl
# modules first on PERL5LIB, so that dh finds dh_model, dh_installmodels,
# dh_auditmodels and the "model" sequence add-on of this tree, not an
# installed dh-model.
# It also removes what an outer package build (dpkg-buildpackage running
# "make check") leaves in the environment, so every test starts clean.

package DhModelTest;

use strict;
use warnings;
use Exporter qw(import);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use POSIX ();
use Test::More;

our @EXPORT = qw(
	$TOP real_trainer need_trainer fixture run_in slurp
	write_file staged_files deb_contents edit_file doc_file
);

our $TOP = abs_path(dirname(__FILE__) . '/../../..');

# An outer dpkg-buildpackage or dh sets these; they would change how the
# inner builds behave.
for my $var (keys(%ENV)) {
	delete($ENV{$var}) if $var =~ m/^(?:DEB_|DH_|DPKG_|MAKE|MFLAGS$|SOURCE_DATE_EPOCH$|DEBEMAIL$|DEBFULLNAME$)/
		and $var !~ m/^DH_MODEL_/;
}
$ENV{DH_COLORS} = 'never';
$ENV{DPKG_COLORS} = 'never';
$ENV{LC_ALL} = 'C.UTF-8';
$ENV{PATH} = "$TOP/dh-model:$ENV{PATH}";
$ENV{PERL5LIB} = join(':', "$TOP/sequence", "$TOP/dh-model/lib",
	(defined($ENV{PERL5LIB}) && $ENV{PERL5LIB} ne '' ? ($ENV{PERL5LIB}) : ()));

# The real trainer, from DH_MODEL_TRAIN (make check sets it), or undef.
sub real_trainer {
	my $t = $ENV{DH_MODEL_TRAIN};
	return undef if not defined($t) or $t eq '' or not -f $t or not -x _;
	return $t;
}

# Skip the whole test file without the real trainer, and say why.
sub need_trainer {
	my $t = real_trainer();
	return $t if $t;
	my $why = defined($ENV{DH_MODEL_TRAIN}) && $ENV{DH_MODEL_TRAIN} ne ''
		? "DH_MODEL_TRAIN=$ENV{DH_MODEL_TRAIN} is not an executable file"
		: 'DH_MODEL_TRAIN is not set';
	plan(skip_all => "needs the trainer ($why; \"make check\" sets it to build/dh-model-train)");
}

# A fresh copy of tests/fixtures/packages/NAME in a new temporary directory:
# returns the source tree's path; built .debs land in its parent.
sub fixture {
	my ($name) = @_;
	my $tmp = tempdir("dh-model-test-XXXXXX", TMPDIR => 1, CLEANUP => 1);
	my $src = "$tmp/$name";
	system('cp', '-a', "$TOP/tests/fixtures/packages/$name", $src) == 0
		or BAIL_OUT("cannot copy fixture $name");
	return $src;
}

# Run a command in DIR with extra environment (undef deletes a variable).
# Returns a hash: code (exit code, or 128+signal), out, err.
sub run_in {
	my ($dir, $env, @cmd) = @_;
	my $tmp = tempdir("dh-model-run-XXXXXX", TMPDIR => 1, CLEANUP => 1);
	my $pid = fork();
	die("fork: $!") if not defined($pid);
	if ($pid == 0) {
		chdir($dir) or POSIX::_exit(126);
		while (my ($k, $v) = each(%{$env // {}})) {
			if (defined($v)) { $ENV{$k} = $v; } else { delete($ENV{$k}); }
		}
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', "$tmp/out") or POSIX::_exit(126);
		open(STDERR, '>', "$tmp/err") or POSIX::_exit(126);
		{ no warnings 'exec'; exec { $cmd[0] } @cmd; }
		print STDERR "exec $cmd[0]: $!\n";
		POSIX::_exit(127);
	}
	waitpid($pid, 0);
	my $status = $?;
	my %r = (
		code => ($status & 127) ? 128 + ($status & 127) : $status >> 8,
		out => slurp("$tmp/out"),
		err => slurp("$tmp/err"),
	);
	$r{all} = $r{out} . $r{err};
	return \%r;
}

sub slurp {
	my ($path) = @_;
	open(my $fd, '<:raw', $path) or return undef;
	local $/ = undef;
	my $s = <$fd>;
	close($fd);
	return $s // '';
}

sub write_file {
	my ($path, $text) = @_;
	open(my $fd, '>', $path) or die("$path: $!");
	print {$fd} $text;
	close($fd) or die("$path: $!");
	return;
}

# Apply a substitution to a file: edit_file($path, sub { s/a/b/ }).
sub edit_file {
	my ($path, $code) = @_;
	local $_ = slurp($path);
	defined($_) or die("$path: $!");
	$code->();
	write_file($path, $_);
	return;
}

# The files staged for PKG in the source tree SRC, sorted.
sub staged_files {
	my ($src, $pkg) = @_;
	my $dir = "$src/debian/.debhelper/model/$pkg";
	return () if not -d $dir;
	opendir(my $dh, $dir) or die("$dir: $!");
	my @f = sort grep { !m/^\./ } readdir($dh);
	closedir($dh);
	return @f;
}

# A file of an unpacked .deb (ROOT/PATH), gunzipped if dh_compress
# compressed it (ROOT/PATH.gz), or undef.
sub doc_file {
	my ($root, $path) = @_;
	return slurp("$root$path") if -f "$root$path";
	return undef if not -f "$root$path.gz";
	require IO::Uncompress::Gunzip;
	my $text;
	IO::Uncompress::Gunzip::gunzip("$root$path.gz" => \$text)
		or die("gunzip $root$path.gz: $IO::Uncompress::Gunzip::GunzipError");
	return $text;
}

# The paths in a .deb, as "dpkg -c" lists them, without the leading ".".
sub deb_contents {
	my ($deb) = @_;
	my $r = run_in('/', {}, 'dpkg', '-c', $deb);
	return () if $r->{code} != 0;
	return map { (split(' ', $_, 6))[5] =~ s{^\.}{}r } grep { m/\S/ } split(/\n/, $r->{out});
}

1;
