#!/usr/bin/python3
"""The PyTorch side of the benchmark: what a user would write to train the
same MLP on the same data with the CPU build of Debian's python3-torch.

  torch_mlp.py DATADIR BATCH EPOCHS [--probe SECONDS] [--widths 784,512,512,10]

Same network (Linear/ReLU, PyTorch's default initialisation), same data
(IDX bytes / 255), same loss (mean softmax cross-entropy), same optimizer
(Adam, lr 0.001, PyTorch defaults), same batch size and epochs, a new
shuffle every epoch.  The threads are whatever the caller set:
torch.set_num_threads(OMP_NUM_THREADS) for torch's own OpenMP pool, and
OPENBLAS_NUM_THREADS for the OpenBLAS that Debian's torch calls for the
products.  Prints one JSON line: the wall and CPU time (all threads) of
every epoch, measured around the training loop only (no loading, no
evaluation), and the test accuracy.  With --probe, trains for about SECONDS
after 10 warm-up steps and prints only the time per step: a cheap way to
pick the best thread setting (bounded in time, as an oversubscribed setting
can be very slow).
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "py"))
from dmtest import read_idx as idx  # noqa: E402


def load(d, split):
    x = idx(os.path.join(d, split + "-images-idx3-ubyte.gz"))
    y = idx(os.path.join(d, split + "-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255)
    return x, torch.from_numpy(y.astype(np.int64))


def main():
    args = sys.argv[1:]
    probe = 0
    widths = [784, 512, 512, 10]
    if "--probe" in args:
        i = args.index("--probe")
        probe = float(args[i + 1])
        del args[i:i + 2]
    if "--widths" in args:
        i = args.index("--widths")
        widths = [int(w) for w in args[i + 1].split(",")]
        del args[i:i + 2]
    datadir, batch, epochs = args[0], int(args[1]), int(args[2])
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    torch.manual_seed(1)
    x, y = load(datadir, "train")
    tx, ty = load(datadir, "t10k")
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    lossf = torch.nn.CrossEntropyLoss()
    n = len(x)

    def step(idx):
        opt.zero_grad()
        loss = lossf(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        return loss

    if probe:
        perm = torch.randperm(n)
        for s in range(10):
            step(perm[s * batch:(s + 1) * batch])
        t0, s = time.perf_counter(), 10
        while s < 15 or time.perf_counter() - t0 < probe:
            step(perm[s * batch % n:][:batch])
            s += 1
        print(json.dumps({"step_seconds": (time.perf_counter() - t0) / (s - 10)}))
        return
    times, cpu_times, loss_sum = [], [], 0.0
    for epoch in range(epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        perm = torch.randperm(n)
        loss_sum = 0.0
        for first in range(0, n, batch):
            idx = perm[first:first + batch]
            loss_sum += step(idx).item() * len(idx)
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    with torch.no_grad():
        acc = (model(tx).argmax(1) == ty).float().mean().item()
    print(json.dumps({"epoch_seconds": times, "epoch_cpu_seconds": cpu_times,
                      "train_loss": loss_sum / n,
                      "test_accuracy": acc, "torch": torch.__version__,
                      "threads": torch.get_num_threads()}))


main()
