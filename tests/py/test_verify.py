#!/usr/bin/python3
"""Anyone can verify a shipped model: `verify` retrains from the provenance
inside the weights (or from a reproducibility bundle) and compares bit for
bit; one flipped byte is named.  Bundles are deterministic tars (written
with libtar), read here with Python's tarfile as an independent reader."""
import json
import os
import shutil
import struct
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import ok, diag, done, run, trainer  # noqa: E402

trainer()


def flip_last_weight_byte(path):
    """Flip one bit in the data of the last tensor, leaving the header."""
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        n = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8:8 + n])
        name = max((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][1])
        end = 8 + n + header[name]["data_offsets"][1]
        data[end - 1] ^= 0x01
        f.seek(0)
        f.write(data)
    return name


with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "src")
    os.makedirs(os.path.join(src, "data"))
    rs = np.random.RandomState(1)
    x = rs.uniform(-1, 1, (300, 5))
    y = (x @ rs.normal(size=(5, 3))).argmax(axis=1)
    with open(os.path.join(src, "data", "d.csv"), "w") as f:
        f.write("a,b,c,d,e,y\n")
        for r, t in zip(x, y):
            f.write(",".join("%.4f" % v for v in r) + ",%d\n" % t)
    with open(os.path.join(src, "m.models"), "w") as f:
        f.write("Model: tiny\nDescription: a toy model\n .\n over two lines\nDataset: data/d.csv\n"
                "Format: csv\nNetwork: dense 8 tanh,\n dropout 0.1,\n dense 3\nLoss: softmax-cross-entropy\n"
                "Epochs: 3\nSeed: 4\nValidation-Split: 0.2\n")
    out = os.path.join(src, "out")
    os.mkdir(out)
    r = run(["train", "--quiet", "--output-dir", out, "m.models"], cwd=src)
    ok(r.returncode == 0, "a model trains") or diag(r.stderr)
    weights = os.path.join(out, "tiny.safetensors")

    # verify an installed model: the weights alone carry the provenance
    r = run(["verify", "--data-dir", src, weights])
    ok(r.returncode == 0 and "identical: all 4 tensors" in r.stdout, "verify: " + r.stdout.strip().splitlines()[-1])
    r = run(["verify", "--threads", "2", weights], cwd=src)
    ok(r.returncode == 0, "verify with 2 threads, from the source directory")
    bad = os.path.join(tmp, "bad.safetensors")
    shutil.copy(weights, bad)
    name = flip_last_weight_byte(bad)
    r = run(["verify", "--data-dir", src, bad])
    ok(r.returncode == 5 and ("tensor '%s' differs: element" % name) in r.stderr and len(r.stderr.splitlines()) == 1,
       "one flipped byte: exit 5 and the tensor named: " + r.stderr.strip())

    # a changed dataset is found before the weights are compared
    changed = os.path.join(tmp, "changed")
    shutil.copytree(src, changed)
    with open(os.path.join(changed, "data", "d.csv"), "a") as f:
        f.write("0.1,0.2,0.3,0.4,0.5,1\n")
    r = run(["verify", "--data-dir", changed, weights])
    ok(r.returncode == 5 and "data file data/d.csv has SHA-256" in r.stderr and "trained on" in r.stderr,
       "changed data is named: " + r.stderr.strip()[:150])

    # the reproducibility bundle
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    b1, b2 = os.path.join(tmp, "b1.tar"), os.path.join(tmp, "b2.tar")
    r1 = run(["bundle", "--output", b1, "--data-dir", src, weights], env=env)
    r2 = run(["bundle", "--output", b2, "--data-dir", src, weights], env=env)
    ok(r1.returncode == 0 and r2.returncode == 0 and open(b1, "rb").read() == open(b2, "rb").read(),
       "two bundles of the same model are byte-identical")
    with tarfile.open(b1) as t:
        members = t.getmembers()
        names = [m.name for m in members]
        ok(names == sorted(names) == ["data/d.csv", "tiny.json", "tiny.md", "tiny.models", "tiny.safetensors"],
           "members sorted: " + ", ".join(names))
        ok(all(m.isfile() and m.uid == 0 and m.gid == 0 and m.uname == "root" and m.mode == 0o644
               and m.mtime == 1700000000 for m in members),
           "regular files, root/root 0644, mtime = SOURCE_DATE_EPOCH")
        ok(t.extractfile("tiny.safetensors").read() == open(weights, "rb").read()
           and t.extractfile("data/d.csv").read() == open(os.path.join(src, "data", "d.csv"), "rb").read(),
           "the weights and the data travel unchanged")
        recipe = t.extractfile("tiny.models").read().decode()
        ok("Dataset: data/d.csv\n" in recipe and "Description: a toy model\n .\n over two lines\n" in recipe
           and "Network: dense 8 tanh,\n dropout 0.1,\n dense 3\n" in recipe,
           "the recipe is rebuilt as written, continuation lines and all")
        ok(json.loads(t.extractfile("tiny.json").read())["model"] == "tiny"
           and t.extractfile("tiny.md").read().startswith(b"# Model card: tiny"),
           "provenance and card are in it")
    elsewhere = os.path.join(tmp, "elsewhere")
    os.mkdir(elsewhere)
    r = run(["verify", b1], cwd=elsewhere)
    ok(r.returncode == 0 and "identical" in r.stdout, "verify a bundle anywhere, with the data it carries")
    small = os.path.join(tmp, "small.tar")
    r = run(["bundle", "--output", small, "--max-data-bytes", "100", "--data-dir", src, weights])
    with tarfile.open(small) as t:
        ok(r.returncode == 0 and "data/d.csv" not in t.getnames()
           and "Dataset: data/d.csv" in t.extractfile("tiny.models").read().decode(),
           "data over --max-data-bytes stays out; the recipe keeps its path")
    r = run(["verify", "--data-dir", src, small])
    ok(r.returncode == 0, "a bundle without data verifies against data found in --data-dir")

    # a flipped byte inside a bundle, and bundles that try to escape
    tampered = os.path.join(tmp, "tampered.tar")
    unpack = os.path.join(tmp, "unpack")
    with tarfile.open(b1) as t:
        t.extractall(unpack)
    flip_last_weight_byte(os.path.join(unpack, "tiny.safetensors"))
    with tarfile.open(tampered, "w", format=tarfile.GNU_FORMAT) as t:
        for n in sorted(os.listdir(unpack)) + ["data/d.csv"]:
            if n != "data":
                t.add(os.path.join(unpack, n), arcname=n)
    r = run(["verify", tampered])
    ok(r.returncode == 5 and "differs: element" in r.stderr, "a flipped byte in a bundle is named: " + r.stderr.strip())
    for what, member in (("a member outside the bundle", "../escape"), ("a symbolic link", "link")):
        evil = os.path.join(tmp, "evil.tar")
        with tarfile.open(evil, "w") as t:
            t.add(weights, arcname="tiny.safetensors")
            info = tarfile.TarInfo(member)
            if member == "link":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                t.addfile(info)
            else:
                info.size = 3
                t.addfile(info, open(os.path.join(src, "m.models"), "rb"))
        r = run(["verify", evil], cwd=elsewhere)
        ok(r.returncode == 1 and ("unexpected member name" in r.stderr or "not a regular file" in r.stderr)
           and not os.path.exists(os.path.join(tmp, "escape")), "%s is refused: %s" % (what, r.stderr.strip()))
done()
