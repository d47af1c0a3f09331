#!/usr/bin/python3
"""dh-model-train verify on text models: a supervised model is retrained
from the provenance in its NAME.safetensors, or from NAME.json beside its
fastText export NAME.bin, and compared bit for bit (the .bin byte for
byte); a flipped byte and a changed dataset are named (exit 5); a
recorded path that is not the recipe's line is refused.  Needs only our
trainer (no fasttext)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, trainer, write  # noqa: E402

TRAINER = trainer()


def fortunes(path, words, n=40, seed=1):
    recs, x = [], seed
    for i in range(n):
        line = []
        for _ in range(3 + i % 5):
            x = (x * 1103515245 + 12345) % 2 ** 31
            line.append(words[x % len(words)])
        recs.append(" ".join(line))
    return write(path, "\n%\n".join(recs) + "\n%\n")


def run(args, cwd):
    return subprocess.run([TRAINER] + args, cwd=cwd, capture_output=True, text=True)


with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "src")
    fortunes(os.path.join(src, "data/en"), "the cat sat on a mat and was happy with it".split())
    fortunes(os.path.join(src, "data/de"), "der hund lief mit einer katze durch den wald".split())
    fortunes(os.path.join(src, "data/de-test"), "der hund lief mit einer katze".split(), n=10)
    write(os.path.join(src, "debian/models"),
          "Model: m\nModel-Type: supervised\nFormat: fortune\nDataset:\n data/en label=en\n"
          " data/de   label=de\nTest-Dataset: data/de-test label=de\nSeed: 3\nDim: 6\nEpochs: 3\n"
          "Min-N: 2\nMax-N: 3\nBucket: 500\nExport: fasttext\nLicense: Expat\n")
    os.makedirs(os.path.join(src, "out"))
    r = run(["train", "--threads", "2", "--output-dir", "out", "debian/models"], src)
    ok(r.returncode == 0 and os.path.exists(os.path.join(src, "out/m.bin")), "the text model trains") \
        or diag(r.stderr)
    # installed elsewhere, as a package would have it
    inst = os.path.join(tmp, "usr/share/m")
    shutil.copytree(os.path.join(src, "out"), inst)
    with open(os.path.join(inst, "m.json")) as f:
        rec = json.load(f)
    ok([d["path"] for d in rec["data"]["train"]] == ["data/en", "data/de"] and
       [d["path"] for d in rec["data"]["test"]] == ["data/de-test"], "the record names each dataset line's file")

    r = run(["verify", "--data-dir", src, os.path.join(inst, "m.safetensors")], "/")
    ok(r.returncode == 0 and "identical: all 2 tensors" in r.stdout + r.stderr,
       "verify NAME.safetensors of a text model: retrained, identical") or diag(r.stdout + r.stderr)
    r = run(["verify", "--threads", "1", "--data-dir", src, os.path.join(inst, "m.bin")], "/")
    ok(r.returncode == 0 and "identical: all %d bytes match the retrained m.bin"
       % os.path.getsize(os.path.join(inst, "m.bin")) in r.stdout + r.stderr,
       "verify NAME.bin (1 thread; trained with 2): byte for byte identical") or diag(r.stdout + r.stderr)

    bad = os.path.join(tmp, "bad")
    shutil.copytree(inst, bad)
    with open(os.path.join(bad, "m.bin"), "r+b") as f:
        f.seek(os.path.getsize(os.path.join(bad, "m.bin")) - 7)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 1]))
    r = run(["verify", "--data-dir", src, os.path.join(bad, "m.bin")], "/")
    n = os.path.getsize(os.path.join(bad, "m.bin"))
    ok(r.returncode == 5 and "differs from the retrained m.bin at byte %d" % (n - 7) in r.stderr,
       "a flipped byte of the .bin: exit 5, the byte named") or diag(r.stderr)

    os.unlink(os.path.join(bad, "m.json"))
    r = run(["verify", "--data-dir", src, os.path.join(bad, "m.bin")], "/")
    ok(r.returncode == 1 and "m.bin: its provenance" in r.stderr and "m.json" in r.stderr,
       "a .bin without NAME.json beside it: an error naming it") or diag(r.stderr)

    changed = os.path.join(tmp, "changed")
    shutil.copytree(src, changed)
    with open(os.path.join(changed, "data/de"), "a") as f:
        f.write("noch ein spruch\n%\n")
    r = run(["verify", "--data-dir", changed, os.path.join(inst, "m.bin")], "/")
    ok(r.returncode == 5 and "data/de" in r.stderr, "a changed dataset: exit 5, naming it, before training") \
        or diag(r.stderr)

    # the record's paths must be the recipe's lines
    forged = os.path.join(tmp, "forged")
    shutil.copytree(inst, forged)
    rec["data"]["train"][1]["path"] = "/etc/passwd"
    write(os.path.join(forged, "m.json"), json.dumps(rec))
    r = run(["verify", "--data-dir", src, os.path.join(forged, "m.bin")], "/")
    ok(r.returncode == 1 and "data.train[1] is not the file of line 2 of its recipe's Dataset" in r.stderr,
       "a recorded path that is not the recipe's Dataset line: refused") or diag(r.stderr)
done()
