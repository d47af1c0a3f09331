#!/usr/bin/python3
"""Our supervised training is the same for any thread count, on every
buildd (only our trainer: no fasttext needed, unlike
test_fasttext_train.py).  For each loss (softmax, ns, hs, ova, softmax
with word and character n-grams), build/tests/ft_train with 1, 2 and 3
threads, every batch split over the threads: the same .bin bytes; the
FLOPs estimated before training equal those counted.  A recipe
(Model-Type supervised, Export: fasttext) trained with 1 and 2 threads:
the same .bin, .safetensors and .json; 72 of 360 records held out by
Seed; over Max-Compute refused before training; bad fields and inputs
named."""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, done, run, skip_all, trainer  # noqa: E402
from ftcorpus import MODELS, make_corpus, sh, sha, topic_recipe  # noqa: E402

trainer()
FT_TRAIN = os.environ.get("FT_TRAIN", "build/tests/ft_train")
if not os.access(FT_TRAIN, os.X_OK):
    skip_all("FT_TRAIN is not set to build/tests/ft_train (run through make check)")

tmp = tempfile.mkdtemp(prefix="dm-ftthreads-")
try:
    train, test = make_corpus(tmp)
    for name, args in MODELS:
        common = ["-input", train, "-dim", "12", "-epoch", "5", "-seed", "3"] + args
        hashes, stdout = [], ""
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

    recipe, body = topic_recipe(tmp)
    files, say = [], ""
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
        files.append([sha(os.path.join(out, "topics." + ext)) for ext in ("bin", "safetensors", "json")])
    ok(files[0] == files[1] and not any(h.startswith("missing") for h in files[0]),
       "recipe: topics.bin, topics.safetensors and topics.json identical for 1 and 2 threads")
    r = run(["card", os.path.join(tmp, "out1", "topics.json")])
    ok(r.returncode == 0 and "validation-accuracy" in r.stdout and "`input`" in r.stdout,
       "recipe: topics.json is a provenance record that card reads (%s)" % r.stderr.strip())
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
