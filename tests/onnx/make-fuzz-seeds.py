#!/usr/bin/python3
"""make-fuzz-seeds.py - the seeds of the onnx fuzz target
(tests/fuzz/corpus/onnx/seed-*): small graphs as torch.onnx.export writes
them (MLP with normalisation and batchnorm, CNN at opsets 11 and 13, a
binary classifier), Keras' forms built with onnx.helper (a dense net:
MatMul+Add, Reshape; a conv net in tf2onnx's NHWC pattern, as
keras_conv.py writes it, optimised and per-layer), one with an operator the trainer has no layer for, and, with
DH_MODEL_TRAIN set, our own export of an MLP and a CNN."""
import inspect
import warnings
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_conv  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus", "onnx")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(1)
# PyTorch 2.9 and later export through torch.export unless dynamo=False
# (that path needs onnxscript, which python3-torch does not depend on); 1.13 has no such argument.
LEGACY_EXPORT = ({"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters
                 else {})
# ... and warns that the TorchScript exporter is deprecated: the build log is kept free of warnings.
warnings.filterwarnings("ignore", message="You are using the legacy TorchScript-based ONNX export",
                        category=DeprecationWarning)


def export(name, model, shape, opset=13):
    model.eval()
    torch.onnx.export(model, torch.zeros(shape), os.path.join(OUT, "seed-" + name),
                      dynamic_axes={"input": {0: "N"}}, input_names=["input"], opset_version=opset, **LEGACY_EXPORT)


export("torch-mlp", nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.BatchNorm1d(5), nn.Dropout(),
                                  nn.Linear(5, 3), nn.Softmax(dim=1)), (1, 6))
cnn = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Tanh(), nn.BatchNorm2d(2), nn.MaxPool2d(2),
                    nn.Conv2d(2, 2, 2, stride=1), nn.AvgPool2d(1), nn.Flatten(), nn.Linear(2, 2))
export("torch-cnn-13", cnn, (1, 1, 4, 4), 13)
export("torch-cnn-11", cnn, (1, 1, 4, 4), 11)
export("torch-bce", nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid()),
       (1, 3), 14)
export("torch-leakyrelu", nn.Sequential(nn.Linear(3, 2), nn.LeakyReLU(), nn.Linear(2, 2)), (1, 3))

rs = np.random.RandomState(2)
inits = [numpy_helper.from_array(rs.normal(size=(4, 3)).astype(np.float32), "k"),
         numpy_helper.from_array(rs.normal(size=3).astype(np.float32), "b"),
         numpy_helper.from_array(np.array([-1, 4], dtype=np.int64), "shape"),
         numpy_helper.from_array(np.full(4, 0.5, dtype=np.float32), "scale")]
nodes = [helper.make_node("Mul", ["x", "scale"], ["xs"]),
         helper.make_node("Reshape", ["xs", "shape"], ["flat"]),
         helper.make_node("MatMul", ["flat", "k"], ["mm"]),
         helper.make_node("Add", ["mm", "b"], ["logits"]),
         helper.make_node("Softmax", ["logits"], ["p"], axis=-1)]
g = helper.make_graph(nodes, "keras", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                      [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["N", 3])], inits)
onnx.save(helper.make_model(g, producer_name="tf2onnx"), os.path.join(OUT, "seed-keras"))
keras_conv.keras_conv_graph(os.path.join(OUT, "seed-keras-conv"), 8, 8, 1)
keras_conv.keras_conv_graph(os.path.join(OUT, "seed-keras-conv-per-layer"), 4, 4, 2,
                            form="per-layer", normalize=True)

trainer = os.environ.get("DH_MODEL_TRAIN")
if trainer:
    tmp = tempfile.mkdtemp()
    with open(os.path.join(tmp, "d.csv"), "w") as f:
        f.write(",".join("f%d" % i for i in range(16)) + ",y\n")
        for i in range(40):
            f.write(",".join("%.3f" % v for v in rs.uniform(-1, 1, 16)) + ",%d\n" % (i % 3))
    common = "Dataset: d.csv\nFormat: csv\nEpochs: 1\nSeed: 1\nLoss: softmax-cross-entropy\nLicense: Expat\nExport: onnx\n"
    with open(os.path.join(tmp, "models"), "w") as f:
        f.write("Model: mlp\nNormalize: standardize\nNetwork: dense 4 relu, dense 3\n" + common +
                "\nModel: cnn\nInput-Shape: 1x4x4\nNetwork: conv 2 3x3 pad 1 relu, batchnorm, "
                "maxpool 2, avgpool 1 stride 1, dense 3\n" + common)
    subprocess.run([trainer, "train", "--quiet", "--output-dir", ".", "models"], cwd=tmp, check=True)
    for name in ("mlp", "cnn"):
        os.replace(os.path.join(tmp, name + ".onnx"), os.path.join(OUT, "seed-ours-" + name))
for name in sorted(os.listdir(OUT)):
    print(name, os.path.getsize(os.path.join(OUT, name)), file=sys.stderr)
