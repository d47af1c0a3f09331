#!/usr/bin/python3
"""PyTorch as the oracle: from the same initial weights and the same
batches, N optimizer steps of dh-model-train and of torch give the same
weights within a small relative tolerance, on both numerics back-ends."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import ok, diag, done, run, read_safetensors, initial_weights, skip_all, trainer  # noqa: E402

try:
    import torch
except ImportError:
    skip_all("python3-torch is not installed")

trainer()
torch.set_num_threads(1)

ROWS, FEATURES = 96, 6
rs = np.random.RandomState(7)
X = rs.uniform(-1, 1, size=(ROWS, FEATURES)).astype(np.float32)
# three classes from a linear rule, and a real-valued target
CLASSES = (X @ rs.normal(size=(FEATURES, 3))).argmax(axis=1)
TARGET = (X @ rs.normal(size=FEATURES) + 0.3).astype(np.float32)

CASES = [
    # name, hidden layers, activation, loss, optimizer fields
    ("sgd-momentum", [8], "tanh", "softmax-cross-entropy",
     {"Optimizer": "sgd", "Learning-Rate": "0.1", "Momentum": "0.9"}),
    ("adam", [10, 7], "relu", "softmax-cross-entropy",
     {"Optimizer": "adam", "Learning-Rate": "0.01"}),
    ("adam-decay", [8], "sigmoid", "mse",
     {"Optimizer": "adam", "Learning-Rate": "0.02", "Weight-Decay": "0.01"}),
    ("adamw-clip", [8], "tanh", "binary-cross-entropy",
     {"Optimizer": "adamw", "Learning-Rate": "0.01", "Weight-Decay": "0.1", "Clip-Norm": "0.5"}),
]
BATCH, EPOCHS, SEED = 16, 3, 5


def write_data(path, loss):
    with open(path, "w") as f:
        f.write(",".join("x%d" % i for i in range(FEATURES)) + ",y\n")
        for i in range(ROWS):
            if loss == "softmax-cross-entropy":
                y = str(CLASSES[i])
            elif loss == "binary-cross-entropy":
                y = str(int(CLASSES[i] == 0))
            else:
                y = repr(float(TARGET[i]))
            f.write(",".join(repr(float(v)) for v in X[i]) + "," + y + "\n")


def torch_reference(hidden, act, loss, opt_fields):
    sizes, fan_in = [], FEATURES
    for h in hidden:
        sizes.append((fan_in, h))
        fan_in = h
    outputs = 3 if loss == "softmax-cross-entropy" else 1
    sizes.append((fan_in, outputs))
    init = initial_weights(SEED, sizes)
    mods = []
    for i, (w, b) in enumerate(init):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w.copy()))
            lin.bias.copy_(torch.from_numpy(b.copy()))
        mods.append(lin)
        if i < len(init) - 1:
            mods.append({"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh,
                         "sigmoid": torch.nn.Sigmoid}[act]())
    model = torch.nn.Sequential(*mods)
    lr = float(opt_fields["Learning-Rate"])
    wd = float(opt_fields.get("Weight-Decay", 0))
    kind = opt_fields["Optimizer"]
    if kind == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=float(opt_fields["Momentum"]),
                              weight_decay=wd)
    elif kind == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    xs = torch.from_numpy(X)
    if loss == "softmax-cross-entropy":
        ys, fn = torch.from_numpy(CLASSES).long(), torch.nn.CrossEntropyLoss()
    elif loss == "binary-cross-entropy":
        ys, fn = torch.from_numpy((CLASSES == 0).astype(np.float32)), torch.nn.BCEWithLogitsLoss()
    else:
        ys, fn = torch.from_numpy(TARGET), torch.nn.MSELoss()
    clip = float(opt_fields.get("Clip-Norm", 0))
    for _ in range(EPOCHS):
        for first in range(0, ROWS, BATCH):  # Shuffle: no -> file order
            opt.zero_grad()
            z = model(xs[first:first + BATCH])
            if outputs == 1:
                z = z[:, 0]
            fn(z, ys[first:first + BATCH]).backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
    state = {}
    for i, m in enumerate(model):
        if isinstance(m, torch.nn.Linear):
            state["layers.%d.weight" % i] = m.weight.detach().numpy()
            state["layers.%d.bias" % i] = m.bias.detach().numpy()
    return state


with tempfile.TemporaryDirectory() as tmp:
    for name, hidden, act, loss, fields in CASES:
        data = os.path.join(tmp, name + ".csv")
        write_data(data, loss)
        ref = torch_reference(hidden, act, loss, fields)
        outputs = 3 if loss == "softmax-cross-entropy" else 1
        network = ", ".join("dense %d %s" % (h, act) for h in hidden) + ", dense %d" % outputs
        for numerics in ("portable", "openblas"):
            recipe = os.path.join(tmp, "%s-%s.models" % (name, numerics))
            with open(recipe, "w") as f:
                f.write("Model: %s\nDataset: %s\nFormat: csv\nNetwork: %s\nLoss: %s\n"
                        "Batch-Size: %d\nEpochs: %d\nShuffle: no\nSeed: %d\nNumerics: %s\n"
                        % (name, data, network, loss, BATCH, EPOCHS, SEED, numerics))
                for k, v in fields.items():
                    f.write("%s: %s\n" % (k, v))
            out = os.path.join(tmp, numerics)
            os.makedirs(out, exist_ok=True)
            r = run(["train", "--quiet", "--output-dir", out, recipe])
            if not ok(r.returncode == 0, "%s/%s trains" % (name, numerics)):
                diag(r.stderr)
                continue
            got, _ = read_safetensors(os.path.join(out, name + ".safetensors"))
            worst, names_match = 0.0, set(got) == set(ref)
            for k in ref:
                if k in got:
                    scale = max(1e-3, float(np.abs(ref[k]).max()))
                    worst = max(worst, float(np.abs(got[k] - ref[k]).max()) / scale)
            steps = EPOCHS * ((ROWS + BATCH - 1) // BATCH)
            ok(names_match and worst < 2e-4,
               "%s/%s: %d steps match torch %s (worst relative difference %.2g)"
               % (name, numerics, steps, torch.__version__, worst))
done()
