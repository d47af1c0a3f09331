#!/usr/bin/python3
"""The comparison with upstream's prebuilt weights: safetensors and raw
float32 (the same metrics from both), another network, upstream's own
normalization, the validation rows when there is no test set, regression,
Upstream-Max-Regression (exit code 3 like Expect, --no-expect), and every
mistake named by file and line."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import ok, diag, done, trainer, read_safetensors, write  # noqa: E402

TRAINER = trainer()


def csv(path, rows, seed, classes=3, features=5):
    rs = np.random.RandomState(seed)
    w = np.random.RandomState(99).normal(size=(features, max(classes, 1)))
    x = rs.uniform(-1, 1, size=(rows, features)) * 3 + 1
    y = (x @ w).argmax(axis=1) if classes > 1 else (x @ w)[:, 0]
    with open(path, "w") as f:
        f.write(",".join("f%d" % i for i in range(features)) + ",label\n")
        for i in range(rows):
            f.write(",".join("%.4f" % v for v in x[i]) + (",%d\n" % y[i] if classes > 1 else ",%.4f\n" % y[i]))


def recipe(network="dense 8 relu, dense 3", epochs=20, seed=1, extra="", test=True, loss="softmax-cross-entropy",
           normalize="standardize", data="train.csv"):
    return ("Model: m\nDataset: %s\n%sFormat: csv\nNormalize: %s\nNetwork: %s\nLoss: %s\n"
            "Learning-Rate: 0.01\nBatch-Size: 20\nEpochs: %d\nSeed: %d\nLicense: Expat\n%s"
            % (data, "Test-Dataset: test.csv\n" if test else "Validation-Split: 0.25\n", normalize, network,
               loss, epochs, seed, extra))


def train(d, text, out, args=()):
    write(os.path.join(d, "m.models"), text)
    os.makedirs(os.path.join(d, out), exist_ok=True)
    r = subprocess.run([TRAINER, "train", "--output-dir", out] + list(args) + ["m.models"], cwd=d,
                       capture_output=True, text=True, timeout=600)  # only a guard against a hang
    rec = None
    if r.returncode == 0:
        with open(os.path.join(d, out, "m.json")) as f:
            rec = json.load(f)
    return r, rec


def to_raw(st_path, raw_path, names):
    tensors, _ = read_safetensors(st_path)
    with open(raw_path, "wb") as f:
        for n in names:
            f.write(tensors[n].astype("<f4").tobytes())


with tempfile.TemporaryDirectory() as d:
    csv(os.path.join(d, "train.csv"), 300, 1)
    csv(os.path.join(d, "test.csv"), 120, 2)
    csv(os.path.join(d, "rtrain.csv"), 300, 1, classes=1)

    # upstream: another network and seed, many epochs
    r, up = train(d, recipe(network="dense 16 relu, dense 3", epochs=40, seed=7), "up")
    ok(r.returncode == 0, "upstream's weights, from another recipe") or diag(r.stderr)
    up_acc = up["metrics"]["test-accuracy"]

    fields = "Upstream-Weights: up/m.safetensors\nUpstream-Network: dense 16 relu, dense 3\n"
    r, rec = train(d, recipe(epochs=2, extra=fields), "out")
    ok(r.returncode == 0, "a retrained model compared with upstream's") or diag(r.stderr)
    u = rec["upstream"]
    ok(abs(u["upstream"]["test-accuracy"] - up_acc) < 1e-7 and
       abs(u["upstream"]["test-loss"] - up["metrics"]["test-loss"]) < 1e-6,
       "upstream's metrics are those of its own training (same test rows, its own normalization tensors)")
    ok(u["retrained"]["test-accuracy"] == rec["metrics"]["test-accuracy"], "the retrained side is the model's own")
    ok(u["rows"] == 120 and u["split"] == "test" and u["parameters"] == 5 * 16 + 16 + 16 * 3 + 3 and
       u["network"] == "dense 16, relu, dense 3" and u["format"] == "safetensors", "the record describes upstream's model")
    ok(u["normalization"] == "the file's input.shift and input.scale", "... and how it saw the data")
    line = [l for l in r.stdout.splitlines() if l.startswith("m: upstream's ")]
    ok(len(line) == 1 and "on the 120 test rows: accuracy %.4f retrained vs %.4f upstream" %
       (rec["metrics"]["test-accuracy"], up_acc) in line[0], "the build log shows both accuracies") or diag(r.stdout)
    card = subprocess.run([TRAINER, "card", "out/m.json"], cwd=d, capture_output=True, text=True).stdout
    ok("## Upstream comparison" in card and "| test-accuracy | %.4f | %.4f | %+.4f |" %
       (u["retrained"]["test-accuracy"], u["upstream"]["test-accuracy"], u["difference"]["test-accuracy"]) in card,
       "the card shows them side by side with the difference")

    # the same weights as raw float32: the same numbers (normalization from the recipe, which is the same here)
    to_raw(os.path.join(d, "up/m.safetensors"), os.path.join(d, "up.f32"),
           ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"])
    raw_fields = ("Upstream-Weights: up.f32\nUpstream-Format: raw-f32le\n"
                  "Upstream-Network: dense 16 relu, dense 3\n")
    r, rec2 = train(d, recipe(epochs=2, extra=raw_fields), "out")
    ok(r.returncode == 0 and rec2["upstream"]["upstream"] == u["upstream"] and
       rec2["upstream"]["normalization"] == "the recipe's" and rec2["upstream"]["format"] == "raw-f32le",
       "raw-f32le holding the same tensors gives the same metrics") or diag(r.stderr)
    with open(os.path.join(d, "short.f32"), "wb") as f:
        f.write(b"\0" * 40)
    r, _ = train(d, recipe(epochs=2, extra=raw_fields.replace("up.f32", "short.f32")), "out")
    ok(r.returncode == 1 and "m.models: line 13: Upstream-Weights: short.f32: 40 bytes, but Upstream-Format "
       "raw-f32le with the network of Upstream-Network (dense 16, relu, dense 3, m.models line 15) needs 147 "
       "parameters, 588 bytes" in r.stderr, "raw-f32le of the wrong size: named with both sizes") or diag(r.stderr)

    # upstream normalized differently: it is evaluated on the data as it expects them
    r, up2 = train(d, recipe(network="dense 16 relu, dense 3", epochs=40, seed=7, normalize="scale 4"), "up2")
    r, rec3 = train(d, recipe(epochs=2, extra=fields.replace("up/", "up2/")), "out")
    ok(r.returncode == 0 and abs(rec3["upstream"]["upstream"]["test-accuracy"] -
                                 up2["metrics"]["test-accuracy"]) < 1e-7 and
       abs(rec3["upstream"]["upstream"]["test-loss"] - up2["metrics"]["test-loss"]) < 1e-5,
       "upstream with its own normalization (scale 4 vs standardize): its own metrics") or diag(r.stderr)

    # the threshold: upstream is better than a 1-epoch retraining
    gate = fields + "Upstream-Max-Regression: 0\n"
    r, _ = train(d, recipe(epochs=1, extra=gate), "gate")
    ok(r.returncode == 3 and "m.models: line 15: Upstream-Max-Regression: the retrained model's test-accuracy "
       in r.stderr and "worse than upstream's" in r.stderr and "(up/m.safetensors), more than the 0 allowed "
       "(DEB_BUILD_OPTIONS=nocheck or --no-expect skips the gates)" in r.stderr,
       "worse than upstream by more than Upstream-Max-Regression: exit code 3, like Expect") or diag(r.stderr)
    ok(not os.path.exists(os.path.join(d, "gate", "m.safetensors")), "... and no output")
    ok("over Upstream-Max-Regression" in r.stdout, "... after the comparison in the build log")
    r, rec4 = train(d, recipe(epochs=1, extra=gate), "gate", args=("--no-expect",))
    mr = rec4 and rec4["upstream"]["max-regression"]
    ok(r.returncode == 0 and mr["result"] == "fail" and mr["metric"] == "test-accuracy" and mr["worse-by"] > 0,
       "--no-expect (nocheck): recorded as a failure, not fatal")
    r, _ = train(d, recipe(epochs=1, extra=gate), "gate", args=("--no-expect", "--quiet"))
    ok(r.returncode == 0 and r.stdout == "" and "dh-model-train: warning: m.models: line 15: "
       "Upstream-Max-Regression: the retrained model is " in r.stderr and "worse than upstream's on "
       "accuracy, more than the 0 allowed (not fatal: " in r.stderr,
       "... and a warning on stderr says so, even with --quiet") or diag(r.stdout + r.stderr)
    r, rec5 = train(d, recipe(epochs=1, extra=fields + "Upstream-Max-Regression: accuracy 0.99\n"), "gate")
    ok(r.returncode == 0 and rec5["upstream"]["max-regression"]["result"] == "pass", "within a generous threshold")
    r, rec6 = train(d, recipe(epochs=1, extra=fields + "Upstream-Max-Regression: loss 100\n"), "gate")
    ok(r.returncode == 0 and rec6["upstream"]["max-regression"]["metric"] == "test-loss", "a threshold on the loss")

    # no test set: the validation rows that the retrained recipe's seed holds out (upstream's own
    # recipe has the same seed here, so its recorded validation metrics are on the same rows)
    r, up3 = train(d, recipe(network="dense 16 relu, dense 3", epochs=10, seed=1, test=False), "up3")
    r, rec7 = train(d, recipe(epochs=2, test=False, extra=fields.replace("up/", "up3/")), "out")
    ok(r.returncode == 0 and rec7["upstream"]["split"] == "validation" and rec7["upstream"]["rows"] == 75 and
       abs(rec7["upstream"]["upstream"]["validation-accuracy"] - up3["metrics"]["validation-accuracy"]) < 1e-7,
       "without a test set both are evaluated on the same validation rows") or diag(r.stderr)

    # regression: rmse
    reg = dict(loss="mse", data="rtrain.csv", test=False, network="dense 4 relu, dense 1")
    r, up4 = train(d, recipe(epochs=10, seed=5, **reg), "up4")
    r, rec8 = train(d, recipe(epochs=3, extra="Upstream-Weights: up4/m.safetensors\n"
                              "Upstream-Max-Regression: 1000\n", **reg), "out")
    ok(r.returncode == 0 and "validation-rmse" in rec8["upstream"]["upstream"] and
       rec8["upstream"]["max-regression"]["metric"] == "validation-rmse",
       "regression: rmse side by side, and the default threshold metric is rmse") or diag(r.stderr)

    # mistakes, each named by file and line
    mistakes = [
        (fields.replace("dense 16 relu", "dense 8 relu"),
         "Upstream-Weights: up/m.safetensors: tensor 'layers.0.weight' has shape [16, 5], but the network of "
         "Upstream-Network (dense 8, relu, dense 3, m.models line 14) needs [8, 5]"),
        ("Upstream-Weights: up/m.safetensors\nUpstream-Network: dense 16 relu, dense 4\n",
         "m.models: line 14: Upstream-Network: its last layer has 4 outputs, but Network's has 3"),
        ("Upstream-Weights: up/m.safetensors\nUpstream-Network: dense 16 relu, dense 3, dense 3\n",
         "no tensor 'layers.3.weight'"),
        ("Upstream-Weights: nonexistent.safetensors\n", "line 13: Upstream-Weights: nonexistent.safetensors: "
         "No such file or directory"),
        ("Upstream-Weights: fifo\n", "line 13: Upstream-Weights: fifo: not a regular file (a FIFO)"),
        ("Upstream-Network: dense 3\n", "m.models: line 13: Upstream-Network needs Upstream-Weights"),
        (fields + "Upstream-Format: tflite\n", "line 15: Upstream-Format: expected safetensors, raw-f32le "
         "or onnx"),
        (fields + "Upstream-Format: onnx\n", "line 14: Upstream-Network is not for an ONNX file"),
        ("Upstream-Weights: up/m.safetensors\nUpstream-Format: onnx\n",
         "line 13: Upstream-Weights: up/m.safetensors: not an ONNX model"),
        (fields + "Upstream-Max-Regression: -1\n", "line 15: Upstream-Max-Regression: expected [accuracy|loss] "
         "NUMBER >= 0"),
        (fields + "Upstream-Max-Regression: rmse 1\n", "Upstream-Max-Regression: expected [accuracy|loss]"),
    ]
    os.mkfifo(os.path.join(d, "fifo"))   # read, it would block the build
    for extra, want in mistakes:
        r, _ = train(d, recipe(epochs=1, extra=extra), "bad")
        ok(r.returncode == 1 and want in r.stderr, "refused: %s" % want) or diag(r.stderr)
    r, _ = train(d, recipe(epochs=1, test=False, extra="Upstream-Weights: up/m.safetensors\n").replace(
        "Validation-Split: 0.25\n", ""), "bad")
    ok(r.returncode == 1 and "Upstream-Weights needs a Test-Dataset or a Validation-Split" in r.stderr,
       "nothing to evaluate on: refused") or diag(r.stderr)
    # an extra tensor that the declared network does not have
    tensors, meta = read_safetensors(os.path.join(d, "up/m.safetensors"))
    header = {}
    blob = b""
    for name, arr in list(tensors.items()) + [("head.extra", np.zeros(2, dtype="<f4"))]:
        b = arr.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [len(blob), len(blob) + len(b)]}
        blob += b
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(d, "extra.safetensors"), "wb") as f:
        f.write(len(h).to_bytes(8, "little") + h + blob)
    r, _ = train(d, recipe(epochs=1, extra=fields.replace("up/m.safetensors", "extra.safetensors")), "bad")
    ok(r.returncode == 1 and "extra.safetensors: tensor 'head.extra' is not part of the network of "
       "Upstream-Network" in r.stderr, "a tensor that Upstream-Network does not have: refused") or diag(r.stderr)

done()
