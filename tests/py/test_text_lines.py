#!/usr/bin/python3
"""A Dataset's lines=N option (trainer/text/source.c) against `head -n N`.

For each text format (fasttext, tsv, fortune, words) a skipgram recipe on
a gzipped file with lines=N gives the same .bin and .vec bytes as the same
recipe on what `head -n N` prints of the uncompressed file, also when N
cuts a fortune record, is past the end or is 1; a supervised recipe likewise
(.bin).  NAME.json records lines N, the bytes of those N lines and the
SHA-256 of the whole file.  Bad values are refused naming the recipe, its
line and the item."""
import gzip
import json
import os
import random
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, done, run, trainer  # noqa: E402
import ftcorpus  # noqa: E402

trainer()


tmp = tempfile.mkdtemp(prefix="dm-lines-")
rng = random.Random(8)
lines = ftcorpus.corpus(rng, 600)
texts = {
    "fasttext": "\n".join(lines) + "\n",
    "tsv": "".join("%s\t%s\n" % (l.split()[0][9:], " ".join(l.split()[1:])) for l in lines),
    # a record a line of the corpus, three words a line
    "fortune": "\n%\n".join("\n".join(" ".join(l.split()[i:i + 3]) for i in range(1, len(l.split()), 3))
                             for l in lines) + "\n",
    "words": "".join("%s, {%s}; [1913]\n" % (l.split()[-1].upper(), " ".join(l.split()[1:]))
                     for l in lines),
}
label = {"fortune": " label=x"}


def recipe(path, name, fmt, dataset, vectors=True):
    with open(path, "w") as f:
        if vectors:
            f.write("Model: %s\nModel-Type: skipgram\nFormat: %s\nDataset: %s\nSeed: 3\nDim: 8\n"
                    "Epochs: 2\nMin-Count: 2\nMin-N: 0\nMax-N: 0\nBucket: 0\nExport: fasttext\n"
                    % (name, fmt, dataset))
        else:
            f.write("Model: %s\nModel-Type: supervised\nFormat: %s\nDataset: %s\nSeed: 3\nDim: 8\n"
                    "Epochs: 2\nExport: fasttext\n" % (name, fmt, dataset))


def train(rec, out):
    os.makedirs(out, exist_ok=True)
    r = run(["train", "--output-dir", out, rec])
    m = re.search(r"(\d+) lines, (\d+) tokens", r.stdout + r.stderr)
    return r, (m.group(1), m.group(2)) if m else None


for fmt, text in texts.items():
    plain = os.path.join(tmp, fmt + ".txt")
    with open(plain, "w", encoding="utf-8") as f:
        f.write(text)
    gz = plain + ".gz"
    with gzip.open(gz, "wb") as f:
        f.write(text.encode("utf-8"))
    total = text.count("\n")
    for n in ((1, 302, total + 10) if fmt == "words" else (302, total + 10)):
        head = os.path.join(tmp, "%s-head%d.txt" % (fmt, n))
        with open(head, "wb") as f:
            subprocess.run(["head", "-n", str(n), plain], stdout=f, check=True)
        recipe(os.path.join(tmp, "a.models"), "a", fmt, "%s lines=%d%s" % (gz, n, label.get(fmt, "")))
        recipe(os.path.join(tmp, "b.models"), "b", fmt, head + label.get(fmt, ""))
        ra, ca = train(os.path.join(tmp, "a.models"), os.path.join(tmp, "a"))
        rb, cb = train(os.path.join(tmp, "b.models"), os.path.join(tmp, "b"))
        if rb.returncode != 0:
            # too little to train on: the same refusal both ways
            ok(ra.returncode == rb.returncode,
               "%s, lines=%d: refused as head -n %d is (%s)" % (fmt, n, n, ra.stderr.strip()[-120:]))
            continue
        same = all(ftcorpus.sha(os.path.join(tmp, "a", "a." + e)) == ftcorpus.sha(os.path.join(tmp, "b", "b." + e))
                   for e in ("bin", "vec"))
        ok(ra.returncode == 0 and rb.returncode == 0 and ca == cb and same,
           "%s, lines=%d of %d: the .bin and .vec of head -n %d (lines, tokens %s = %s)%s"
           % (fmt, n, total, n, ca, cb, "" if same else " " + (ra.stderr + rb.stderr).strip()[-300:]))
        with open(head, "rb") as f:
            want = len(f.read())
        try:
            with open(os.path.join(tmp, "a", "a.json")) as f:
                rec = json.load(f)["data"]["train"][0]
        except (OSError, ValueError, KeyError, IndexError):
            rec = {}
        ok(rec.get("lines") == n and rec.get("decompressed-bytes") == want and rec.get("sha256") == ftcorpus.sha(gz),
           "%s, lines=%d: NAME.json records lines %s, the %d bytes of head -n %d (%s) and the "
           "whole file's SHA-256" % (fmt, n, rec.get("lines"), want, n, rec.get("decompressed-bytes")))

# a supervised recipe: the same .bin as on head -n 400
plain = os.path.join(tmp, "fasttext.txt")
head = os.path.join(tmp, "sup-head.txt")
with open(head, "wb") as f:
    subprocess.run(["head", "-n", "400", plain], stdout=f, check=True)
recipe(os.path.join(tmp, "a.models"), "a", "fasttext", plain + ".gz lines=400", vectors=False)
recipe(os.path.join(tmp, "b.models"), "b", "fasttext", head, vectors=False)
ra, ca = train(os.path.join(tmp, "a.models"), os.path.join(tmp, "sa"))
rb, cb = train(os.path.join(tmp, "b.models"), os.path.join(tmp, "sb"))
ok(ra.returncode == 0 and ca == cb and ca and ca[0] == "400"
   and ftcorpus.sha(os.path.join(tmp, "sa", "a.bin")) == ftcorpus.sha(os.path.join(tmp, "sb", "b.bin")),
   "supervised, lines=400: 400 lines read and the .bin of head -n 400 (%s)" % (ca,))

# bad values: the recipe, the Dataset's line and the item named
for bad in ("lines=0", "lines=abc", "lines=-3", "lines=1e3", "lines=", "lines=9007199254740993",
            "lines=5 lines=6", "label=x label=y", "lines=5 extra"):
    path = os.path.join(tmp, "bad.models")
    with open(path, "w") as f:
        f.write("Model: bad\nModel-Type: skipgram\nFormat: words\nDataset:\n %s\n %s %s\nSeed: 3\n"
                % (plain, plain, bad))
    r = run(["estimate", path])
    shown = bad.split()[-1]
    ok(r.returncode != 0 and (path + ": line 4: Dataset item 2") in r.stderr and ("'%s'" % shown) in r.stderr,
       "%s: refused, naming %s: line 4, item 2 and '%s' (%s)" % (bad, path, shown, r.stderr.strip()[:220]))
path = os.path.join(tmp, "good.models")
with open(path, "w") as f:
    f.write("Model: good\nModel-Type: skipgram\nFormat: fortune\nDataset: %s lines=9007199254740992 "
            "label=x\nSeed: 3\n" % os.path.join(tmp, "fortune.txt"))
r = run(["estimate", path])
ok(r.returncode == 0, "lines=2^53 (the largest) and label= after it: accepted (%s)" % r.stderr.strip()[:200])
subprocess.run(["rm", "-rf", tmp])
done()
