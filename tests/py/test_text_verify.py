#!/usr/bin/python3
"""dh-model-train verify on text models: a supervised model is retrained
from the provenance in its NAME.safetensors, or from NAME.json beside its
fastText export NAME.bin, and compared bit for bit (the .bin byte for
byte); a flipped byte and a changed dataset are named (exit 5); a
recorded path that is not the recipe's line is refused.  Upstream-Weights
with a fastText .bin: upstream's P@1 on the same held-out lines, read
through its own dictionary (our own earlier .bin: its recorded P@1; with
Debian's fasttext installed, a model of `fasttext supervised`: the P@1 of
`fasttext test`), Upstream-Max-Regression's gate."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, fortunes, trainer, write  # noqa: E402

TRAINER = trainer()


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

    # ---- Upstream-Weights: a fastText .bin ------------------------------
    up = os.path.join(tmp, "up")
    os.makedirs(os.path.join(up, "out"))
    shutil.copytree(os.path.join(src, "data"), os.path.join(up, "data"))
    base = ("Model: m\nModel-Type: supervised\nFormat: fortune\nDataset:\n data/en label=en\n"
            " data/de label=de\nValidation-Split: 0.3\nSeed: 3\nDim: 6\nMin-N: 2\nMax-N: 3\n"
            "Bucket: 500\nExport: fasttext\nLicense: Expat\n")
    write(os.path.join(up, "debian/models"), base + "Epochs: 1\nLearning-Rate: 0.05\n")
    r = run(["train", "--output-dir", "out", "debian/models"], up)
    with open(os.path.join(up, "out/m.json")) as f:
        first = json.load(f)["metrics"]["validation-accuracy"]
    shutil.move(os.path.join(up, "out/m.bin"), os.path.join(up, "upstream.bin"))
    write(os.path.join(up, "debian/models"), base + "Epochs: 4\nUpstream-Weights: upstream.bin\n")
    r = run(["train", "--output-dir", "out", "debian/models"], up)
    rec = {}
    if r.returncode == 0:
        with open(os.path.join(up, "out/m.json")) as f:
            rec = json.load(f)
    u = rec.get("upstream", {})
    ok(r.returncode == 0 and u.get("format") == "fasttext" and
       abs(u["upstream"]["validation-accuracy"] - first) < 1e-6 and
       u["retrained"]["validation-accuracy"] == rec["metrics"]["validation-accuracy"],
       "Upstream-Weights, our earlier .bin: its P@1 on the same held-out lines is the one it recorded "
       "(%s)" % first) or diag(r.stderr + json.dumps(u))
    ok("upstream's upstream.bin: P@1" in r.stdout + r.stderr, "... said in the build log")
    card = run(["card", "out/m.json"], up).stdout
    ok("## Upstream comparison" in card and "| validation-accuracy |" in card, "... and on the card")
    # the better model (4 epochs) as upstream's, a worse one retrained
    shutil.move(os.path.join(up, "out/m.bin"), os.path.join(up, "better.bin"))
    write(os.path.join(up, "debian/models"), base + "Epochs: 1\nLearning-Rate: 0.05\n"
          "Upstream-Weights: better.bin\nUpstream-Max-Regression: accuracy 0\n")
    shutil.rmtree(os.path.join(up, "out"))
    os.makedirs(os.path.join(up, "out"))
    r = run(["train", "--output-dir", "out", "debian/models"], up)
    ok(r.returncode == 3 and "Upstream-Max-Regression: the retrained model's P@1" in r.stderr and
       not os.listdir(os.path.join(up, "out")),
       "worse than upstream's by more than Upstream-Max-Regression: exit 3, nothing written") \
        or diag(r.stdout + r.stderr)

    ft = shutil.which("fasttext")
    if ft:
        lines = []
        for lab, name in (("en", "en"), ("de", "de")):
            with open(os.path.join(src, "data", name)) as f:
                for rec_ in f.read().split("\n%\n"):
                    if rec_.strip():
                        lines.append("__label__%s %s" % (lab, " ".join(rec_.split())))
        write(os.path.join(up, "train.txt"), "\n".join(lines[::2]) + "\n")
        write(os.path.join(up, "test.txt"), "\n".join(lines[1::2]) + "\n")
        subprocess.run([ft, "supervised", "-input", "train.txt", "-output", "theirs", "-dim", "5",
                        "-epoch", "3", "-thread", "1", "-minn", "2", "-maxn", "3", "-bucket", "300"],
                       cwd=up, capture_output=True)
        t = subprocess.run([ft, "test", "theirs.bin", "test.txt"], cwd=up, capture_output=True, text=True)
        m = re.search(r"P@1\s+([0-9.]+)", t.stdout)
        write(os.path.join(up, "debian/models"), "Model: m\nModel-Type: supervised\nFormat: fasttext\n"
              "Dataset: train.txt\nTest-Dataset: test.txt\nSeed: 1\nDim: 5\nEpochs: 3\n"
              "Upstream-Weights: theirs.bin\nLicense: Expat\n")
        r = run(["train", "--output-dir", "out", "debian/models"], up)
        got = None
        if r.returncode == 0:
            with open(os.path.join(up, "out/m.json")) as f:
                got = json.load(f)["upstream"]["upstream"]["test-accuracy"]
        ok(m and got is not None and abs(got - float(m.group(1))) < 1e-3,
           "Upstream-Weights, a model of fasttext supervised: its P@1 is fasttext test's (%s, %s)"
           % (got, m and m.group(1))) or diag(r.stderr + t.stdout + t.stderr)
    else:
        ok(True, "# SKIP fasttext is not installed")
done()
