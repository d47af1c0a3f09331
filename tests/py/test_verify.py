#!/usr/bin/python3
"""Anyone can verify a shipped model: `verify` retrains from the provenance
inside the weights (or from a reproducibility bundle) and compares bit for
bit; one flipped byte is named.  Bundles are deterministic tars (written
with libarchive, or libtar), read here with Python's tarfile as an independent reader.

The file given to verify and bundle is untrusted input (issue 17): the
second half of this file hands them hostile provenances and bundles, and
checks that nothing is written outside the output and the private
temporary directory (which is gone afterwards, also after a failure or a
signal), that nothing unchecked is read or packed, and that text from the
file reaches the terminal without control characters."""
import io
import json
import os
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import ok, diag, done, run, trainer  # noqa: E402

trainer()


def edit_provenance(src, dst, change, more_metadata=None):
    """dst: the weights of src with change(provenance) applied to the
    provenance in their metadata (a dict, decoded and encoded again), and
    more metadata entries if given."""
    with open(src, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    p = json.loads(header["__metadata__"]["dh-model.provenance"])
    change(p)
    header["__metadata__"]["dh-model.provenance"] = json.dumps(p, separators=(",", ":"))
    header["__metadata__"].update(more_metadata or {})
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data[8 + n:])
    return dst


def read_provenance(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n])["__metadata__"]["dh-model.provenance"]


def children_of(pid):
    """The pids (as strings) whose parent is pid, from /proc/N/stat."""
    found = []
    for n in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % n) as f:
                st = f.read()
        except (OSError, ValueError):
            continue
        if n.isdigit() and int(st[st.rindex(")") + 2:].split()[1]) == pid:
            found.append(n)
    return found


def make_tar(path, members):
    """A tar of (name, bytes or TarInfo-changing function) pairs."""
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as t:
        for name, what in members:
            info = tarfile.TarInfo(name)
            if callable(what):
                what(info)
                t.addfile(info)
            else:
                info.size = len(what)
                t.addfile(info, io.BytesIO(what))
    return path


def flip_last_weight_byte(path):
    """Flip one bit in the data of the last tensor, leaving the header."""
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        n = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8:8 + n])
        name = max((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][1])
        end = 8 + n + header[name]["data_offsets"][1]
        data[end - 1] ^= 0x01
        f.seek(0)
        f.write(data)
    return name


with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "src")
    os.makedirs(os.path.join(src, "data"))
    rs = np.random.RandomState(1)
    x = rs.uniform(-1, 1, (300, 5))
    y = (x @ rs.normal(size=(5, 3))).argmax(axis=1)
    with open(os.path.join(src, "data", "d.csv"), "w") as f:
        f.write("a,b,c,d,e,y\n")
        for r, t in zip(x, y):
            f.write(",".join("%.4f" % v for v in r) + ",%d\n" % t)
    with open(os.path.join(src, "m.models"), "w") as f:
        f.write("Model: tiny\nDescription: a toy model\n .\n over two lines\nDataset: data/d.csv\n"
                "Format: csv\nNetwork: dense 8 tanh,\n dropout 0.1,\n dense 3\nLoss: softmax-cross-entropy\n"
                "Epochs: 3\nSeed: 4\nValidation-Split: 0.2\n")
    out = os.path.join(src, "out")
    os.mkdir(out)
    r = run(["train", "--quiet", "--output-dir", out, "m.models"], cwd=src)
    ok(r.returncode == 0, "a model trains") or diag(r.stderr)
    weights = os.path.join(out, "tiny.safetensors")

    # verify an installed model: the weights alone carry the provenance
    r = run(["verify", "--data-dir", src, weights])
    ok(r.returncode == 0 and "identical: all 4 tensors" in r.stdout, "verify: " + r.stdout.strip().splitlines()[-1])
    r = run(["verify", "--threads", "2", weights], cwd=src)
    ok(r.returncode == 0, "verify with 2 threads, from the source directory")
    bad = os.path.join(tmp, "bad.safetensors")
    shutil.copy(weights, bad)
    name = flip_last_weight_byte(bad)
    r = run(["verify", "--data-dir", src, bad])
    ok(r.returncode == 5 and ("tensor '%s' differs: element" % name) in r.stderr and len(r.stderr.splitlines()) == 1,
       "one flipped byte: exit 5 and the tensor named: " + r.stderr.strip())

    # a changed dataset is found before the weights are compared
    changed = os.path.join(tmp, "changed")
    shutil.copytree(src, changed)
    with open(os.path.join(changed, "data", "d.csv"), "a") as f:
        f.write("0.1,0.2,0.3,0.4,0.5,1\n")
    r = run(["verify", "--data-dir", changed, weights])
    ok(r.returncode == 5 and "data file data/d.csv has SHA-256" in r.stderr and "trained on" in r.stderr,
       "changed data is named: " + r.stderr.strip()[:150])

    # the reproducibility bundle
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    b1, b2 = os.path.join(tmp, "b1.tar"), os.path.join(tmp, "b2.tar")
    r1 = run(["bundle", "--output", b1, "--data-dir", src, weights], env=env)
    r2 = run(["bundle", "--output", b2, "--data-dir", src, weights], env=env)
    ok(r1.returncode == 0 and r2.returncode == 0 and open(b1, "rb").read() == open(b2, "rb").read(),
       "two bundles of the same model are byte-identical")
    with tarfile.open(b1) as t:
        members = t.getmembers()
        names = [m.name for m in members]
        ok(names == sorted(names) == ["data/d.csv", "tiny.json", "tiny.md", "tiny.models", "tiny.safetensors"],
           "members sorted: " + ", ".join(names))
        ok(all(m.isfile() and m.uid == 0 and m.gid == 0 and m.uname == "root" and m.mode == 0o644
               and m.mtime == 1700000000 for m in members),
           "regular files, root/root 0644, mtime = SOURCE_DATE_EPOCH")
        ok(t.extractfile("tiny.safetensors").read() == open(weights, "rb").read()
           and t.extractfile("data/d.csv").read() == open(os.path.join(src, "data", "d.csv"), "rb").read(),
           "the weights and the data travel unchanged")
        recipe = t.extractfile("tiny.models").read().decode()
        ok("Dataset: data/d.csv\n" in recipe and "Description: a toy model\n .\n over two lines\n" in recipe
           and "Network: dense 8 tanh,\n dropout 0.1,\n dense 3\n" in recipe,
           "the recipe is rebuilt as written, continuation lines and all")
        ok(json.loads(t.extractfile("tiny.json").read())["model"] == "tiny"
           and t.extractfile("tiny.md").read().startswith(b"# Model card: tiny"),
           "provenance and card are in it")
    elsewhere = os.path.join(tmp, "elsewhere")
    os.mkdir(elsewhere)
    r = run(["verify", b1], cwd=elsewhere)
    ok(r.returncode == 0 and "identical" in r.stdout, "verify a bundle anywhere, with the data it carries")
    small = os.path.join(tmp, "small.tar")
    r = run(["bundle", "--output", small, "--max-data-bytes", "100", "--data-dir", src, weights])
    with tarfile.open(small) as t:
        ok(r.returncode == 0 and "data/d.csv" not in t.getnames()
           and "Dataset: data/d.csv" in t.extractfile("tiny.models").read().decode(),
           "data over --max-data-bytes stays out; the recipe keeps its path")
    r = run(["verify", "--data-dir", src, small])
    ok(r.returncode == 0, "a bundle without data verifies against data found in --data-dir")

    # a flipped byte inside a bundle, and bundles that try to escape
    tampered = os.path.join(tmp, "tampered.tar")
    unpack = os.path.join(tmp, "unpack")
    with tarfile.open(b1) as t:
        # filter= where tarfile has it (3.12; not bookworm's 3.11.2): 3.12 and 3.13 warn without it
        t.extractall(unpack, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    flip_last_weight_byte(os.path.join(unpack, "tiny.safetensors"))
    with tarfile.open(tampered, "w", format=tarfile.GNU_FORMAT) as t:
        for n in sorted(os.listdir(unpack)) + ["data/d.csv"]:
            if n != "data":
                t.add(os.path.join(unpack, n), arcname=n)
    r = run(["verify", tampered])
    ok(r.returncode == 5 and "differs: element" in r.stderr, "a flipped byte in a bundle is named: " + r.stderr.strip())
    for what, member in (("a member outside the bundle", "../escape"), ("a symbolic link", "link")):
        evil = os.path.join(tmp, "evil.tar")
        with tarfile.open(evil, "w") as t:
            t.add(weights, arcname="tiny.safetensors")
            info = tarfile.TarInfo(member)
            if member == "link":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                t.addfile(info)
            else:
                info.size = 3
                t.addfile(info, open(os.path.join(src, "m.models"), "rb"))
        r = run(["verify", evil], cwd=elsewhere)
        ok(r.returncode == 1 and ("unexpected member name" in r.stderr or "not a regular file" in r.stderr)
           and not os.path.exists(os.path.join(tmp, "escape")), "%s is refused: %s" % (what, r.stderr.strip()))

    # ---- hostile files (issue 17) ----
    private = os.path.join(tmp, "private")     # verify's TMPDIR
    os.mkdir(private)
    henv = dict(os.environ, TMPDIR=private)

    def left_in_tmpdir():
        return sorted(os.listdir(private))

    r = run(["verify", "--data-dir", src, weights], env=henv)
    ok(r.returncode == 0 and left_in_tmpdir() == [],
       "verify leaves nothing in TMPDIR (Landlock kept it from removing its directory): %s"
       % left_in_tmpdir())

    # the reproducer: "model": "../../../../tmp/x/PWNED" from TMPDIR
    x = os.path.join(tmp, "x")
    os.mkdir(x)
    climb = "../" * (private.count("/") + 1) + x.lstrip("/") + "/PWNED"
    pwned = edit_provenance(weights, os.path.join(tmp, "pwned.safetensors"), lambda p: p.update(model=climb))
    r = run(["verify", "--data-dir", src, pwned], env=henv)
    ok(r.returncode == 1 and os.listdir(x) == [] and "the provenance's model" in r.stderr
       and left_in_tmpdir() == [],
       "a model name with ../ writes nothing where it points: %s" % (os.listdir(x) or r.stderr.strip()))

    # the heap overflow, and a value that is not a string
    for what, change in (("a 40000-character key with a number", lambda p: p["recipe"]["fields"].update({"K" * 40000: 1})),
                         ("a number for Epochs", lambda p: p["recipe"]["fields"].update(Epochs=3))):
        evil = edit_provenance(weights, os.path.join(tmp, "evil.safetensors"), change)
        r = run(["verify", "--data-dir", src, evil], env=henv)
        ok(r.returncode == 1 and "the provenance's recipe field" in r.stderr and len(r.stderr.splitlines()) == 1
           and left_in_tmpdir() == [], "recipe field: %s is refused: %s" % (what, r.stderr.strip()[:160]))

    # bundle copied /etc/shadow, unchecked, into the bundle
    secret = "/etc/shadow" if os.access("/etc/shadow", os.R_OK) else "/etc/passwd"

    def point_at(path):
        def change(p):
            p["data"]["train"][0]["path"] = p["recipe"]["fields"]["Dataset"] = path
        return change

    evil = edit_provenance(weights, os.path.join(tmp, "evil.safetensors"), point_at(secret))
    out_tar = os.path.join(tmp, "evil-out.tar")
    r = run(["bundle", "--output", out_tar, "--data-dir", src, evil])
    ok(r.returncode == 1 and not os.path.exists(out_tar) and "but the model was trained on" in r.stderr,
       "bundle does not pack %s, whose SHA-256 is not the recorded one: %s" % (secret, r.stderr.strip()[:150]))
    r = run(["verify", "--data-dir", src, evil], env=henv)
    ok(r.returncode == 5 and "data file %s has SHA-256" % secret in r.stderr and "retraining" not in r.stdout,
       "verify refuses it before the retraining opens it: " + r.stderr.strip()[:150])

    # a '../' model name became '../' members
    evil = edit_provenance(weights, os.path.join(tmp, "evil.safetensors"),
                           lambda p: (p.update(model="../evil"), p["recipe"]["fields"].update(Model="../evil")))
    r = run(["bundle", "--output", out_tar, "--data-dir", src, evil])
    ok(r.returncode == 1 and not os.path.exists(out_tar), "bundle refuses a model named ../evil: " + r.stderr.strip())

    # a FIFO as a data file, or as the file to read, is refused, never opened
    # for reading (it would block)
    fifo_dir = os.path.join(tmp, "fifo")
    shutil.copytree(src, fifo_dir)
    os.unlink(os.path.join(fifo_dir, "data", "d.csv"))
    os.mkfifo(os.path.join(fifo_dir, "data", "d.csv"))
    for cmd in (["verify", "--data-dir", fifo_dir, weights],
                ["bundle", "--output", out_tar, "--data-dir", fifo_dir, weights],
                ["card", os.path.join(fifo_dir, "data", "d.csv")],
                ["inspect", os.path.join(fifo_dir, "data", "d.csv")],
                ["verify", os.path.join(fifo_dir, "data", "d.csv")]):
        try:
            # the timeout only guards against a hang: the refusal takes milliseconds
            r = run(cmd, env=henv, timeout=120)
            ok(r.returncode == 1 and "not a regular file (a FIFO)" in r.stderr, "%s: a FIFO: %s" % (cmd[0], r.stderr.strip()))
        except subprocess.TimeoutExpired:
            ok(False, "%s: a FIFO hangs" % cmd[0])

    # the policy and the licence list a provenance names are names: the
    # installed ones apply, and a difference is said, printably
    def other_lists(p):
        p["budget"]["policy-sha256"] = "0" * 64
        p["verdict"]["free-licenses"]["sha256"] = "\x1b[2J" + "1" * 60
    noted = edit_provenance(weights, os.path.join(tmp, "noted.safetensors"), other_lists)
    r = run(["verify", "--data-dir", src, noted], env=henv)
    ok(r.returncode == 0 and "note: the budget was checked with the policy main installed here" in r.stdout
       and "note: the list of free licences installed here" in r.stdout and "\x1b" not in r.stdout,
       "another policy or licence list at training is a note, shown without escape sequences")

    # the text of a file is shown without its control characters
    loud = edit_provenance(weights, os.path.join(tmp, "loud.safetensors"),
                           lambda p: p.update(description="\x1b]0;owned\x07\x1b[2Jhello\u009b31m"),
                           {"x\x1b[31m": "\x1b]0;owned\x07\x1b[2Jhello\u009b31m"})
    r = run(["inspect", loud])
    ok(r.returncode == 0 and "hello" in r.stdout and not any(c in r.stdout for c in "\x1b\x07\u009b"),
       "inspect prints the metadata without escape sequences")
    with open(os.path.join(tmp, "loud.json"), "w") as f:
        p = json.loads(read_provenance(loud))
        p["recipe"]["fields"]["Network"] = "dense 8 tanh,\n ```\n dense 3\x1b[2J"
        p["data"]["train"][0]["path"] = "a`b|c"
        json.dump(p, f)
    r = run(["card", os.path.join(tmp, "loud.json")])
    ok(r.returncode == 0 and "hello" in r.stdout and not any(c in r.stdout for c in "\x1b\x07\u009b")
       and "| train | ``a`b\\|c`` |" in r.stdout and "\n````\n" in r.stdout,
       "the card shows it without escape sequences; backticks and '|' cannot break its Markdown")

    # hostile bundles: only what bundle writes is taken
    with tarfile.open(b1) as t:
        good = {m.name: t.extractfile(m).read() for m in t.getmembers()}

    def bundle_of(changes, drop=()):
        members = dict(good)
        for n in drop:
            del members[n]
        members.update(changes)
        return make_tar(os.path.join(tmp, "hostile.tar"), sorted(members.items()))

    def hardlink(info):
        info.type, info.linkname = tarfile.LNKTYPE, "tiny.json"

    def fifo(info):
        info.type = tarfile.FIFOTYPE

    def device(info):
        info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3

    wrong_json = good["tiny.json"].replace(b'"model"', b'"model" ', 1)
    other_data = good["data/d.csv"] + b"0.1,0.2,0.3,0.4,0.5,1\n"
    for what, members, expect in (
            ("a hard link", lambda: bundle_of({"x": hardlink}), "not a regular file"),
            ("a FIFO", lambda: bundle_of({"data/f": fifo}), "not a regular file"),
            ("a device", lambda: bundle_of({"data/null": device}), "not a regular file"),
            ("an absolute name", lambda: bundle_of({"/tmp/evil.json": b"x"}), "unexpected member name"),
            ("a data name with ..", lambda: bundle_of({"data/../x": b"x"}), "expected data/FILE"),
            ("a directory in data/", lambda: bundle_of({"data/sub/x": b"x"}), "expected data/FILE"),
            ("two model names", lambda: bundle_of({"other.json": b"{}"}), "unexpected member name"),
            ("a member twice", lambda: make_tar(os.path.join(tmp, "hostile.tar"),
                                                sorted(good.items()) + [("tiny.json", good["tiny.json"])]), "twice"),
            ("another provenance beside the weights", lambda: bundle_of({"tiny.json": wrong_json}),
             "tiny.json is not the provenance in tiny.safetensors"),
            ("another recipe beside the weights", lambda: bundle_of({"tiny.models": good["tiny.models"] + b"Policy: strict\n"}),
             "tiny.models is not the recipe"),
            ("a data file that is not the recorded one", lambda: bundle_of({"data/d.csv": other_data}),
             "data/d.csv in the bundle has SHA-256"),
            ("a data file the model does not name", lambda: bundle_of({"data/shadow": b"x"}), "is no data file of tiny"),
            ("no weights", lambda: bundle_of({}, drop=["tiny.safetensors"]), "no NAME.safetensors")):
        tarball = members()
        before = set(os.listdir(tmp))
        r = run(["verify", tarball], cwd=elsewhere, env=henv)
        ok(r.returncode in (1, 5) and expect in r.stderr and len(r.stderr.splitlines()) == 1
           and left_in_tmpdir() == [] and set(os.listdir(tmp)) == before and os.listdir(elsewhere) == [],
           "bundle with %s is refused, nothing left: %s" % (what, r.stderr.strip()[:170]))

    # a signal, or the end of the child that works, leaves no directory
    slow = edit_provenance(weights, os.path.join(tmp, "slow.safetensors"),
                           lambda p: p["recipe"]["fields"].update(Epochs="100000", Network="dense 256 tanh, dense 3"))
    for victim in ("parent", "child"):
        p = subprocess.Popen([trainer(), "verify", "--data-dir", src, slow], env=henv,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = p.stdout.readline()        # "retraining ...": the child trains
        children = children_of(p.pid)
        os.kill(int(children[0]) if victim == "child" and children else p.pid, signal.SIGTERM)
        p.wait()
        ok("retraining" in line and len(children) == 1 and p.returncode != 0 and left_in_tmpdir() == []
           and not any(os.path.exists("/proc/" + c) for c in children),
           "SIGTERM to the %s while it retrains: exit %d, no process and no directory left"
           % (victim, p.returncode))
done()
