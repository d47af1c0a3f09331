#!/usr/bin/python3
"""End to end on Debian's dataset-fashion-mnist: an MLP reaches the target
accuracy; numpy, reading the safetensors file by hand, recomputes the same
predictions; the weights are bit-identical across runs, thread counts and
GEMM kernels (portable) and across runs (openblas, same threads)."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import ok, diag, done, run, read_safetensors, read_idx as idx, skip_all, trainer  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"
if not os.path.exists(DATA + "/train-images-idx3-ubyte.gz"):
    skip_all("dataset-fashion-mnist is not installed")
trainer()

RECIPE = """Model: fashion-mlp
Dataset: {d}/train-images-idx3-ubyte.gz
Labels: {d}/train-labels-idx1-ubyte.gz
Format: idx
Test-Dataset: {d}/t10k-images-idx3-ubyte.gz
Test-Labels: {d}/t10k-labels-idx1-ubyte.gz
Network: {network}
Loss: softmax-cross-entropy
Optimizer: adam
Batch-Size: 64
Epochs: {epochs}
Seed: 1
Numerics: {numerics}
Expect: test-accuracy >= 0.85
"""


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def train(tmp, name, epochs, numerics="portable", threads=1, env=None):
    # the full run trains the real model; the one-epoch runs that compare
    # bits use a narrower network, because the generic kernel is slow
    network = "dense 128 relu, dense 10" if epochs >= 5 else "dense 24 tanh, dense 10"
    os.mkdir(os.path.join(tmp, name))
    recipe = os.path.join(tmp, name, "fashion.models")  # the same name: it is recorded
    with open(recipe, "w") as f:
        f.write(RECIPE.format(d=DATA, epochs=epochs, numerics=numerics, network=network))
    out = os.path.join(tmp, name, "out")
    os.mkdir(out)
    gate = [] if epochs >= 5 else ["--no-expect"]  # one epoch is for the bits only
    r = subprocess.run([trainer(), "train", "--threads", str(threads), "--output-dir", out] + gate + [recipe],
                       capture_output=True, text=True, env=dict(os.environ, **(env or {})))
    if r.returncode:
        diag(r.stderr)
    return r, recipe, out


with tempfile.TemporaryDirectory() as tmp:
    # 1. accuracy, and an independent forward pass in numpy
    r, recipe, out = train(tmp, "full", 5)
    ok(r.returncode == 0, "5 epochs of 784-128-10 on Fashion-MNIST train")
    prov = json.load(open(os.path.join(out, "fashion-mlp.json")))
    acc = prov["metrics"]["test-accuracy"]
    ok(acc >= 0.85, "test accuracy %.4f >= 0.85 (PyTorch 1.13: 0.870 for this setup)" % acc)
    progress = [line for line in r.stdout.splitlines() if " epoch " in line]
    ok(len(progress) >= 5 and all("elapsed" in p and "left" in p and "loss" in p for p in progress),
       "a progress line per epoch with the loss, elapsed and remaining time")
    tensors, meta = read_safetensors(os.path.join(out, "fashion-mlp.safetensors"))
    ok(sorted(tensors) == ["input.scale", "input.shift", "layers.0.bias", "layers.0.weight",
                           "layers.2.bias", "layers.2.weight"]
       and tensors["layers.0.weight"].shape == (128, 784) and tensors["layers.2.weight"].shape == (10, 128),
       "tensor names and shapes follow torch.nn.Sequential")
    ok(json.loads(meta["dh-model.provenance"]) == prov,
       "the safetensors metadata carries the same provenance as NAME.json")
    x = idx(DATA + "/t10k-images-idx3-ubyte.gz").reshape(10000, 784).astype(np.float32)
    y = idx(DATA + "/t10k-labels-idx1-ubyte.gz")
    x = (x - tensors["input.shift"]) * tensors["input.scale"]
    h = np.maximum(x @ tensors["layers.0.weight"].T + tensors["layers.0.bias"], 0)
    z = h @ tensors["layers.2.weight"].T + tensors["layers.2.bias"]
    np_acc = float((z.argmax(axis=1) == y).mean())
    ok(abs(np_acc - acc) < 1e-6, "numpy recomputes test accuracy %.4f from the file (trainer: %.4f)"
       % (np_acc, acc))
    hashes = {t["name"]: t["sha256"] for t in prov["tensors"]}
    ok(all(hashlib.sha256(tensors[n].astype("<f4").tobytes()).hexdigest() == hashes[n] for n in tensors),
       "the provenance's tensor hashes match the file's bytes")
    ok(prov["data"]["train"][0]["sha256"] == sha(DATA + "/train-images-idx3-ubyte.gz"),
       "the provenance's dataset hash is the file's sha256sum")
    e = run(["eval", "--model", "fashion-mlp", recipe, os.path.join(out, "fashion-mlp.safetensors")])
    ok(e.returncode == 0 and ("test-accuracy %.6f" % acc) in e.stdout,
       "eval recomputes the saved weights' test accuracy: " + e.stdout.strip())
    i = run(["inspect", os.path.join(out, "fashion-mlp.safetensors")])
    ok(i.returncode == 0 and "layers.0.weight" in i.stdout and "[128, 784]" in i.stdout
       and "dh-model.provenance" in i.stdout, "inspect lists tensors, shapes and metadata")
    c = run(["card", os.path.join(out, "fashion-mlp.json")])
    ok(c.returncode == 0 and "# Model card: fashion-mlp" in c.stdout and "| test-accuracy |" in c.stdout,
       "card renders the model card")

    # 2. bit-identical weights
    base, _, bout = train(tmp, "p1", 1)
    runs = {
        "a second run": train(tmp, "p1b", 1),
        "--threads 2": train(tmp, "p2", 1, threads=2),
        "--threads 3": train(tmp, "p3", 1, threads=3),
        "the generic kernel": train(tmp, "pg", 1, env={"DH_MODEL_KERNEL": "generic"}),
    }
    ref = sha(os.path.join(bout, "fashion-mlp.safetensors"))
    refj = sha(os.path.join(bout, "fashion-mlp.json"))
    for what, (rr, _, o) in runs.items():
        ok(rr.returncode == 0 and sha(os.path.join(o, "fashion-mlp.safetensors")) == ref
           and sha(os.path.join(o, "fashion-mlp.json")) == refj,
           "portable: %s gives byte-identical weights and provenance" % what)
    for threads in (2, 1):  # 2: two single-threaded cblas_sgemm calls at once
        o1 = train(tmp, "o1-%d" % threads, 1, numerics="openblas", threads=threads)[2]
        o2 = train(tmp, "o2-%d" % threads, 1, numerics="openblas", threads=threads)[2]
        ok(sha(os.path.join(o1, "fashion-mlp.safetensors"))
           == sha(os.path.join(o2, "fashion-mlp.safetensors")),
           "openblas: two runs with %d thread(s) give identical weights" % threads)
    po = json.load(open(os.path.join(o1, "fashion-mlp.json")))["trainer"]
    ok(po.get("openblas-core") and po.get("openblas-threads") == 1,
       "openblas: the provenance records the core (%s) and the thread count" % po.get("openblas-core"))
done()
