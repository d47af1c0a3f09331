#!/usr/bin/python3
"""Our supervised training (trainer/fasttext/train.c, driven by
build/tests/ft_train with fastText's options) against Debian's fasttext.

For each loss (softmax, ns, hs, ova, and softmax with word and character
n-grams), a model trained on a corpus made here, exported with dm_ft_write:
`fasttext predict-prob` reads it and gives on every line of a held-out file
the labels that our `dh-model-train predict --prob` gives, probabilities
within 1e-5; `fasttext predict` prints what `dh-model-train predict`
prints; `fasttext test` what `dh-model-train eval` prints; python3-fasttext's
load_model loads it and predicts the same labels.  The .bin is identical
for 1, 2 and 3 threads; the FLOPs estimated before training equal those
counted; held-out P@1 is close to `fasttext supervised -thread 1`'s.
Skipped without the fasttext package."""
import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, run, skip_all, trainer  # noqa: E402

FT = shutil.which(os.environ.get("FASTTEXT", "fasttext"))
if not FT:
    skip_all("fasttext is not installed (Debian's fasttext package)")
trainer()
FT_TRAIN = os.environ.get("FT_TRAIN", "build/tests/ft_train")

TOPICS = {
    "fruit": "apple pear plum fig grape kiwi mango lemon",
    "transport": "car bus train tram bike ferry plane taxi",
    "colour": "rouge vert bleu gr\u00fcn caf\u00e9 \u00e9t\u00e9 noir blanc",
    "animal": "cat dog cow hen fox owl bee ant",
    "weather": "rain snow wind sun fog hail storm cloud",
    "music": "piano drum flute harp song tune choir violin",
}
NAMES = sorted(TOPICS)


def corpus(rng, lines):
    out = []
    for _ in range(lines):
        t = rng.choice(NAMES)
        labels = ["__label__" + t]
        if rng.random() < 0.15:
            labels.append("__label__" + rng.choice(NAMES))
        words = []
        for _ in range(rng.randint(1, 12)):
            src = t if rng.random() < 0.6 else rng.choice(NAMES)
            words.append(rng.choice(TOPICS[src].split()))
            if rng.random() < 0.05:
                words.append("unseen%d" % rng.randint(0, 99))
        out.append(" ".join(labels + words))
    return out


def sh(argv):
    try:
        r = subprocess.run(argv, capture_output=True)
    except OSError as e:
        return 127, "", str(e)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def sha(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return "missing " + path


def compare_prob(theirs, ours):
    t, o = theirs.split("\n"), ours.split("\n")
    if len(t) != len(o):
        return 0, 1.0
    same, worst = 0, 0.0
    for a, b in zip(t, o):
        a, b = a.split(), b.split()
        if a[0::2] == b[0::2] and len(a) == len(b):
            same += 1
            for x, y in zip(a[1::2], b[1::2]):
                worst = max(worst, abs(float(x) - float(y)))
    return same - 1, worst


def p_at_1(out):
    for line in out.split("\n"):
        if line.startswith("P@1"):
            return float(line.split()[1])
    return -1.0


MODELS = [
    ("softmax", ["-loss", "softmax"]),
    ("ns", ["-loss", "ns", "-neg", "3"]),
    ("hs", ["-loss", "hs"]),
    ("ova", ["-loss", "ova"]),
    ("softmax-ngrams", ["-loss", "softmax", "-wordNgrams", "2", "-minn", "2", "-maxn", "4", "-bucket", "20000"]),
]

try:
    import fasttext as pyft
    pyft.FastText.eprint = lambda *a, **k: None  # its load_model warning
except ImportError:
    pyft = None

tmp = tempfile.mkdtemp(prefix="dm-fttrain-")
try:
    rng = random.Random(11)
    train = os.path.join(tmp, "train.txt")
    with open(train, "w") as f:
        f.write("\n".join(corpus(rng, 2000)) + "\n")
    test = os.path.join(tmp, "test.txt")
    with open(test, "w") as f:
        f.write("\n".join(corpus(rng, 400)) + "\nzzz qqq\n\n__label__fruit\ncaf\u00e9 \xe9t\xe9 apple")
    for name, args in MODELS:
        common = ["-input", train, "-dim", "12", "-epoch", "5", "-seed", "3"] + args
        hashes = []
        for threads in (1, 2, 3):
            out = os.path.join(tmp, "%s-t%d" % (name, threads))
            rc, stdout, _ = sh([FT_TRAIN, "-output", out, "-thread", str(threads), "-parallelFlops", "1"]
                               + common)
            if rc != 0:
                break
            hashes.append(sha(out + ".bin"))
            if threads == 1:
                flops = stdout.split("\n")[0].split()
        if not ok(len(hashes) == 3 and len(set(hashes)) == 1,
                  "%s: trained with 1, 2 and 3 threads: the same .bin (%s)"
                  % (name, " ".join(h[:16] for h in hashes) or "ft_train failed: " + stdout.strip())):
            continue
        ok(flops[0] == "flops" and flops[1] == flops[2] and int(flops[1]) > 0,
           "%s: FLOPs estimated before training %s = counted %s" % (name, flops[1], flops[2]))
        model = os.path.join(tmp, "%s-t1.bin" % name)
        for k in (1, 3):
            rc, theirs, err = sh([FT, "predict-prob", model, test, str(k)])
            r = run(["predict", "--prob", "-k", str(k), model, test])
            same, worst = compare_prob(theirs, r.stdout)
            n = theirs.count("\n")
            ok(rc == 0 and r.returncode == 0 and same == n and n > 400 and worst <= 1e-5,
               "%s k=%d: fasttext predict-prob reads our .bin: the same labels as our predict on %d of %d "
               "lines, probabilities within %.2g %s" % (name, k, same, n, worst, err[-200:] + r.stderr))
        rc, theirs, _ = sh([FT, "predict", model, test, "2"])
        r = run(["predict", "-k", "2", model, test])
        ok(rc == 0 and r.stdout == theirs, "%s: fasttext predict prints what our predict prints (%d lines)"
           % (name, theirs.count("\n")))
        rc, theirs, _ = sh([FT, "test", model, test])
        r = run(["eval", model, test])
        ok(rc == 0 and r.stdout == theirs, "%s: fasttext test = our eval: %s"
           % (name, " ".join(theirs.split())))
        ours = p_at_1(theirs)
        ref = os.path.join(tmp, "ref-" + name)
        sh([FT, "supervised", "-output", ref, "-thread", "1", "-verbose", "0"] + common)
        _, ref_out, _ = sh([FT, "test", ref + ".bin", test])
        theirs_p = p_at_1(ref_out)
        ok(ours >= theirs_p - 0.05, "%s: held-out P@1 %.3f, fasttext -thread 1 %.3f" % (name, ours, theirs_p))
        if pyft:
            m = pyft.load_model(model)
            lines = [ln for ln in open(test, encoding="utf-8").read().split("\n")[:400]]
            rc, theirs, _ = sh([FT, "predict", model, test, "1"])
            want = theirs.split("\n")[:400]
            got = [" ".join(m.predict(" ".join(w for w in ln.split() if not w.startswith("__label__")))[0])
                   for ln in lines]
            agree = sum(a == b for a, b in zip(got, want))
            ok(m.get_dimension() == 12 and agree == len(want),
               "%s: python3-fasttext load_model reads it; its predict agrees on %d of %d lines"
               % (name, agree, len(want)))
        else:
            diag("python3-fasttext not installed: load_model not tried")
    # a recipe: Model-Type supervised, fortune files with a label each,
    # held out by Seed, Export: fasttext
    fortunes = []
    for t in NAMES[:3]:
        path = os.path.join(tmp, t + ".fortune")
        with open(path, "w") as f:
            g = random.Random(t)
            f.write("\n%\n".join(" ".join(g.choice(TOPICS[t if g.random() < 0.7 else g.choice(NAMES)].split())
                                           for _ in range(g.randint(2, 9))) for _ in range(120)) + "\n")
        fortunes.append(" %s label=%s" % (path, t))
    recipe = os.path.join(tmp, "text.models")
    body = ("Model: topics\nModel-Type: supervised\nFormat: fortune\nDataset:\n" + "\n".join(fortunes) +
            "\nValidation-Split: 0.2\nSeed: 4\nDim: 10\nEpochs: 5\nWord-Ngrams: 2\nBucket: 5000\n"
            "Export: fasttext\nExpect: test-accuracy >= 0.5\n")
    with open(recipe, "w") as f:
        f.write(body)
    bins = []
    for threads in (1, 2):
        out = os.path.join(tmp, "out%d" % threads)
        os.mkdir(out)
        r = run(["train", "--threads", str(threads), "--output-dir", out, recipe])
        say = r.stdout + r.stderr
        ok(r.returncode == 0 and os.path.exists(os.path.join(out, "topics.bin")),
           "recipe, %d threads: trained, topics.bin written (%s)" % (threads, say.strip()[-300:]))
        est = re.search(r"tokens\), .* FLOP \((\d+)\)", say)
        counted = re.search(r"(\d+) FLOP counted", say)
        if threads == 1:
            ok(est and counted and est.group(1) == counted.group(1),
               "recipe: FLOPs estimated from the token count before training %s = counted %s"
               % (est and est.group(1), counted and counted.group(1)))
        bins.append(sha(os.path.join(out, "topics.bin")) if r.returncode == 0 else "none")
        bins.append(sha(os.path.join(out, "topics.safetensors")) if r.returncode == 0 else "none")
    ok(bins[0] == bins[2] and bins[1] == bins[3] and "none" not in bins,
       "recipe: topics.bin and topics.safetensors identical for 1 and 2 threads")
    r = run(["card", os.path.join(tmp, "out1", "topics.json")])
    ok(r.returncode == 0 and "validation-accuracy" in r.stdout and "`input`" in r.stdout,
       "recipe: topics.json is a provenance record that card reads (%s)" % r.stderr.strip())
    ok(os.path.exists(os.path.join(tmp, "out1", "topics.json")) and
       sha(os.path.join(tmp, "out1", "topics.json")) == sha(os.path.join(tmp, "out2", "topics.json")),
       "recipe: topics.json identical for 1 and 2 threads")
    rc, out, _ = sh([FT, "test", os.path.join(tmp, "out1", "topics.bin"), test])
    ok(rc == 0 and "N\t" in out, "recipe: fasttext test reads the export (%s)" % " ".join(out.split()))
    p1 = re.search(r"P@1 ([0-9.]+) on (\d+) held-out lines", say)
    ok(p1 and int(p1.group(2)) == 72 and float(p1.group(1)) >= 0.5,
       "recipe: 72 of 360 records held out by Seed (Validation-Split 0.2), P@1 %s" % (p1 and p1.group(1)))
    with open(recipe, "w") as f:
        f.write(body + "Max-Compute: 1e5\n")
    out = os.path.join(tmp, "out3")
    os.mkdir(out)
    r = run(["train", "--output-dir", out, recipe])
    ok(r.returncode == 4 and "tokens in" in r.stderr and "over Max-Compute" in r.stderr
       and not os.listdir(out), "recipe over Max-Compute: refused before training, exit 4, nothing written (%s)"
       % r.stderr.strip())
    r = run(["estimate", recipe])
    ok(r.returncode == 4 and "tokens" in r.stdout + r.stderr, "estimate: the token count and the refusal (%s)"
       % (r.stdout + r.stderr).strip()[-200:])
    with open(recipe, "w") as f:
        f.write(body.replace("Format: fortune", "Format: fortune\nDimm: 3"))
    r = run(["train", "--output-dir", out, recipe])
    ok(r.returncode == 1 and "unknown field 'Dimm'" in r.stderr and "line 4" in r.stderr,
       "recipe with an unknown field: refused with its line (%s)" % r.stderr.strip())
    with open(recipe, "w") as f:
        f.write(body.replace("Seed: 4", "Seed: 4\nLoss: hinge"))
    r = run(["train", "--output-dir", out, recipe])
    ok(r.returncode == 1 and "Loss: expected softmax, ns, hs or ova" in r.stderr,
       "recipe with Loss hinge: refused (%s)" % r.stderr.strip())
    # bad input: a message naming the file
    rc, stdout, _ = sh([FT_TRAIN, "-input", train + ".missing", "-output", os.path.join(tmp, "x")])
    ok(rc == 1 and "train.txt.missing" in stdout, "a missing input is named (%s)" % stdout.strip())
    nolabel = os.path.join(tmp, "nolabel.txt")
    with open(nolabel, "w") as f:
        f.write("apple pear\nplum\n")
    rc, stdout, _ = sh([FT_TRAIN, "-input", nolabel, "-output", os.path.join(tmp, "x")])
    ok(rc == 1 and "label" in stdout, "no label: refused (%s)" % stdout.strip())
finally:
    shutil.rmtree(tmp)
done()
