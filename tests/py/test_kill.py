#!/usr/bin/python3
"""Nothing lost (issue 7): a training killed with SIGKILL at any moment
leaves in its output directory, which already holds the outputs of an
earlier run, each of NAME.safetensors and NAME.json either complete and old
or complete and new, and no other file (no temporary), except in the one
window that trainer/output/atomic.c documents: killed between linkat() to a
hidden temporary name and rename(), the complete new output is left under
that name (accepted only whole and byte for byte new, and counted).

A small real model (a CSV of 5000 rows, dense 64 relu, about 2 s) is
trained once into a directory of its own for the new bytes; the old ones
come from the same recipe with another Seed.  Then it is killed at moments
drawn with a fixed seed: uniformly over the whole run, within loading, and
just after the last line before the outputs are written; a few of the last
into an empty directory (where a new output is linked straight to its name).
The phase of each kill is told by the trainer's progress lines ("sandbox:"
once the inputs are read, "verdict:" just before the outputs are written)
and by what the directory holds afterwards.

Where unshare(1) can mount a tmpfs (as root, or else in a user namespace),
the whole test runs once more with the output directories on a tmpfs,
mounted in a private mount namespace that vanishes with the test: O_TMPFILE
on a tmpfs as well as on the disk.
Usage: test_kill.py [--tmpfs DIR] (DIR: a tmpfs for the output directories)."""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import ok, diag, done, trainer, read_safetensors, write, csv  # noqa: E402

SEED = 7                 # of the kill schedule
UNIFORM, LOADING, WRITING, WRITING_EMPTY = 12, 3, 6, 3
NAMES = ("m.safetensors", "m.json")
trainer()


def recipe(path, data, seed):
    return write(path, "Model: m\nDataset: %s\nFormat: csv\nNetwork: dense 64 relu, dense 4\n"
                 "Loss: softmax-cross-entropy\nBatch-Size: 32\nEpochs: 100\nSeed: %d\n" % (data, seed))


class Run:
    """One training, timed from its start: when the inputs were read
    (the "sandbox:" line), when the outputs are about to be written (the
    "verdict:" line), when it was killed and when it ended."""

    def __init__(self, recipe_path, out, kill_at=None, kill_after_verdict=None):
        self.t_sandbox = self.t_verdict = self.t_kill = None
        self.start = time.monotonic()
        self.p = subprocess.Popen([trainer(), "train", "--output-dir", out, recipe_path],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.kill_after_verdict = kill_after_verdict
        reader = threading.Thread(target=self._read)
        reader.start()
        if kill_at is not None:
            left = self.start + kill_at - time.monotonic()
            if left > 0:
                time.sleep(left)
            self._kill()
        reader.join()
        self.err = self.p.stderr.read()
        self.p.wait()
        self.end = time.monotonic() - self.start

    def _kill(self):
        # the trainer is not reaped before wait(), so its pid is still its own
        if self.p.returncode is None:
            self.t_kill = time.monotonic() - self.start
            os.kill(self.p.pid, signal.SIGKILL)

    def _read(self):
        for line in self.p.stdout:
            now = time.monotonic() - self.start
            if line.startswith("sandbox:") and self.t_sandbox is None:
                self.t_sandbox = now
            elif ": verdict: " in line and self.t_verdict is None:
                self.t_verdict = now
                if self.kill_after_verdict is not None:
                    end = time.monotonic() + self.kill_after_verdict
                    while time.monotonic() < end:   # finer than sleep()
                        pass
                    self._kill()

    @property
    def killed(self):
        return self.p.returncode == -signal.SIGKILL

    def phase(self):
        if not self.killed:
            return "after the end (exit %d)" % self.p.returncode
        if self.t_sandbox is None or self.t_kill < self.t_sandbox:
            return "loading"
        if self.t_verdict is None or self.t_kill < self.t_verdict:
            return "training"
        return "writing"


def read_outputs(d):
    return {n: open(os.path.join(d, n), "rb").read() for n in NAMES}


def valid(name, data):
    """Complete and well-formed, read with json and numpy only."""
    try:
        if name.endswith(".json"):
            return isinstance(json.loads(data), dict)
        path = os.path.join(tmp, "check.safetensors")
        with open(path, "wb") as f:
            f.write(data)
        tensors, meta = read_safetensors(path)
        n = int.from_bytes(data[:8], "little")
        size = sum(t.nbytes for t in tensors.values())
        return (len(data) == 8 + n + size and all(np.isfinite(t).all() for t in tensors.values())
                and isinstance(json.loads(meta["dh-model.provenance"]), dict))
    except Exception as e:  # noqa: BLE001 - any failure to read is invalid
        diag("%s: %s" % (name, e))
        return False


def provenance_of(st_bytes):
    path = os.path.join(tmp, "prov.safetensors")
    with open(path, "wb") as f:
        f.write(st_bytes)
    return json.loads(read_safetensors(path)[1]["dh-model.provenance"])


tmpfs = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--tmpfs" else None
where = "tmpfs: " if tmpfs else ""
with tempfile.TemporaryDirectory() as tmp:
    base = tmpfs or tmp
    if tmpfs:
        fstype = subprocess.run(["stat", "-f", "-c", "%T", tmpfs], capture_output=True, text=True).stdout.strip()
        ok(fstype == "tmpfs", "%sthe output directories are on a tmpfs (%s)" % (where, fstype))
    data = csv(os.path.join(tmp, "d.csv"), 5000, 64, 4)
    new_recipe = recipe(os.path.join(tmp, "new.models"), data, 1)
    old_recipe = recipe(os.path.join(tmp, "old.models"), data, 2)
    ref, old, out = (os.path.join(base, n) for n in ("ref", "old", "out"))
    for d in (ref, old, out):
        os.mkdir(d)

    # the new outputs, unkilled, in another directory; the old ones
    r = Run(new_recipe, ref)
    ok(r.p.returncode == 0 and sorted(os.listdir(ref)) == sorted(NAMES),
       "%sthe new run, unkilled: %.2f s (inputs read at %.2f s, outputs written from %.3f s)"
       % (where, r.end, r.t_sandbox or -1, r.t_verdict or -1))
    if r.p.returncode != 0:
        diag(r.err)
        done()
    length, t_load, t_write = r.end, r.t_sandbox, r.end - r.t_verdict
    r = Run(old_recipe, old)
    ok(r.p.returncode == 0, "%sthe old run (Seed 2)" % where)
    new_b, old_b = read_outputs(ref), read_outputs(old)
    ok(all(new_b[n] != old_b[n] for n in NAMES), "%sold and new outputs differ, byte for byte" % where)
    ok(all(valid(n, b[n]) for b in (new_b, old_b) for n in NAMES) and
       provenance_of(new_b["m.safetensors"]) == json.loads(new_b["m.json"]) and
       provenance_of(old_b["m.safetensors"]) == json.loads(old_b["m.json"]),
       "%sboth are valid, and the provenance inside the weights equals the JSON" % where)

    rng = random.Random(SEED)
    plan = ([("uniform", rng.uniform(0, length), None, False) for _ in range(UNIFORM)] +
            [("loading", rng.uniform(0, t_load), None, False) for _ in range(LOADING)] +
            [("writing", None, rng.uniform(0, t_write), False) for _ in range(WRITING)] +
            [("writing, empty dir", None, rng.uniform(0, t_write), True) for _ in range(WRITING_EMPTY)])
    phases, states, kills, windows = {}, {}, 0, 0
    for i, (aim, at, after, empty) in enumerate(plan):
        for n in os.listdir(out):
            os.unlink(os.path.join(out, n))
        if not empty:
            for n in NAMES:
                shutil.copyfile(os.path.join(old, n), os.path.join(out, n))
        r = Run(new_recipe, out, kill_at=at, kill_after_verdict=after)
        kills += r.killed
        phase = r.phase()
        phases[phase] = phases.get(phase, 0) + 1
        when = ("at %.3f s" % r.t_kill) if r.t_kill is not None else "too late"
        names = sorted(os.listdir(out))
        # the one window that atomic.c documents: between linkat() of the
        # complete unnamed file to ".NAME.XXXXXX" and rename() over NAME, a
        # SIGKILL leaves that hidden name behind, holding the complete new
        # output (no system call links an unnamed inode over a name).  It
        # is allowed only so: whole, byte for byte the new output.
        extra = [n for n in names if n not in NAMES]
        window = [n for n in extra if re.match(r"^\.(m\.safetensors|m\.json)\.[A-Za-z0-9]{6}$", n) and
                  open(os.path.join(out, n), "rb").read() == new_b[n[1:-7]]]
        ok(extra == window, "%skill %d (%s) %s, in %s: no other file (%s)"
           % (where, i + 1, aim, when, phase, ", ".join(names) or "empty"))
        for n in window:
            diag("%skill %d: %s left between linkat and rename: complete, the new %s"
                 % (where, i + 1, n, n[1:-7]))
            os.unlink(os.path.join(out, n))
            windows += 1
        state, good = [], True
        for n in NAMES:
            if n not in names:
                state.append("none")
                continue
            b = open(os.path.join(out, n), "rb").read()
            which = "new" if b == new_b[n] else "old" if b == old_b[n] and not empty else "other"
            good = good and which != "other" and valid(n, b)
            state.append(which)
        state = tuple(state)
        allowed = ([("none", "none"), ("new", "none"), ("new", "new")] if empty else
                   [("old", "old"), ("new", "old"), ("new", "new")])
        ok(good and state in allowed, "%skill %d: weights %s, JSON %s: each file complete and "
           "valid, byte for byte old or new" % (where, i + 1, *state))
        if state == ("new", "old"):
            # between the two renames: new weights and the old JSON, which a
            # consumer tells apart by the provenance the weights carry
            ok(provenance_of(open(os.path.join(out, NAMES[0]), "rb").read()) !=
               json.loads(open(os.path.join(out, NAMES[1]), "rb").read()),
               "%skill %d: new weights with the old JSON: the weights' provenance shows the mismatch"
               % (where, i + 1))
        key = ("%s, weights %s, JSON %s" % ("empty dir" if empty else "old outputs", *state))
        states[key] = states.get(key, 0) + 1
    ok(kills >= 12, "%s%d of %d runs were killed by SIGKILL (at least 12)" % (where, kills, len(plan)))
    diag("%skills by phase: %s" % (where, ", ".join("%s %d" % kv for kv in sorted(phases.items()))))
    diag("%skills that left a complete new output under its hidden temporary name: %d" % (where, windows))
    diag("%swhat the directory held: %s" % (where, "; ".join("%s: %d" % kv for kv in sorted(states.items()))))

# once more on a tmpfs, in a mount namespace of its own (as root, or as a
# user in a user namespace of its own where the kernel allows one)
if not tmpfs:
    unshare = shutil.which("unshare")
    if not unshare:
        ok(True, "# SKIP the tmpfs run: no unshare(1) to mount a tmpfs with")
    else:
        mnt = tempfile.mkdtemp()
        p = subprocess.run([unshare] + ([] if os.geteuid() == 0 else ["-r"]) +
                           ["-m", "--propagation", "private", "/bin/sh", "-c",
                            'mount -t tmpfs -o size=64m,mode=0755 dh-model-kill "$1" || exit 77; '
                            'exec "$2" --tmpfs "$1"', "sh", mnt, os.path.abspath(__file__)],
                           capture_output=True, text=True)
        os.rmdir(mnt)
        lines = p.stdout.splitlines()
        if not any(line.startswith(("ok ", "not ok ")) for line in lines):
            ok(True, "# SKIP the tmpfs run: cannot mount a tmpfs here: %s"
               % (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1])
        else:
            for line in lines:
                if line.startswith(("ok ", "not ok ")):
                    ok(line.startswith("ok "), line.split(" - ", 1)[-1])
                elif line.startswith("#"):
                    diag(line[1:].strip())
            ok(p.returncode == 0, "the tmpfs run passed (exit %d)%s"
               % (p.returncode, p.stderr.strip() and ": " + p.stderr.strip()[-300:]))
done()
