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


# ---- predict and eval on an installed model: the .safetensors alone ----
import gzip  # noqa: E402
import shutil  # noqa: E402
import struct  # noqa: E402
import numpy as np  # noqa: E402


def installed(out, name="toy"):
    """An empty directory with only the weights, as a package installs them."""
    d = tempfile.mkdtemp(prefix="dm-installed-")
    shutil.copy(os.path.join(out, name + ".safetensors"), d)
    return d, os.path.join(d, name + ".safetensors")


def numpy_forward(path, x):
    """Our MLPs by hand: (x - shift) * scale, then dense/tanh/relu layers."""
    t, meta = read_safetensors(path)
    layers = json.loads(meta["dh-model.provenance"])["network"]["layers"].split(", ")
    h = x.astype(np.float32)
    if "input.shift" in t:
        h = (h - t["input.shift"].copy()) * t["input.scale"]
    for i, kind in enumerate(layers):
        if kind.startswith("dense"):
            h = h @ t["layers.%d.weight" % i].T + t["layers.%d.bias" % i]
        elif kind == "tanh":
            h = np.tanh(h)
        elif kind == "relu":
            h = np.maximum(h, 0)
    return h


def read_csv(path):
    a = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    return a[:, :-1], a[:, -1]


inst, model = installed(os.path.join(tmp, "named"))
xt, yt = read_csv(os.path.join(tmp, "test.csv"))
want = [NAMES[k] for k in numpy_forward(model, xt).argmax(axis=1)]
p = run(["predict", model, os.path.join(tmp, "test.csv")], cwd=inst)
ok(p.returncode == 0 and p.stdout.splitlines() == want,
   "predict (no recipe, CSV with its label column): the class names numpy's forward pass gives "
   "(%d rows)" % len(want)) or diag(p.stderr + p.stdout[:500])
ok(os.listdir(inst) == ["toy.safetensors"], "nothing but the weights in the installed directory")
feat = write(os.path.join(inst, "features.csv"),
             "a,b,c,d,e,f\n" + "".join(",".join("%.5f" % v for v in r) + "\n" for r in xt))
p2 = run(["predict", model, feat], cwd=inst)
ok(p2.returncode == 0 and p2.stdout.splitlines() == want, "predict on the features alone") \
    or diag(p2.stderr)
tsv = write(os.path.join(inst, "features.tsv"),
            "a\tb\tc\td\te\tf\n" + "".join("\t".join("%.5f" % v for v in r) + "\n" for r in xt))
p3 = run(["predict", "--format", "tsv", model, tsv], cwd=inst)
ok(p3.returncode == 0 and p3.stdout.splitlines() == want, "predict --format tsv") or diag(p3.stderr)
plain_model = installed(os.path.join(tmp, "plain"))[1]
p4 = run(["predict", plain_model, os.path.join(tmp, "test.csv")], cwd=inst)
ok(p4.returncode == 0 and p4.stdout.splitlines() == [str(NAMES.index(w)) for w in want],
   "no Class-Names: the class numbers") or diag(p4.stderr)

e = run(["eval", model, os.path.join(tmp, "test.csv")], cwd=inst)
metrics = json.loads(read_safetensors(model)[1]["dh-model.provenance"])["metrics"]
line = e.stdout.splitlines()[0] if e.stdout else ""
ok(e.returncode == 0 and line == "toy: loss %.6f accuracy %.6f (40 rows)"
   % (metrics["test-loss"], metrics["test-accuracy"]),
   "eval (no recipe) gives the training run's test metrics: " + line) or diag(e.stderr + e.stdout)
right = sum(1 for w, y in zip(want, yt) if NAMES.index(w) == y)
per = [ln.split(": ")[1] for ln in e.stdout.splitlines()[1:]]
counts = ["%d of %d right" % (sum(1 for w, y in zip(want, yt) if y == c and NAMES.index(w) == c),
                              sum(1 for y in yt if y == c)) for c in range(3)]
ok(per == counts and abs(right / 40 - metrics["test-accuracy"]) < 1e-6,
   "eval's per-class counts, named") or diag(e.stdout)
ok(e.stdout.splitlines()[1].startswith("  0 cat, small: "), "eval names the classes")

# regression: one value a row
csv(os.path.join(tmp, "rtrain.csv"), 100, 5, 1)
csv(os.path.join(tmp, "rtest.csv"), 30, 5, 1, seed=8)
REG = BASE.replace("train.csv", "rtrain.csv").replace("test.csv", "rtest.csv") \
    .replace("softmax-cross-entropy", "mse").replace("dense 3\n", "dense 1\n")
rr = train(REG, os.path.join(tmp, "reg"))
ok(rr.returncode == 0, "a regression trains") or diag(rr.stderr)
rinst, rmodel = installed(os.path.join(tmp, "reg"))
xr, yr = read_csv(os.path.join(tmp, "rtest.csv"))
pr = run(["predict", rmodel, os.path.join(tmp, "rtest.csv")], cwd=rinst)
got = np.array([float(v) for v in pr.stdout.split()]) if pr.returncode == 0 else np.zeros(0)
ref = numpy_forward(rmodel, xr)[:, 0]
ok(got.shape == ref.shape and np.max(np.abs(got - ref)) < 1e-5 * max(1, np.max(np.abs(ref))),
   "predict a regression: numpy's values") or diag(pr.stderr)
er = run(["eval", rmodel, os.path.join(tmp, "rtest.csv")], cwd=rinst)
rm = json.loads(read_safetensors(rmodel)[1]["dh-model.provenance"])["metrics"]
ok(er.returncode == 0 and er.stdout.strip() == "toy: loss %.6f rmse %.6f (30 rows)"
   % (rm["test-loss"], rm["test-rmse"]), "eval a regression: the training run's test metrics") \
    or diag(er.stdout + er.stderr)

# IDX images and a small conv network, against PyTorch
try:
    import torch
except ImportError:
    torch = None


def write_idx(path, arr):
    codes = {np.uint8: 0x08}
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">BBBB", 0, 0, codes[arr.dtype.type], arr.ndim))
        f.write(struct.pack(">" + "I" * arr.ndim, *arr.shape))
        f.write(arr.tobytes())


rs = np.random.RandomState(7)
imgs = rs.randint(0, 256, size=(150, 6, 6)).astype(np.uint8)
labs = (imgs[:, :3].reshape(150, -1).mean(axis=1) > imgs[:, 3:].reshape(150, -1).mean(axis=1)) \
    .astype(np.uint8) + (imgs[:, :, 0].mean(axis=1) > 127)
for n, a in [("i-train.gz", imgs[:100]), ("l-train.gz", labs[:100]),
             ("i-test.gz", imgs[100:]), ("l-test.gz", labs[100:])]:
    write_idx(os.path.join(tmp, n), a)
CONV = """Model: tiny-conv
Dataset: i-train.gz
Labels: l-train.gz
Test-Dataset: i-test.gz
Test-Labels: l-test.gz
Format: idx
Network: conv 3 3x3 pad 1 relu, maxpool 2, dense 3
Class-Names: low, middle, high
Loss: softmax-cross-entropy
Epochs: 4
Batch-Size: 10
Seed: 3
License: Expat
"""
rc = train(CONV, os.path.join(tmp, "conv"))
ok(rc.returncode == 0, "a conv network on IDX trains") or diag(rc.stderr)
cinst, cmodel = installed(os.path.join(tmp, "conv"), "tiny-conv")
pc = run(["predict", cmodel, os.path.join(tmp, "i-test.gz")], cwd=cinst)
if torch is not None:
    t, _ = read_safetensors(cmodel)
    T = torch.nn
    net = T.Sequential(T.Conv2d(1, 3, 3, padding=1), T.ReLU(), T.MaxPool2d(2), T.Flatten(),
                       T.Linear(27, 3))
    net.load_state_dict({k[len("layers."):]: torch.from_numpy(v.copy()) for k, v in t.items()
                         if k.startswith("layers.")})
    x = (torch.from_numpy(imgs[100:].astype(np.float32)) - torch.from_numpy(t["input.shift"].copy()).reshape(6, 6)) \
        * torch.from_numpy(t["input.scale"].copy()).reshape(6, 6)
    cwant = [["low", "middle", "high"][k] for k in net(x.reshape(50, 1, 6, 6)).argmax(dim=1).tolist()]
    ok(pc.returncode == 0 and pc.stdout.splitlines() == cwant,
       "predict on IDX images, no labels file: PyTorch's classes") or diag(pc.stderr)
ec = run(["eval", "--labels", os.path.join(tmp, "l-test.gz"), cmodel, os.path.join(tmp, "i-test.gz")],
         cwd=cinst)
cm = json.loads(read_safetensors(cmodel)[1]["dh-model.provenance"])["metrics"]
ok(ec.returncode == 0 and ec.stdout.splitlines()[0] == "tiny-conv: loss %.6f accuracy %.6f (50 rows)"
   % (cm["test-loss"], cm["test-accuracy"]), "eval of IDX data with --labels: the training run's "
   "test metrics") or diag(ec.stdout + ec.stderr)
en = run(["eval", cmodel, os.path.join(tmp, "i-test.gz")], cwd=cinst)
ok(en.returncode != 0 and "i-test.gz: IDX data; eval needs its labels file too (--labels FILE)"
   in en.stderr, "eval of IDX data without labels: says what is missing") or diag(en.stderr)
bad = run(["predict", "--format", "parquet", cmodel, os.path.join(tmp, "i-test.gz")], cwd=cinst)
ok(bad.returncode != 0 and "--format: expected idx, csv, tsv or libsvm, got 'parquet'" in bad.stderr,
   "predict --format: a bad name") or diag(bad.stderr)

# the same with a batchnorm: its running statistics are in the file too
rc = train(CONV.replace("Model: tiny-conv", "Model: tiny-bn").replace(
    "Network: conv 3 3x3 pad 1 relu,", "Network: conv 3 3x3 pad 1, batchnorm, relu,"),
    os.path.join(tmp, "bn"))
ok(rc.returncode == 0, "a conv network with a batchnorm trains") or diag(rc.stderr)
binst, bmodel = installed(os.path.join(tmp, "bn"), "tiny-bn")
pb = run(["predict", bmodel, os.path.join(tmp, "i-test.gz")], cwd=binst)
ok(pb.returncode == 0 and len(pb.stdout.splitlines()) == 50, "predict with a batchnorm") or diag(pb.stderr)


# ---- the card's "How to use this model": its snippet, run as printed ----
import re  # noqa: E402
import subprocess  # noqa: E402


def card_snippet(json_path):
    c = run(["card", json_path])
    m = re.search(r"\n## How to use this model\n(.*?)\n## ", c.stdout, re.S)
    section = m.group(1) if m else ""
    code = re.search(r"\n```python\n(.*?)\n```\n", section, re.S)
    return section, code.group(1) + "\n" if code else ""


def run_snippet(code, sample, weights, where):
    script = write(os.path.join(where, "use.py"), code)
    smp = write(os.path.join(where, "sample.txt"), " ".join("%.9g" % v for v in sample) + "\n")
    r = subprocess.run([sys.executable, script, smp, weights], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else "error: " + r.stderr[-500:]


CASES = [("MLP on CSV, standardize, names with a comma", os.path.join(tmp, "named", "toy.json"),
          model, inst, xt, p.stdout.splitlines(), ["nn.Linear(6, 8)", "nn.Tanh()", "nn.Linear(8, 3)"]),
         ("regression MLP", os.path.join(tmp, "reg", "toy.json"), rmodel, rinst, xr,
          pr.stdout.splitlines(), ["nn.Linear(5, 8)"])]
if torch is not None:
    CASES.append(("conv network on IDX", os.path.join(tmp, "conv", "tiny-conv.json"), cmodel, cinst,
                  imgs[100:].reshape(50, -1), pc.stdout.splitlines(),
                  ["nn.Conv2d(1, 3, 3, stride=1, padding=1)", "nn.MaxPool2d(2, stride=2)",
                   "nn.Flatten()", "nn.Linear(27, 3)"]))
    CASES.append(("conv network with a batchnorm", os.path.join(tmp, "bn", "tiny-bn.json"), bmodel,
                  binst, imgs[100:].reshape(50, -1), pb.stdout.splitlines(),
                  ["nn.Conv2d(1, 3, 3, stride=1, padding=1)", "nn.BatchNorm2d(3)", "nn.ReLU()"]))
for what, js, weights, where, xs, predicted, modules in CASES:
    section, code = card_snippet(js)
    ok(code and all("    %s," % m in code for m in modules),
       what + ": the card has a snippet with the network's modules") or diag(section[:3000])
    ok("dh-model-train predict %s INPUT" % os.path.basename(weights) in section,
       what + ": the card gives the predict command line") or diag(section[:800])
    if torch is None:
        continue
    # a sample of each class predict gives (the first three), or three rows
    firsts = sorted({v: i for i, v in reversed(list(enumerate(predicted)))}.values())
    for i in (firsts[:3] if len(firsts) > 1 and not what.startswith("regression") else (0, 7, 21)):
        got = run_snippet(code, xs[i], weights, where)
        if what.startswith("regression"):
            good = not got.startswith("error") and abs(float(got) - float(predicted[i])) < 1e-5 * max(1, abs(float(predicted[i])))
        else:
            good = got == predicted[i]
        ok(good, "%s: the snippet run as printed on sample %d says %s, predict %s"
           % (what, i, got, predicted[i])) or diag(got)
section, _ = card_snippet(os.path.join(tmp, "named", "toy.json"))
ok("Output: the class, one of cat, small, dog, bird" in section and
   "one value per feature, from the training data" in section,
   "the card states the classes and the preprocessing")
section, _ = card_snippet(os.path.join(tmp, "conv", "tiny-conv.json"))
ok("Input: one sample of 1x6x6 numbers" in section and
   "here 0 and 0.00392156886 for every feature" in section,
   "the card states the input shape and the scale constants") or diag(section[:600])

done()
