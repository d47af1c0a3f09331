#!/usr/bin/python3
"""Nothing lost (issues 7 and 17), at every step, whatever the machine's
speed.

A retraining into a directory that holds the outputs of an earlier run
must leave NAME.safetensors and NAME.json both old, or both new, whole; a
failure may never mix them, and a SIGKILL may only leave the old weights
beside the new NAME.json (trainer/output/atomic.c: the weights are put in
place last, and the provenance names the SHA-256 of every tensor of its
weights, so a reader tells that pair apart).  Temporary names must not
stay behind after a failure; after a SIGKILL they may, each holding a whole
old or new file.

The faults are injected with strace at a system call, never at a moment:
the same runs happen on a fast machine and a slow one.  A clean run is
traced first; each invocation of each system call that can touch a file
(strace's %file and %desc classes, less memory mappings) is one point.

- SIGKILL sweep: the trainer is killed on entering each point in turn
  (strace --inject=CALL:signal=KILL:when=N).  The file system changes only
  in those calls, so this covers every state a kill at any moment can
  leave, from loading to the last rename.  Once with the old outputs
  present, and for the writing phase in an empty directory.
- ENOSPC sweep: each point fails with ENOSPC instead (error=ENOSPC), at
  every write, sync, link and rename, and every open and close.  Once as
  is, and for the writing phase once more as on a file system without
  renameat2(RENAME_EXCHANGE) (it fails with EINVAL), where a hard link
  keeps the old file.
- Both failures at once: the weights' rename fails and so does putting
  back the old NAME.json; the message must say where the old file is kept.

Where unshare(1) can mount a tmpfs (as root, or in a user namespace), the
writing phase's sweeps run once more on a tmpfs.  Without strace the test
skips (tests/ci-packages installs it).
Usage: test_kill.py [--tmpfs DIR] (DIR: a tmpfs for the output directories)."""
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import ok, diag, done, skip_all, trainer, read_safetensors, write, csv  # noqa: E402

NAMES = ("m.safetensors", "m.json")
HIDDEN = re.compile(r"^\.(m\.safetensors|m\.json)\.[A-Za-z0-9]{6}$")
NOT_FILE_CALLS = {"mmap", "munmap", "mprotect", "execve", "madvise", "mremap"}
trainer()
STRACE = shutil.which("strace")
if not STRACE:
    skip_all("no strace to inject faults with")
if subprocess.run([STRACE, "-qq", "-o", "/dev/null", "true"], capture_output=True).returncode != 0:
    skip_all("strace cannot trace here (no ptrace in this container?)")
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")   # one thread (strace follows only the trainer's)
ENV.pop("DH_MODEL_POLICY", None)


def recipe(path, data, seed):
    return write(path, "Model: m\nDataset: %s\nFormat: csv\nNetwork: dense 8 relu, dense 3\n"
                 "Loss: softmax-cross-entropy\nBatch-Size: 32\nEpochs: 2\nSeed: %d\n" % (data, seed))


def train(out, recipe_path, inject=()):
    """The data are named relative to the recipe's directory, the current
    one: in the source tree, so no dpkg-query runs for their licence."""
    args = [STRACE, "-qq", "-o", "/dev/null"] + ["--inject=" + i for i in inject] if inject else []
    return subprocess.run(args + [trainer(), "train", "--quiet", "--threads", "1", "--output-dir", out,
                                  recipe_path], capture_output=True, text=True, env=ENV,
                          cwd=os.path.dirname(recipe_path))


def points(out, recipe_path, old):
    """(call, n) for each invocation of a call that can touch a file in a
    clean traced run, in order, and the index of the first of the
    writing phase (the first O_TMPFILE open of the output directory)."""
    fill(out, old)
    log = os.path.join(os.path.dirname(out), "trace-" + os.path.basename(out))
    subprocess.run([STRACE, "-qq", "-o", log, "-e", "trace=%file,%desc", trainer(), "train", "--quiet",
                    "--threads", "1", "--output-dir", out, recipe_path], capture_output=True, env=ENV, check=True,
                   cwd=os.path.dirname(recipe_path))
    seen, result, writing = {}, [], None
    for line in open(log):
        m = re.match(r"^(\w+)\(", line)
        if not m or m.group(1) in NOT_FILE_CALLS:
            continue
        call = m.group(1)
        seen[call] = seen.get(call, 0) + 1
        if writing is None and "O_TMPFILE" in line:
            writing = len(result)
        result.append((call, seen[call]))
    return result, writing


def fill(d, files):
    for n in os.listdir(d):
        os.unlink(os.path.join(d, n))
    for n, b in (files or {}).items():
        with open(os.path.join(d, n), "wb") as f:
            f.write(b)


def read_weights(st_bytes, tmp):
    """The tensors' SHA-256 and the provenance inside a weights file, read
    with numpy and json only; None if it is not whole."""
    path = os.path.join(tmp, "h%d-%d.safetensors" % (os.getpid(), threading.get_ident()))
    with open(path, "wb") as f:
        f.write(st_bytes)
    try:
        tensors, meta = read_safetensors(path)
        return ({k: hashlib.sha256(np.ascontiguousarray(v, dtype="<f4").tobytes()).hexdigest()
                 for k, v in tensors.items()}, json.loads(meta["dh-model.provenance"]))
    except Exception:  # noqa: BLE001 - anything unreadable is not whole
        return None
    finally:
        os.unlink(path)


def tensors_of(name, data, tmp):
    """What a file says the weights' tensors are: {name: SHA-256}."""
    try:
        if name.endswith(".json"):
            return {t["name"]: t["sha256"] for t in json.loads(data)["tensors"]}
        return read_weights(data, tmp)[0]
    except Exception:  # noqa: BLE001
        return None


def state(d, old, new, tmp):
    """What d holds: (weights, json), each 'old' or 'new' (by the tensors
    it has or names: the same bytes but for a verdict that a failed stat
    changed are still the new model), 'none' or 'other'; the hidden names
    likewise; the names that should not be there; and the contents."""
    names = os.listdir(d)
    content = {n: open(os.path.join(d, n), "rb").read() for n in names}

    def which(real, data):
        t = tensors_of(real, data, tmp)
        return "other" if t is None else "new" if t == tensors_of(real, new[real], tmp) else \
            "old" if old and t == tensors_of(real, old[real], tmp) else "other"
    pair = tuple(which(n, content[n]) if n in content else "none" for n in NAMES)
    hidden, strays = {}, []
    for n in names:
        m = HIDDEN.match(n)
        if m:
            hidden[n] = which(m.group(1), content[n])
        elif n not in NAMES:
            strays.append(n)
    return pair, hidden, strays, content


def consistent(content, tmp):
    """NAME.json is the provenance inside the weights beside it."""
    w = read_weights(content["m.safetensors"], tmp)
    return w is not None and w[1] == json.loads(content["m.json"])


class Sweep:
    def __init__(self, where, base, recipe_path, old, new, tmp):
        self.where, self.base, self.recipe, self.old, self.new, self.tmp = where, base, recipe_path, old, new, tmp

    def run_all(self, jobs, check):
        """jobs: (label, inject list, old files or None); check(label,
        result, directory, old) -> (good, tally key, detail)."""
        bad, tally = [], {}

        def one(k_job):
            k, (label, inject, old) = k_job
            d = os.path.join(self.base, "w%d" % (k % 2))
            return k, label, old, d, inject
        # two directories, one run in each at a time
        queue = list(enumerate(jobs))
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            slots = [queue[i::2] for i in range(2)]

            def worker(slot):
                out = []
                for k, job in slot:
                    _, label, old, d, inject = one((k, job))
                    fill(d, old)
                    r = train(d, self.recipe, inject)
                    out.append((label, check(label, r, d, old)))
                return out
            for results in pool.map(worker, slots):
                for label, (good, key, detail) in results:
                    tally[key] = tally.get(key, 0) + 1
                    if not good:
                        bad.append("%s: %s" % (label, detail))
        return bad, tally

    def kill_check(self, label, r, d, old):
        which, hidden, strays, content = state(d, old, self.new, self.tmp)
        killed = r.returncode in (-9, 137)
        allowed = [("old", "old"), ("old", "new"), ("new", "new")] if old else \
            [("none", "none"), ("none", "new"), ("new", "new")]
        good = killed and not strays and which in allowed and all(v in ("old", "new") for v in hidden.values())
        if good and which == ("old", "new"):
            # the mixed pair a reader must tell apart: NAME.json names
            # tensors that are not those of the weights beside it
            good = tensors_of("m.json", content["m.json"], self.tmp) != \
                tensors_of("m.safetensors", content["m.safetensors"], self.tmp)
        elif good and "none" not in which:
            good = consistent(content, self.tmp)
        key = "weights %s, JSON %s%s" % (which[0], which[1], ", hidden names left" if hidden else "")
        return good, key, "exit %s, %s, hidden %s, strays %s" % (r.returncode, which, hidden, strays)

    def enospc_check(self, label, r, d, old):
        which, hidden, strays, content = state(d, old, self.new, self.tmp)
        # the verdict, said before the outputs are written, is not an error
        lines = [x for x in r.stderr.splitlines() if not re.match(r"dh-model-train: \S+: verdict: ", x)]
        whole = which in ([("old", "old"), ("new", "new")] if old else [("none", "none"), ("new", "new")])
        # removing the old NAME.json's hidden copy after the commit: a
        # failure there leaves it, whole, and is no error
        leftover = "unlink#" in label and r.returncode == 0 and list(hidden.values()) == ["old"]
        # a failure reports itself on one line (or, in the dynamic
        # loader, before the trainer runs, with exit 127)
        good = ((not hidden or leftover) and not strays and whole and
                ("none" in which or consistent(content, self.tmp)) and
                (r.returncode == 0 and which == ("new", "new") or
                 r.returncode == 1 and len(lines) == 1 and lines[0].startswith("dh-model-train: error: ") or
                 r.returncode == 127))
        key = "exit %d, %s" % (r.returncode, "new pair" if which == ("new", "new") else "old pair")
        return good, key, "exit %s, %s, hidden %s, strays %s: %s" % (r.returncode, which, hidden, strays,
                                                                  r.stderr.strip())


def main():
    tmpfs = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--tmpfs" else None
    where = "tmpfs: " if tmpfs else ""
    with tempfile.TemporaryDirectory() as tmp:
        base = tmpfs or tmp
        if tmpfs:
            fstype = subprocess.run(["stat", "-f", "-c", "%T", tmpfs], capture_output=True, text=True).stdout.strip()
            ok(fstype == "tmpfs", "%sthe output directories are on a tmpfs (%s)" % (where, fstype))
        csv(os.path.join(tmp, "d.csv"), 200, 4, 3)
        new_recipe = recipe(os.path.join(tmp, "new.models"), "d.csv", 1)
        old_recipe = recipe(os.path.join(tmp, "old.models"), "d.csv", 2)
        for n in ("ref", "old", "w0", "w1"):
            os.mkdir(os.path.join(base, n))
        r1, r2 = train(os.path.join(base, "ref"), new_recipe), train(os.path.join(base, "old"), old_recipe)
        if not ok(r1.returncode == 0 and r2.returncode == 0, "%sthe new and the old outputs, unkilled" % where):
            diag(r1.stderr + r2.stderr)
            done()
        new = {n: open(os.path.join(base, "ref", n), "rb").read() for n in NAMES}
        old = {n: open(os.path.join(base, "old", n), "rb").read() for n in NAMES}
        ok(all(new[n] != old[n] for n in NAMES), "%sold and new outputs differ, byte for byte" % where)
        sweep = Sweep(where, base, new_recipe, old, new, tmp)
        pts, writing = points(os.path.join(base, "w0"), new_recipe, old)
        pts_empty, writing_empty = points(os.path.join(base, "w0"), new_recipe, None)
        if not ok(writing is not None and len(pts) > writing,
                  "%sa clean run makes %d calls that can touch a file, %d of them from the first "
                  "output file on" % (where, len(pts), len(pts) - (writing or 0))):
            done()
        diag("%sthe writing phase: %s" % (where, " ".join("%s#%d" % p for p in pts[writing:])))
        first = 0 if not tmpfs else writing     # on a tmpfs: the writing phase only
        total = 0

        def report(what, bad, tally, n):
            ok(not bad, "%s%s: %d injection points, each leaving the outputs whole (%d do not)"
               % (where, what, n, len(bad)))
            for line in bad[:8]:
                diag("  " + line)
            diag("%s  %s" % (where, "; ".join("%s: %d" % kv for kv in sorted(tally.items()))))

        jobs = [("kill at %s#%d" % p, ["%s:signal=KILL:when=%d" % p], old) for p in pts[first:]]
        bad, tally = sweep.run_all(jobs, sweep.kill_check)
        report("SIGKILL at every call%s, old outputs present" % (" of the writing phase" if first else ""),
               bad, tally, len(jobs))
        total += len(jobs)
        jobs = [("kill at %s#%d" % p, ["%s:signal=KILL:when=%d" % p], None) for p in pts_empty[writing_empty:]]
        bad, tally = sweep.run_all(jobs, sweep.kill_check)
        report("SIGKILL at every call of the writing phase, empty directory", bad, tally, len(jobs))
        total += len(jobs)

        jobs = [("ENOSPC at %s#%d" % p, ["%s:error=ENOSPC:when=%d" % p], old) for p in pts[first:]]
        bad, tally = sweep.run_all(jobs, sweep.enospc_check)
        report("ENOSPC at every call%s" % (" of the writing phase" if first else ""), bad, tally, len(jobs))
        total += len(jobs)
        no_exchange = "renameat2:error=EINVAL"
        jobs = [("ENOSPC at %s#%d without RENAME_EXCHANGE" % p, [no_exchange, "%s:error=ENOSPC:when=%d" % p], old)
                for p in pts[writing:] if p[0] != "renameat2"]
        bad, tally = sweep.run_all(jobs, sweep.enospc_check)
        report("ENOSPC at every call of the writing phase, no RENAME_EXCHANGE (a hard link keeps the old file)",
               bad, tally, len(jobs))
        total += len(jobs)

        # the weights' rename fails, and so does putting back NAME.json
        d = os.path.join(base, "w0")
        fill(d, old)
        r = train(d, new_recipe, ["rename:error=ENOSPC:when=1", "renameat2:error=EIO:when=2"])
        which, hidden, strays, _ = state(d, old, new, tmp)
        m = re.search(r"it is kept as (\S+?):? ", r.stderr)
        kept = os.path.basename(m.group(1)) if m else ""
        ok(r.returncode == 1 and which == ("old", "new") and hidden.get(kept) == "old" and len(hidden) == 1 and
           not strays and "m.safetensors: rename: No space left on device" in r.stderr,
           "%sthe weights' rename and the undo both fail: the message names where the old NAME.json is "
           "kept, whole: %s" % (where, r.stderr.strip()))
        diag("%s%d injection points in all" % (where, total))

    if not tmpfs:
        tmpfs_run()
    done()


def tmpfs_run():
    """Once more on a tmpfs, in a mount namespace of its own (as root, or
    as a user in a user namespace of its own where the kernel allows)."""
    unshare = shutil.which("unshare")
    if not unshare:
        ok(True, "# SKIP the tmpfs run: no unshare(1) to mount a tmpfs with")
        return
    mnt = tempfile.mkdtemp()
    p = subprocess.run([unshare] + ([] if os.geteuid() == 0 else ["-r"]) +
                       ["-m", "--propagation", "private", "/bin/sh", "-c",
                        'mount -t tmpfs -o size=64m,mode=0755 dh-model-kill "$1" || exit 77; '
                        'exec "$2" "$3" --tmpfs "$1"', "sh", mnt, sys.executable, os.path.abspath(__file__)],
                       capture_output=True, text=True)
    os.rmdir(mnt)
    lines = p.stdout.splitlines()
    if not any(line.startswith(("ok ", "not ok ")) for line in lines):
        ok(True, "# SKIP the tmpfs run: cannot mount a tmpfs here: %s"
           % (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1])
        return
    for line in lines:
        if line.startswith(("ok ", "not ok ")):
            ok(line.startswith("ok "), line.split(" - ", 1)[-1])
        elif line.startswith("#"):
            diag(line[1:].strip())
    ok(p.returncode == 0, "the tmpfs run passed (exit %d)%s"
       % (p.returncode, p.stderr.strip() and ": " + p.stderr.strip()[-300:]))


main()
