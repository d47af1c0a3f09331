#!/usr/bin/perl
# templates/word-vectors.models in a package build: a test package that
# Build-Depends on dict-gcide (tests/fixtures/packages/gcide-vectors) is
# built with dpkg-buildpackage and the tree's dh-model; its .deb ships the
# .bin and .vec, which fastText reads, and the vectors are scored on the
# word pairs below: hits@10 (the second word among the 10 nearest
# neighbours of the first) and Spearman's rank correlation of the cosine
# with the relatedness written here.
#
# make check trains a cheap variant (Dim 20, 1 epoch, Neg 3: 4.4e9 FLOP,
# some 14 CPU s, on one thread: the 2-thread pool spins under load) and
# asks less of it; DH_MODEL_TEST_FULL=1 (make check-all,
# make check-word-vectors) trains the template as shipped (1.6e11 FLOP,
# minutes) and holds it to the thresholds of docs/text-vectors.md.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use Test::More;
use DhModelTest;

need_trainer();
my $GCIDE = '/usr/share/dictd/gcide.dict.dz';
plan(skip_all => "needs dict-gcide ($GCIDE)") if not -f $GCIDE;
plan(skip_all => 'needs python3-numpy')
	if system('/usr/bin/python3', '-c', 'import numpy') != 0;
my $full = ($ENV{DH_MODEL_TEST_FULL} // '') eq '1';

# relatedness 0-10, written for a dictionary of 1913 English: synonyms,
# kinds of one thing, opposites and pairs (high), and words with nothing in
# common (low); every word is in the vectors' dictionary
my @PAIRS = (
	[qw(king queen 9)], [qw(red blue 9)], [qw(red yellow 9)], [qw(gold silver 9)],
	[qw(copper iron 8)], [qw(father mother 9)], [qw(son daughter 9)],
	[qw(brother sister 9)], [qw(north south 9)], [qw(east west 9)],
	[qw(summer winter 8)], [qw(wheat barley 9)], [qw(apple pear 8)],
	[qw(lion tiger 8)], [qw(sword spear 8)], [qw(river stream 9)],
	[qw(ship vessel 10)], [qw(boat ship 8)], [qw(anger wrath 10)],
	[qw(fear dread 10)], [qw(large big 10)], [qw(small little 10)],
	[qw(quick swift 9)], [qw(wealthy rich 10)], [qw(hot cold 7)],
	[qw(eye ear 7)], [qw(hand foot 7)], [qw(january february 9)],
	[qw(monday tuesday 9)], [qw(church chapel 8)], [qw(physician surgeon 8)],
	[qw(prince duke 7)], [qw(oak elm 8)], [qw(horse mare 9)], [qw(dog cat 6)],
	[qw(wine beer 7)], [qw(violin harp 7)], [qw(sea ocean 10)], [qw(hill mountain 8)],
	[qw(horse grammar 1)], [qw(river algebra 1)], [qw(sword cabbage 1)],
	[qw(queen chemistry 1)], [qw(copper melody 1)], [qw(winter verb 1)],
	[qw(gold sneeze 1)], [qw(wheat bishop 1)], [qw(ship syllable 1)],
	[qw(anger barley 1)], [qw(violin fracture 1)], [qw(eye tariff 1)],
);

my $tmp = tempdir('dh-model-wordvec-XXXXXX', TMPDIR => 1, CLEANUP => 1);
system('cp', '-a', "$TOP/tests/fixtures/packages/gcide-vectors", "$tmp/") == 0 or BAIL_OUT('cp');
my $src = "$tmp/gcide-vectors";
my $recipe = slurp("$TOP/templates/word-vectors.models");
if (not $full) {
	for ([Dim => 20], [Epochs => 1], [Neg => 3]) {
		my ($k, $v) = @$_;
		$recipe =~ s/^\Q$k\E: .*$/$k: $v/m or BAIL_OUT("template: no $k field");
	}
}
write_file("$src/debian/gcide-vectors.models", $recipe);

my $r = run_in($src, {DEB_BUILD_OPTIONS => $full ? 'parallel=2' : 'parallel=1'}, 'dpkg-buildpackage', '-us', '-uc', '-b', '-d');
my ($flop) = $r->{all} =~ /(\d+) FLOP counted/;
diag("training: " . ($r->{all} =~ /^(gcide-vectors: \d+ lines.*)$/m ? $1 : '?'));
# dh_model wants NAME.json, which vector jobs do not write yet (branch
# issue-21-outputs adds it): until then the package step is a TODO and
# the vectors are scored where the trainer wrote them
my $no_json = $r->{all} =~ /the trainer wrote no \S+\/gcide-vectors\.json/;
my $dir = "$tmp/root/usr/share/gcide-vectors";
TODO: {
	local $TODO = $no_json ? 'vector jobs write no NAME.json yet (issue-21-outputs)' : undef;
	is($r->{code}, 0, 'dpkg-buildpackage builds the word-vectors package'
		. ($full ? ' (the template as shipped)' : ' (Dim 20, 1 epoch)'))
		or $no_json or diag($r->{all});
	my $deb = "$tmp/gcide-vectors_0.1_all.deb";
	my @paths = -f $deb ? deb_contents($deb) : ();
	for my $f (qw(gcide-vectors.bin gcide-vectors.vec gcide-vectors.safetensors)) {
		ok((grep { $_ eq "/usr/share/gcide-vectors/$f" } @paths), "the .deb ships $f");
	}
	my $x = -f $deb ? run_in($tmp, {}, 'dpkg-deb', '-x', $deb, "$tmp/root") : {code => -1};
	is($x->{code}, 0, 'dpkg-deb -x');
}
if ($r->{code} != 0) {
	$dir = "$src/debian/.debhelper/model/gcide-vectors";
	ok($no_json && -s "$dir/gcide-vectors.bin" && -s "$dir/gcide-vectors.vec",
		'the build stopped only at the missing NAME.json, after training: scoring the trained files')
		or diag($r->{all}), done_testing(), exit;
}

# the verdict from dict-gcide's copyright file: pending (the vector job does
# not yet look at its data's copyright files; branch issue-21-outputs)

SKIP: {
	skip('fasttext is not installed', 2) if system('sh', '-c', 'command -v fasttext >/dev/null') != 0;
	$r = run_in($tmp, {}, 'sh', '-c', 'echo king | fasttext print-word-vectors "$0"', "$dir/gcide-vectors.bin");
	my ($vec) = slurp("$dir/gcide-vectors.vec") =~ /^king ((?:\S+ )+)$/m;
	my @a = split(' ', $r->{out} =~ s/^king //r);
	my @b = split(' ', $vec // '');
	my $worst = 0;
	$worst = abs($a[$_] - $b[$_]) > $worst ? abs($a[$_] - $b[$_]) : $worst for 0 .. $#b;
	ok($r->{code} == 0 && @a == @b && @b > 0 && $worst <= 1e-5,
		"fasttext print-word-vectors on the shipped .bin gives the .vec row of king (worst $worst)");
	$r = run_in($tmp, {}, 'sh', '-c', 'echo king | fasttext nn "$0" 10', "$dir/gcide-vectors.bin");
	ok($r->{code} == 0 && ($r->{out} =~ tr/\n//) >= 10, 'fasttext nn reads it');
}

my $pairs = join('', map { "@$_\n" } @PAIRS);
write_file("$tmp/pairs", $pairs);
$r = run_in($tmp, {}, '/usr/bin/python3', '-c', <<'EOF', "$dir/gcide-vectors.vec", "$tmp/pairs");
import sys
import numpy as np
words, rows = [], []
with open(sys.argv[1], encoding="utf-8") as f:
    f.readline()
    for line in f:
        p = line.rstrip(" \n").split(" ")
        words.append(p[0])
        rows.append([float(x) for x in p[1:]])
m = np.array(rows)
m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
index = {w: i for i, w in enumerate(words)}
pairs = [l.split() for l in open(sys.argv[2])]
missing = [w for p in pairs for w in p[:2] if w not in index]
print("missing", len(missing), " ".join(missing))
cos, score, hits, related = [], [], 0, 0
for a, b, s in pairs:
    if a not in index or b not in index:
        continue
    sims = m @ m[index[a]]
    c = sims[index[b]]
    cos.append(c)
    score.append(float(s))
    rank = int((sims > c).sum()) - 1  # a itself is first
    if float(s) >= 7:
        related += 1
        hits += rank < 10
        print("pair %s %s cos %.3f rank %d" % (a, b, c, rank + 1))
def ranks(x):
    x = np.asarray(x)
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    r[order] = np.arange(len(x))
    for v in np.unique(x):  # ties: their mean rank
        r[x == v] = r[x == v].mean()
    return r
rho = np.corrcoef(ranks(cos), ranks(score))[0, 1]
print("hits10 %d %d %.3f" % (hits, related, hits / related))
print("spearman %.3f" % rho)
EOF
is($r->{code}, 0, 'the word pairs scored with numpy') or diag($r->{all});
my ($missing) = $r->{out} =~ /^missing (\d+)/m;
my ($hits, $related, $h10) = $r->{out} =~ /^hits10 (\d+) (\d+) ([0-9.]+)/m;
my ($rho) = $r->{out} =~ /^spearman (-?[0-9.]+)/m;
diag($r->{out}) if $full;
is($missing, 0, 'every word of the ' . scalar(@PAIRS) . ' pairs is in the dictionary');
my ($min_h10, $min_rho) = $full ? (0.4, 0.5) : (0.1, 0.25);
diag(sprintf('word pairs: hits@10 %s (%s of %s related pairs), Spearman %s, %s FLOP',
	$h10 // '?', $hits // '?', $related // '?', $rho // '?', $flop // '?'));
cmp_ok($h10 // -1, '>=', $min_h10, "hits\@10 of the related pairs >= $min_h10");
cmp_ok($rho // -1, '>=', $min_rho, "Spearman of cosine and written relatedness >= $min_rho");

done_testing();
