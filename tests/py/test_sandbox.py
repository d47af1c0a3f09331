#!/usr/bin/python3
"""No network, no escape: training works without any network (unshare -n,
as sbuild builds), and the trainer restricts itself once its inputs are
read (Landlock, seccomp).  tests/c/test_sandbox.c shows that attempts are
refused; here, the real trainer under the real restrictions."""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import ok, diag, done, trainer  # noqa: E402

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
    # qemu-user has neither Landlock nor seccomp (an arm64 sbuild on amd64
    # runs the trainer so): the trainer goes on without them and says so
    qemu = "qemu-%s-static" % os.uname().machine
    for name, prefix in (("plain", []), ("unshare -n", ["unshare", "-n"]), ("under " + qemu, [qemu])):
        if prefix and not shutil.which(prefix[0]):
            ok(True, "# skip %s is missing" % prefix[0])
            continue
        out = os.path.join(tmp, name.replace(" ", "_"))
        os.mkdir(out)
        r = subprocess.run(prefix + [trainer(), "train", "--output-dir", out, recipe], cwd=tmp,
                           capture_output=True, text=True)
        if prefix and r.returncode and "unshare" in r.stderr:
            ok(True, "# skip unshare -n is not allowed here: " + r.stderr.strip())
            continue
        ok(r.returncode == 0, "trains (%s)" % name) or diag(r.stderr)
        ok("sandbox: " in r.stdout and "seccomp" in r.stdout,
           "%s: says how it restricted itself: %s" % (name, next(
               (line for line in r.stdout.splitlines() if line.startswith("sandbox:")), "?")))
        if prefix[:1] == [qemu]:
            ok("no seccomp here" in r.stdout, "%s: no seccomp there, and it says so" % name)
        outs[name] = hashlib.sha256(open(os.path.join(out, "m.safetensors"), "rb").read()).hexdigest()
    ok(len(set(outs.values())) == 1, "the same weights with and without a network")
done()
