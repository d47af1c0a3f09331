#!/usr/bin/python3
"""A program can use the model without dh-model's code and without the
recipe: Class-Names recorded in the weights' metadata, the provenance and
the card, and every message that names a class; the tensors are the same
bytes with and without names."""
import hashlib
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, run, write, csv, read_safetensors, trainer  # noqa: E402

trainer()
tmp = tempfile.mkdtemp(prefix="dm-use-")
NAMES = ["cat, small", "dog", "bird"]
csv(os.path.join(tmp, "train.csv"), 120, 6, 3)
csv(os.path.join(tmp, "test.csv"), 40, 6, 3, seed=4)

BASE = """Model: toy
Dataset: train.csv
Test-Dataset: test.csv
Format: csv
Normalize: standardize
Network: dense 8 tanh, dense 3
Loss: softmax-cross-entropy
Epochs: 3
Batch-Size: 16
Seed: 5
License: Expat
"""


def train(recipe_text, out):
    write(os.path.join(tmp, "models"), recipe_text)
    os.makedirs(out, exist_ok=True)
    return run(["train", "--quiet", "--output-dir", out, "models"], cwd=tmp)


def tensor_hashes(path):
    t, meta = read_safetensors(path)
    return {k: hashlib.sha256(v.tobytes()).hexdigest() for k, v in t.items()}, meta


# the list form cannot hold a comma; the file form can
write(os.path.join(tmp, "names.txt"), "\n".join(NAMES) + "\n")
r0 = train(BASE, os.path.join(tmp, "plain"))
ok(r0.returncode == 0, "trains without Class-Names") or diag(r0.stderr)
r1 = train(BASE + "Class-Names: file names.txt\n", os.path.join(tmp, "named"))
ok(r1.returncode == 0, "trains with Class-Names: file names.txt") or diag(r1.stderr)
h0, m0 = tensor_hashes(os.path.join(tmp, "plain", "toy.safetensors"))
h1, m1 = tensor_hashes(os.path.join(tmp, "named", "toy.safetensors"))
ok(h0 == h1, "the tensors are the same bytes with and without Class-Names")
ok(json.loads(m1.get("dh-model.class-names", "null")) == NAMES,
   "metadata dh-model.class-names is the names in order")
ok("dh-model.class-names" not in m0, "no names in the metadata when the recipe has none")
prov = json.loads(m1["dh-model.provenance"])
ok(prov.get("class-names") == NAMES, "the provenance records the names")
with open(os.path.join(tmp, "named", "toy.json")) as f:
    ok(json.load(f).get("class-names") == NAMES, "NAME.json records the names")
card = run(["card", os.path.join(tmp, "named", "toy.json")])
ok(card.returncode == 0 and "| Classes | 0 cat, small, 1 dog, 2 bird |" in card.stdout,
   "the card lists the classes by output") or diag(card.stdout[:2000] + card.stderr)
r2 = train(BASE + "Class-Names: cat , dog,bird\n", os.path.join(tmp, "list"))
_, m2 = tensor_hashes(os.path.join(tmp, "list", "toy.safetensors"))
ok(r2.returncode == 0 and json.loads(m2["dh-model.class-names"]) == ["cat", "dog", "bird"],
   "a comma-separated list, white space dropped") or diag(r2.stderr)
ver = run(["verify", os.path.join(tmp, "named", "toy.safetensors")], cwd=tmp)
ok(ver.returncode == 0, "verify retrains a model whose names came from a file") or diag(ver.stderr)

# errors: file:line and both numbers
BAD = [
    ("Class-Names: a, b\n", "models: line 12: Class-Names: 2 names, but the last layer of "
     "Network (line 6) has 3 outputs"),
    ("Class-Names: a, , c\n", "models: line 12: Class-Names: name 2 is empty"),
    ("Class-Names: a, b, a\n", "models: line 12: Class-Names: name 3: 'a' is also name 1"),
    ("Class-Names: file missing.txt\n", "models: line 12: Class-Names: missing.txt"),
    ("Class-Names: file dup.txt\n", "dup.txt: line 3: name: 'x' is also name 1"),
]
write(os.path.join(tmp, "names2.txt"), "a\nb\nc\nd\n")
write(os.path.join(tmp, "dup.txt"), "x\ny\nx\n")
for extra, want in BAD:
    r = train(BASE + extra, os.path.join(tmp, "bad"))
    ok(r.returncode != 0 and want in r.stderr, "refused: " + extra.strip()) or diag(r.stderr)
r = train(BASE + "Class-Names: file names2.txt\n", os.path.join(tmp, "bad"))
ok("4 names in names2.txt, but the last layer of Network (line 6) has 3 outputs" in r.stderr,
   "a file of names: the file and both numbers") or diag(r.stderr)
reg = BASE.replace("softmax-cross-entropy", "mse").replace("dense 3\n", "dense 1\n")
r = train(reg + "Class-Names: a\n", os.path.join(tmp, "bad"))
ok(r.returncode != 0 and "line 12: Class-Names: Loss mse is a regression" in r.stderr,
   "no Class-Names for a regression") or diag(r.stderr)

done()
