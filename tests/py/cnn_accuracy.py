#!/usr/bin/python3
"""The test accuracy of trained templates/image-cnn.models weights, computed
by PyTorch: torch.nn.Sequential built from the template's Network line loads
the safetensors file with load_state_dict (strict) and classifies IDX test
images normalised as the file says, (x - input.shift) * input.scale.
Prints "accuracy A" (and "rows N").
Usage: cnn_accuracy.py RECIPE WEIGHTS.safetensors IMAGES.idx[.gz] LABELS.idx[.gz]
"""
import collections
import gzip
import os
import re
import struct
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from dmtest import read_safetensors  # noqa: E402

# nn.LazyLinear sizes the first dense layer from the flattened shape.
warnings.filterwarnings("ignore", message="Lazy modules")

ACT = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def read_idx(path):
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, path  # unsigned bytes
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


def modules(network, channels):
    """torch modules for the layers this template uses, in the trainer's
    order (a flatten before the first dense after a spatial layer)."""
    out, flat, units = [], True, 0
    for item in network.split(","):
        w = item.split()
        kind = w[0].lower()
        if kind == "conv":
            k = int(w[2].split("x")[0])
            stride = int(w[w.index("stride") + 1]) if "stride" in w else 1
            pad = int(w[w.index("pad") + 1]) if "pad" in w else 0
            out.append(nn.Conv2d(channels, int(w[1]), k, stride=stride, padding=pad))
            channels, flat = int(w[1]), False
        elif kind in ("maxpool", "avgpool"):
            k = int(w[1].split("x")[0])
            out.append((nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d)(k))
            flat = False
        elif kind == "dropout":
            out.append(nn.Dropout(float(w[1])))
        elif kind == "dense":
            if not flat:
                out.append(nn.Flatten())
                flat = True
            out.append(nn.LazyLinear(int(w[1])))
            units = int(w[1])
        elif kind == "batchnorm":
            out.append(nn.BatchNorm1d(units) if flat else nn.BatchNorm2d(channels))
        elif kind in ACT:
            out.append(ACT[kind]())
        else:
            raise SystemExit("cnn_accuracy.py: layer %r not handled" % kind)
        if kind in ("conv", "dense") and len(w) > 2 and w[-1].lower() in ACT:
            out.append(ACT[w[-1].lower()]())
    return out


def main():
    recipe, weights, images, labels = sys.argv[1:5]
    network = re.search(r"^Network:\s*(.*)$", open(recipe).read(), re.M | re.I).group(1)
    tensors, _ = read_safetensors(weights)
    shift, scale = tensors.pop("input.shift"), tensors.pop("input.scale")
    raw = read_idx(images)
    flat = (raw.reshape(raw.shape[0], -1).astype(np.float32) - shift) * scale
    x = torch.from_numpy(flat.astype(np.float32).reshape(raw.shape[0], 1, raw.shape[1], raw.shape[2]))
    y = torch.from_numpy(read_idx(labels).astype(np.int64))
    model = nn.Sequential(collections.OrderedDict(layers=nn.Sequential(*modules(network, 1))))
    model.eval()
    with torch.no_grad():
        model(x[:1])  # sizes the lazy Linear layers
        model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()}, strict=True)
        pred = model(x).argmax(dim=1)
    print("rows %d" % len(y))
    print("accuracy %.6f" % (pred == y).double().mean().item())


main()
