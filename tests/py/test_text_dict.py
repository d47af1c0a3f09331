#!/usr/bin/python3
"""Debian's fasttext (0.9.2) as the oracle of trainer/text/: on small
corpora with non-ASCII text, invalid UTF-8, every separator byte, several
labels a line, a custom label prefix, Min-Count 2, word n-grams, character
n-grams and a small Bucket, `fasttext supervised -thread 1 -epoch 1` then
`fasttext dump MODEL.bin dict` give the dictionary (words, labels, counts,
order) that tests/c/text_oracle prints, entry for entry; and libfasttext's
own Dictionary::getLine (tests/c/ft_line_oracle.cc, built here with g++)
gives, line for line, the ids (words, their character n-grams, word
n-grams, labels) that ours gives."""
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, skip_all  # noqa: E402

ORACLE = os.environ.get("TEXT_ORACLE")
if not ORACLE or not os.access(ORACLE, os.X_OK):
    skip_all("TEXT_ORACLE is not set to build/tests/text_oracle (run through make check)")
FASTTEXT = shutil.which("fasttext")
if not FASTTEXT:
    skip_all("Debian's fasttext is not installed")
HERE = os.path.dirname(os.path.abspath(__file__))
LINE_SRC = os.path.join(HERE, "..", "c", "ft_line_oracle.cc")


def corpus_mixed(rng):
    """Every odd byte fastText's tokenizer meets, several labels a line,
    ties in the counts (more than 16 entries: std::sort's quicksort)."""
    words = [b"the", b"a", b"caf\xc3\xa9", b"\xe6\x97\xa5\xe6\x9c\xac", b"\xf0\x9f\x98\x80",
             b"na\xefve", b"\xff\xfe", b"\xc3", b"\x80\x80x", b"\xe2\x82", b"x\xc3\xa9\x80y",
             b"foo__label__bar", b"</s>", b"<", b">", b"<>", b"\xc2\xa0nbsp", b"q"]
    words += [b"w%d" % i for i in range(60)]
    labels = [b"__label__" + x for x in (b"pos", b"neg", b"caf\xc3\xa9", b"\xff", b"")]
    seps = [b" ", b"\t", b"\r", b"\v", b"\f", b"\x00", b"  ", b" \r "]
    lines = []
    for i in range(300):
        toks = [rng.choice(labels) for _ in range(rng.randint(0, 3))]
        toks += [rng.choice(words) for _ in range(rng.randint(0, 12))]
        if rng.random() < 0.3:  # words seen once or twice, a label seen once
            toks.append(b"r%d" % rng.randint(0, 150))
        if i == 77:
            toks.append(b"__label__once")
        if rng.random() < 0.2:
            toks.insert(rng.randint(0, len(toks)), rng.choice(labels))
        line = b""
        for t in toks:
            line += t + rng.choice(seps)
        if rng.random() < 0.1:
            line = rng.choice(seps) + line
        lines.append(line)
    lines.insert(5, b"")
    lines.insert(9, b"\r")
    return b"\n".join(lines) + b"\n"


def corpus_prefix(rng):
    """A custom prefix; words that start with the default one are words."""
    words = [b"w%d" % i for i in range(40)] + [b"__label__x", b"@@", b"\xc3\xa9t\xc3\xa9"]
    out = []
    for i in range(200):
        toks = [b"@@" + rng.choice([b"a", b"b", b"c", b"rare%d" % i])]
        toks += [rng.choice(words) for _ in range(rng.randint(1, 8))]
        rng.shuffle(toks)
        out.append(b" ".join(toks))
    return b"\n".join(out)  # no newline at the end


def corpus_zipf(rng):
    """Thousands of words with Zipf counts: long runs of ties, more than
    one read buffer (64 KiB) of text."""
    out = []
    for i in range(4000):
        toks = [b"__label__c%d" % rng.randint(0, 24)]
        for _ in range(rng.randint(3, 15)):
            r = int(rng.paretovariate(0.7))
            toks.append(b"z%d" % r if r < 40000 else b"\xce\xb1%d" % (r % 50))
        out.append(b" ".join(toks))
    return b"\n".join(out) + b"\n"


# (name, corpus, label prefix, minCount, minCountLabel, minn, maxn, wordNgrams, bucket)
CASES = [
    ("mixed defaults", corpus_mixed, "__label__", 1, 0, 0, 0, 1, 2000000),
    ("mixed minCount 2", corpus_mixed, "__label__", 2, 0, 0, 0, 1, 2000000),
    ("mixed wordNgrams 2 bucket 1000", corpus_mixed, "__label__", 1, 0, 0, 0, 2, 1000),
    ("mixed wordNgrams 3 minn 2 maxn 4 bucket 997", corpus_mixed, "__label__", 1, 0, 2, 4, 3,
     997),
    ("mixed minn 1 maxn 3 minCountLabel 5", corpus_mixed, "__label__", 1, 5, 1, 3, 1, 50000),
    ("prefix @@ minCount 2 minCountLabel 2", corpus_prefix, "@@", 2, 2, 0, 0, 1, 2000000),
    ("prefix @@ minn 2 maxn 4 wordNgrams 2 bucket 101", corpus_prefix, "@@", 1, 0, 2, 4, 2,
     101),
    ("zipf defaults", corpus_zipf, "__label__", 1, 0, 0, 0, 1, 2000000),
    ("zipf minCount 2 minn 3 maxn 6 wordNgrams 2 bucket 20000", corpus_zipf, "__label__", 2,
     0, 3, 6, 2, 20000),
]


def run(args):
    r = subprocess.run(args, capture_output=True)
    if r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
    return r.stdout


def sort_cases(tmp):
    """dict_sort.c against libstdc++'s std::sort itself, on the ties and
    sizes the corpora may miss, and on inputs that drive it into its
    heapsort."""
    src = os.path.join(HERE, "..", "c", "ft_sort_oracle.cc")
    exe = os.path.join(tmp, "ft_sort_oracle")
    run(["g++", "-std=c++17", "-O1", "-o", exe, src])
    rng = random.Random(21)
    inputs = []
    for n in (1, 2, 15, 16, 17, 18, 33, 100, 1000, 20000):
        for hi in (1, 3, 50):
            inputs.append(("random n=%d counts 1..%d" % (n, hi), "".join(
                "%d %d\n" % (rng.random() < 0.1, rng.randint(1, hi)) for _ in range(n))))
    for n in (200, 3000):
        killer = run([exe, "killer", str(n)]).decode()
        inputs.append(("std::sort killer n=%d" % n, killer))
        inputs.append(("killer n=%d, counts / 8" % n, "".join(
            "0 %d\n" % (int(x.split()[1]) // 8) for x in killer.splitlines())))
    bad = []
    for name, text in inputs:
        theirs = subprocess.run([exe], input=text.encode(), capture_output=True).stdout
        mine = subprocess.run([ORACLE, "sort"], input=text.encode(), capture_output=True).stdout
        if theirs != mine or not theirs and text:
            bad.append(name)
    ok(not bad, "the order of %d arrays (1 to 20000 entries) is libstdc++'s std::sort's; "
       "differ: %s" % (len(inputs), ", ".join(bad) or "none"))


def main():
    tmp = tempfile.mkdtemp(prefix="dm-text-dict.")
    line_oracle = None
    if shutil.which("g++") and os.path.exists("/usr/include/fasttext/dictionary.h"):
        line_oracle = os.path.join(tmp, "ft_line_oracle")
        run(["g++", "-std=c++17", "-O1", "-o", line_oracle, LINE_SRC, "-lfasttext"])
    else:
        diag("no g++ or libfasttext-dev: the line ids are not compared")
    total_entries = total_lines = 0
    try:
        for name, make, prefix, mc, mcl, minn, maxn, ngrams, bucket in CASES:
            data = make(random.Random(name.split()[0]))
            path = os.path.join(tmp, "in.txt")
            with open(path, "wb") as f:
                f.write(data)
            model = os.path.join(tmp, "m")
            run([FASTTEXT, "supervised", "-input", path, "-output", model, "-thread", "1",
                 "-epoch", "1", "-dim", "2", "-verbose", "0", "-label", prefix,
                 "-minCount", str(mc), "-minCountLabel", str(mcl), "-minn", str(minn),
                 "-maxn", str(maxn), "-wordNgrams", str(ngrams), "-bucket", str(bucket)])
            theirs = run([FASTTEXT, "dump", model + ".bin", "dict"]).split(b"\n")
            args = [path, prefix, str(mc), str(mcl), str(minn), str(maxn), str(ngrams),
                    str(bucket)]
            mine = run([ORACLE, "dict"] + args).split(b"\n")
            bad = [i for i in range(max(len(theirs), len(mine)))
                   if i >= len(theirs) or i >= len(mine) or theirs[i] != mine[i]]
            total_entries += len(theirs) - 2
            if not ok(not bad and len(theirs) > 20,
                      "%s: dictionary, %d entries, %d differ" % (name, len(theirs) - 2, len(bad))):
                for i in bad[:5]:
                    diag("entry %d: fasttext %r, ours %r" % (
                        i, theirs[i] if i < len(theirs) else None,
                        mine[i] if i < len(mine) else None))
            if not line_oracle:
                continue
            theirs = run([line_oracle, model + ".bin", path]).split(b"\n")
            mine = run([ORACLE, "lines"] + args).split(b"\n")
            bad = [i for i in range(max(len(theirs), len(mine)))
                   if i >= len(theirs) or i >= len(mine) or theirs[i] != mine[i]]
            nids = sum(len(x.split()) - 3 for x in theirs if x)
            total_lines += len(theirs) - 1
            if not ok(not bad and nids > 0,
                      "%s: ids of %d lines (%d ids), %d lines differ" % (
                          name, len(theirs) - 1, nids, len(bad))):
                for i in bad[:3]:
                    diag("line %d: fasttext %r\n         ours %r" % (
                        i + 1, theirs[i][:300] if i < len(theirs) else None,
                        mine[i][:300] if i < len(mine) else None))
        diag("%d dictionary entries and %d lines compared" % (total_entries, total_lines))
        if line_oracle:
            sort_cases(tmp)
    finally:
        shutil.rmtree(tmp)
    done()


main()
