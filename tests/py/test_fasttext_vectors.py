#!/usr/bin/python3
"""Our word vectors (trainer/fasttext/vectors.c, driven by
build/tests/ft_vectors with fastText's options) against Debian's fasttext.

For skipgram and cbow with character n-grams, on a corpus made here: the
.bin and .vec are identical for 1, 2 and 3 threads; the FLOPs replayed
before training equal those counted; `fasttext print-word-vectors` on our
.bin prints our .vec's rows (within 1e-5, in fact the same bytes), and for
words not in the dictionary the vectors that our print-word-vectors builds
from their n-grams; python3-fasttext's load_model/get_word_vector give the
same numbers; `fasttext nn` and `analogies` read it; the nearest neighbours are as good
as `fasttext skipgram/cbow -thread 1`'s on the same corpus.  Skipped
without the fasttext package."""
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
from ftcorpus import TOPICS  # noqa: E402
import ftcorpus  # noqa: E402

FT = shutil.which(os.environ.get("FASTTEXT", "fasttext"))
if not FT:
    skip_all("fasttext is not installed (Debian's fasttext package)")
FT_VECTORS = os.environ.get("FT_VECTORS", "build/tests/ft_vectors")
if not os.access(FT_VECTORS, os.X_OK):
    skip_all("FT_VECTORS is not the built tests/c/ft_vectors (run through make check)")
trainer()

TOPIC_OF = {w: t for t, ws in TOPICS.items() for w in ws.split()}
OOV = ["apples", "trains", "caf\u00e9s", "zzyzx", "x", "gr\u00fcne", "\u00e9t\u00e9s", "colourful"]


def corpus(rng, lines):
    """Unlabelled topic lines with 30% filler words."""
    return ftcorpus.corpus(rng, lines, prob=0.85, labelled=False, filler=0.3, length=(4, 14),
                           unseen=0.0)


def sh(argv, stdin=None):
    r = subprocess.run(argv, capture_output=True, input=stdin)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def rows(text):
    out = {}
    for line in text.split("\n"):
        parts = line.split(" ")
        if len(parts) > 2:
            out[parts[0]] = [float(x) for x in parts[1:] if x]
    return out


def worst(a, b):
    return max(abs(x - y) for x, y in zip(a, b)) if len(a) == len(b) else float("inf")


def nn_hits(vec_rows):
    """Of the topic words, how many have a word of their topic as nearest
    neighbour (cosine), among the topic words."""
    import math
    words = [w for w in TOPIC_OF if w in vec_rows]
    norm = {w: math.sqrt(sum(x * x for x in vec_rows[w])) or 1.0 for w in words}
    hits = 0
    for w in words:
        best = max((v for v in words if v != w),
                   key=lambda v: sum(x * y for x, y in zip(vec_rows[w], vec_rows[v])) / norm[v])
        hits += TOPIC_OF[best] == TOPIC_OF[w]
    return hits / len(words)


try:
    import fasttext as pyft
    pyft.FastText.eprint = lambda *a, **k: None  # its load_model warning
except ImportError:
    pyft = None

tmp = tempfile.mkdtemp(prefix="dm-ftvec-")
try:
    train = os.path.join(tmp, "train.txt")
    with open(train, "w") as f:
        f.write("\n".join(corpus(random.Random(5), 1500)) + "\n")
    for model in ("skipgram", "cbow"):
        common = ["-input", train, "-dim", "16", "-epoch", "20", "-minn", "2", "-maxn", "4",
                  "-bucket", "5000", "-minCount", "3", "-seed", "7"]
        hashes, stdout1 = [], ""
        for threads in (1, 2, 3):
            out = os.path.join(tmp, "%s-t%d" % (model, threads))
            rc, stdout, _ = sh([FT_VECTORS, model, "-output", out, "-thread", str(threads), "-parallelFlops", "1"] + common)
            if rc != 0:
                break
            hashes.append(sha(out + ".bin") + sha(out + ".vec"))
            if threads == 1:
                stdout1 = stdout
        if not ok(len(hashes) == 3 and len(set(hashes)) == 1,
                  "%s: trained with 1, 2 and 3 threads: the same .bin and .vec (%s)"
                  % (model, " ".join(h[:16] for h in hashes) or "ft_vectors failed: " + stdout.strip())):
            continue
        flops = stdout1.split("\n")[0].split()
        ok(flops[0] == "flops" and flops[1] == flops[2] and int(flops[1]) > 0,
           "%s: FLOPs replayed before training %s = counted %s" % (model, flops[1], flops[2]))
        prefix = os.path.join(tmp, "%s-t1" % model)
        with open(prefix + ".vec", encoding="utf-8") as f:
            vec_text = f.read()
        header, vec_body = vec_text.split("\n", 1)
        ours = rows(vec_body)
        words = [ln.split(" ", 1)[0] for ln in vec_body.split("\n") if ln]
        ok(header == "%d 16" % len(words) and len(words) > 40,
           "%s: .vec header '%s', %d rows" % (model, header, len(words)))
        query = ("\n".join(words + OOV) + "\n").encode("utf-8")
        rc, theirs, err = sh([FT, "print-word-vectors", prefix + ".bin"], query)
        t = rows(theirs)
        bad = [w for w in words if worst(t.get(w, []), ours[w]) > 1e-5]
        ok(rc == 0 and not bad and len(t) >= len(words),
           "%s: fasttext print-word-vectors on our .bin gives the .vec's %d rows within 1e-5%s"
           % (model, len(words), (" (differ: %s)" % bad[:5]) if bad else ""))
        ok(theirs.split("\n")[:len(words)] == vec_body.split("\n")[:len(words)],
           "%s: ... the same bytes as our .vec rows" % model)
        rc2, mine, _ = sh([FT_VECTORS, "print-word-vectors", prefix + ".bin"], query)
        m = rows(mine)
        oov_bad = [w for w in OOV if worst(t.get(w, []), m.get(w, [1])) > 1e-5]
        ok(rc2 == 0 and not oov_bad and mine == theirs,
           "%s: unknown words %s: our vectors from their n-grams = fastText's (same bytes)%s"
           % (model, " ".join(OOV), (" (differ: %s)" % oov_bad) if oov_bad else ""))
        nonzero = sum(any(x != 0 for x in m.get(w, [])) for w in OOV)
        ok(nonzero >= len(OOV) - 1, "%s: %d of %d unknown words have a nonzero vector" % (model, nonzero, len(OOV)))
        if pyft:
            pm = pyft.load_model(prefix + ".bin")
            pw = {w: [float(x) for x in pm.get_word_vector(w)] for w in words + OOV}
            same_text = all(" ".join("%.5g" % x for x in pw[w]) == " ".join("%.5g" % x for x in m[w])
                            for w in words + OOV)
            pbad = [w for w in words + OOV if worst(pw[w], m[w]) > 1e-5]
            ok(pm.get_dimension() == 16 and not pbad and same_text,
               "%s: python3-fasttext load_model/get_word_vector agree on %d words (%d unknown) within 1e-5"
               % (model, len(words) + len(OOV), len(OOV)))
        else:
            diag("python3-fasttext not installed: load_model not tried")
        rc, nn, _ = sh([FT, "nn", prefix + ".bin", "3"], b"apple\ntrain\n")
        ok(rc == 0 and nn.count("\n") >= 6, "%s: fasttext nn reads it (%s)" % (model, " ".join(nn.split())[:200]))
        # analogies repeats its last query at the end of its input for ever: head ends it
        rc, an, _ = sh(["sh", "-c", 'echo "apple pear car" | "$0" analogies "$1" 3 | head -n 4', FT, prefix + ".bin"])
        ok(rc == 0 and an.count("\n") == 4 and "Query triplet" in an,
           "%s: fasttext analogies reads it (%s)" % (model, " ".join(an.split())[:120]))
        ref = os.path.join(tmp, "ref-" + model)
        sh([FT, model, "-output", ref, "-thread", "1", "-verbose", "0"] + common[:-2])
        with open(ref + ".vec", encoding="utf-8") as f:
            theirs_rows = rows(f.read().split("\n", 1)[1])
        h_ours, h_theirs = nn_hits(ours), nn_hits(theirs_rows)
        ok(h_ours >= h_theirs - 0.1,
           "%s: nearest neighbour in the same topic for %.2f of the topic words; fasttext -thread 1: %.2f"
           % (model, h_ours, h_theirs))
    # a recipe: Model-Type skipgram / cbow, Format text, Export: fasttext
    body = ("Model: topic-vectors\nModel-Type: %s\nFormat: text\nDataset: " + train +
            "\nSeed: 7\nDim: 16\nEpochs: 20\nMin-Count: 3\nMin-N: 2\nMax-N: 4\nBucket: 5000\n"
            "Context-Window: 5\nSampling-Threshold: 1e-4\nNeg: 5\nLearning-Rate: 0.05\nExport: fasttext\n")
    recipe = os.path.join(tmp, "vectors.models")
    for model in ("skipgram", "cbow"):
        with open(recipe, "w") as f:
            f.write(body % model)
        outs = []
        for threads in (1, 2):
            out = os.path.join(tmp, "%s-recipe-%d" % (model, threads))
            os.mkdir(out)
            r = run(["train", "--threads", str(threads), "--output-dir", out, recipe])
            say = r.stdout + r.stderr
            names = sorted(os.listdir(out))
            ok(r.returncode == 0 and names == ["topic-vectors.bin", "topic-vectors.json", "topic-vectors.safetensors",
                                             "topic-vectors.vec"],
               "recipe %s, %d threads: trained, .bin, .json, .safetensors, .vec written (%s)" % (model, threads, say.strip()[-300:]))
            outs.append([sha(os.path.join(out, n)) for n in names])
            if threads == 1:
                est = re.search(r"training .* FLOP \((\d+)\)", say)
                counted = re.search(r"(\d+) FLOP counted", say)
                ok(est and counted and est.group(1) == counted.group(1),
                   "recipe %s: FLOPs from the draws replayed before training %s = counted %s"
                   % (model, est and est.group(1), counted and counted.group(1)))
                # the same training as ft_vectors with the same options
                ok(outs[0] and os.path.exists(os.path.join(tmp, "%s-t1.bin" % model))
                   and outs[0][0] == sha(os.path.join(tmp, "%s-t1.bin" % model)),
                   "recipe %s: the .bin of ft_vectors with the same options" % model)
        ok(outs[0] == outs[1], "recipe %s: .bin, .safetensors and .vec identical for 1 and 2 threads" % model)
        binf = os.path.join(tmp, "%s-recipe-1" % model, "topic-vectors.bin")
        r = run(["inspect", binf, "apple", "trains"])
        ours_nn = re.findall(r"^  (\S+) +[-0-9.]+$", r.stdout, re.M)
        _, theirs_nn, _ = sh([FT, "nn", binf, "10"], b"apple\ntrains\n")
        theirs_nn = re.findall(r"(?:Query word\? )?(\S+) [-0-9.e]+\n", theirs_nn)
        ok(r.returncode == 0 and "dictionary: 59 entries: 59 words" in r.stdout and ours_nn == theirs_nn
           and len(ours_nn) == 20,
           "recipe %s: inspect shows the dictionary size and the 10 nearest neighbours of apple and (unknown) "
           "trains, those of fasttext nn: %s" % (model, " ".join(ours_nn[:5])))
    with open(recipe, "w") as f:
        f.write(body % "skipgram" + "Max-Compute: 1e6\n")
    out = os.path.join(tmp, "refused")
    os.mkdir(out)
    r = run(["train", "--output-dir", out, recipe])
    ok(r.returncode == 4 and "tokens in" in r.stderr and "over Max-Compute" in r.stderr and not os.listdir(out),
       "recipe over Max-Compute: refused before training, exit 4, nothing written (%s)" % r.stderr.strip())
    with open(recipe, "w") as f:
        f.write(body.replace("Neg: 5", "Word-Ngrams: 2") % "cbow")
    r = run(["train", "--output-dir", out, recipe])
    ok(r.returncode == 1 and "unknown field 'Word-Ngrams' for Model-Type cbow" in r.stderr,
       "recipe cbow with Word-Ngrams: refused with its line (%s)" % r.stderr.strip())
    with open(recipe, "w") as f:
        f.write(body.replace(train, train + " label=x") % "skipgram")
    r = run(["train", "--output-dir", out, recipe])
    ok(r.returncode == 1 and "Format text has no labels" in r.stderr,
       "recipe Format text with label=: refused (%s)" % r.stderr.strip())
    # bad input: the message names the file
    rc, stdout, _ = sh([FT_VECTORS, "skipgram", "-input", train + ".missing", "-output", os.path.join(tmp, "x")])
    ok(rc == 1 and "train.txt.missing" in stdout, "a missing input is named (%s)" % stdout.strip())
    one = os.path.join(tmp, "one.txt")
    with open(one, "w") as f:
        f.write("word " * 6)
    rc, stdout, _ = sh([FT_VECTORS, "cbow", "-input", one, "-output", os.path.join(tmp, "x"), "-minCount", "4"])
    ok(rc == 1 and "at least 2" in stdout, "a dictionary of one word: refused (%s)" % stdout.strip())
finally:
    shutil.rmtree(tmp)
done()
