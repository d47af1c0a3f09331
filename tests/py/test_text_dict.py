#!/usr/bin/python3
"""Debian's fasttext (0.9.2) as the oracle of trainer/text/: on small
corpora with non-ASCII text, invalid UTF-8, every separator byte, several
labels a line, a custom label prefix, Min-Count 2, word n-grams, character
n-grams and a small Bucket, `fasttext supervised -thread 1 -epoch 1` then
`fasttext dump MODEL.bin dict` give the dictionary (words, labels, counts,
order) that tests/c/text_oracle prints, entry for entry; and libfasttext's
own Dictionary::getLine (tests/c/ft_line_oracle.cc, built here with g++)
gives, line for line, the ids (words, their character n-grams, word
n-grams, labels) that ours gives.  The readers of Format tsv and fortune,
and fasttext with a dataset's label=, on several datasets (one of them
gzip'd), give what fastText gives on the fastText file that this test
writes from them (in Python, by the rules of trainer/text/source.h)."""
import gzip
import re
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


SEP = rb"[ \n\r\t\v\f\x00]"


def tsv_files(rng):
    lines = []
    for i in range(400):
        lab = rng.choice([b"fr", b"de", b"caf\xc3\xa9", b"\xff\xfe", b"x%d" % (i % 7)])
        words = [rng.choice([b"le", b"la", b"der", b"\xe2\x82", b"w%d" % rng.randint(0, 80),
                             b"a\x00b", b"\rq", b"\xc3\xa9t\xc3\xa9"])
                 for _ in range(rng.randint(0, 9))]
        lines.append(lab + b"\t" + b" ".join(words) + rng.choice([b"", b"\r", b" "]))
        if rng.random() < 0.05:
            lines.append(rng.choice([b"", b" \t ", b"\r"]))
    data = b"\n".join(lines) + b"\n"
    ft = b""
    for line in data.split(b"\n"):
        if re.fullmatch(rb"[ \t\r\v\f]*", line):
            continue
        lab, text = line.split(b"\t", 1)
        ft += b"__label__" + lab + b" " + text + b"\n"
    return [("a.tsv", data, None)], ft


def fortune_files(rng):
    files, ft = [], b""
    for lang, n in ((b"fr", 150), (b"de", 120), (b"pt", 90)):
        recs = []
        for i in range(n):
            rec = []
            for _ in range(rng.randint(0, 4)):
                rec.append(b" ".join(rng.choice([b"%s%d" % (lang, rng.randint(0, 60)),
                                                 b"\xc3\xa7a", b"\xc3", b"--", b"%", b"%%",
                                                 b"\t\xe2\x80\x94"])
                                     for _ in range(rng.randint(1, 8))))
            recs.append(b"\n".join(rec))
        data = b"\n%\n".join(recs) + b"\n%\n"
        rec = []
        for line in data.split(b"\n") + [b"%"]:  # a line of "%" alone ends a record
            if line != b"%":
                rec.append(line)
                continue
            text, rec = b" ".join(rec), []
            if not re.fullmatch(SEP + b"*", text):
                ft += b"__label__" + lang + b" " + text + b"\n"
        name = "fortunes-%s" % lang.decode() + (".gz" if lang == b"de" else "")
        files.append((name, gzip.compress(data, mtime=0) if name.endswith(".gz") else data,
                      lang))
    return files, ft


def wordlist_files(rng):
    files, ft = [], b""
    for lang in (b"en", b"es"):
        words = [b"%s%s" % (lang, rng.choice([b"a", b"b", b"\xc3\xb1o", b"c\xff"]) * rng.randint(1, 3))
                 for _ in range(300)]
        data = b"\n".join(words[:150]) + b"\n\n  \n" + b"\n".join(words[150:])
        for line in data.split(b"\n"):
            ft += (b"__label__" + lang + b" " + line if re.search(rb"[^ \n\r\t\v\f\x00]", line)
                   else line) + b"\n"
        if lang == b"en":  # ends in a newline: the next file starts a line
            data += b"\n"
        else:  # the last line has no newline: no "</s>" either
            ft = ft[:-1]
        files.append(("words-" + lang.decode(), data, lang))
    return files, ft


# (name, files and their fastText file, format, minCount, minn, maxn, wordNgrams, bucket)
READERS = [
    ("tsv", tsv_files, "tsv", 1, 2, 4, 2, 5003),
    ("three fortune files, one gzip'd", fortune_files, "fortune", 2, 0, 0, 2, 1000),
    ("two word lists, fasttext label=", wordlist_files, "fasttext", 1, 1, 5, 1, 2000),
]

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
            args = ["fasttext", prefix, str(mc), str(mcl), str(minn), str(maxn), str(ngrams),
                    str(bucket), path]
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
            dump = run([FASTTEXT, "dump", model + ".bin", "dict"])
            adopted = subprocess.run([ORACLE, "adopt"] + args, input=dump,
                                     capture_output=True).stdout.split(b"\n")
            ok(adopted == theirs, "%s: ids through fastText's own dictionary, adopted (as the "
               ".bin reader will)" % name)
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
        for name, make, fmt, mc, minn, maxn, ngrams, bucket in READERS:
            files, ft = make(random.Random(name))
            sources = []
            for fname, data, lang in files:
                with open(os.path.join(tmp, fname), "wb") as f:
                    f.write(data)
                sources.append(os.path.join(tmp, fname) + (" label=" + lang.decode("latin-1")
                                                           if lang else ""))
            path = os.path.join(tmp, "converted.txt")
            with open(path, "wb") as f:
                f.write(ft)
            model = os.path.join(tmp, "m")
            run([FASTTEXT, "supervised", "-input", path, "-output", model, "-thread", "1",
                 "-epoch", "1", "-dim", "2", "-verbose", "0", "-minCount", str(mc),
                 "-minn", str(minn), "-maxn", str(maxn), "-wordNgrams", str(ngrams),
                 "-bucket", str(bucket)])
            args = [fmt, "__label__", str(mc), "0", str(minn), str(maxn), str(ngrams),
                    str(bucket)] + sources
            theirs = run([FASTTEXT, "dump", model + ".bin", "dict"])
            mine = run([ORACLE, "dict"] + args)
            total_entries += theirs.count(b"\n") - 1
            ok(theirs == mine and theirs.count(b"\n") > 20,
               "Format %s, %s: the dictionary of fastText on the same text (%d entries)" % (
                   fmt, name, theirs.count(b"\n") - 1))
            if line_oracle:
                theirs = run([line_oracle, model + ".bin", path])
                mine = run([ORACLE, "lines"] + args)
                total_lines += theirs.count(b"\n")
                ok(theirs == mine and theirs.count(b"\n") > 20,
                   "Format %s, %s: the ids of fastText's getLine (%d lines)" % (
                       fmt, name, theirs.count(b"\n")))
        diag("%d dictionary entries and %d lines compared" % (total_entries, total_lines))
        if line_oracle:
            sort_cases(tmp)
    finally:
        shutil.rmtree(tmp)
    done()


main()
