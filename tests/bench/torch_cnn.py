#!/usr/bin/python3
"""The PyTorch side of the CNN benchmark: the network of
templates/image-cnn.models as a user would train it with Debian's
python3-torch on the CPU (oneDNN convolutions).

  torch_cnn.py DATADIR BATCH STEPS

conv 32 3x3 pad 1, batchnorm, ReLU, maxpool 2, conv 64 3x3 pad 1,
batchnorm, ReLU, maxpool 2, dropout 0.25, flatten, linear 128, ReLU,
dropout 0.5, linear 10; the
same data (IDX bytes / 255, 1x28x28), mean softmax cross-entropy, Adam lr
0.001 (PyTorch's defaults), batch BATCH, a shuffled order.  torch's
threads: torch.set_num_threads(OMP_NUM_THREADS).  After 20 warm-up steps,
times STEPS steps (wall and CPU of all threads, around the steps only) and
prints one JSON line with the seconds per step.
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "py"))
from dmtest import read_idx as idx  # noqa: E402

WARMUP = 20


def main():
    datadir, batch, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    torch.manual_seed(1)
    x = idx(os.path.join(datadir, "train-images-idx3-ubyte.gz"))
    y = idx(os.path.join(datadir, "train-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(x.reshape(len(x), 1, 28, 28).astype(np.float32) / 255)
    y = torch.from_numpy(y.astype(np.int64))
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                          nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
                          nn.MaxPool2d(2),
                          nn.Dropout(0.25), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(),
                          nn.Dropout(0.5), nn.Linear(128, 10))
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    lossf = nn.CrossEntropyLoss()
    n = len(x)
    perm = torch.randperm(n)

    def step(s):
        first = s * batch % (n - batch + 1)
        idx_ = perm[first:first + batch]
        opt.zero_grad()
        loss = lossf(model(x[idx_]), y[idx_])
        loss.backward()
        opt.step()
        return loss

    for s in range(WARMUP):
        step(s)
    t0, c0 = time.perf_counter(), time.process_time()
    for s in range(WARMUP, WARMUP + steps):
        step(s)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"step_seconds": wall / steps, "step_cpu_seconds": cpu / steps,
                      "steps": steps, "torch": torch.__version__,
                      "threads": torch.get_num_threads()}))


main()
