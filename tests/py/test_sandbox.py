#!/usr/bin/python3
"""No network, no escape: training works without any network (unshare -n,
as sbuild builds), and the trainer restricts itself once its inputs are
read (Landlock, seccomp).  tests/c/test_sandbox.c shows that attempts are
refused; here, the real trainer under the real restrictions."""
import hashlib
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import ok, diag, done, trainer, train_confined  # noqa: E402

trainer()
with tempfile.TemporaryDirectory() as tmp:
    rs = np.random.RandomState(2)
    x = rs.uniform(-1, 1, (400, 4))
    with open(os.path.join(tmp, "d.csv"), "w") as f:
        f.write("a,b,c,d,y\n")
        for r in x:
            f.write(",".join("%.4f" % v for v in r) + ",%d\n" % (r.sum() > 0))
    recipe = os.path.join(tmp, "m.models")
    with open(recipe, "w") as f:
        f.write("Model: m\nDataset: d.csv\nFormat: csv\nNetwork: dense 8 tanh, dense 2\n"
                "Loss: softmax-cross-entropy\nEpochs: 3\nSeed: 1\n")
    outs = {}
    for name, under_qemu, out, r in train_confined(recipe, tmp):
        ok(r.returncode == 0, "trains (%s)" % name) or diag(r.stderr)
        ok("sandbox: " in r.stdout and "seccomp" in r.stdout,
           "%s: says how it restricted itself: %s" % (name, next(
               (line for line in r.stdout.splitlines() if line.startswith("sandbox:")), "?")))
        if under_qemu:
            ok("no seccomp here" in r.stdout, "%s: no seccomp there, and it says so" % name)
        outs[name] = hashlib.sha256(open(os.path.join(out, "m.safetensors"), "rb").read()).hexdigest()
    ok(len(set(outs.values())) == 1, "the same weights with and without a network")
done()
