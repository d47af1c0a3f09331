#!/usr/bin/python3
"""PyTorch as the oracle of each spatial layer on its own (conv, maxpool,
avgpool): the same input, weights and output gradient through
tests/c/layer_oracle (our kernels) and through torch.nn.functional give the
same output, parameter gradients and input gradient, for stride 1 and 2,
padding 0 and 1, odd sizes, batch 1 and (maxpool) tied maxima, on both
back-ends; the portable back-end gives the same bits on 1 and 2
threads, and the kernels count the FLOP that an independent count gives."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import ok, done, skip_all, layer_oracle, run_layer_oracle, max_difference  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    skip_all("python3-torch is not installed")

layer_oracle()
torch.set_num_threads(1)
TOL = 2e-5  # of the largest magnitude of each compared array


def ours(item, x, params, dy, numerics, threads):
    return run_layer_oracle(item, x, list(params) + [dy], numerics, threads)


def worst(got, ref):
    return max_difference(got, ref.detach().numpy())


def check(name, item, x, params, ref_fn, extra_flop):
    """ref_fn(x, *params) is torch's layer; extra_flop the FLOP count that
    the kernels must report for its forward and backward."""
    xt = torch.from_numpy(x).requires_grad_()
    pt = [torch.from_numpy(p).requires_grad_() for p in params]
    y = ref_fn(xt, *pt)
    rs = np.random.RandomState(x.size)
    dy = rs.uniform(-1, 1, size=tuple(y.shape)).astype(np.float32)
    y.backward(torch.from_numpy(dy))
    grads = torch.cat([p.grad.ravel() for p in pt]) if pt else torch.zeros(0)
    stdout = {}
    for numerics, threads in (("portable", 1), ("portable", 2), ("openblas", 1)):
        got, stdout[(numerics, threads)] = ours(item, x, params, dy, numerics, threads)
        dys, rel_y = worst(got["y"], y)
        dgs, rel_g = worst(got["grads"], grads)
        dxs, rel_x = worst(got["dx"], xt.grad)
        shape_ok = [int(v) for v in got["shape"]] == list(y.shape[1:])
        ok(shape_ok and max(rel_y, rel_g, rel_x) < TOL,
           "%s (%s, %d threads): y %s, parameter and input gradients match torch: "
           "max abs difference y %.2g, grads %.2g, dx %.2g"
           % (name, numerics, threads, "x".join("%d" % v for v in got["shape"]), dys, dgs, dxs))
        if numerics == "portable" and threads == 1:
            ok(int(got["flop"][0]) == extra_flop,
               "%s: the kernels count %s FLOP, an independent count %d"
               % (name, int(got["flop"][0]), extra_flop))
    ok(stdout[("portable", 1)] == stdout[("portable", 2)],
       "%s: the portable back-end gives the same bits on 1 and 2 threads" % name)


def conv_case(B, C, H, W, O, K, S, P):
    rs = np.random.RandomState(B * 1000 + C * 100 + H * 10 + W + O + K + S + P)
    x = rs.uniform(-1, 1, size=(B, C, H, W)).astype(np.float32)
    w = rs.uniform(-0.5, 0.5, size=(O, C, K, K)).astype(np.float32)
    b = rs.uniform(-0.5, 0.5, size=(O,)).astype(np.float32)
    item = "conv %d %dx%d" % (O, K, K) + (" stride %d" % S if S != 1 else "") + \
        (" pad %d" % P if P else "")
    OH, OW = (H + 2 * P - K) // S + 1, (W + 2 * P - K) // S + 1
    rows, ckk = B * OH * OW, C * K * K
    # the taps inside the input: unfold of ones counts them
    inside = int(F.unfold(torch.ones(B, C, H, W), K, padding=P, stride=S).sum())
    flop = 2 * rows * O * ckk + rows * O + 4 * rows * O * ckk + rows * O + inside
    check("%s on %dx%dx%dx%d" % (item, B, C, H, W), item, x, [w, b],
          lambda xt, wt, bt: F.conv2d(xt, wt, bt, stride=S, padding=P), flop)


def pool_case(kind, B, C, H, W, K, S, ties=False):
    rs = np.random.RandomState(B * 1000 + C * 100 + H * 10 + W + K + (S or 0) + ties)
    if ties:  # a few values only: windows with equal maxima
        x = (rs.randint(-2, 3, size=(B, C, H, W)) / 2).astype(np.float32)
    else:
        x = rs.uniform(-1, 1, size=(B, C, H, W)).astype(np.float32)
    item = "%s %d" % (kind, K) + (" stride %d" % S if S else "")
    S = S or K
    outputs = B * C * ((H - K) // S + 1) * ((W - K) // S + 1)
    if kind == "maxpool":
        flop = outputs * (K * K - 1) + outputs * K * K
        fn = lambda xt: F.max_pool2d(xt, K, stride=S)  # noqa: E731
    else:
        flop = 2 * outputs * (K * K + 1)
        fn = lambda xt: F.avg_pool2d(xt, K, stride=S)  # noqa: E731
    check("%s on %dx%dx%dx%d%s" % (item, B, C, H, W, " with ties" if ties else ""), item, x, [],
          fn, flop)


# B, C_in, H, W, C_out, K, stride, pad
for case in [(1, 1, 5, 5, 2, 3, 1, 0), (2, 3, 7, 6, 4, 3, 2, 1), (3, 2, 6, 7, 3, 2, 2, 0),
             (2, 2, 5, 5, 3, 3, 1, 1), (1, 3, 9, 8, 5, 5, 2, 1), (2, 2, 4, 3, 2, 1, 1, 0),
             (2, 2, 6, 6, 10, 3, 1, 1),  # 16-position blocks, 4 channels at a time
             # depth C*K*K over the GEMM's block of 256: one block (288,
             # 270) and two (432); more than 64 output channels (dW not
             # transposed); three samples on two threads
             (3, 32, 5, 6, 70, 3, 1, 1), (2, 30, 6, 5, 3, 3, 1, 0), (3, 48, 5, 5, 4, 3, 2, 1),
             # "same" convolutions (stride 1, OW = W: im2col by runs of a
             # plane) with taps above, below and beside a small image
             (2, 3, 1, 1, 4, 5, 1, 2), (3, 2, 1, 6, 3, 3, 1, 1), (2, 1, 3, 3, 2, 7, 1, 3),
             (2, 2, 2, 2, 3, 5, 1, 2)]:
    conv_case(*case)
# B, C, H, W, K, stride (None: the default, K)
for kind in ("maxpool", "avgpool"):
    for case in [(1, 1, 5, 5, 2, None), (2, 3, 7, 6, 3, 2), (2, 2, 6, 7, 2, 1), (1, 3, 9, 8, 3, None),
                 (3, 2, 5, 5, 1, 1)]:
        pool_case(kind, *case)
pool_case("maxpool", 2, 2, 7, 7, 3, 1, ties=True)
pool_case("maxpool", 1, 1, 6, 6, 2, None, ties=True)
# 2x2 windows of stride 2, four or more to a row (the vector path of
# x86-64), odd sizes (a tail window, uncovered last row and column)
pool_case("maxpool", 2, 3, 11, 19, 2, None, ties=True)
pool_case("maxpool", 3, 2, 8, 16, 2, None)
done()
