#!/usr/bin/python3
"""The scikit-learn side of the softmax-regression comparison: what a user
would run, LogisticRegression with its defaults (multinomial, lbfgs, C=1,
max_iter=100) on the pixels / 255.

  sklearn_logreg.py DATADIR

Prints one JSON line: the wall time of the whole job (reading the .gz IDX
files, fit, predict; the Python start-up is not in it) and the test
accuracy.  The threads are whatever OPENBLAS_NUM_THREADS/OMP_NUM_THREADS say.
"""
import json
import os
import sys
import time
import warnings

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "py"))
from dmtest import read_idx as idx  # noqa: E402


def load(d, split):
    x = idx(os.path.join(d, split + "-images-idx3-ubyte.gz"))
    y = idx(os.path.join(d, split + "-labels-idx1-ubyte.gz"))
    return x.reshape(len(x), -1).astype(np.float64) / 255, y


t0 = time.perf_counter()
x, y = load(sys.argv[1], "train")
tx, ty = load(sys.argv[1], "t10k")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=100 stops it, as for users
    model = LogisticRegression().fit(x, y)
acc = float((model.predict(tx) == ty).mean())
print(json.dumps({"seconds": time.perf_counter() - t0, "test_accuracy": acc}))
