#!/usr/bin/python3
"""keras_conv.py - a Keras convolutional network as tf2onnx writes it, built
with onnx.helper (Debian has no TensorFlow), and a numpy evaluation of any
such graph, node by node, as the oracle.

The network is Keras' Sequential
  [Rescaling or Normalization,] Conv2D(8, 3, padding="same", activation="relu"),
  BatchNormalization(), MaxPooling2D(), Conv2D(6, 3, padding="same",
  activation="relu"), MaxPooling2D(), Flatten(), Dense(16, activation="relu"),
  Dense(classes, activation="softmax")
on an input of shape (H, W, C).  The node pattern is tf2onnx 1.x's at opset
13 (tf2onnx.convert --saved-model, or tf2onnx.convert.from_keras):

  form "optimized" (what tf2onnx's transpose optimizer leaves, the usual
  file): the graph input is NHWC [unk__N, H, W, C]; the Rescaling's Mul (by
  a scalar) or Normalization's Sub and Mul (by [C] constants) come first, on
  NHWC values; one Transpose perm [0,3,1,2] then brings the values to NCHW;
  each Conv2D is a Conv with its BiasAdd fused in as a third input and
  explicit pads (add_padding with known shapes, padding="same"), then a
  Relu; FusedBatchNormV3 is a BatchNormalization with epsilon 0.001; the
  pools are MaxPool with kernel_shape and strides [2, 2]; after the last
  pool a Transpose perm [0,2,3,1] goes back to NHWC, and Flatten is a
  Reshape to the constant [-1, F]; each Dense is a MatMul by the [in, out]
  kernel and an Add of its bias (BiasAdd), its activation a Relu or a
  Softmax with axis -1.

  form "per-layer" (tf2onnx without its optimizer, --opset 13 with
  optimizers off): every Conv, BatchNormalization and MaxPool sits between
  a Transpose perm [0,3,1,2] and one perm [0,2,3,1]; each Conv's BiasAdd is
  a separate Add of a [C] constant on NHWC values, and the Relus run on
  NHWC values.

The weights are random (numpy's RandomState(seed)), the BatchNormalization's
statistics too, so that every term matters; or a trained PyTorch network's
of the same layers (from_torch), as Keras would hold them: conv kernels as
they are (OIHW), the first dense kernel's rows in H,W,C order."""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def torch_net(c, h, w, classes):
    """The same network in PyTorch (N,C,H,W), for from_torch."""
    from torch import nn
    return nn.Sequential(nn.Conv2d(c, 8, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(8, eps=1e-3),
                         nn.MaxPool2d(2), nn.Conv2d(8, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(6 * (h // 4) * (w // 4), 16), nn.ReLU(),
                         nn.Linear(16, classes))


def from_torch(net, h, w):
    """torch_net's weights as Keras holds them (keras_conv_graph's weights)."""
    t = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    d0 = t["8.weight"]
    return {"conv0": (t["0.weight"], t["0.bias"]), "conv1": (t["4.weight"], t["4.bias"]),
            "bn": (t["2.weight"], t["2.bias"], t["2.running_mean"], t["2.running_var"]),
            # Linear's columns are C,H,W; Dense's kernel rows H,W,C
            "dense0": (np.ascontiguousarray(d0.reshape(d0.shape[0], 6, h // 4, w // 4)
                                            .transpose(0, 2, 3, 1).reshape(d0.shape[0], -1).T),
                       t["8.bias"]),
            "dense1": (np.ascontiguousarray(t["10.weight"].T), t["10.bias"])}


def keras_conv_graph(path, h=8, w=8, c=1, classes=3, seed=11, form="optimized",
                     normalize=False, perm_last=(0, 2, 3, 1), weights=None, scale=0.9,
                     auto_pad=False):
    """Write the graph to path; normalize: Normalization's Sub and Mul by
    [C] constants, else Rescaling's Mul by the scalar scale.  perm_last
    replaces the Transpose before the Reshape (to make a graph the reader
    must refuse); weights: from_torch's, else random ones; auto_pad: the
    Convs' padding as auto_pad SAME_UPPER (tf2onnx's where it does not know
    the shapes) instead of explicit pads."""
    rs = np.random.RandomState(seed)
    inits, nodes = [], []
    flat = 6 * (h // 4) * (w // 4)
    weights = weights or {
        "conv0": (rs.normal(0, 0.4, (8, c, 3, 3)), rs.normal(0, 0.1, 8)),
        "bn": (rs.uniform(0.5, 1.5, 8), rs.normal(0, 0.1, 8), rs.normal(0, 0.3, 8),
               rs.uniform(0.5, 2, 8)),
        "conv1": (rs.normal(0, 0.4, (6, 8, 3, 3)), rs.normal(0, 0.1, 6)),
        "dense0": (rs.normal(0, 0.4, (flat, 16)), rs.normal(0, 0.1, 16)),
        "dense1": (rs.normal(0, 0.4, (16, classes)), rs.normal(0, 0.1, classes))}
    weights = {k: [np.asarray(a, dtype=np.float32) for a in v] for k, v in weights.items()}

    def const(name, a):
        inits.append(numpy_helper.from_array(np.asarray(a), name))
        return name

    def node(op, ins, name, **attrs):
        out = name + ":0"
        nodes.append(helper.make_node(op, ins, [out], name=name, **attrs))
        return out

    def to_nchw(v, name):
        return node("Transpose", [v], name, perm=[0, 3, 1, 2])

    def to_nhwc(v, name):
        return node("Transpose", [v], name, perm=[0, 2, 3, 1])

    v = "conv2d_input"
    if normalize:
        v = node("Sub", [v, const("normalization/sub/y", rs.normal(0, 0.2, c).astype(np.float32))],
                 "sequential/normalization/sub")
        v = node("Mul", [v, const("normalization/Sqrt/x", rs.uniform(0.7, 1.4, c).astype(np.float32))],
                 "sequential/normalization/truediv")
    else:
        v = node("Mul", [v, const("rescaling/Cast/x", np.float32(scale))], "sequential/rescaling/mul")
    per_layer = form == "per-layer"
    v = to_nchw(v, "sequential/conv2d/Conv2D__6")
    for k, filters in enumerate((8, 6)):
        conv = "sequential/conv2d%s" % ("_1" if k else "")
        weight = const(conv + "/Conv2D/ReadVariableOp:0", weights["conv%d" % k][0])
        bias = weights["conv%d" % k][1]
        if k and per_layer:
            v = to_nchw(v, conv + "/Conv2D__20")
        attrs = dict(dilations=[1, 1], kernel_shape=[3, 3], strides=[1, 1], group=1)
        attrs.update({"auto_pad": "SAME_UPPER"} if auto_pad else {"pads": [1, 1, 1, 1]})
        if per_layer:
            v = node("Conv", [v, weight], conv + "/Conv2D", **attrs)
            v = to_nhwc(v, conv + "/Conv2D__9")
            v = node("Add", [v, const(conv + "/BiasAdd/ReadVariableOp:0", bias)], conv + "/BiasAdd")
        else:
            v = node("Conv", [v, weight, const(conv + "/BiasAdd/ReadVariableOp:0", bias)],
                     conv + "/BiasAdd", **attrs)
        v = node("Relu", [v], conv + "/Relu")
        if k == 0:
            bn = "sequential/batch_normalization/"
            if per_layer:
                v = to_nchw(v, bn + "FusedBatchNormV3__12")
            v = node("BatchNormalization",
                     [v] + [const(bn + name, a) for name, a in
                            zip(("gamma", "beta", "moving_mean", "moving_variance"), weights["bn"])],
                     bn + "FusedBatchNormV3", epsilon=0.001)
            if per_layer:
                v = to_nhwc(v, bn + "FusedBatchNormV3__15")
        pool = "sequential/max_pooling2d%s/MaxPool" % ("_1" if k else "")
        if per_layer:
            v = to_nchw(v, pool + "__17")
        v = node("MaxPool", [v], pool, kernel_shape=[2, 2], strides=[2, 2])
        if per_layer or k == 1:
            v = node("Transpose", [v], pool + "__28", perm=list(perm_last) if k == 1 else [0, 2, 3, 1])
    v = node("Reshape", [v, const("const_fold_opt__40", np.array([-1, flat], dtype=np.int64))],
             "sequential/flatten/Reshape")
    for k in range(2):
        dense = "sequential/dense%s/" % ("_1" if k else "")
        v = node("MatMul", [v, const(dense + "MatMul/ReadVariableOp:0", weights["dense%d" % k][0])],
                 dense + "MatMul")
        v = node("Add", [v, const(dense + "BiasAdd/ReadVariableOp:0", weights["dense%d" % k][1])],
                 dense + "BiasAdd")
        if k == 0:
            v = node("Relu", [v], dense + "Relu")
    nodes.append(helper.make_node("Softmax", [v], ["dense_1"], name="sequential/dense_1/Softmax",
                                  axis=-1))
    g = helper.make_graph(
        nodes, "tf2onnx",
        [helper.make_tensor_value_info("conv2d_input", TensorProto.FLOAT, ["unk__42", h, w, c])],
        [helper.make_tensor_value_info("dense_1", TensorProto.FLOAT, ["unk__43", classes])], inits)
    m = helper.make_model(g, producer_name="tf2onnx", producer_version="1.9.3",
                          opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)
    return path


# ---- the oracle: the graph evaluated node by node in numpy (float64)

def _conv(x, wt, b, pads, strides):
    n, c, h, w = x.shape
    m, _, kh, kw = wt.shape
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (x.shape[2] - kh) // strides[0] + 1
    ow = (x.shape[3] - kw) // strides[1] + 1
    y = np.zeros((n, m, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]
            y += np.einsum("nchw,mc->nmhw", patch, wt[:, :, i, j])
    return y + (b.reshape(1, -1, 1, 1) if b is not None else 0)


def _maxpool(x, k, s):
    n, c, h, w = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    y = np.full((n, c, oh, ow), -np.inf)
    for i in range(k[0]):
        for j in range(k[1]):
            y = np.maximum(y, x[:, :, i:i + s[0] * oh:s[0], j:j + s[1] * ow:s[1]])
    return y


def evaluate(path, x):
    """The graph's output for the NHWC input x, in float64."""
    m = onnx.load(path)
    vals = {t.name: numpy_helper.to_array(t).astype(np.float64) if t.data_type == TensorProto.FLOAT
            else numpy_helper.to_array(t) for t in m.graph.initializer}
    vals[m.graph.input[0].name] = x.astype(np.float64)
    for nd in m.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in nd.attribute}
        ins = [vals[i] for i in nd.input]
        op = nd.op_type
        if op == "Transpose":
            y = np.transpose(ins[0], a["perm"])
        elif op in ("Add", "Sub", "Mul"):
            y = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply}[op](ins[0], ins[1])
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "Conv":
            pads = a.get("pads")
            if pads is None:  # SAME_UPPER at stride 1: (K-1)/2 each side for odd K
                pads = [(ins[1].shape[2] - 1) // 2, (ins[1].shape[3] - 1) // 2] * 2
            y = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, pads, a["strides"])
        elif op == "BatchNormalization":
            sh = (1, -1, 1, 1)
            y = ((ins[0] - ins[3].reshape(sh)) / np.sqrt(ins[4].reshape(sh) + a["epsilon"]) *
                 ins[1].reshape(sh) + ins[2].reshape(sh))
        elif op == "MaxPool":
            y = _maxpool(ins[0], a["kernel_shape"], a["strides"])
        elif op == "Reshape":
            y = ins[0].reshape(tuple(ins[1]))
        elif op == "MatMul":
            y = ins[0] @ ins[1]
        elif op == "Softmax":
            e = np.exp(ins[0] - ins[0].max(axis=a.get("axis", -1), keepdims=True))
            y = e / e.sum(axis=a.get("axis", -1), keepdims=True)
        else:
            raise ValueError("no numpy for %s" % op)
        vals[nd.output[0]] = y
    return vals[m.graph.output[0].name]


if __name__ == "__main__":
    # keras_conv.py OUT.onnx [H W C [FORM]]
    args = sys.argv[1:]
    if len(args) not in (1, 4, 5):
        sys.exit("usage: keras_conv.py OUT.onnx [H W C [optimized|per-layer]]")
    dims = [int(a) for a in args[1:4]] or [8, 8, 1]
    keras_conv_graph(args[0], *dims, form=args[4] if len(args) > 4 else "optimized")
