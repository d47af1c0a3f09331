#!/usr/bin/python3
"""The ML-Policy verdict and provenance record of text models
(Model-Type supervised, skipgram): the licence of every Dataset and
Test-Dataset file from debian/copyright or from the copyright file of the
installed package that owns it (a dpkg database of our own through
DPKG_ROOT), the verdict in NAME.json, in the safetensors' metadata and on
the card, the budget section (estimated FLOPs equal to those counted),
SOURCE_DATE_EPOCH, and Export:'s files by their SHA-256.  Needs only our
trainer (no fasttext)."""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, dpkg_db, fortunes, trainer, write  # noqa: E402

TRAINER = trainer()
DEP5 = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"


def stanza(files, lic):
    return "\nFiles: %s\nCopyright: 2026 someone\nLicense: %s\n" % (files, lic)


EN = "the cat sat on a mat and was happy with it".split()
DE = "der hund lief mit einer katze durch den wald heute".split()


def recipe(datasets, extra="", model_type="supervised", test=None):
    text = "Model: m\nModel-Type: %s\nFormat: fortune\nDataset:\n" % model_type
    text += "".join(" %s label=%s\n" % d for d in datasets)
    if test:
        text += "Test-Dataset:\n" + "".join(" %s label=%s\n" % d for d in test)
    text += "Seed: 1\nDim: 4\nEpochs: 2\nLicense: Expat\n"
    if model_type == "supervised":
        text += "Validation-Split: 0.2\n" if not test else ""
    else:
        text += "Min-Count: 1\nBucket: 100\n"
    return text + extra


def train(tree, text, env=None):
    write(os.path.join(tree, "debian/models"), text)
    out = os.path.join(tree, "out")
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.unlink(os.path.join(out, f))
    e = dict(os.environ)
    e.pop("SOURCE_DATE_EPOCH", None)
    e.update(env or {})
    r = subprocess.run([TRAINER, "train", "--output-dir", "out", "debian/models"], cwd=tree, env=e,
                       capture_output=True, text=True)
    rec = None
    if r.returncode == 0 and os.path.exists(os.path.join(out, "m.json")):
        with open(os.path.join(out, "m.json")) as f:
            rec = json.load(f)
    else:
        diag(r.stdout + r.stderr)
    return r, rec


def safetensors_meta(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n))["__metadata__"]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


with tempfile.TemporaryDirectory() as tmp:
    tree = os.path.join(tmp, "src")
    fortunes(os.path.join(tree, "data/en"), EN)
    fortunes(os.path.join(tree, "data/de"), DE)
    fortunes(os.path.join(tree, "data/nc"), DE, seed=5)
    write(os.path.join(tree, "debian/copyright"), DEP5 + stanza("*", "Expat") +
          stanza("data/de", "GPL-2+") + stanza("data/nc", "CC-BY-NC-4.0"))

    # ---- supervised: every dataset's licence from debian/copyright ---------
    r, rec = train(tree, recipe([("data/en", "en"), ("data/de", "de")]),
                   env={"SOURCE_DATE_EPOCH": "1700000000"})
    v = (rec or {}).get("verdict", {})
    ok(r.returncode == 0 and v.get("class") == "Free Model",
       "supervised: Free Model from the datasets' licences") or diag(json.dumps(v)[:2000])
    data = v.get("data", [])
    ok([(d.get("path"), d.get("license"), d.get("license-from"), d.get("stanza")) for d in data] ==
       [("data/en", "Expat", "source-copyright", "Files: *"),
        ("data/de", "GPL-2+", "source-copyright", "Files: data/de")],
       "each Dataset file's licence from the last Files: stanza of debian/copyright that matches it") \
        or diag(json.dumps(data)[:2000])
    ok([d.get("sha256") for d in data] == [sha256(os.path.join(tree, "data", n)) for n in ("en", "de")],
       "... with the SHA-256 of the file as read")
    ok("m: verdict: Free Model" in r.stderr + r.stdout, "the verdict is in the build log") \
        or diag(r.stderr)
    b = (rec or {}).get("budget", {})
    ok(b.get("policy") == "main" and b.get("estimated-flop") == b.get("counted-flop") ==
       rec["training"]["flop"] and b.get("estimated-flop", 0) > 0 and b.get("within-main") is True,
       "the budget section: the policy, estimated FLOPs (the token count) equal to those counted") \
        or diag(json.dumps(b))
    ok((rec or {}).get("source-date-epoch") == 1700000000, "SOURCE_DATE_EPOCH is recorded")
    meta = safetensors_meta(os.path.join(tree, "out/m.safetensors"))
    ok(json.loads(meta["dh-model.provenance"]) == rec,
       "the safetensors' metadata holds the same record as NAME.json")
    ok([t["sha256"] for t in rec["tensors"]] and rec["text-model"]["model-type"] == "supervised" and
       rec["data"]["labels"] == 2 and "validation-accuracy" in rec["metrics"],
       "the record keeps the text model's sections and its P@1")
    card = subprocess.run([TRAINER, "card", "out/m.json"], cwd=tree, capture_output=True, text=True).stdout
    ok("## Verdict: Free Model" in card and "| training data | `data/de` | GPL-2+ |" in card,
       "the card gives the verdict and each dataset's licence") or diag(card[:3000])
    r2, rec2 = train(tree, recipe([("data/en", "en"), ("data/de", "de")]),
                     env={"SOURCE_DATE_EPOCH": "1700000000"})
    ok(rec2 == rec, "the record is the same when trained again")

    # a dataset under a non-free licence: ToxicCandy, naming it
    r, rec = train(tree, recipe([("data/en", "en"), ("data/nc", "de")]))
    v = (rec or {}).get("verdict", {})
    ok(v.get("class") == "ToxicCandy" and "data/nc" in json.dumps(v) and
       "CC-BY-NC-4.0" in v.get("reason", ""), "a non-free dataset: ToxicCandy, naming its licence") \
        or diag(json.dumps(v)[:2000])
    ok("source-date-epoch" not in (rec or {}), "no SOURCE_DATE_EPOCH: none recorded")

    # more datasets than an MLP has (the MLP's verdict holds 4 files)
    many = []
    for i in range(12):
        fortunes(os.path.join(tree, "data/many%02d" % i), EN if i % 2 else DE, n=8, seed=i + 2)
        many.append(("data/many%02d" % i, "en" if i % 2 else "de"))
    r, rec = train(tree, recipe(many[:10], test=many[10:]))
    data = (rec or {}).get("verdict", {}).get("data", [])
    ok(len(data) == 12 and [d["part"] for d in data] == ["training data"] * 10 + ["test data"] * 2,
       "12 datasets (10 Dataset, 2 Test-Dataset): each one's licence is checked") \
        or diag(json.dumps(data)[:1500])

    # ---- word vectors: the same record and verdict -------------------------
    r, rec = train(tree, recipe([("data/en", "en"), ("data/nc", "x")], model_type="skipgram",
                                extra="Export: fasttext\n"))
    v = (rec or {}).get("verdict", {})
    ok(v.get("class") == "ToxicCandy" and [d.get("license") for d in v.get("data", [])] ==
       ["Expat", "CC-BY-NC-4.0"], "skipgram: NAME.json with the verdict from debian/copyright") \
        or diag(json.dumps(v)[:2000])
    ex = {e["file"]: e["sha256"] for e in (rec or {}).get("exports", [])}
    ok(ex == {"m.bin": sha256(os.path.join(tree, "out/m.bin")),
              "m.vec": sha256(os.path.join(tree, "out/m.vec"))},
       "skipgram: the .bin and .vec recorded by their SHA-256") or diag(json.dumps(ex))
    ok(rec and rec["text-model"]["model-type"] == "skipgram" and
       rec["budget"]["estimated-flop"] == rec["budget"]["counted-flop"] == rec["training"]["flop"],
       "skipgram: its sections and budget")
    meta = safetensors_meta(os.path.join(tree, "out/m.safetensors"))
    ok(meta.get("format") == "fasttext-skipgram" and json.loads(meta.get("dh-model.provenance", "{}")) == rec,
       "skipgram: the record in the safetensors' metadata")

    # ---- an installed package's dataset: its copyright file ---------------
    root = os.path.join(tmp, "root")
    path = "/usr/share/games/fortunes/toy/sprueche"
    fortunes(root + path, DE)
    dpkg_db(os.path.join(root, "var/lib/dpkg"), [
        ("fortunes-toy", "all", None, ["/usr/share/games/fortunes/toy", path])])
    write(os.path.join(root, "usr/share/doc/fortunes-toy/copyright"),
          DEP5 + stanza("*", "GPL-2+") + stanza("debian/*", "Expat"))
    write(os.path.join(tree, "debian/control"), "Source: x\nBuild-Depends: debhelper-compat (= 13), "
          "fortunes-toy\n\nPackage: x\n")
    r, rec = train(tree, recipe([("data/en", "en"), (root + path, "de")]), env={"DPKG_ROOT": root})
    d = (rec or {}).get("verdict", {}).get("data", [{}, {}])[1]
    ok(rec and rec["verdict"]["class"] == "Free Model" and d.get("package") == "fortunes-toy" and
       d.get("license") == "GPL-2+" and d.get("license-from") == "package-copyright" and
       d.get("copyright-file") == "/usr/share/doc/fortunes-toy/copyright" and
       d.get("in-build-depends") is True,
       "a dataset of an installed package: its owner (dpkg), its copyright file, Build-Depends") \
        or diag(json.dumps(d))
    v = subprocess.run([TRAINER, "verdict", "debian/models"], cwd=tree, capture_output=True, text=True,
                       env=dict(os.environ, DPKG_ROOT=root))
    ok(v.returncode == 0 and v.stdout.startswith("m: Free Model"),
       "dh-model-train verdict: the same before training") or diag(v.stdout + v.stderr)
done()
