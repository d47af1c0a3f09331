#!/usr/bin/python3
"""Reading ONNX models (trainer/output/onnx_read.c): graphs that
torch.onnx.export (python3-torch) and Keras' converter give, and our own
Export: onnx, evaluated by `dh-model-train eval` and listed by `inspect`.
The oracles: PyTorch's own forward pass on the same data (accuracy equal,
loss within 1e-5), OpenCV's dnn on the Keras-form graph, and for our own
export the safetensors' metrics, bit for bit.  An operator the trainer has
no layer for is an error naming it and its node."""
import inspect
import warnings
import json
import os
import re
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "onnx"))
from dmtest import ok, diag, done, run, write, csv, trainer, skip_all  # noqa: E402

trainer()
try:
    import cv2
    import onnx
    from onnx import helper, numpy_helper, TensorProto
    import torch
    from torch import nn
    import keras_conv
except ImportError as e:
    skip_all("needs python3-torch, python3-onnx and python3-opencv: %s" % e)

torch.manual_seed(3)
torch.set_num_threads(1)
# PyTorch 2.9 and later export through torch.export unless dynamo=False
# (that path needs onnxscript, which python3-torch does not depend on); 1.13 has no such argument.
LEGACY_EXPORT = ({"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters
                 else {})
# ... and warns that the TorchScript exporter is deprecated: the build log is kept free of warnings.
warnings.filterwarnings("ignore", message="You are using the legacy TorchScript-based ONNX export",
                        category=DeprecationWarning)
tmp = tempfile.mkdtemp(prefix="dm-onnx-import-")
csv(os.path.join(tmp, "train.csv"), 240, 16, 3)
csv(os.path.join(tmp, "test.csv"), 60, 16, 3, seed=4)
csv(os.path.join(tmp, "train2.csv"), 240, 16, 2, seed=5)
csv(os.path.join(tmp, "test2.csv"), 60, 16, 2, seed=6)
csv(os.path.join(tmp, "train1.csv"), 240, 16, 1, seed=7)
csv(os.path.join(tmp, "test1.csv"), 60, 16, 1, seed=8)


def load_csv(path):
    a = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    return a[:, :-1], a[:, -1]


def metrics(stdout):
    """loss, accuracy (or rmse) from eval's first line"""
    m = re.search(r"test-loss (\S+) test-(?:accuracy|rmse) (\S+) \((\d+) rows\)", stdout)
    return (float(m.group(1)), float(m.group(2)), int(m.group(3))) if m else None


# ---- 1. our own export, read back: the same metrics as the safetensors
COMMON = "Format: csv\nEpochs: 3\nBatch-Size: 16\nSeed: 5\nLicense: Expat\nExport: onnx\n"
OURS = {
    "mlp": "Dataset: train.csv\nTest-Dataset: test.csv\nNormalize: standardize\n"
           "Network: dense 12 relu, dropout 0.1, dense 3\nLoss: softmax-cross-entropy\n",
    "cnn": "Dataset: train.csv\nTest-Dataset: test.csv\nInput-Shape: 1x4x4\n"
           "Normalize: standardize\nNetwork: conv 4 3x3 pad 1 relu, batchnorm, maxpool 2 "
           "stride 1, dropout 0.2, conv 6 2x2 stride 1 pad 1 tanh, avgpool 2, batchnorm, "
           "dense 3\nLoss: softmax-cross-entropy\n",
    "tanhsig": "Dataset: train2.csv\nTest-Dataset: test2.csv\nNormalize: scale 2\n"
               "Network: dense 10 tanh, dense 6 sigmoid, batchnorm, dense 1\n"
               "Loss: binary-cross-entropy\n",
    "reg": "Dataset: train1.csv\nTest-Dataset: test1.csv\nNetwork: dense 8 sigmoid, dense 1\n"
           "Loss: mse\n",
}
write(os.path.join(tmp, "models"),
      "\n".join("Model: %s\n%s%s" % (n, t, COMMON) for n, t in OURS.items()))
os.makedirs(os.path.join(tmp, "out"))
r = run(["train", "--quiet", "--output-dir", "out", "models"], cwd=tmp)
ok(r.returncode == 0, "four models with Export: onnx train") or diag(r.stderr)
for name in OURS:
    st = run(["eval", "--model", name, "models", "out/%s.safetensors" % name], cwd=tmp)
    ox = run(["eval", "--model", name, "models", "out/%s.onnx" % name], cwd=tmp)
    a, b = metrics(st.stdout), metrics(ox.stdout)
    ok(ox.returncode == 0 and a is not None and a == b,
       "%s: eval RECIPE %s.onnx gives the safetensors' metrics exactly %s" % (name, name, b)) \
        or diag(st.stdout + st.stderr + ox.stdout + ox.stderr)
    ins = run(["inspect", "out/%s.onnx" % name], cwd=tmp)
    ins_st = run(["inspect", "out/%s.safetensors" % name], cwd=tmp)
    # the shapes and counts (a dropout has no node: the layers after it
    # are numbered one less)
    tensors = lambda out: sorted(l.split(None, 1)[1] for l in out.splitlines()  # noqa: E731
                                 if l.startswith("  layers.") or l.startswith("parameters"))
    ok(ins.returncode == 0 and "ONNX model (dh-model-train" in ins.stdout and
       tensors(ins.stdout) == tensors(ins_st.stdout) and
       "dh-model.recipe-sha256" in ins.stdout,
       "%s: inspect lists the ONNX file's tensors (shapes) as the safetensors' and its metadata" % name) \
        or diag(ins.stdout + ins.stderr)


# ---- 2. PyTorch's export: eval agrees with PyTorch's own forward pass
class Normalized(nn.Module):
    """(x - mean) / std in the graph, as a packager's wrapper exports it:
    Sub and Div by constants"""

    def __init__(self, body, mean, std):
        super().__init__()
        self.body = body
        self.register_buffer("mean", torch.tensor(mean))
        self.register_buffer("std", torch.tensor(std))

    def forward(self, x):
        return self.body((x - self.mean) / self.std)


def randomize_bn(model):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)


def torch_model(name):
    if name == "torch-mlp":
        body = nn.Sequential(nn.Linear(16, 20), nn.ReLU(), nn.Dropout(0.3), nn.BatchNorm1d(20),
                             nn.Linear(20, 10), nn.Tanh(), nn.Linear(10, 3), nn.Softmax(dim=1))
        x_mean = np.linspace(-0.1, 0.1, 16).astype(np.float32)
        return Normalized(body, x_mean, np.float32(0.6)), (1, 16)
    if name == "torch-cnn":
        body = nn.Sequential(nn.Conv2d(1, 5, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(5),
                             nn.MaxPool2d(2, stride=1), nn.Conv2d(5, 4, 2, stride=1),
                             nn.Sigmoid(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(4, 3))
        return body, (1, 1, 4, 4)
    if name == "torch-freshbn":
        # a new BatchNorm1d: weight and running_var are all ones, bias and
        # running_mean zeros, so PyTorch writes one initializer of each
        # and Identity nodes for the others
        return nn.Sequential(nn.Linear(16, 6), nn.BatchNorm1d(6), nn.Linear(6, 3)), (1, 16)
    body = nn.Sequential(nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())
    return body, (1, 16)


def export(model, shape, path, opset=13):
    model.eval()
    torch.onnx.export(model, torch.zeros(shape), path, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, opset_version=opset, **LEGACY_EXPORT)


torch_metrics = {}
for name, test, opset in (("torch-mlp", "test.csv", 13), ("torch-cnn", "test.csv", 11),
                          ("torch-bce", "test2.csv", 14), ("torch-freshbn", "test.csv", 13)):
    model, shape = torch_model(name)
    if name != "torch-freshbn":
        randomize_bn(model)
    path = os.path.join(tmp, name + ".onnx")
    export(model, shape, path, opset)
    x, y = load_csv(os.path.join(tmp, test))
    with torch.no_grad():
        out = model(torch.from_numpy(x).reshape((-1,) + shape[1:])).numpy()
    if name == "torch-bce":
        p = out[:, 0].astype(np.float64)
        acc = float(((p > 0.5) == (y > 0.5)).mean())
        loss = float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())
    else:
        acc = float((out.argmax(axis=1) == y).mean())
        if name in ("torch-cnn", "torch-freshbn"):  # logits: no Softmax at the end
            out = torch.softmax(torch.from_numpy(out).double(), dim=1).numpy()
        loss = float(-np.log(out[np.arange(len(y)), y.astype(int)].astype(np.float64)).mean())
    r = run(["eval", "--format", "csv", path, test], cwd=tmp)
    got = metrics(r.stdout)
    ok(r.returncode == 0 and got is not None and got[2] == len(y) and abs(got[1] - acc) < 1e-6
       and abs(got[0] - loss) < 1e-5,
       "%s (opset %d): eval FILE.onnx DATA: accuracy %s = PyTorch's %.6f, loss within 1e-5 "
       "of PyTorch's %.6f" % (name, opset, got and got[1], acc, loss, )) \
        or diag(r.stdout + r.stderr)
    diag(r.stdout.strip())

    torch_metrics[name] = (acc, loss)

# Upstream-Weights: FILE.onnx, beside a retrained model on the same rows
# (the recipe standardises its inputs, the graph its own way)
write(os.path.join(tmp, "up.models"), "Model: up\n" + OURS["mlp"] + COMMON +
      "Upstream-Weights: torch-mlp.onnx\n")
os.makedirs(os.path.join(tmp, "up"))
r = run(["train", "--output-dir", "up", "up.models"], cwd=tmp)
m = re.search(r"^up: upstream's torch-mlp.onnx \(dense 20, relu, batchnorm, dense 10, tanh, "
              r"dense 3, (\d+) parameters\) on the 60 test rows: accuracy (\S+) retrained vs "
              r"(\S+) upstream \(\S+\); loss \S+ retrained vs (\S+) upstream", r.stdout, re.M)
acc, loss = torch_metrics["torch-mlp"]
ok(r.returncode == 0 and m is not None and int(m.group(1)) == 16 * 20 + 20 + 40 + 200 + 10 + 33
   and abs(float(m.group(3)) - acc) < 1e-4 and abs(float(m.group(4)) - loss) < 1e-4,
   "Upstream-Weights: torch-mlp.onnx: the log shows upstream's accuracy %s (PyTorch's %.4f)"
   % (m and m.group(3), acc)) or diag(r.stdout + r.stderr)
rec = json.load(open(os.path.join(tmp, "up", "up.json")))
ok(rec.get("upstream", {}).get("format") == "onnx" and
   rec["upstream"].get("normalization") == "the graph's own",
   "the provenance records format onnx, normalisation the graph's own")
write(os.path.join(tmp, "bad-up.models"), "Model: bad\n" + OURS["mlp"] + COMMON +
      "Upstream-Weights: torch-mlp.onnx\nUpstream-Network: dense 3\n")
r = run(["train", "--output-dir", "up", "bad-up.models"], cwd=tmp)
ok(r.returncode != 0 and "line 14: Upstream-Network is not for an ONNX file" in r.stderr,
   "Upstream-Network beside an .onnx is refused with its line") or diag(r.stderr)

# a CNN recipe on its own test data: the 4x4 sample shape comes from the graph
r = run(["eval", "--model", "cnn", "models", "torch-cnn.onnx"], cwd=tmp)
ok(r.returncode == 0 and "conv 5 3x3 pad 1" in r.stdout,
   "eval RECIPE torch-cnn.onnx reads PyTorch's CNN as conv 5 3x3 pad 1, ...") \
    or diag(r.stdout + r.stderr)


# ---- 3. Keras' form (tf2onnx): MatMul + Add, a Reshape to [-1, F], a
# batchnorm with epsilon 1e-3; OpenCV's dnn is the oracle
def keras_graph(path, extra_op=None):
    rs = np.random.RandomState(11)
    inits = [
        numpy_helper.from_array(rs.normal(0, 0.5, (16, 12)).astype(np.float32), "dense/kernel"),
        numpy_helper.from_array(rs.normal(0, 0.1, 12).astype(np.float32), "dense/bias"),
        numpy_helper.from_array(rs.uniform(0.5, 1.5, 12).astype(np.float32), "bn/gamma"),
        numpy_helper.from_array(rs.normal(0, 0.1, 12).astype(np.float32), "bn/beta"),
        numpy_helper.from_array(rs.normal(0, 0.3, 12).astype(np.float32), "bn/mean"),
        numpy_helper.from_array(rs.uniform(0.5, 2, 12).astype(np.float32), "bn/var"),
        numpy_helper.from_array(rs.normal(0, 0.5, (12, 3)).astype(np.float32), "out/kernel"),
        numpy_helper.from_array(rs.normal(0, 0.1, 3).astype(np.float32), "out/bias"),
        numpy_helper.from_array(np.array([-1, 16], dtype=np.int64), "flatten/shape"),
    ]
    nodes = [
        helper.make_node("Reshape", ["input_1", "flatten/shape"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", "dense/kernel"], ["mm"], name="dense/MatMul"),
        helper.make_node("Add", ["mm", "dense/bias"], ["dense"], name="dense/BiasAdd"),
        helper.make_node("Relu", ["dense"], ["relu"], name="dense/Relu"),
        helper.make_node("BatchNormalization", ["relu", "bn/gamma", "bn/beta", "bn/mean",
                                                "bn/var"], ["bn"], name="bn", epsilon=1e-3),
        helper.make_node("MatMul", ["bn", "out/kernel"], ["mm2"], name="out/MatMul"),
        helper.make_node("Add", ["out/bias", "mm2"], ["logits"], name="out/BiasAdd"),
        helper.make_node("Softmax", ["logits"], ["out"], name="out/Softmax", axis=-1),
    ]
    if extra_op:
        nodes.insert(4, helper.make_node(extra_op, ["relu"], ["relu2"], name="odd/" + extra_op))
        nodes[5].input[0] = "relu2"
    g = helper.make_graph(nodes, "keras", [helper.make_tensor_value_info(
        "input_1", TensorProto.FLOAT, ["N", 16])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["N", 3])], inits)
    m = helper.make_model(g, producer_name="tf2onnx", opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(m)
    onnx.save(m, path)


keras = os.path.join(tmp, "keras.onnx")
keras_graph(keras)
x, y = load_csv(os.path.join(tmp, "test.csv"))
net = cv2.dnn.readNetFromONNX(keras)
net.setInput(x)
p = net.forward()
acc = float((p.argmax(axis=1) == y).mean())
loss = float(-np.log(p[np.arange(len(y)), y.astype(int)].astype(np.float64)).mean())
r = run(["eval", "--format", "csv", keras, "test.csv"], cwd=tmp)
got = metrics(r.stdout)
ok(r.returncode == 0 and got is not None and abs(got[1] - acc) < 1e-6 and abs(got[0] - loss) < 1e-5,
   "Keras form (MatMul+Add, Reshape, BN epsilon 1e-3): accuracy %s = OpenCV's %.6f, loss "
   "within 1e-5 of %.6f" % (got and got[1], acc, loss)) or diag(r.stdout + r.stderr)


# ---- 3b. Keras' conv form (tests/onnx/keras_conv.py: tf2onnx's NHWC input,
# Transposes, Conv with or without its bias, BN epsilon 1e-3, Reshape of
# NHWC values before the dense layers).  The oracle: the graph evaluated
# node by node in numpy (float64), and OpenCV's dnn where it loads it.  The
# data's features are C,H,W (the trainer's order): the graph gets them as
# N,H,W,C.
csv(os.path.join(tmp, "train64.csv"), 240, 64, 3, seed=9)
csv(os.path.join(tmp, "test64.csv"), 60, 64, 3, seed=10)
x64, y64 = load_csv(os.path.join(tmp, "test64.csv"))


def keras_check(path, h, w, c, what, p_torch=None):
    xn = x64.reshape(-1, c, h, w).transpose(0, 2, 3, 1)
    p = keras_conv.evaluate(path, xn)
    acc = float((p.argmax(axis=1) == y64).mean())
    loss = float(-np.log(p[np.arange(len(y64)), y64.astype(int)]).mean())
    try:
        net = cv2.dnn.readNetFromONNX(path)
        net.setInput(np.ascontiguousarray(xn, dtype=np.float32))
        pc = net.forward()
        cv = "OpenCV's argmax %s" % ("equal" if (pc.argmax(axis=1) == p.argmax(axis=1)).all()
                                     else "DIFFERS")
    except cv2.error:
        pc, cv = None, "OpenCV 4.6 does not load it"
    r = run(["eval", "--format", "csv", path, "test64.csv"], cwd=tmp)
    got = metrics(r.stdout)
    ok(r.returncode == 0 and got is not None and got[1] == round(acc, 6) and
       abs(got[0] - loss) < 1e-5 and (pc is None or np.abs(pc - p).max() < 1e-5) and
       (p_torch is None or (p_torch.argmax(axis=1) == p.argmax(axis=1)).all()),
       "Keras conv %s, %dx%dx%d: eval's accuracy %s = numpy's %.6f, loss %s within 1e-5 of %.6f "
       "(%s)" % (what, h, w, c, got and got[1], acc, got and got[0], loss, cv)) \
        or diag(r.stdout + r.stderr)
    diag(r.stdout.strip())
    return acc, loss


for h, w, c, form, norm, same in ((8, 8, 1, "optimized", False, False),
                                  (8, 8, 1, "per-layer", False, True),
                                  (8, 4, 2, "optimized", True, True),
                                  (8, 4, 2, "per-layer", True, False)):
    path = keras_conv.keras_conv_graph(os.path.join(tmp, "keras-%s-%d.onnx" % (form, c)), h, w, c,
                                       form=form, normalize=norm, auto_pad=same)
    keras_check(path, h, w, c, "(%s%s%s)" % (form, ", Normalization" if norm else "",
                                             ", auto_pad SAME_UPPER" if same else ""))

# a trained upstream: PyTorch trains the same layers, whose weights are
# written in Keras' form
x_tr, y_tr = load_csv(os.path.join(tmp, "train64.csv"))
tnet = keras_conv.torch_net(1, 8, 8, 3)
opt = torch.optim.Adam(tnet.parameters(), lr=0.01)
xt, yt = torch.from_numpy(x_tr).reshape(-1, 1, 8, 8), torch.from_numpy(y_tr).long()
for epoch in range(15):  # more overfits these 240 rows
    opt.zero_grad()
    nn.functional.cross_entropy(tnet(xt), yt).backward()
    opt.step()
tnet.eval()
with torch.no_grad():
    p_torch = torch.softmax(tnet(torch.from_numpy(x64).reshape(-1, 1, 8, 8)), dim=1).numpy()
keras_up = keras_conv.keras_conv_graph(os.path.join(tmp, "keras-up.onnx"), 8, 8, 1, scale=1.0,
                                       weights=keras_conv.from_torch(tnet, 8, 8))
up_acc, up_loss = keras_check(keras_up, 8, 8, 1, "(optimized, PyTorch-trained weights)", p_torch)
ok(up_acc == float((p_torch.argmax(axis=1) == y64).mean()),
   "... whose accuracy is PyTorch's own, %.4f" % up_acc)
r = run(["inspect", "keras-up.onnx"], cwd=tmp)
ok(r.returncode == 0 and "input [N, 1, 8, 8] (N,H,W,C in the graph)" in r.stdout and
   "layers.8.weight          F32 [16, 24]" in r.stdout,
   "inspect: the graph's [N, 8, 8, 1] input is read as 1x8x8") or diag(r.stdout + r.stderr)

# Upstream-Weights: the Keras-form file beside a CNN retrained on the same rows
CNN64 = ("Dataset: train64.csv\nTest-Dataset: test64.csv\nInput-Shape: 1x8x8\n"
         "Network: conv 8 3x3 pad 1 relu, batchnorm, maxpool 2, conv 6 3x3 pad 1 relu, maxpool 2, "
         "dense 16 relu, dense 3\nLoss: softmax-cross-entropy\n")
write(os.path.join(tmp, "kup.models"), "Model: kup\n" + CNN64 + COMMON +
      "Upstream-Weights: keras-up.onnx\n")
r = run(["train", "--output-dir", "up", "kup.models"], cwd=tmp)
m = re.search(r"^kup: upstream's keras-up.onnx \(conv 8 3x3 pad 1, relu, batchnorm, maxpool 2, "
              r"conv 6 3x3 pad 1, relu, maxpool 2, flatten, dense 16, relu, dense 3, (\d+) "
              r"parameters\) on the 60 test rows: accuracy (\S+) retrained vs (\S+) upstream "
              r"\(\S+\); loss \S+ retrained vs (\S+) upstream", r.stdout, re.M)
ok(r.returncode == 0 and m is not None and
   int(m.group(1)) == 80 + 16 + 438 + 24 * 16 + 16 + 51 and
   m.group(3) == "%.4f" % up_acc and abs(float(m.group(4)) - up_loss) < 1e-4,
   "Upstream-Weights: keras-up.onnx: the log shows upstream's accuracy %s (numpy's and "
   "PyTorch's %.4f) beside the retrained model's %s" % (m and m.group(3), up_acc, m and m.group(2))) \
    or diag(r.stdout + r.stderr)
card = run(["card", "up/kup.json"], cwd=tmp).stdout
ok(re.search(r"^\| test-accuracy \| \d\.\d{4} \| %.4f \| [+-]\d\.\d{4} \|$" % up_acc, card, re.M),
   "the card shows both accuracies side by side") or diag(card)

# refused: any other Transpose, or one that does not fit the layout here
for perm, node, why in (((0, 3, 2, 1), "node 10 'sequential/max_pooling2d_1/MaxPool__28' "
                         "(Transpose): only a Transpose with perm [0,3,1,2] or [0,2,3,1] is read",
                         "perm [0,3,2,1]"),
                        ((0, 3, 1, 2), "node 10 'sequential/max_pooling2d_1/MaxPool__28' "
                         "(Transpose): the value is N,C,H,W here", "a second NHWC-to-NCHW")):
    path = keras_conv.keras_conv_graph(os.path.join(tmp, "keras-bad.onnx"), perm_last=perm)
    r = run(["eval", "--format", "csv", path, "test64.csv"], cwd=tmp)
    ok(r.returncode != 0 and node in r.stderr, "a Transpose with %s is refused, naming its node"
       % why) or diag(r.stderr)

# ---- 4. refusals: the first operator the trainer has no layer for, named
keras_graph(os.path.join(tmp, "odd.onnx"), extra_op="Elu")
r = run(["eval", "--format", "csv", "odd.onnx", "test.csv"], cwd=tmp)
ok(r.returncode != 0 and "node 5 'odd/Elu' (Elu): the trainer has no layer for this operator"
   in r.stderr, "an Elu node is refused, naming the operator and the node") or diag(r.stderr)
lrelu = nn.Sequential(nn.Linear(16, 4), nn.LeakyReLU(), nn.Linear(4, 3), nn.GELU())
export(lrelu, (1, 16), os.path.join(tmp, "lrelu.onnx"))
r = run(["inspect", "lrelu.onnx"], cwd=tmp)
ok(r.returncode != 0 and "(LeakyRelu): the trainer has no layer" in r.stderr and
   "Erf" not in r.stderr, "PyTorch's LeakyReLU is the first operator named, not GELU's Erf") \
    or diag(r.stderr)
write(os.path.join(tmp, "junk.onnx"), "not a protobuf at all \x01\x02")
r = run(["inspect", "junk.onnx"], cwd=tmp)
ok(r.returncode != 0 and "not an ONNX model" in r.stderr, "a file that is no ModelProto") \
    or diag(r.stderr)
r = run(["eval", "--model", "reg", "models", "torch-mlp.onnx"], cwd=tmp)
ok(r.returncode != 0 and "Softmax" in r.stderr and "mse" in r.stderr,
   "a softmax classifier is refused for an mse recipe") or diag(r.stderr)
done()
