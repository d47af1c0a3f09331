#!/usr/bin/python3
"""The reasonable-time policy: the exact cost before training, refusal
from the headers alone, the caps during training (each made to fire), signals,
and the FLOP that training really counts against the estimate."""
import gzip
import json
import os
import signal
import subprocess
import sys
import struct
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, run, trainer, write, csv  # noqa: E402

FASHION = "/usr/share/datasets/fashion-mnist"
HAVE_FASHION = os.path.exists(FASHION + "/train-images-idx3-ubyte.gz")
trainer()


def fashion_recipe(extra="", network="dense 64 relu, dense 10", epochs=2):
    return ("Model: fashion\nDataset: {d}/train-images-idx3-ubyte.gz\nLabels: {d}/train-labels-idx1-ubyte.gz\n"
            "Format: idx\nTest-Dataset: {d}/t10k-images-idx3-ubyte.gz\n"
            "Test-Labels: {d}/t10k-labels-idx1-ubyte.gz\nNetwork: {n}\nLoss: softmax-cross-entropy\n"
            "Batch-Size: 64\nEpochs: {e}\nSeed: 1\n{x}").format(d=FASHION, n=network, e=epochs, x=extra)


def empty(d):
    return os.listdir(d) == []


with tempfile.TemporaryDirectory() as tmp:
    data = csv(os.path.join(tmp, "d.csv"), 300, 6, 3)
    test = csv(os.path.join(tmp, "t.csv"), 100, 6, 3, seed=4)
    reg = csv(os.path.join(tmp, "r.csv"), 300, 6, 1)
    binary = os.path.join(tmp, "b.csv")
    with open(data) as src, open(binary, "w") as dst:  # classes {0, 1, 2} -> {0, 1}
        for i, line in enumerate(src):
            dst.write(line if i == 0 else line[:line.rfind(",")] + ",%d\n" % (line.strip()[-1] == "0"))
    out = os.path.join(tmp, "out")
    os.mkdir(out)

    # 1. the FLOP counted during training equal the estimate
    networks = [
        ("softmax-regression", "Network: dense 3\nLoss: softmax-cross-entropy\nOptimizer: sgd\n"
         "Batch-Size: 32\nEpochs: 4\n", data),
        ("mlp-dropout-validation", "Network: dense 16 relu, dropout 0.2, dense 3\n"
         "Loss: softmax-cross-entropy\nOptimizer: sgd\nMomentum: 0.9\nBatch-Size: 25\nEpochs: 3\n"
         "Validation-Split: 0.2\nTest-Dataset: %s\n" % test, data),
        ("deep-regression", "Network: dense 8 tanh, dense 8 sigmoid, dense 1\nLoss: mse\n"
         "Optimizer: adamw\nWeight-Decay: 0.1\nBatch-Size: 7\nEpochs: 2\n", reg),
        ("binary-clipped", "Network: dense 12 tanh, dropout 0.5, dense 1\nLoss: binary-cross-entropy\n"
         "Clip-Norm: 0.1\nBatch-Size: 16\nEpochs: 3\n", binary),
    ]
    if HAVE_FASHION:
        networks.append(("fashion", None, None))
    for name, body, path in networks:
        if body is None:
            recipe = write(os.path.join(tmp, name + ".models"), fashion_recipe(epochs=1))
        else:
            recipe = write(os.path.join(tmp, name + ".models"),
                           "Model: %s\nDataset: %s\nFormat: csv\nSeed: 2\n%s" % (name, path, body))
        r = run(["train", "--quiet", "--output-dir", out, recipe])
        if not ok(r.returncode == 0, "%s trains" % name):
            diag(r.stderr)
            continue
        b = json.load(open(os.path.join(out, name + ".json")))["budget"]
        est, got = b["estimated-flop"], b["counted-flop"]
        ok(abs(est - got) <= 0.01 * got,
           "%s: counted %d FLOP, estimated %d (%+.3f%%)" % (name, got, est, 100.0 * (est - got) / got))

    # 2. refusal before training, with the figures, nothing written.  No
    # clock: that nothing was trained shows in the output, and that only the
    # headers were read shows with data files that are only headers.
    for f in os.listdir(out):
        os.unlink(os.path.join(out, f))
    big = write(os.path.join(tmp, "big.models"),
                "Model: too-big\nDataset: %s\nFormat: csv\nNetwork: dense 4096 relu, dense 4096 relu, dense 3\n"
                "Loss: softmax-cross-entropy\nEpochs: 100000\nSeed: 1\n" % data)
    r = run(["train", "--output-dir", out, big])
    ok(r.returncode == 4 and "epoch" not in r.stdout and empty(out),
       "an over-budget recipe is refused with exit code 4 before training (no progress line), nothing written")
    ok("big.models: stanza 1 (too-big): needs " in r.stderr and "FLOP, main allows 3.6e+14 FLOP (about" in r.stderr
       and " vs " in r.stderr and "GFLOP/s on one amd64 core" in r.stderr and len(r.stderr.splitlines()) == 1,
       "the message gives both figures and the times: " + r.stderr.strip())
    e = run(["estimate", big])
    ok(e.returncode == 4 and "over the budget" in e.stdout and "within the budget of main: no" in e.stdout,
       "estimate reports the verdict")
    # IDX files that hold their 16- and 8-byte headers and nothing else, as
    # Fashion-MNIST's would (60000 x 28 x 28): refused from the headers alone,
    # since reading any further would fail with "file ends after 16"
    heads = {"images.idx.gz": struct.pack(">IIII", 0x0803, 60000, 28, 28),
             "labels.idx.gz": struct.pack(">II", 0x0801, 60000)}
    for name, head in heads.items():
        with gzip.open(os.path.join(tmp, name), "wb") as f:
            f.write(head)
    headers = write(os.path.join(tmp, "headers.models"),
                    "Model: headers\nDataset: %s\nLabels: %s\nFormat: idx\nNetwork: dense 8192 relu, dense 10\n"
                    "Loss: softmax-cross-entropy\nEpochs: 1000\nSeed: 1\n"
                    % (os.path.join(tmp, "images.idx.gz"), os.path.join(tmp, "labels.idx.gz")))
    r = run(["train", "--output-dir", out, headers])
    ok(r.returncode == 4 and "needs 1.7e+15 FLOP, main allows 3.6e+14 FLOP" in r.stderr and empty(out),
       "a 60000 x 28 x 28 IDX data set over the budget is refused from its headers alone: " + r.stderr.strip())
    r = run(["train", "--output-dir", out, write(headers, open(headers).read().replace("Epochs: 1000", "Epochs: 1"))])
    ok(r.returncode == 1 and "file ends after 16" in r.stderr,
       "... within the budget, the same files fail when the data are read (they are only headers)") \
        or diag(r.stderr)
    if HAVE_FASHION:
        e = run(["estimate", write(os.path.join(tmp, "f.models"), fashion_recipe())])
        ok(e.returncode == 0 and "within the budget of main: yes" in e.stdout and "peak memory" in e.stdout
           and "GFLOP/s on one amd64 core (portable)" in e.stdout, "estimate of a small model: " +
           e.stdout.splitlines()[0])

    # 3. policies: a recipe may lower a limit, never raise it; others can be chosen
    base = "Model: m\nDataset: %s\nFormat: csv\nNetwork: dense 3\nLoss: softmax-cross-entropy\nEpochs: 2\nSeed: 1\n" % data
    r = run(["train", "--output-dir", out, write(os.path.join(tmp, "more.models"), base + "Max-Compute: 1e15\n")])
    ok(r.returncode == 4 and "Max-Compute 1e+15 FLOP is more than policy main allows (3.6e+14 FLOP)" in r.stderr
       and empty(out), "a recipe cannot raise a limit: " + r.stderr.strip())
    e = run(["estimate", os.path.join(tmp, "more.models")])
    ok(e.returncode == 4 and "is more than policy main allows" in e.stderr and "FLOP" not in e.stdout,
       "estimate of such a recipe: the refusal alone, no figures (it was refused before the costing)") \
        or diag(e.stdout)
    r = run(["train", "--quiet", "--output-dir", out, write(os.path.join(tmp, "warn.models"), base + "Unexplained-Models: warn\n")])
    a = json.load(open(os.path.join(out, "m.json"))).get("audit", {}) if r.returncode == 0 else {}
    ok(a.get("unexplained-models") == "warning" and a.get("policy-unexplained-models") == "warning",
       "the provenance spells the recipe's and the policy's Unexplained-Models alike: %s" % a)
    r = run(["train", "--quiet", "--output-dir", out, write(os.path.join(tmp, "strict.models"), base + "Policy: strict\n")])
    b = json.load(open(os.path.join(out, "m.json")))["budget"] if r.returncode == 0 else {}
    ok(b.get("policy") == "strict" and b.get("limits", {}).get("max-compute") == 3.6e13 and b.get("within-main") is True,
       "Policy: strict applies, and the provenance records it")
    r = subprocess.run([trainer(), "train", "--quiet", "--output-dir", out, os.path.join(tmp, "more.models")],
                       capture_output=True, text=True, env=dict(os.environ, DH_MODEL_POLICY="strict"))
    ok(r.returncode == 4 and "policy strict allows (3.6e+13 FLOP)" in r.stderr,
       "DH_MODEL_POLICY=strict is the policy that applies")
    r = subprocess.run([trainer(), "train", "--output-dir", out, os.path.join(tmp, "strict.models")],
                       capture_output=True, text=True, env=dict(os.environ, DH_MODEL_POLICY="nonesuch"))
    ok(r.returncode == 1 and "policy 'nonesuch' not found" in r.stderr, "an unknown policy is an error")
    for f in os.listdir(out):
        os.unlink(os.path.join(out, f))

    # 4. each cap fires on a recipe made to hit it, names itself, leaves nothing
    r = run(["train", "--output-dir", out, write(os.path.join(tmp, "mem.models"), base + "Max-Memory: 1M\n")])
    ok(r.returncode == 4 and "needs" in r.stderr and "of memory at its peak, main allows 1 MiB (Max-Memory)"
       in r.stderr and empty(out), "Max-Memory: " + r.stderr.strip())
    r = run(["train", "--output-dir", out, write(os.path.join(tmp, "out.models"), base + "Max-Output-Bytes: 200\n")])
    ok(r.returncode == 4 and "Max-Output-Bytes of 200 bytes reached" in r.stderr and "File too large" in r.stderr
       and empty(out), "Max-Output-Bytes (the file's header does not fit): " + r.stderr.strip())
    bomb = os.path.join(tmp, "bomb.csv.gz")
    with gzip.open(bomb, "wb", compresslevel=9) as f:
        f.write(b"a,label\n")
        chunk = b"1,0\n" * (1 << 18)
        for _ in range(200):  # 200 MiB of rows, about 200 KiB compressed
            f.write(chunk)
    r = run(["train", "--output-dir", out, write(os.path.join(tmp, "bomb.models"), base.replace(data, bomb) +
                                                  "Max-Dataset-Bytes: 1M\n")])
    ok(r.returncode == 4 and "bomb.csv.gz" in r.stderr and "1048576" in r.stderr and empty(out),
       "a decompression bomb stops at Max-Dataset-Bytes: " + r.stderr.strip())
    # The wall-clock watchdog: tests/bad/faults.cases, wall-time-cap (a
    # training that cannot end by itself).  RLIMIT_CPU: a training of about
    # 3e14 FLOP (hours of one core) under a cap of 2 s of CPU time, which it
    # could only meet at 150 TFLOP/s, a thousand times what one core does.
    cpu = write(os.path.join(tmp, "cpu.models"), base.replace("Network: dense 3", "Network: dense 4096 relu, "
                "dense 4096 relu, dense 3").replace("Epochs: 2", "Epochs: 10000") + "Max-CPU-Time: 2s\n")
    r = run(["estimate", cpu])
    ok(r.returncode == 0 and float(r.stdout.split(" FLOP")[0].split()[-1]) >= 3e14,
       "the CPU-time recipe needs at least 3e14 FLOP: " + r.stdout.splitlines()[0])
    r = run(["train", "--quiet", "--output-dir", out, cpu])
    ok(r.returncode == 4 and "Max-CPU-Time of 2 s reached" in r.stderr and empty(out),
       "RLIMIT_CPU stops training: " + r.stderr.strip())

    # 5. the resource limits are really set, and signals leave nothing.  The
    # training prints a line per epoch for 10^5 epochs (8 MB) into a pipe
    # (64 KiB) that is read only up to the first line, so it cannot end
    # before the signal, on any machine.
    long_run = write(os.path.join(tmp, "long.models"), base.replace("Epochs: 2", "Epochs: 100000"))
    for sig in (signal.SIGTERM, signal.SIGINT):
        p = subprocess.Popen([trainer(), "train", "--threads", "2", "--output-dir", out, long_run],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = p.stdout.readline()
        while first and ": epoch " not in first:
            first = p.stdout.readline()
        # the caps are armed before the first step
        limits = open("/proc/%d/limits" % p.pid).read()
        p.send_signal(sig)
        _, err = p.communicate()
        ok(": epoch 1/100000" in first, "the training started: " + first.strip())
        if sig == signal.SIGTERM:
            rows = {line[:26].strip(): line[26:].split() for line in limits.splitlines()[1:]}
            ok(rows["Max file size"][0] == str(1 << 30) and
               rows["Max address space"][0] == str((4 << 30) + (512 << 20) + 2 * (80 << 20)) and
               int(rows["Max cpu time"][0]) >= 57600,
               "RLIMIT_FSIZE, RLIMIT_AS and RLIMIT_CPU are set from the policy")
        ok(p.returncode == -sig and "interrupted" in err and empty(out),
           "%s in the middle of training: killed by it, no partial output" % signal.Signals(sig).name)
done()
