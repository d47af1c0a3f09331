#!/usr/bin/python3
"""Our supervised training (trainer/fasttext/train.c, driven by
build/tests/ft_train with fastText's options) against Debian's fasttext.

For each loss (softmax, ns, hs, ova, and softmax with word and character
n-grams), a model trained on a corpus made here, exported with dm_ft_write:
`fasttext predict-prob` reads it and gives on every line of a held-out file
the labels that our `dh-model-train predict --prob` gives, probabilities
within 1e-5; `fasttext predict` prints what `dh-model-train predict`
prints; `fasttext test` what `dh-model-train eval` prints; python3-fasttext's
load_model loads it and predicts the same labels; held-out P@1 is close
to `fasttext supervised -thread 1`'s; fasttext test reads a recipe's
export.  Skipped without the fasttext package: the thread identity and
the FLOP count are test_fasttext_threads.py's, which runs everywhere."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, run, skip_all, trainer  # noqa: E402
from ftcorpus import MODELS, compare_prob, make_corpus, p_at_1, sh, topic_recipe  # noqa: E402

FT = shutil.which(os.environ.get("FASTTEXT", "fasttext"))
if not FT:
    skip_all("fasttext is not installed (Debian's fasttext package)")
trainer()
FT_TRAIN = os.environ.get("FT_TRAIN", "build/tests/ft_train")

try:
    import fasttext as pyft
    pyft.FastText.eprint = lambda *a, **k: None  # its load_model warning
except ImportError:
    pyft = None

tmp = tempfile.mkdtemp(prefix="dm-fttrain-")
try:
    train, test = make_corpus(tmp)
    for name, args in MODELS:
        common = ["-input", train, "-dim", "12", "-epoch", "5", "-seed", "3"] + args
        out = os.path.join(tmp, "%s-t1" % name)
        rc, stdout, _ = sh([FT_TRAIN, "-output", out, "-thread", "2"] + common)
        if not ok(rc == 0, "%s: ft_train trains (%s)" % (name, stdout.strip()[-200:])):
            continue
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
    # a recipe's export
    recipe, _ = topic_recipe(tmp)
    os.mkdir(os.path.join(tmp, "out1"))
    r = run(["train", "--output-dir", os.path.join(tmp, "out1"), recipe])
    ok(r.returncode == 0, "recipe: trained (%s)" % r.stderr.strip()[-300:])
    rc, out, _ = sh([FT, "test", os.path.join(tmp, "out1", "topics.bin"), test])
    ok(rc == 0 and "N\t" in out, "recipe: fasttext test reads the export (%s)" % " ".join(out.split()))
finally:
    shutil.rmtree(tmp)
done()
