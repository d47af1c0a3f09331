#!/usr/bin/python3
"""fastText .bin models: inspect, predict and eval against Debian's fasttext.

Models trained by `fasttext supervised` (softmax, ns, hs, ova; word
n-grams, character n-grams) on a corpus made here; on a held-out file with
awkward lines (empty, blanks only, a literal </s>, unknown words and
labels, invalid UTF-8, tabs and carriage returns, no final newline), our
`predict --prob -k K` must give on every line the labels of `fasttext
predict-prob` in the same order and probabilities within 1e-5, `predict`
the same lines as `fasttext predict`, and `eval -k K` the same output as
`fasttext test`.  Skipped without the fasttext package."""
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, run, skip_all, trainer  # noqa: E402
import ftcorpus  # noqa: E402

FT = shutil.which(os.environ.get("FASTTEXT", "fasttext"))
if not FT:
    skip_all("fasttext is not installed (Debian's fasttext package)")
trainer()



def corpus(rng, lines):
    return ftcorpus.corpus(rng, lines, prob=0.7)


def awkward(rng):
    lines = corpus(rng, 300)
    lines += ["", "   \t ", "apple </s> car bus", "__label__nope fig fig", "__label__fruit",
              "m\u00e9lange\tpiano\rdrum", "zzz qqq", "apple " * 300]
    text = "\n".join(lines).encode()
    return text + b"\nbad \xff\xfe utf8 \xc3 apple\n" + b"car\x00bus\x0btrain\x0cfog" + b"\nfog rain"


def sh(argv):
    r = subprocess.run(argv, capture_output=True)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def compare_prob(theirs, ours):
    """Lines with the same labels and probabilities within 1e-5."""
    t, o = theirs.split("\n"), ours.split("\n")
    if len(t) != len(o):
        return 0, 0, "%d lines, ours %d" % (len(t), len(o))
    same_labels = worst = identical = 0
    first_bad = ""
    for i, (a, b) in enumerate(zip(t, o)):
        a, b = a.split(), b.split()
        if a[0::2] == b[0::2] and len(a) == len(b):
            same_labels += 1
            for x, y in zip(a[1::2], b[1::2]):
                worst = max(worst, abs(float(x) - float(y)))
        elif not first_bad:
            first_bad = "line %d: %s / ours %s" % (i + 1, a, b)
        identical += a == b
    return same_labels, identical, "worst difference %.3g%s" % (worst, "; " + first_bad if first_bad else ""), worst


MODELS = [
    ("softmax", ["-loss", "softmax"]),
    ("ns", ["-loss", "ns", "-neg", "3"]),
    ("hs", ["-loss", "hs"]),
    ("ova", ["-loss", "ova"]),
    ("softmax-ngrams", ["-loss", "softmax", "-wordNgrams", "2", "-minn", "2", "-maxn", "4", "-bucket", "20000"]),
    ("hs-ngrams", ["-loss", "hs", "-wordNgrams", "3", "-minn", "3", "-maxn", "5", "-bucket", "5000"]),
    ("ova-subwords", ["-loss", "ova", "-minn", "1", "-maxn", "3", "-bucket", "3000"]),
]

tmp = tempfile.mkdtemp(prefix="dm-fasttext-")
try:
    rng = random.Random(7)
    train = os.path.join(tmp, "train.txt")
    with open(train, "w") as f:
        f.write("\n".join(corpus(rng, 3000)) + "\n")
    test = os.path.join(tmp, "test.txt")
    with open(test, "wb") as f:
        f.write(awkward(rng))
    nlines = 0
    total_lines = total_identical = 0
    worst_all = 0.0
    for name, args in MODELS:
        model = os.path.join(tmp, name)
        rc, _, err = sh([FT, "supervised", "-input", train, "-output", model, "-dim", "12",
                         "-epoch", "5", "-thread", "1", "-seed", "1"] + args)
        if not ok(rc == 0, "%s: fasttext supervised %s" % (name, " ".join(args))):
            diag(err[-500:])
            continue
        model += ".bin"
        r = run(["inspect", model])
        ok(r.returncode == 0 and "F32 [6, 12]" in r.stdout and "supervised, loss %s" % args[1] in r.stdout,
           "%s: inspect shows the model and its output matrix [6, 12]" % name)
        for k, thr in ((1, None), (3, None), (6, "0.2")):
            extra = [thr] if thr else []
            rc, theirs, err = sh([FT, "predict-prob", model, test, str(k)] + extra)
            r = run(["predict", "--prob", "-k", str(k)] + (["--threshold", thr] if thr else []) + [model, test])
            if not ok(rc == 0 and r.returncode == 0, "%s k=%d: both predict (%s%s)" % (name, k, err, r.stderr)):
                continue
            same, identical, how, worst = compare_prob(theirs, r.stdout)
            n = theirs.count("\n")
            nlines = n
            total_lines += n
            total_identical += identical - 1
            worst_all = max(worst_all, worst)
            ok(same == n + 1 and worst <= 1e-5,
               "%s k=%d%s: the same labels on %d of %d lines, %d printed identically; %s"
               % (name, k, " threshold " + thr if thr else "", same - 1, n, identical - 1, how))
        rc, theirs, _ = sh([FT, "predict", model, test, "2"])
        r = run(["predict", "-k", "2", model, test])
        ok(rc == 0 and r.stdout == theirs, "%s: predict -k 2 prints what fasttext predict prints (%d lines)"
           % (name, theirs.count("\n")))
        for k in (1, 2):
            rc, theirs, _ = sh([FT, "test", model, test, str(k)])
            r = run(["eval", "-k", str(k), model, test])
            ok(rc == 0 and r.stdout == theirs, "%s: eval -k %d = fasttext test: %s"
               % (name, k, " ".join(r.stdout.split()) + ("" if r.stdout == theirs else " / " + " ".join(theirs.split()))))
    diag("predict-prob: %d lines compared, %d printed identically, worst difference %.3g"
         % (total_lines, total_identical, worst_all))
    # a literal </s> ends a line and the separator after it is read with it
    # (readWord): text that ends there has no line after it
    model = os.path.join(tmp, "softmax.bin")
    for tail in (b"apple </s> ", b"apple </s>\t", b"car </s> </s> ", b"</s>\x00", b"bus </s> \n"):
        edge = os.path.join(tmp, "edge.txt")
        with open(edge, "wb") as f:
            f.write(tail)
        rc, theirs, _ = sh([FT, "predict-prob", model, edge, "2"])
        r = run(["predict", "--prob", "-k", "2", model, edge])
        ok(rc == 0 and r.stdout == theirs, "text ending %r: predict prints what fasttext predict-prob prints (%r%s)"
           % (tail, r.stdout, "" if r.stdout == theirs else " / " + repr(theirs)))
    # a skipgram model cannot predict, as in fastText
    model = os.path.join(tmp, "sg")
    sh([FT, "skipgram", "-input", train, "-output", model, "-dim", "4", "-epoch", "1", "-thread", "1"])
    r = run(["predict", model + ".bin", test])
    ok(r.returncode == 1 and "a skipgram model, expected a supervised one" in r.stderr, "skipgram: refused (%s)" % r.stderr.strip())
    r = run(["predict", "--prob", os.path.join(tmp, "softmax.bin"), test + ".missing"])
    ok(r.returncode == 1 and "test.txt.missing" in r.stderr, "a missing input named (%s)" % r.stderr.strip())
finally:
    shutil.rmtree(tmp)
done()
