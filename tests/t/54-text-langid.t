#!/usr/bin/perl
# The two text templates, templates/fortune-langid.models and
# templates/word-langid.models, built end to end in a package made here
# (dh-sequence-model, Build-Depends on the fortunes-* and w* packages,
# dpkg-buildpackage): the .deb ships NAME.bin, NAME.safetensors and
# NAME.json, whose verdict comes from the copyright files of the packages
# that own the data (dpkg's database), file by file; dh-model-train verify
# retrains the shipped .bin byte for byte.
#
# Both templates take only data whose packages' copyright files are
# machine-readable and free (docs/text-templates.md has the survey), so
# both verdicts must be Free Model: the test package is in main (Section:
# science), which takes no other verdict.
#
# make check: the templates' own stanzas with smaller settings (Epochs 1,
# Dim 4, Bucket 2000, Max-N 3), all the fortunes and two word lists
# (italian, french).  DH_MODEL_TEST_TEXT=full (make check-text-templates,
# part of check-all): the templates as shipped, all their languages.
# DH_MODEL_TEST_TEXT=0 skips it.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;
use DhModelTest;

my $mode = $ENV{DH_MODEL_TEST_TEXT} // 'small';
plan(skip_all => 'DH_MODEL_TEST_TEXT=0') if $mode eq '0';
my $trainer = need_trainer();
my $full = $mode eq 'full';

# the data packages of each template, and the files that must be there
my %templates = (
	'fortune-langid' => 'templates/fortune-langid.models',
	'word-langid' => 'templates/word-langid.models',
);
# make check's subset: all the fortunes (5,800 records), the smallest
# two word lists
my %keep = (
	'fortune-langid' => qr{/fortunes/},
	'word-langid' => qr{/dict/(?:italian|french)$},
);
my %small = ('Epochs' => 1, 'Dim' => 4, 'Bucket' => 2000, 'Max-N' => 3, 'Learning-Rate' => 0.5,
	'Expect' => 'test-accuracy >= 0.5');

sub stanza_of {
	my ($model, $path) = @_;
	my $text = slurp("$TOP/$path");
	$text =~ s/^#.*\n//mg;
	return $text if $full;
	my @lines = split(/\n/, $text);
	my @out;
	for my $l (@lines) {
		if ($l =~ m/^ (\S+)( label=\S+)?$/) {
			push(@out, $l) if $1 =~ $keep{$model};
			next;
		}
		if ($l =~ m/^([A-Za-z-]+):/ and exists($small{$1})) {
			push(@out, "$1: $small{$1}");
			next;
		}
		push(@out, $l);
	}
	return join("\n", @out) . "\n";
}

my (@files, %pkgs);
my $models = '';
for my $model (sort(keys(%templates))) {
	my $st = stanza_of($model, $templates{$model});
	for my $f ($st =~ m/^ (\/\S+)/mg) {
		push(@files, $f);
	}
	$models .= ($models ? "\n" : '') . $st;
}
my @missing = grep { not -r $_ } @files;
plan(skip_all => "the data packages are not installed (missing: @missing[0 .. 0]...; see tests/ci-packages)")
	if @missing;
my $r = run_in('/', {}, 'dpkg-query', '--search', @files);
for my $line (split(/\n/, $r->{out})) {
	$pkgs{$1} = 1 if $line =~ m/^([^:]+): /;
}

my $tmp = tempdir('dh-model-text-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $src = "$tmp/dhm-langid";
make_path("$src/debian/source");
write_file("$src/debian/models", $models);
write_file("$src/debian/control", "Source: dhm-langid\nSection: science" .
	"\nPriority: optional\nMaintainer: dh-model engineers <dh-model\@example.org>\n" .
	"Build-Depends: debhelper-compat (= 13), dh-sequence-model,\n " . join(",\n ", sort(keys(%pkgs))) .
	"\nStandards-Version: 4.6.2\nRules-Requires-Root: no\n\nPackage: dhm-langid-models\n" .
	"Architecture: all\nDepends: \${misc:Depends}\nDescription: language identification (dh-model test)\n" .
	" Sentences and words, from Debian's fortunes and word lists.\n");
write_file("$src/debian/changelog", "dhm-langid (1.0) unstable; urgency=medium\n\n  * Test package.\n\n" .
	" -- dh-model engineers <dh-model\@example.org>  Mon, 07 Dec 2026 00:00:00 +0000\n");
write_file("$src/debian/copyright", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n" .
	"Upstream-Name: dhm-langid\n\nFiles: *\nCopyright: 2026 dh-model engineers\nLicense: GPL-2+\n" .
	" On Debian systems, see /usr/share/common-licenses/GPL-2.\n");
# the full word-langid.bin is 300 MB of floats: xz -6 takes over 10 min
write_file("$src/debian/rules", "#!/usr/bin/make -f\n%:\n\tdh \$\@\n" .
	"override_dh_builddeb:\n\tdh_builddeb -- -Zgzip -z1\n");
chmod(0755, "$src/debian/rules");
write_file("$src/debian/source/format", "3.0 (native)\n");

$r = run_in($src, {}, 'dpkg-buildpackage', '-us', '-uc', '-d', '-b');
is($r->{code}, 0, 'dpkg-buildpackage builds the package of the two text templates' .
	($full ? ' (full size)' : ' (small settings)')) or diag($r->{all});
for my $line (grep { m/: (?:\d+ lines|trained|verdict)/ } split(/\n/, $r->{all})) {
	diag($line);
}
my $deb = "$tmp/dhm-langid-models_1.0_all.deb";
my $root = "$tmp/root";
$r = run_in('/', {}, 'dpkg-deb', '-x', $deb, $root);
is($r->{code}, 0, 'dpkg-deb -x');

# what each file's licence must be: from its owner's copyright file when it
# is machine-readable (its Files: * stanza), else none
sub dep5_licence {
	my ($pkg) = @_;
	my $text = slurp("/usr/share/doc/$pkg/copyright") // '';
	return undef if $text !~ m{^Format: \S*(?:copyright-format/1\.0|dep5)}m;
	# a line that starts with a space right after a blank line continues no
	# field: the file is not deb822 (fortunes-es 1.2's, line 13), no licence
	return undef if $text =~ m/\n[ \t]*\n[ \t]+\S/;
	# (fortunes-zh aligns its values: "Files:     *")
	return $1 if $text =~ m/^Files:[ \t]+\*[ \t]*\n(?:[^\n]+\n)*?License: ([^\n]+)/m;
	return undef;
}

for my $model (sort(keys(%templates))) {
	my $dir = "$root/usr/share/$model";
	ok(-s "$dir/$model.bin" && -s "$dir/$model.safetensors", "$model: the .deb ships NAME.bin and NAME.safetensors");
	my $json = doc_file($root, "/usr/share/doc/dhm-langid-models/models/$model.json") // slurp("$dir/$model.json");
	ok(defined($json), "$model: and NAME.json") or next;
	my $rec = decode_json($json);
	my $v = $rec->{verdict};
	my @data = @{$v->{data}};
	my @paths = map { $_->{path} } @data;
	is_deeply(\@paths, [grep { m{/} } map { $rec->{data}{train}[$_]{path} } 0 .. $#{$rec->{data}{train}}],
		"$model: the verdict checked each of its " . scalar(@data) . ' datasets');
	my ($right, @wrong) = (0);
	for my $d (@data) {
		my $want = dep5_licence($d->{package} // '');
		my $fine = ($d->{package} // '') ne '' && $d->{'in-build-depends'} &&
			(defined($want) ? ($d->{license} // '') eq $want && $d->{'license-from'} eq 'package-copyright'
					: !defined($d->{license}) && $d->{'license-from'} eq 'none');
		$fine ? $right++ : push(@wrong, "$d->{path}: " . encode_json($d));
	}
	is($right, scalar(@data), "$model: each file's owner (dpkg), in Build-Depends, and its licence from " .
		"the owner's copyright file where it is machine-readable") or diag(join("\n", @wrong));
	my @unfree = map { "$_->{path} ($_->{package}): " . ($_->{license} // 'no licence known') }
		grep { !$_->{free} } @data;
	is($v->{class}, 'Free Model', "$model: verdict Free Model (each file's package has a " .
		'machine-readable copyright file with a free licence)') or diag(join("\n", @unfree));
	diag(sprintf('%s: %s; P@1 %.4f on %d held-out records; %s FLOP (estimate %s); %d words, %d labels',
		$model, $v->{class}, $rec->{metrics}{'validation-accuracy'}, $rec->{data}{'validation-rows'},
		$rec->{budget}{'counted-flop'}, $rec->{budget}{'estimated-flop'}, $rec->{data}{words},
		$rec->{data}{labels}));
	my $card = doc_file($root, "/usr/share/doc/dhm-langid-models/models/$model.md") // '';
	like($card, qr/^## Verdict: \Q$v->{class}\E$/m, "$model: the card gives the verdict");
	next if $full or $model ne 'fortune-langid';   # verify retrains: once is enough here
	# the .json beside the .bin, as verify wants it
	system('cp', "$dir/$model.bin", "$tmp/$model.bin");
	write_file("$tmp/$model.json", $json);
	$r = run_in('/', {}, $trainer, 'verify', '--data-dir', $src, "$tmp/$model.bin");
	is($r->{code}, 0, "$model: verify retrains the shipped .bin byte for byte") or diag($r->{all});
}
done_testing();
