#!/usr/bin/python3
"""Small convolutional networks trained end to end: N optimizer steps of
dh-model-train and of torch.nn.Sequential from the same initial weights
and batches give the same weights within a small relative tolerance (both
back-ends); the weights have PyTorch's names and layouts and load with
load_state_dict; the portable back-end gives the same bytes on 1 and 2
threads; the budget's FLOP estimate equals the FLOP that training counts."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import (ok, diag, done, run, read_safetensors, skip_all, trainer,  # noqa: E402
                    torch_sequential, torch_sgd_train)

try:
    import torch
except ImportError:
    skip_all("python3-torch is not installed")

trainer()
torch.set_num_threads(1)

ROWS, C, H, W = 96, 2, 7, 6
BATCH, EPOCHS, SEED = 16, 3, 11
T = torch.nn
NETWORKS = [  # the recipe's Network, and the same as torch modules
    ("conv 4 3x3 pad 1 relu, conv 3 3x3 stride 2 tanh, dense 3",
     lambda: [T.Conv2d(C, 4, 3, padding=1), T.ReLU(), T.Conv2d(4, 3, 3, stride=2), T.Tanh(),
              T.Flatten(), T.Linear(3 * 3 * 2, 3)]),
    ("conv 4 3x3 pad 1 relu, maxpool 2 stride 1, conv 3 2x2 tanh, avgpool 2, dense 3",
     lambda: [T.Conv2d(C, 4, 3, padding=1), T.ReLU(), T.MaxPool2d(2, 1), T.Conv2d(4, 3, 2), T.Tanh(),
              T.AvgPool2d(2), T.Flatten(), T.Linear(3 * 2 * 2, 3)]),
]
rs = np.random.RandomState(19)
X = rs.uniform(-1, 1, size=(ROWS, C * H * W)).astype(np.float32)
CLASSES = (X @ rs.normal(size=(C * H * W, 3))).argmax(axis=1)


def torch_reference(modules):
    model = torch_sequential(modules(), SEED)
    torch_sgd_train(model, torch.from_numpy(X).reshape(ROWS, C, H, W), CLASSES, BATCH, EPOCHS)
    return {k: v.detach().numpy() for k, v in model.state_dict().items()}


def train(tmp, data, index, network, modules):
    ref = torch_reference(modules)
    got = {}
    for numerics, threads in (("portable", 1), ("portable", 2), ("openblas", 2)):
        what = "net %d, %s, %d threads" % (index, numerics, threads)
        recipe = os.path.join(tmp, "cnn%d-%s.models" % (index, numerics))
        with open(recipe, "w") as f:
            f.write("Model: cnn\nDataset: %s\nFormat: csv\nInput-Shape: %dx%dx%d\nNetwork: %s\n"
                    "Loss: softmax-cross-entropy\nOptimizer: sgd\nLearning-Rate: 0.05\n"
                    "Momentum: 0.9\nBatch-Size: %d\nEpochs: %d\nShuffle: no\nSeed: %d\n"
                    "Numerics: %s\n" % (data, C, H, W, network, BATCH, EPOCHS, SEED, numerics))
        out = os.path.join(tmp, "%d-%s-%d" % (index, numerics, threads))
        os.makedirs(out)
        r = run(["train", "--quiet", "--threads", str(threads), "--output-dir", out, recipe])
        if not ok(r.returncode == 0, "%s: %s trains" % (what, network)):
            diag(r.stderr)
            continue
        path = os.path.join(out, "cnn.safetensors")
        with open(path, "rb") as f:
            got[(numerics, threads)] = f.read()
        tensors, _ = read_safetensors(path)
        ok({k: list(v.shape) for k, v in tensors.items()} == {k: list(v.shape) for k, v in ref.items()},
           "%s: names and shapes are torch.nn.Sequential's: %s" % (what, ", ".join(sorted(
               "%s%s" % (k, list(v.shape)) for k, v in tensors.items()))))
        worst = 0.0 if set(tensors) == set(ref) else float("inf")
        for k in ref:
            if k in tensors:
                scale = max(1e-3, float(np.abs(ref[k]).max()))
                worst = max(worst, float(np.abs(tensors[k] - ref[k]).max()) / scale)
        steps = EPOCHS * ((ROWS + BATCH - 1) // BATCH)
        ok(worst < 2e-4, "%s: %d steps match torch %s (worst relative difference %.2g)"
           % (what, steps, torch.__version__, worst))
        b = json.load(open(os.path.join(out, "cnn.json")))["budget"]
        ok(b["estimated-flop"] == b["counted-flop"], "%s: the budget estimates %d FLOP, training "
           "counts %d" % (what, b["estimated-flop"], b["counted-flop"]))
        if numerics == "portable" and threads == 1:
            model = torch_sequential(modules(), SEED)
            try:
                model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()})
                loaded = all(torch.equal(model.state_dict()[k], torch.from_numpy(tensors[k].copy()))
                             for k in tensors)
            except (RuntimeError, KeyError) as e:
                diag(str(e))
                loaded = False
            ok(loaded, "%s: the weights load into torch.nn.Sequential with load_state_dict" % what)
    if ("portable", 1) in got and ("portable", 2) in got:
        ok(got[("portable", 1)] == got[("portable", 2)],
           "net %d, portable: the weights are the same bytes on 1 and 2 threads (%d bytes)"
           % (index, len(got[("portable", 1)])))


with tempfile.TemporaryDirectory() as tmp:
    data = os.path.join(tmp, "d.csv")
    with open(data, "w") as f:
        f.write(",".join("x%d" % i for i in range(C * H * W)) + ",y\n")
        for i in range(ROWS):
            f.write(",".join(repr(float(v)) for v in X[i]) + ",%d\n" % CLASSES[i])
    for index, (network, modules) in enumerate(NETWORKS, 1):
        train(tmp, data, index, network, modules)
done()
