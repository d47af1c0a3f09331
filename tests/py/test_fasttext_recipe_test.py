#!/usr/bin/python3
"""The P@1 that a supervised recipe records (NAME.json's test-accuracy and
Upstream-Weights' P@1) counts lines as Debian's `fasttext test` does:
FastText::test skips a line with no label that the model knows (no label,
or only labels it never saw) and a line with no word ids.  The oracle is
fastText itself: python3-fasttext's test() (full precision) and `fasttext
test` (three digits), on our exported .bin and on a model trained by
`fasttext supervised`, over a Test-Dataset whose lines are of every kind.
`dh-model-train eval MODEL.bin` prints what `fasttext test` prints on
the same lines, at k 1 and 3.  Skipped without the fasttext package.
(Already so before this test: the corpus drops such lines as it loads
them, dm_ft_corpus_add, and eval's count skips them, dm_ft_test_text.)"""
import json
import os
import random
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, run, skip_all, trainer, write  # noqa: E402
from ftcorpus import NAMES, TOPICS, corpus, p_at_1, sh  # noqa: E402

FT = shutil.which(os.environ.get("FASTTEXT", "fasttext"))
if not FT:
    skip_all("fasttext is not installed (Debian's fasttext package)")
trainer()
try:
    import fasttext as pyft
    pyft.FastText.eprint = lambda *a, **k: None  # its load_model warning
except ImportError:
    pyft = None


def test_lines(rng):
    """400 lines with known labels, then lines that fasttext test skips or
    counts with only their known labels, shuffled."""
    lines = corpus(rng, 400)
    words = " ".join(TOPICS[NAMES[0]].split()[:3])
    for i in range(120):
        kind = i % 4
        if kind == 0:      # only a label the model never saw: skipped
            lines.append("__label__zebra%d %s" % (i % 3, words))
        elif kind == 1:    # no label at all: skipped
            lines.append(" ".join(rng.choice(TOPICS[rng.choice(NAMES)].split()) for _ in range(4)))
        elif kind == 2:    # a known and an unknown label: counted, gold = the known one
            t = rng.choice(NAMES)
            lines.append("__label__unseen __label__%s %s" % (t, " ".join(TOPICS[t].split()[:4])))
        else:              # a label and no word: only </s>, counted
            lines.append("__label__%s" % rng.choice(NAMES))
    rng.shuffle(lines)
    return lines


def fasttext_p1(model, path):
    """(N, P@1) of fastText's own test: python3-fasttext's when it is there
    (exact), else the CLI's (three significant digits)."""
    if pyft:
        n, p, _ = pyft.load_model(model).test(path)
        return n, p, 1e-6
    rc, out, _ = sh([FT, "test", model, path])
    m = re.search(r"^N\s+(\d+)", out, re.M)
    return (int(m.group(1)) if m else -1), p_at_1(out), 5e-4


def recipe(tmp, name, train, test, extra=""):
    return write(os.path.join(tmp, name + ".models"),
                 "Model: %s\nModel-Type: supervised\nFormat: fasttext\nDataset:\n %s\n"
                 "Test-Dataset:\n %s\nSeed: 2\nDim: 8\nEpochs: 3\nBucket: 2000\nWord-Ngrams: 2\n"
                 "Export: fasttext\n%s" % (name, train, test, extra))


tmp = tempfile.mkdtemp(prefix="dm-fttest-")
try:
    rng = random.Random(23)
    train = write(os.path.join(tmp, "train.txt"), "\n".join(corpus(rng, 1500)) + "\n")
    test = write(os.path.join(tmp, "test.txt"), "\n".join(test_lines(rng)) + "\n")
    known = sum(1 for ln in open(test) if re.search(r"__label__(?!zebra|unseen)", ln))

    out = os.path.join(tmp, "out")
    os.mkdir(out)
    r = run(["train", "--output-dir", out, recipe(tmp, "ours", train, test)])
    ok(r.returncode == 0, "a supervised recipe with a Test-Dataset trains") or diag(r.stderr[-600:])
    rec = json.load(open(os.path.join(out, "ours.json"))) if r.returncode == 0 else {}
    ours = rec.get("metrics", {}).get("test-accuracy", -1.0)
    n, theirs, tol = fasttext_p1(os.path.join(out, "ours.bin"), test)
    ok(n == known and 0 < known < 520,
       "fasttext test counts the %d lines with a known label of 520 (N %d)" % (known, n))
    ok(abs(ours - theirs) <= tol,
       "the recorded test-accuracy %.6f is fasttext test's P@1 %.6f on our .bin (lines without a known "
       "label not counted)" % (ours, theirs))
    for k in ("1", "3"):
        rc, cli, _ = sh([FT, "test", os.path.join(out, "ours.bin"), test, k])
        e = run(["eval", "-k", k, os.path.join(out, "ours.bin"), test])
        ok(rc == 0 and e.returncode == 0 and e.stdout == cli,
           "k=%s: our eval prints what fasttext test prints on these lines: %s" % (k, " ".join(cli.split())))
    said = re.search(r"P@1 ([0-9.]+) on (\d+) test lines", r.stderr + r.stdout)
    ok(said and int(said.group(2)) == n,
       "the build log says how many lines were counted (%s)" % (said.group(0) if said else "no P@1 line"))

    # Upstream-Weights: a model of fastText's own, its P@1 over the same
    # lines through its dictionary
    ref = os.path.join(tmp, "ref")
    rc, _, err = sh([FT, "supervised", "-input", train, "-output", ref, "-thread", "1", "-dim", "8",
                     "-epoch", "3", "-wordNgrams", "2", "-bucket", "2000", "-seed", "2", "-verbose", "0"])
    ok(rc == 0, "fasttext supervised trains the upstream model") or diag(err[-300:])
    out2 = os.path.join(tmp, "out2")
    os.mkdir(out2)
    r = run(["train", "--output-dir", out2,
             recipe(tmp, "up", train, test, "Upstream-Weights: %s.bin\n" % ref)])
    ok(r.returncode == 0, "the recipe with Upstream-Weights trains") or diag(r.stderr[-600:])
    up = json.load(open(os.path.join(out2, "up.json"))).get("upstream", {}) if r.returncode == 0 else {}
    n, want, tol = fasttext_p1(ref + ".bin", test)
    got = up.get("upstream", {}).get("test-accuracy", -1.0)
    ok(abs(got - want) <= tol and up.get("rows") == n,
       "upstream's P@1 %.6f on %s lines = fasttext test's %.6f on %d lines" % (got, up.get("rows"), want, n)) \
        or diag(json.dumps(up)[:600])
finally:
    shutil.rmtree(tmp)
done()
