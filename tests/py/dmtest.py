"""Shared helpers for the Python tests: TAP output, the trainer, files and
data to train on, and independent readers of safetensors and IDX (json,
gzip and numpy, none of our C code).  The benchmark's scripts
(tests/bench/) use read_idx too."""
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

_count = 0
_failed = 0


_last_failed = False


def ok(cond, name):
    global _count, _failed, _last_failed
    _count += 1
    _last_failed = not cond
    if not cond:
        _failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (_count, name), flush=True)
    if not cond:
        # as Test::More does: prove shows stderr, so a failure in a package
        # build's log says which test it was and why
        print("#   Failed test %d: %s" % (_count, name), file=sys.stderr, flush=True)
    return cond


def diag(msg):
    """A comment; after a failed test also on stderr, where prove shows it."""
    for line in str(msg).splitlines():
        print("# " + line, flush=True)
        if _last_failed:
            print("# " + line, file=sys.stderr, flush=True)


def skip_all(reason):
    print("1..0 # SKIP " + reason)
    sys.exit(0)


def done():
    print("1..%d" % _count)
    sys.exit(1 if _failed else 0)


def trainer():
    path = os.environ.get("DH_MODEL_TRAIN")
    if not path or not os.access(path, os.X_OK):
        skip_all("DH_MODEL_TRAIN is not set to the built trainer (run through make check)")
    return path


def run(args, **kw):
    return subprocess.run([trainer()] + args, capture_output=True, text=True, **kw)


def train_confined(recipe, tmp, tag=""):
    """Train RECIPE (in TMP) three ways: plainly, without any network
    (unshare -n, as sbuild builds) and under qemu-user, which has neither
    Landlock nor seccomp (an arm64 sbuild on amd64 runs the trainer so).
    Yields (how, under_qemu, output directory TMP/TAGhow, CompletedProcess)
    for each run that could be made; a missing tool or a refused unshare is
    a TAP skip."""
    qemu = "qemu-%s-static" % os.uname().machine
    for how, prefix in (("plain", []), ("unshare -n", ["unshare", "-n"]), ("under " + qemu, [qemu])):
        if prefix and not shutil.which(prefix[0]):
            ok(True, "# skip %s is missing" % prefix[0])
            continue
        out = os.path.join(tmp, tag + how.replace(" ", "_"))
        os.mkdir(out)
        r = subprocess.run(prefix + [trainer(), "train", "--output-dir", out, recipe], cwd=tmp,
                           capture_output=True, text=True)
        if prefix and r.returncode and "unshare" in r.stderr:
            ok(True, "# skip unshare -n is not allowed here: " + r.stderr.strip())
            continue
        yield how, prefix[:1] == [qemu], out, r


def write(path, text):
    """text into path (its directory made if needed); returns path."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def dpkg_db(admindir, packages, diversions=()):
    """A minimal dpkg database that dpkg-query reads: status with each
    (name, architecture, Multi-Arch, paths) installed, info/format (1: the
    lists of Multi-Arch: same packages are PKG:ARCH.list), info/*.list and
    diversions (from, to, package)."""
    stanzas = []
    for name, arch, ma, paths in packages:
        stanzas.append("Package: %s\nStatus: install ok installed\nMaintainer: Nobody <nobody@example.org>\n"
                       "Architecture: %s\n%sVersion: 1.0\nDescription: %s for the tests\n"
                       % (name, arch, "Multi-Arch: %s\n" % ma if ma else "", name))
        write(os.path.join(admindir, "info", "%s%s.list" % (name, ":" + arch if ma == "same" else "")),
              "".join(p + "\n" for p in paths))
    write(os.path.join(admindir, "status"), "\n".join(stanzas))
    write(os.path.join(admindir, "info/format"), "1\n")
    write(os.path.join(admindir, "diversions"), "".join("%s\n%s\n%s\n" % d for d in diversions))


def fortunes(path, words, n=30, seed=1):
    """n '%'-separated records of words from words."""
    recs, x = [], seed
    for i in range(n):
        line = []
        for _ in range(3 + i % 5):
            x = (x * 1103515245 + 12345) % 2 ** 31
            line.append(words[x % len(words)])
        recs.append(" ".join(line))
    return write(path, "\n%\n".join(recs) + "\n%\n")


def csv(path, rows, features, classes, seed=3):
    """A CSV of uniform features in [-1, 1] and a label: the argmax of a
    random linear map for classes > 1, else the features' sum (regression)."""
    rs = np.random.RandomState(seed)
    x = rs.uniform(-1, 1, size=(rows, features))
    y = (x @ rs.normal(size=(features, classes))).argmax(axis=1) if classes > 1 else x.sum(axis=1)
    with open(path, "w") as f:
        f.write(",".join("f%d" % i for i in range(features)) + ",label\n")
        for i in range(rows):
            f.write(",".join("%.5f" % v for v in x[i]) + ",%s\n" % (y[i] if classes > 1 else "%.5f" % y[i]))
    return path


def read_idx(path):
    """A gzipped IDX file by its specification (big-endian sizes, u8 data)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def read_safetensors(path):
    """The safetensors format by its specification: u64 LE header length,
    JSON header, then raw little-endian tensor bytes."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", info
        b, e = info["data_offsets"]
        arr = np.frombuffer(data[base + b:base + e], dtype="<f4")
        tensors[name] = arr.reshape(info["shape"])
    return tensors, meta


class Xoshiro:
    """The trainer's generator (trainer/math/rng.c), re-implemented from its
    description: splitmix64 seeding, xoshiro256**."""
    M = (1 << 64) - 1

    def __init__(self, seed, stream):
        x = (seed ^ (stream * 0xd1342543de82ef95)) & self.M
        self.s = []
        for _ in range(4):
            x = (x + 0x9e3779b97f4a7c15) & self.M
            z = x
            z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & self.M
            z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & self.M
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & Xoshiro.M

    def next(self):
        s = self.s
        result = (self._rotl((s[1] * 5) & self.M, 7) * 9) & self.M
        t = (s[1] << 17) & self.M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def uniform(self):
        return np.float32(self.next() >> 40) * np.float32(2.0 ** -24)


def initial_weights(seed, sizes):
    """PyTorch's nn.Linear default init as the trainer draws it: W then b of
    each dense layer, uniform in +-1/sqrt(in), from stream 1 (init)."""
    rng = Xoshiro(seed, 1)
    layers = []
    for fan_in, fan_out in sizes:
        bound = np.float32(1) / np.sqrt(np.float32(fan_in))
        vals = np.empty(fan_out * fan_in + fan_out, dtype=np.float32)
        for k in range(vals.size):
            u = np.float32(2) * rng.uniform() - np.float32(1)
            vals[k] = u * bound
        layers.append((vals[:fan_out * fan_in].reshape(fan_out, fan_in),
                       vals[fan_out * fan_in:]))
    return layers


def layer_oracle():
    """The path of build/tests/layer_oracle (tests/c/layer_oracle.c: one
    layer's kernels on text input), or skip_all."""
    path = os.environ.get("LAYER_ORACLE")
    if not path or not os.access(path, os.X_OK):
        skip_all("LAYER_ORACLE is not set to build/tests/layer_oracle (run through make check)")
    return path


def run_layer_oracle(item, x, arrays, numerics, threads, extra=()):
    """One layer (its recipe item) forward and backward through
    layer_oracle on input x (batch first) and the flat arrays that follow
    it (parameters, state, dy): {"y": array, ...} and its stdout.  The
    arrays are float64, exact for the printed float32 values and for the
    counts ("shape", "flop")."""
    text = "%s\n%d %d %s\n" % (item, x.shape[0], x.ndim - 1, " ".join(map(str, x.shape[1:])))
    for a in [x] + list(arrays):
        text += " ".join("%.9g" % v for v in np.asarray(a).ravel()) + "\n"
    r = subprocess.run([layer_oracle(), numerics, str(threads)] + list(extra), input=text,
                       capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(r.stderr)
    out = {}
    for line in r.stdout.splitlines():
        words = line.split()
        out[words[0]] = np.array([float(v) for v in words[1:]])
    return out, r.stdout


def max_difference(got, ref):
    """The largest absolute difference of two arrays, and the same relative
    to the largest magnitude of ref (at least 1); infinite if the sizes
    differ."""
    ref = np.asarray(ref, dtype=np.float32).ravel()
    got = np.asarray(got, dtype=np.float32).ravel()
    if got.shape != ref.shape:
        return float("inf"), float("inf")
    if not ref.size:
        return 0.0, 0.0
    d = float(np.abs(got - ref).max())
    return d, d / max(1.0, float(np.abs(ref).max()))


def torch_sequential(modules, seed):
    """The torch modules (a list) as a model whose attribute "layers" is a
    torch.nn.Sequential ("layers.<i>.weight", the trainer's names), with
    the trainer's initial weights for each Linear and Conv2d: W then b,
    uniform in +-1/sqrt(fan_in)."""
    import collections
    import torch
    layers = torch.nn.Sequential(*modules)
    model = torch.nn.Sequential(collections.OrderedDict(layers=layers))
    params = [m for m in layers if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]
    init = initial_weights(seed, [(m.weight[0].numel(), m.weight.shape[0]) for m in params])
    with torch.no_grad():
        for m, (w, b) in zip(params, init):
            m.weight.copy_(torch.from_numpy(w.reshape(m.weight.shape).copy()))
            m.bias.copy_(torch.from_numpy(b.copy()))
    return model


def torch_sgd_train(model, xs, classes, batch, epochs, lr=0.05, momentum=0.9):
    """Train model as a recipe with "Optimizer: sgd", Momentum, Loss:
    softmax-cross-entropy and "Shuffle: no" (batches in file order) does;
    xs is a float32 tensor already in the model's input shape."""
    import torch
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    ys = torch.from_numpy(classes).long()
    fn = torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
        for first in range(0, xs.shape[0], batch):
            opt.zero_grad()
            fn(model(xs[first:first + batch]), ys[first:first + batch]).backward()
            opt.step()
    return fn
