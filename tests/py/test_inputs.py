#!/usr/bin/python3
"""No input can stall the caps (issue 17): a FIFO as the dataset, the
labels, the test data, the recipe or the policy (DH_MODEL_POLICY, or found
in DH_MODEL_POLICY_DIR) is refused at once, with one line that names it.

open() of a FIFO for reading waits for a writer; a trainer that did so
would wait before any watchdog runs (a policy is read before its own
Max-Wall-Time is known).  No timeout decides here: while the trainer runs,
this test keeps opening the FIFO's other end without waiting
(O_NONBLOCK), which succeeds only while someone reads it, and closes it at
once.  A trainer stuck in open() is so let through to an empty input, and
fails with another message; the fixed one never waits.  Either way the
run ends, on a fast machine or a slow one.  (tests/bad/limits.cases has
the devices and directories.)"""
import errno
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, trainer, write  # noqa: E402

trainer()


def run_with_fifo(fifo, args, cwd, env=None):
    """Run the trainer; whenever it is blocked on the FIFO, open and close
    the other end so that it goes on.  Returns (result, times let through)."""
    p = subprocess.Popen([trainer()] + args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    let_through = 0
    while p.poll() is None:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
            let_through += 1
        except OSError as e:
            if e.errno != errno.ENXIO:   # ENXIO: nobody reads it now
                raise
        time.sleep(0.01)
    out, err = p.communicate()
    return subprocess.CompletedProcess(p.args, p.returncode, out, err), let_through


with tempfile.TemporaryDirectory() as tmp:
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    os.mkdir(os.path.join(tmp, "out"))
    write(os.path.join(tmp, "train.csv"), "a,b,label\n" + "".join("%d,%d,%d\n" % (i, i % 3, i % 2) for i in range(40)))
    base = ("Model: m\nDataset: train.csv\nFormat: csv\nNetwork: dense 4 relu, dense 2\n"
            "Loss: softmax-cross-entropy\nEpochs: 1\nSeed: 1\n")
    idx = ("Model: m\nDataset: images.idx\nLabels: labels.idx\nFormat: idx\nNetwork: dense 4 relu, dense 3\n"
           "Loss: softmax-cross-entropy\nEpochs: 1\nSeed: 1\n")
    with open(os.path.join(tmp, "images.idx"), "wb") as f:
        f.write(bytes([0, 0, 8, 3, 0, 0, 0, 6, 0, 0, 0, 2, 0, 0, 0, 2]) + bytes(range(24)))
    with open(os.path.join(tmp, "labels.idx"), "wb") as f:
        f.write(bytes([0, 0, 8, 1, 0, 0, 0, 6, 0, 1, 2, 0, 1, 2]))
    policy_dir = os.path.join(tmp, "policies")
    os.mkdir(policy_dir)
    os.mkfifo(os.path.join(policy_dir, "slow"))
    cases = [
        ("the dataset", base.replace("train.csv", "fifo"), None, fifo,
         "models: line 2: Dataset: fifo: not a regular file (a FIFO)"),
        ("the test dataset", base + "Test-Dataset: fifo\n", None, fifo,
         "models: line 8: Test-Dataset: fifo: not a regular file (a FIFO)"),
        ("the labels", idx.replace("labels.idx", "fifo"), None, fifo,
         "models: line 3: Labels: fifo: not a regular file (a FIFO)"),
        ("DH_MODEL_POLICY", base, {"DH_MODEL_POLICY": fifo}, fifo,
         "%s: cannot open the policy: not a regular file (a FIFO)" % fifo),
        ("a policy found in DH_MODEL_POLICY_DIR", base + "Policy: slow\n", {"DH_MODEL_POLICY_DIR": policy_dir},
         os.path.join(policy_dir, "slow"),
         "%s/slow: cannot open the policy: not a regular file (a FIFO)" % policy_dir),
        ("the recipe", None, None, fifo, "fifo: cannot open: not a regular file (a FIFO)"),
    ]
    for what, recipe, env, named, want in cases:
        if recipe is not None:
            write(os.path.join(tmp, "models"), recipe)
        full_env = dict(os.environ)
        full_env.pop("DH_MODEL_POLICY", None)
        full_env.update(env or {})
        for command in (["train", "-o", "out"], ["estimate"]):
            args = command + (["models"] if recipe is not None else ["fifo"])
            r, let_through = run_with_fifo(named, args, tmp, full_env)
            lines = r.stderr.splitlines()
            ok(r.returncode == 1 and lines == ["dh-model-train: error: " + want] and not os.listdir(os.path.join(tmp, "out")),
               "a FIFO as %s (%s): refused at once, one line: %s" % (what, command[0], r.stderr.strip()))
            if let_through:
                diag("the trainer waited in open() and was let through %d times" % let_through)
done()
