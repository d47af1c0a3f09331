#!/usr/bin/python3
"""Text jobs (Model-Type supervised, skipgram) get what the MLP's training
gets (test_sandbox.py): they train without any network (unshare -n, as
sbuild builds), restrict themselves with Landlock and seccomp and say so,
give the same bytes with and without, and under qemu-user, which has
neither; and the policy's caps are armed: a Max-Output-Bytes that the
weights exceed stops the write (exit 4), where before the files were
written whatever the limit."""
import hashlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, trainer, train_confined, write  # noqa: E402
from ftcorpus import topic_recipe  # noqa: E402


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


trainer()
with tempfile.TemporaryDirectory() as tmp:
    supervised, _ = topic_recipe(tmp)
    text = write(os.path.join(tmp, "words.txt"),
                 "\n".join(" ".join("w%d" % ((i * 7 + j * 3) % 40) for j in range(12)) for i in range(300)) + "\n")
    skipgram = write(os.path.join(tmp, "vectors.models"),
                     "Model: vec\nModel-Type: skipgram\nFormat: text\nDataset: %s\nSeed: 7\nDim: 8\n"
                     "Epochs: 2\nMin-Count: 1\nMin-N: 2\nMax-N: 3\nBucket: 2000\nExport: fasttext\n" % text)
    for kind, recipe, name in (("supervised", supervised, "topics"), ("skipgram", skipgram, "vec")):
        outs = {}
        for how, under_qemu, out, r in train_confined(recipe, tmp, kind + "-"):
            ok(r.returncode == 0, "%s: trains (%s)" % (kind, how)) or diag(r.stderr[-600:])
            said = next((ln for ln in r.stdout.splitlines() if ln.startswith("sandbox:")), "")
            ok("seccomp" in said and (under_qemu or "Landlock" in said),
               "%s, %s: restricts itself and says how: %s" % (kind, how, said or "no sandbox line"))
            if under_qemu:
                ok("no seccomp here" in said, "%s, %s: no seccomp there, and it says so" % (kind, how))
            if r.returncode == 0:
                outs[how] = sha(os.path.join(out, name + ".bin"))
        ok(len(outs) >= 1 and len(set(outs.values())) == 1,
           "%s: the same .bin with and without a network and sandbox (%d runs)" % (kind, len(outs)))
        capped = write(os.path.join(tmp, kind + "-capped.models"),
                       open(recipe).read() + "Max-Output-Bytes: 20K\n")
        out = os.path.join(tmp, kind + "-capped")
        os.mkdir(out)
        r = subprocess.run([trainer(), "train", "--output-dir", out, capped], cwd=tmp,
                           capture_output=True, text=True)
        ok(r.returncode == 4 and "Max-Output-Bytes of 20 KiB reached" in r.stderr and
           not os.path.exists(os.path.join(out, name + ".json")),
           "%s: Max-Output-Bytes 20K caps the write: exit %d, no %s.json (%s)"
           % (kind, r.returncode, name, r.stderr.strip().splitlines()[-1][-200:] if r.stderr.strip() else ""))
done()
