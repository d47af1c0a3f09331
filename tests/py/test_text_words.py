#!/usr/bin/python3
"""Format: words (trainer/text/source.c) against a reduction written here
in Python: A-Z lower-cased, a-z and bytes >= 0x80 kept, every other byte a
space, lines without a word skipped.

A skipgram recipe on a gzipped text of dictionary-like lines (markup,
punctuation, digits, CRLF, UTF-8, blank and punctuation-only lines)
gives the .bin that build/tests/ft_vectors (fastText's options, Format
text) gives on the Python-reduced text, for 1 and 2 threads, and its .vec
holds exactly the words that the reduction counts at least Min-Count
times.  A truncated gzip is refused with the file and the line."""
import gzip
import hashlib
import os
import random
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, done, run, skip_all, trainer  # noqa: E402

FT_VECTORS = os.environ.get("FT_VECTORS", "build/tests/ft_vectors")
if not os.access(FT_VECTORS, os.X_OK):
    skip_all("FT_VECTORS is not the built tests/c/ft_vectors (run through make check)")
trainer()


def reduce_line(raw):
    out = bytearray()
    for c in raw:
        if 65 <= c <= 90:
            out.append(c + 32)
        elif 97 <= c <= 122 or c >= 0x80:
            out.append(c)
        else:
            out.append(32)
    return out.split()


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


HEADS = ["Horse", "Ship", "River", "King", "Caf\u00e9", "\u00c9t\u00e9", "Red", "Sword"]
GLOSS = "a the of to and or in which is used for by with as from one".split()


def entry(rng):
    head = rng.choice(HEADS)
    marks = rng.choice(["\\%s\\, n." % head, "{%s}" % head.lower(), "[%s]" % head, head + ";"])
    words = [rng.choice(GLOSS + [h.lower() for h in HEADS]) for _ in range(rng.randint(3, 12))]
    tail = rng.choice(["[1913 Webster]", "--Shak.", "(p. p. 12)", "", "\"%s\"," % head.upper()])
    return ("%s %s %s" % (marks, " ".join(words), tail)).encode("utf-8")


tmp = tempfile.mkdtemp(prefix="dm-words-")
rng = random.Random(3)
raw = []
for i in range(1200):
    r = rng.random()
    raw.append(b"" if r < 0.05 else b"  -- 1913, (p.) --" if r < 0.1 else entry(rng))
    if rng.random() < 0.1:
        raw[-1] += b"\r"
    if rng.random() < 0.02:
        raw[-1] += b"\x00tail"
data = b"\n".join(raw) + b"\n"
src = os.path.join(tmp, "dict.dz")
with gzip.open(src, "wb") as f:
    f.write(data)
reduced = [w for w in (reduce_line(x) for x in data.split(b"\n")) if w]
plain = os.path.join(tmp, "reduced.txt")
with open(plain, "wb") as f:
    f.write(b"".join(b" ".join(ws) + b"\n" for ws in reduced))

opts = dict(dim=8, epoch=3, minn=2, maxn=4, bucket=3000, minCount=3, seed=5)
rc = subprocess.run([FT_VECTORS, "skipgram", "-input", plain, "-output", os.path.join(tmp, "ref"),
                     "-thread", "1"] + sum((["-" + k, str(v)] for k, v in opts.items()), []),
                    capture_output=True).returncode
ok(rc == 0, "ft_vectors trains on the text reduced in Python")
recipe = os.path.join(tmp, "w.models")
with open(recipe, "w") as f:
    f.write("Model: words-test\nModel-Type: skipgram\nFormat: words\nDataset: %s\nSeed: 5\n"
            "Dim: 8\nEpochs: 3\nMin-N: 2\nMax-N: 4\nBucket: 3000\nMin-Count: 3\nExport: fasttext\n" % src)
for threads in (1, 2):
    out = os.path.join(tmp, "out%d" % threads)
    os.mkdir(out)
    r = run(["train", "--threads", str(threads), "--output-dir", out, recipe])
    lines = re.search(r"(\d+) lines, (\d+) tokens", r.stdout + r.stderr)
    ok(r.returncode == 0 and lines and int(lines.group(1)) == len(reduced),
       "Format words, %d threads: trained; %s lines read = %d lines with a word after the reduction"
       % (threads, lines and lines.group(1), len(reduced)))
    ok(os.path.exists(os.path.join(out, "words-test.bin"))
       and sha(os.path.join(out, "words-test.bin")) == sha(os.path.join(tmp, "ref.bin")),
       "... its .bin is ft_vectors' on the Python-reduced text (the same dictionary, counts and draws)")
counts = {}
for ws in reduced:
    for w in ws:
        counts[bytes(w)] = counts.get(bytes(w), 0) + 1
want = sorted([w.decode("utf-8") for w, c in counts.items() if c >= 3] + ["</s>"])
with open(os.path.join(tmp, "out1", "words-test.vec"), encoding="utf-8") as f:
    got = sorted(line.split(" ", 1)[0] for line in f.read().split("\n")[1:] if line)
ok(got == want and "horse" in got and "caf\u00e9" in got and "\u00e9t\u00e9" in got and "webster" in got,
   "the .vec holds </s> and the %d reduced words counted >= 3 times (lower-case, UTF-8 kept, no punctuation)"
   % len(want))

# a gzip of 1 MB cut at 300 kB: libarchive reads on past the first lines
cut = os.path.join(tmp, "cut.dz")
noise = "\n".join(" ".join("%x" % rng.getrandbits(40) for _ in range(8)) for _ in range(40000))
whole = gzip.compress(noise.encode("ascii"))
with open(cut, "wb") as g:
    g.write(whole[:300000])
with open(recipe, "w") as f:
    f.write("Model: words-test\nModel-Type: skipgram\nFormat: words\nDataset: %s\nSeed: 5\n" % cut)
os.mkdir(os.path.join(tmp, "cut"))
r = run(["train", "--output-dir", os.path.join(tmp, "cut"), recipe])
ok(r.returncode != 0 and re.search(re.escape(cut) + r": line \d+", r.stderr),
   "a gzip cut at 300 kB: refused, naming the file and the line (%s)" % r.stderr.strip()[:200])
with open(recipe, "w") as f:
    f.write("Model: words-test\nModel-Type: skipgram\nFormat: word\nDataset: %s\nSeed: 5\n" % src)
r = run(["train", "--output-dir", os.path.join(tmp, "cut"), recipe])
ok(r.returncode != 0 and "line 3" in r.stderr and "words" in r.stderr,
   "Format: word (a typo): refused with the line and the formats (%s)" % r.stderr.strip()[:200])
subprocess.run(["rm", "-rf", tmp])
done()
