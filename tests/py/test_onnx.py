#!/usr/bin/python3
"""Export: onnx, checked by the real tools: every exported model passes
onnx.checker.check_model(full_check=True) (python3-onnx), OpenCV's dnn
(python3-opencv) runs it on every test sample and agrees with the
trainer's own forward pass (dh-model-train predict --probabilities)
within 1e-5, with the same argmax; the initializers are the safetensors'
tensors, the metadata the provenance's facts, the bytes the same across
two trainings and 1 or 2 threads; and a network that ONNX cannot express
is refused before training, with the recipe's line."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, run, write, csv, read_safetensors, trainer, skip_all  # noqa: E402

trainer()
try:
    import cv2
    import onnx
    import onnx.checker
    import onnx.numpy_helper
except ImportError as e:
    skip_all("needs python3-onnx and python3-opencv: %s" % e)

tmp = tempfile.mkdtemp(prefix="dm-onnx-")
csv(os.path.join(tmp, "train.csv"), 240, 16, 3)
csv(os.path.join(tmp, "test.csv"), 60, 16, 3, seed=4)
csv(os.path.join(tmp, "train2.csv"), 240, 16, 2, seed=5)
csv(os.path.join(tmp, "test2.csv"), 60, 16, 2, seed=6)
csv(os.path.join(tmp, "train1.csv"), 240, 16, 1, seed=7)
csv(os.path.join(tmp, "test1.csv"), 60, 16, 1, seed=8)

COMMON = """Format: csv
Epochs: 3
Batch-Size: 16
Seed: 5
License: Expat
Export: onnx
"""
MODELS = {
    # an MLP, per-feature standardisation: Sub and Mul of [16] on [N, 16]
    "mlp": """Dataset: train.csv
Test-Dataset: test.csv
Normalize: standardize
Network: dense 12 relu, dropout 0.1, dense 3
Loss: softmax-cross-entropy
Class-Names: a, b, c
""",
    # conv (stride, padding), batchnorm with running statistics, both
    # poolings, dropout, an implicit flatten; [1, 4, 4] constants on
    # [N, 1, 4, 4]
    "cnn": """Dataset: train.csv
Test-Dataset: test.csv
Input-Shape: 1x4x4
Normalize: standardize
Network: conv 4 3x3 pad 1 relu, batchnorm, maxpool 2 stride 1, dropout 0.2, conv 6 2x2 stride 1 pad 1 tanh, avgpool 2, batchnorm, dense 3
Loss: softmax-cross-entropy
""",
    # tanh and sigmoid, a binary classifier (Sigmoid head), one scale
    "tanhsig": """Dataset: train2.csv
Test-Dataset: test2.csv
Normalize: scale 2
Network: dense 10 tanh, dense 6 sigmoid, batchnorm, dense 1
Loss: binary-cross-entropy
""",
    # a regression: no head, the output is "prediction"
    "reg": """Dataset: train1.csv
Test-Dataset: test1.csv
Network: dense 8 sigmoid, dense 1
Loss: mse
""",
}
RECIPE = "\n".join("Model: %s\n%s%s" % (name, text, COMMON) for name, text in MODELS.items())
write(os.path.join(tmp, "models"), RECIPE)


def train(out, threads):
    os.makedirs(out, exist_ok=True)
    return run(["train", "--quiet", "--threads", str(threads), "--output-dir", out, "models"],
               cwd=tmp)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def deb822_sha256(fields):
    """The recipe hash as export.c defines it: the stanza as deb822 text."""
    text = ""
    for name, value in fields.items():
        lines = value.split("\n")
        text += "%s: %s\n" % (name, lines[0])
        text += "".join(" %s\n" % (line if line else ".") for line in lines[1:])
    return hashlib.sha256(text.encode()).hexdigest()


r1 = train(os.path.join(tmp, "a"), 1)
ok(r1.returncode == 0, "four models with Export: onnx train") or diag(r1.stderr)
r2 = train(os.path.join(tmp, "b"), 2)
ok(r2.returncode == 0, "and again with 2 threads") or diag(r2.stderr)

for name, text in MODELS.items():
    onnx_path = os.path.join(tmp, "a", name + ".onnx")
    if not ok(os.path.exists(onnx_path), "%s: %s.onnx is written beside the weights" % (name, name)):
        continue
    ok(sha256(onnx_path) == sha256(os.path.join(tmp, "b", name + ".onnx")),
       "%s: the same bytes from a second training with 2 threads" % name)
    m = onnx.load(onnx_path)
    try:
        onnx.checker.check_model(m, full_check=True)
        ok(True, "%s: onnx.checker.check_model(full_check=True) passes" % name)
    except Exception as e:  # noqa: BLE001 - the checker's own exceptions
        ok(False, "%s: onnx.checker.check_model(full_check=True) passes" % name)
        diag(e)
    ok(m.opset_import[0].version == 13 and m.ir_version == 7, "%s: opset 13, IR version 7" % name)

    # the provenance lists the file with its SHA-256; the metadata has its facts
    with open(os.path.join(tmp, "a", name + ".json")) as f:
        prov = json.load(f)
    ex = prov.get("exports", [])
    ok(len(ex) == 1 and ex[0]["format"] == "onnx" and ex[0]["file"] == name + ".onnx" and
       ex[0]["sha256"] == sha256(onnx_path) and ex[0]["bytes"] == os.path.getsize(onnx_path),
       "%s: the provenance lists %s.onnx with its SHA-256 and size" % (name, name)) or diag(ex)
    meta = {p.key: p.value for p in m.metadata_props}
    data = json.loads(meta.get("dh-model.data", "{}"))
    ok(meta.get("dh-model.recipe-sha256") == deb822_sha256(prov["recipe"]["fields"]) and
       data.get("train") == [{"path": d["path"], "sha256": d["sha256"]} for d in prov["data"]["train"]] and
       data.get("test") == [{"path": d["path"], "sha256": d["sha256"]} for d in prov["data"]["test"]] and
       meta.get("dh-model.verdict") == prov["verdict"]["class"] and
       meta.get("dh-model.model") == name,
       "%s: metadata_props: the recipe hash, the data hashes, the verdict" % name) or diag(meta)
    if name == "mlp":
        ok(json.loads(meta.get("dh-model.class-names", "null")) == ["a", "b", "c"],
           "mlp: metadata_props carry the class names")

    # names and shapes: "input" [N, ...], the output by the loss
    gi, go = m.graph.input[0], m.graph.output[0]
    in_dims = [d.dim_param or d.dim_value for d in gi.type.tensor_type.shape.dim]
    out_name = "prediction" if name == "reg" else "probabilities"
    want_in = ["N", 1, 4, 4] if name == "cnn" else ["N", 16]

    # initializers: the safetensors' tensors, bit for bit; input.shift and
    # input.scale in the shape of a sample
    tensors, _ = read_safetensors(os.path.join(tmp, "a", name + ".safetensors"))
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in m.graph.initializer}
    same = all(k in tensors and
               (list(v.shape) == want_in[1:] if k.startswith("input.") else tensors[k].shape == v.shape)
               and tensors[k].tobytes() == v.astype("<f4").tobytes() for k, v in inits.items())
    used = set(tensors) - {k for k in tensors if k.endswith("num_batches_tracked")}
    ok(same and set(inits) == used,
       "%s: the initializers are the weights' tensors (all but num_batches_tracked)" % name) \
        or diag(sorted(set(inits) ^ used))
    out_dims = [d.dim_param or d.dim_value for d in go.type.tensor_type.shape.dim]
    ok(gi.name == "input" and in_dims == want_in and go.name == out_name and
       out_dims == ["N", 1 if name in ("reg", "tanhsig") else 3],
       "%s: input 'input' %s, output '%s' %s" % (name, in_dims, go.name, out_dims))

    # OpenCV's dnn against the trainer's forward pass, on every test sample
    test = {"mlp": "test.csv", "cnn": "test.csv", "tanhsig": "test2.csv", "reg": "test1.csv"}[name]
    x = np.loadtxt(os.path.join(tmp, test), delimiter=",", skiprows=1, dtype=np.float32)[:, :16]
    net = cv2.dnn.readNetFromONNX(onnx_path)
    net.setInput(x.reshape([-1] + want_in[1:]))
    y_cv = net.forward()
    p = run(["predict", "--probabilities", os.path.join(tmp, "a", name + ".safetensors"),
             os.path.join(tmp, test)])
    ok(p.returncode == 0, "%s: predict --probabilities runs" % name) or diag(p.stderr)
    y_dm = np.array([[float(v) for v in line.split()] for line in p.stdout.splitlines()],
                    dtype=np.float64)
    if not ok(y_cv.shape == y_dm.shape == (len(x), out_dims[1]),
              "%s: OpenCV gives an output for each of the %d test samples" % (name, len(x))):
        diag("%s %s" % (y_cv.shape, y_dm.shape))
        continue
    err = float(np.abs(y_cv.astype(np.float64) - y_dm).max())
    ok(err <= 1e-5, "%s: OpenCV dnn agrees with dh-model-train within 1e-5 on every sample "
       "(largest difference %.2g)" % (name, err))
    if name == "reg":
        continue
    if name == "tanhsig":
        same_class = ((y_cv[:, 0] > 0.5) == (y_dm[:, 0] > 0.5)).all()
    else:
        same_class = (y_cv.argmax(axis=1) == y_dm.argmax(axis=1)).all()
    ok(same_class, "%s: the same class for every sample" % name)

# the card shows the file, and its OpenCV snippet runs as printed
for name, test in (("mlp", "test.csv"), ("cnn", "test.csv")):
    card = run(["card", os.path.join(tmp, "a", name + ".json")])
    ok("`%s.onnx`" % name in card.stdout and "readNetFromONNX" in card.stdout,
       "%s: the card names %s.onnx and how OpenCV reads it" % (name, name)) or diag(card.stdout[-800:])
    snippet = card.stdout.split("As ONNX", 1)[-1].split("```python\n", 1)[-1].split("```", 1)[0]
    x = np.loadtxt(os.path.join(tmp, test), delimiter=",", skiprows=1, dtype=np.float32)[:, :16]
    np.savetxt(os.path.join(tmp, "a", "SAMPLES.txt"), x, fmt="%.5f")
    write(os.path.join(tmp, "a", "use_onnx.py"), snippet)
    r = subprocess.run([sys.executable, "use_onnx.py"], cwd=os.path.join(tmp, "a"),
                       capture_output=True, text=True)
    got = [int(v) for v in r.stdout.replace("[", " ").replace("]", " ").split()] if r.returncode == 0 else []
    p = run(["predict", "--probabilities", os.path.join(tmp, "a", name + ".safetensors"),
             os.path.join(tmp, test)])
    want = [int(np.argmax([float(v) for v in line.split()])) for line in p.stdout.splitlines()]
    ok(got and got == want,
       "%s: the card's OpenCV snippet, run as printed, gives predict's class for every sample" % name) \
        or diag(r.stdout + r.stderr + snippet)

# refused, with the line, before training: no output appears
BAD = {
    "Export: tflite\n": "line 10: Export: expected formats separated by commas: onnx, got 'tflite'",
    "Export: onnx, onnx\n": "line 10: Export: onnx is named twice",
    # an HxW sample that conv reads as 1xHxW: ONNX's Conv needs [N, C, H, W]
    "Export: onnx\n#": "line 10: Export: onnx: layer 1 (conv): ONNX's Conv needs a C x H x W input",
    # the same for the pooling layers (spatial_pool_onnx)
    "Network: maxpool 2, dense 3\nExport: onnx\n":
        "line 10: Export: onnx: layer 1 (maxpool): ONNX's MaxPool needs a C x H x W input, "
        "but this one is 4x4; give the samples three dimensions (Input-Shape: 1x4x4)",
    "Network: avgpool 2 stride 1, dense 3\nExport: onnx\n":
        "line 10: Export: onnx: layer 1 (avgpool): ONNX's AveragePool needs a C x H x W input",
}
for export, want in BAD.items():
    network = "" if export.startswith("Network:") else "Network: conv 2 3x3 relu, dense 3\n"
    text = """Model: bad
Dataset: train.csv
Format: csv
Input-Shape: 4x4
""" + network + """Loss: softmax-cross-entropy
Epochs: 200
Seed: 1
License: Expat
""" + export
    write(os.path.join(tmp, "bad", "models"), text)
    write(os.path.join(tmp, "bad", "train.csv"), open(os.path.join(tmp, "train.csv")).read())
    os.makedirs(os.path.join(tmp, "bad", "out"), exist_ok=True)
    r = run(["train", "--quiet", "--output-dir", "out", "models"], cwd=os.path.join(tmp, "bad"))
    ok(r.returncode != 0 and "models: " + want in r.stderr and
       "epoch" not in r.stderr and not os.listdir(os.path.join(tmp, "bad", "out")),
       "refused before training: %s" % want) or diag(r.stderr)
done()
