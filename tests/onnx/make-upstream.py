#!/usr/bin/python3
"""make-upstream.py OUT.onnx TRAIN.csv TEST.csv - an "upstream" model for
the tests: a small PyTorch MLP trained on TRAIN.csv (header line, label
last), with the standardisation of its inputs inside the graph (Sub, Div),
exported by torch.onnx.export.  Prints PyTorch's own accuracy on TEST.csv
(the oracle the trainer's comparison must reproduce) and the parameters."""
import inspect
import warnings
import sys

import numpy as np
import torch
from torch import nn

# PyTorch 2.9 and later export through torch.export unless dynamo=False
# (that path needs onnxscript, which python3-torch does not depend on); 1.13 has no such argument.
LEGACY_EXPORT = ({"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters
                 else {})
# ... and warns that the TorchScript exporter is deprecated: the build log is kept free of warnings.
warnings.filterwarnings("ignore", message="You are using the legacy TorchScript-based ONNX export",
                        category=DeprecationWarning)

def load(path):
    a = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    return torch.from_numpy(a[:, :-1]), torch.from_numpy(a[:, -1]).long()


class Standardized(nn.Module):
    def __init__(self, body, mean, std):
        super().__init__()
        self.body = body
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)

    def forward(self, x):
        return self.body((x - self.mean) / self.std)


def main(out, train, test):
    torch.manual_seed(7)
    torch.set_num_threads(1)
    x, y = load(train)
    classes = int(y.max()) + 1
    body = nn.Sequential(nn.Linear(x.shape[1], 6), nn.ReLU(), nn.Linear(6, classes))
    model = Standardized(body, x.mean(0), x.std(0))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):  # full batch: a quick, weaker model than the retrained one
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    tx, ty = load(test)
    with torch.no_grad():
        acc = float((model(tx).argmax(1) == ty).float().mean())
    torch.onnx.export(model, x[:1], out, input_names=["features"], output_names=["logits"],
                      dynamic_axes={"features": {0: "N"}, "logits": {0: "N"}}, opset_version=13, **LEGACY_EXPORT)
    print("%.4f %d" % (acc, sum(p.numel() for p in body.parameters())))


if __name__ == "__main__":
    main(*sys.argv[1:4])
