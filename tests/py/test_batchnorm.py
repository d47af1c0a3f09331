#!/usr/bin/python3
"""batchnorm against PyTorch's nn.BatchNorm1d and nn.BatchNorm2d.

The layer alone (tests/c/layer_oracle): in training mode the output, the
gradients of weight, bias and input, and the running statistics after the
step; in evaluation mode the output from the running statistics; after a
plain width (BatchNorm1d), on C x L (BatchNorm1d on [B, C, L]) and on
C x H x W (BatchNorm2d), odd sizes, batch 1 for BatchNorm2d; the kernels'
FLOP and the same bits on 1 and 2 threads.

Networks trained end to end: N optimizer steps match torch.nn.Sequential
from the same initial weights, running_mean, running_var and
num_batches_tracked included; the file loads with load_state_dict(strict);
the test metrics come from the running statistics (torch's eval mode); the
portable weights are the same bytes on 1 and 2 threads; the budget's
estimate equals the counted FLOP; a training batch of 1 row before a
BatchNorm1d is refused, as PyTorch refuses it."""
import collections
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import (ok, diag, done, run, read_safetensors, skip_all, trainer,  # noqa: E402
                    layer_oracle, run_layer_oracle, max_difference, torch_sequential,
                    torch_sgd_train)

try:
    import torch
except ImportError:
    skip_all("python3-torch is not installed")

layer_oracle()
trainer()
torch.set_num_threads(1)
T = torch.nn
TOL = 2e-5  # of the largest magnitude of each compared array


def ours(x, arrays, numerics, threads, mode):
    return run_layer_oracle("batchnorm", x, arrays, numerics, threads,
                            ["eval"] if mode == "eval" else [])


WORST = collections.defaultdict(float)


def layer_case(shape, mode):
    B, C = shape[0], shape[1]
    rs = np.random.RandomState(sum(shape) * 7 + len(shape) + (mode == "eval"))
    x = (rs.normal(size=shape) * 1.5 + 0.3).astype(np.float32)
    gamma = rs.uniform(0.5, 1.5, size=C).astype(np.float32)
    beta = rs.uniform(-0.5, 0.5, size=C).astype(np.float32)
    rmean = rs.uniform(-0.3, 0.3, size=C).astype(np.float32)
    rvar = rs.uniform(0.5, 2, size=C).astype(np.float32)
    tracked = 3
    bn = (T.BatchNorm2d if len(shape) == 4 else T.BatchNorm1d)(C)
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
        bn.running_mean.copy_(torch.from_numpy(rmean))
        bn.running_var.copy_(torch.from_numpy(rvar))
        bn.num_batches_tracked.fill_(tracked)
    bn.train(mode == "train")
    xt = torch.from_numpy(x).requires_grad_()
    y = bn(xt)
    dy = rs.uniform(-1, 1, size=shape).astype(np.float32)
    y.backward(torch.from_numpy(dy))
    state = np.concatenate([bn.running_mean.detach().numpy(), bn.running_var.detach().numpy(),
                            [float(bn.num_batches_tracked)]])
    m = B * int(np.prod(shape[2:]))
    flop = C * (6 * m + 16) + 1 + C * (15 * m + 8) if mode == "train" else C * (2 * m + 6)
    name = "batchnorm %s, %s mode, %s" % (bn.__class__.__name__, mode, "x".join(map(str, shape)))
    stdout = {}
    arrays = [gamma, beta, rmean, rvar, [tracked], dy]
    for numerics, threads in (("portable", 1), ("portable", 2), ("openblas", 1)):
        got, stdout[threads] = ours(x, arrays, numerics, threads, mode)
        figures = {"y": max_difference(got["y"], y.detach().numpy()),
                   "state": max_difference(got["state"], state)}
        if mode == "train":
            figures["dgamma"] = max_difference(got["grads"][:C], bn.weight.grad.numpy())
            figures["dbeta"] = max_difference(got["grads"][C:], bn.bias.grad.numpy())
            figures["dx"] = max_difference(got["dx"], xt.grad.numpy())
        for k, v in figures.items():
            WORST[(mode, k)] = max(WORST[(mode, k)], v[0])
        shape_ok = [int(v) for v in got["shape"]] == list(shape[1:])
        ok(shape_ok and max(v[1] for v in figures.values()) < TOL,
           "%s (%s, %d threads) matches torch: max abs difference %s" % (
               name, numerics, threads, ", ".join("%s %.2g" % (k, v[0]) for k, v in figures.items())))
        if numerics == "portable" and threads == 1:
            ok(int(got["flop"][0]) == flop, "%s: the kernels count %d FLOP, the rule %d"
               % (name, int(got["flop"][0]), flop))
    ok(stdout[1] == stdout[2], "%s: the same bits on 1 and 2 threads" % name)


def layer_case_or_fail(shape, mode):
    try:
        layer_case(shape, mode)
    except RuntimeError as e:
        ok(False, "batchnorm on %s, %s mode: layer_oracle fails: %s" % (shape, mode, str(e).strip()))


for mode in ("train", "eval"):
    for shape in [(2, 3), (5, 7), (3, 1), (4, 3, 5), (1, 3, 5, 5), (2, 2, 7, 6), (3, 5, 3, 1)]:
        layer_case_or_fail(shape, mode)
layer_case_or_fail((1, 4), "eval")  # BatchNorm1d takes a batch of 1 in evaluation only
for k, v in sorted(WORST.items()):
    diag("worst abs difference, %s mode, %s: %.3g" % (k[0], k[1], v))

# ---- networks trained end to end ----
ROWS, C, H, W = 96, 2, 7, 6
BATCH, EPOCHS, SEED = 16, 3, 11
NETWORKS = [
    ("conv 4 3x3 pad 1, batchnorm, relu, maxpool 2, dense 8, batchnorm, tanh, dense 3",
     lambda: [T.Conv2d(C, 4, 3, padding=1), T.BatchNorm2d(4), T.ReLU(), T.MaxPool2d(2),
              T.Flatten(), T.Linear(4 * 3 * 3, 8), T.BatchNorm1d(8), T.Tanh(), T.Linear(8, 3)]),
    ("dense 16, batchnorm, relu, dense 3",
     lambda: [T.Linear(C * H * W, 16), T.BatchNorm1d(16), T.ReLU(), T.Linear(16, 3)]),
]
rs = np.random.RandomState(19)
X = (rs.normal(size=(ROWS, C * H * W)) * 2 + 0.5).astype(np.float32)
CLASSES = (X @ rs.normal(size=(C * H * W, 3))).argmax(axis=1)


def torch_reference(modules):
    model = torch_sequential(modules(), SEED)
    xs = torch.from_numpy(X)
    if not isinstance(model.layers[0], T.Linear):
        xs = xs.reshape(ROWS, C, H, W)
    # SGD: the bias of a layer just before a batchnorm has a gradient of
    # rounding noise only (the batch mean removes it), which Adam would
    # scale up to full steps, in torch as here
    fn = torch_sgd_train(model, xs, CLASSES, BATCH, EPOCHS)
    model.eval()
    with torch.no_grad():
        loss = float(fn(model(xs), torch.from_numpy(CLASSES).long()))
    return {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}, loss


def recipe(tmp, data, name, network, numerics, batch=BATCH):
    path = os.path.join(tmp, "%s.models" % name)
    with open(path, "w") as f:
        f.write("Model: bn\nDataset: %s\nTest-Dataset: %s\nFormat: csv\nInput-Shape: %dx%dx%d\n"
                "Network: %s\nLoss: softmax-cross-entropy\nOptimizer: sgd\nLearning-Rate: 0.05\n"
                "Momentum: 0.9\n"
                "Batch-Size: %d\nEpochs: %d\nShuffle: no\nSeed: %d\nNumerics: %s\n"
                % (data, data, C, H, W, network, batch, EPOCHS, SEED, numerics))
    return path


def train(tmp, data, index, network, modules):
    ref, ref_loss = torch_reference(modules)
    got = {}
    for numerics, threads in (("portable", 1), ("portable", 2), ("openblas", 2)):
        what = "net %d, %s, %d threads" % (index, numerics, threads)
        out = os.path.join(tmp, "%d-%s-%d" % (index, numerics, threads))
        os.makedirs(out)
        r = run(["train", "--quiet", "--threads", str(threads), "--output-dir", out,
                 recipe(tmp, data, "bn%d-%s" % (index, numerics), network, numerics)])
        if not ok(r.returncode == 0, "%s: %s trains" % (what, network)):
            diag(r.stderr)
            continue
        path = os.path.join(out, "bn.safetensors")
        with open(path, "rb") as f:
            got[(numerics, threads)] = f.read()
        tensors, _ = read_safetensors(path)
        ok({k: list(v.shape) for k, v in tensors.items()} == {k: list(v.shape) for k, v in ref.items()},
           "%s: names and shapes are torch.nn.Sequential's: %s" % (what, ", ".join(sorted(
               "%s%s" % (k, list(v.shape)) for k, v in tensors.items()))))
        worst, worst_stat = (0.0, 0.0) if set(tensors) == set(ref) else (float("inf"),) * 2
        for k in ref:
            if k in tensors:
                scale = max(1e-3, float(np.abs(ref[k]).max()))
                d = float(np.abs(tensors[k] - ref[k]).max()) / scale
                if k.endswith(("running_mean", "running_var", "num_batches_tracked")):
                    worst_stat = max(worst_stat, d)
                else:
                    worst = max(worst, d)
        steps = EPOCHS * ((ROWS + BATCH - 1) // BATCH)
        nbt = [float(v) for k, v in tensors.items() if k.endswith("num_batches_tracked")]
        ok(worst < 2e-4 and worst_stat < 2e-4 and nbt and all(v == steps for v in nbt),
           "%s: %d steps match torch %s: worst relative difference %.2g in the parameters, "
           "%.2g in the running statistics; num_batches_tracked %s"
           % (what, steps, torch.__version__, worst, worst_stat, nbt))
        js = json.load(open(os.path.join(out, "bn.json")))
        b = js["budget"]
        ok(b["estimated-flop"] == b["counted-flop"], "%s: the budget estimates %d FLOP, training "
           "counts %d" % (what, b["estimated-flop"], b["counted-flop"]))
        loss = js["metrics"]["test-loss"]
        ok(abs(loss - ref_loss) < 1e-4 * max(1, abs(ref_loss)),
           "%s: the test loss %.6g is torch's in eval mode (running statistics), %.6g"
           % (what, loss, ref_loss))
        if numerics == "portable" and threads == 1:
            bnn = sum(v.size for k, v in tensors.items() if "running" in k or "batches" in k)
            ok(js["network"]["parameters"] == sum(p.numel() for p in torch_sequential(modules(), SEED).parameters()),
               "%s: %d parameters, as torch's parameters() (the %d floats of running "
               "statistics are buffers)" % (what, js["network"]["parameters"], bnn))
            model = torch_sequential(modules(), SEED)
            try:
                model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()},
                                      strict=True)
                sd = model.state_dict()
                loaded = all(np.array_equal(sd[k].numpy().astype(np.float32), tensors[k])
                             for k in tensors)
            except (RuntimeError, KeyError) as e:
                diag(str(e))
                loaded = False
            ok(loaded, "%s: the file loads into torch.nn.Sequential with "
               "load_state_dict(strict=True), running statistics included" % what)
            v = run(["verify", "--threads", "2", path])
            ok(v.returncode == 0 and "identical: all %d tensors" % len(tensors) in v.stdout,
               "%s: verify retrains the same tensors, running statistics included: %s"
               % (what, v.stdout.strip().splitlines()[-1:]))
            e = run(["eval", "--model", "bn", recipe(tmp, data, "bn%d-%s" % (index, numerics),
                                                     network, numerics), path])
            ok(e.returncode == 0 and ("test-loss %.6f" % loss) in e.stdout,
               "%s: eval of the saved file gives the test loss of training, from the running "
               "statistics: %s" % (what, e.stdout.strip()))
            i = run(["inspect", path])
            ok("constants: %d (batchnorm's running statistics; not trained)" % bnn in i.stdout,
               "%s: inspect counts the running statistics as constants" % what)
    if ("portable", 1) in got and ("portable", 2) in got:
        ok(got[("portable", 1)] == got[("portable", 2)],
           "net %d, portable: the weights are the same bytes on 1 and 2 threads (%d bytes)"
           % (index, len(got[("portable", 1)])))


with tempfile.TemporaryDirectory() as tmp:
    data = os.path.join(tmp, "d.csv")
    odd = os.path.join(tmp, "odd.csv")
    for path, rows in ((data, ROWS), (odd, ROWS + 1)):
        with open(path, "w") as f:
            f.write(",".join("x%d" % i for i in range(C * H * W)) + ",y\n")
            for i in range(rows):
                f.write(",".join(repr(float(v)) for v in X[i % ROWS]) + ",%d\n" % CLASSES[i % ROWS])
    for index, (network, modules) in enumerate(NETWORKS, 1):
        train(tmp, data, index, network, modules)
    # 97 rows in batches of 16: the last batch has 1 row
    out = os.path.join(tmp, "odd")
    os.makedirs(out)
    for batch, rows in ((BATCH, ROWS + 1), (1, ROWS)):
        r = run(["train", "--quiet", "--output-dir", out,
                 recipe(tmp, odd if rows > ROWS else data, "odd%d" % batch, NETWORKS[1][0],
                        "portable", batch)])
        ok(r.returncode != 0 and "needs at least 2 rows in every training batch" in r.stderr
           and "Batch-Size %d" % batch in r.stderr,
           "Batch-Size %d over %d rows: a batch of 1 row before a BatchNorm1d is refused: %s"
           % (batch, rows, r.stderr.strip()))
done()
