#!/usr/bin/python3
"""The budget cannot be bypassed by arithmetic (issue 17).

A property test of the invariant of dh-model-policy(5): a recipe is refused
if and only if its exact cost exceeds the policy, where a figure of 2^64 or
more exceeds every policy.  Random recipes are drawn near every limit: the
recipe's own (units 10^6, Batch-Size 65536, Epochs 100000), the data's (IDX
rows and dimensions up to 2^32 - 1, n x dim up to 2^61), 2^64 for each
figure, and the policy's (main's, and limits set to the exact cost - 1, the
cost and the cost + 1).  Their exact FLOP, peak memory and weights' bytes are
computed here with Python's integers, by the rules of trainer/model/cost.h,
independently of the C code; `dh-model-train estimate` runs them all (many
stanzas in one recipe file) and its verdict, its "within the budget of
main", its printed figures and the naming of an overflow are compared with
the oracle's.  The IDX files are headers only: the estimate reads nothing
more.  That the rules themselves match the FLOP that training counts is
test_budget.py's business.

Usage: test_budget_arith.py [RECIPES] (default 2000; the seed is fixed)."""
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import ok, diag, done, trainer, write  # noqa: E402

SEED = 17
COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
U64 = 1 << 64
PACK_FLOATS = 256 * 1024 + 96 * 256      # DM_PACK_FLOATS (trainer/math/gemm_kernel.h)
BASELINE = 16 << 20                      # DM_COST_BASELINE_BYTES
trainer()


# ---- the oracle: trainer/model/cost.h's rules in exact integers ----

def floats(count):
    return (count * 4 + 63) // 64 * 64


def cost(r):
    """Every figure of recipe r (a dict), exact."""
    layers, width = [], r["dim"]
    for kind, arg in r["net"]:
        out = arg if kind == "dense" else width
        layers.append((kind, width, out))
        width = out
    outputs = layers[-1][2]
    n, ntest = r["n"], r["ntest"]
    nv = int(float(n) * float(np.float32(r["split"])))   # (size_t)((double)n * split)
    ntrain = n - nv
    batch, epochs = r["batch"], r["epochs"]
    max_batch = max(batch, 256)

    def forward(rows, training):
        f = 0
        for kind, i, o in layers:
            if kind == "dense":
                f += 2 * rows * i * o + rows * o
            elif kind != "dropout" or training:
                f += rows * o
        return f

    def backward(rows):
        f = 0
        for k in range(len(layers) - 1, -1, -1):
            kind, i, o = layers[k]
            if kind == "dense":
                f += 2 * rows * i * o * (2 if k else 1) + rows * o
            elif k == 0:
                break
            else:
                f += rows * o
        return f

    def evaluation(rows):
        return forward(rows, False) + rows * outputs

    P = sum((i + 1) * o for kind, i, o in layers if kind == "dense")
    opt, wd = r["optimizer"], r["weight_decay"]
    per_param = (2 + (2 if wd else 0) + (2 if r["momentum"] else 0)) if opt == "sgd" else 12 + (2 if wd else 0)
    steps = -(-ntrain // batch)
    per_step = per_param * P + (3 * P if r["clip"] else 0)
    flop_train = epochs * (forward(ntrain, True) + 2 * ntrain * outputs + backward(ntrain) + steps * per_step)
    flop_eval = epochs * evaluation(nv) + evaluation(ntrain) + evaluation(ntest)
    if r["patience"]:
        flop_eval += evaluation(nv)
    flop = flop_train + flop_eval

    dim = r["dim"]
    normalized = r["normalize"] != "none" and not (r["normalize"] == "auto" and r["format"] != "idx")
    ntotal = ntrain + nv
    mem_data = (floats(ntotal * dim) + floats(ntotal) + floats(ntest * dim) + floats(ntest) +
                (2 * floats(dim) if normalized else 0) + 8 * ntotal)
    mem_model = floats(P) * 2 + floats(P) * (1 if opt == "sgd" else 2) + (floats(P) if r["patience"] else 0)
    maxw = max([dim] + [o for _, _, o in layers])
    act = sum(floats(max_batch * o) for _, _, o in layers)
    masks = sum(floats(max_batch * o) for kind, _, o in layers if kind == "dropout")
    mem_work = (act + masks + 2 * floats(max_batch * maxw) + floats(PACK_FLOATS) + floats(batch * dim) +
                floats(batch) + floats(batch * outputs) + 8 * ntrain + floats(max_batch * dim))
    per_value = 1 if r["format"] == "idx" else 8
    load1 = floats(ntotal * dim) + per_value * (ntotal * dim + ntotal)
    load2 = floats(ntotal * dim) + floats(ntotal) + per_value * (ntest * dim + ntest) + floats(ntest * dim)
    peak = BASELINE + max(mem_data + mem_model + mem_work, load1, load2)
    output = 4 * (P + (2 * dim if normalized else 0))
    figures = dict(params=P, flop_train=flop_train, flop_eval=flop_eval, flop=flop, mem_data=mem_data,
                   mem_model=mem_model, mem_work=mem_work, load=max(load1, load2), peak=peak, output=output)
    return figures


def overflows(c):
    return any(v >= U64 for v in c.values())


def exceeds(v, limit):
    """v > limit for a limit given as text, read as C's strtod reads it
    (Python's int-float comparison is exact); None or 0 is no limit."""
    return limit is not None and float(limit) > 0 and v > float(limit)


def refused(c, limits):
    return (overflows(c) or exceeds(c["flop"], limits.get("Max-Compute")) or
            exceeds(c["peak"], limits.get("Max-Memory")) or exceeds(c["output"], limits.get("Max-Output-Bytes")))


def bytes_text(v):
    """dm_limit_format(DM_UNIT_BYTES, (double)v)"""
    v, i = float(v), 0
    while v >= 1024 and i < 4:
        v /= 1024
        i += 1
    return ("%.3g %s" if i else "%.0f %s") % (v, ["bytes", "KiB", "MiB", "GiB", "TiB"][i])


def figures_line(name, c):
    """The first line that estimate prints for a recipe."""
    def g(v):
        return "%.3g" % float(v) if v < U64 else "2^64 or more"

    def b(v):
        return bytes_text(v) if v < U64 else "16 EiB or more"
    return ("%s: %s FLOP (training %s, evaluation %s), peak memory %s, weights %s, %s parameters"
            % (name, g(c["flop"]), g(c["flop_train"]), g(c["flop_eval"]), b(c["peak"]), b(c["output"]),
               c["params"] if c["params"] < U64 else "2^64 or more"))


def policy_limits(path):
    """Max-Compute, Max-Memory and Max-Output-Bytes of a policy file, as text."""
    limits = {}
    for line in open(path):
        m = re.match(r"(Max-Compute|Max-Memory|Max-Output-Bytes):\s*(\S+)", line)
        if m:
            v = m.group(2)
            if m.group(1) != "Max-Compute" and v[-1] in "KMGT":
                v = str(int(float(v[:-1]) * 1024 ** ("KMGT".index(v[-1]) + 1)))
            limits[m.group(1)] = v
    return limits


# ---- random recipes near the limits ----

def near(rng, lo, hi, marks):
    """A number in [lo, hi]: an end, next to an end or a mark, or anywhere."""
    pick = rng.random()
    if pick < 0.3:
        v = rng.choice([lo, hi, lo + 1, hi - 1])
    elif pick < 0.6 and marks:
        v = rng.choice(marks) + rng.choice([-1, 0, 1])
    elif pick < 0.8:
        v = int(2 ** rng.uniform(0, max(1.0, np.log2(hi))))
    else:
        v = rng.randint(lo, hi)
    return min(hi, max(lo, v))


MAX_REST = (U64 - 1) // 8   # idx.c: the product of the dimensions times 8 fits in 64 bits


def shape(rng):
    """Training data: IDX headers (huge shapes) or small text files."""
    if rng.random() < 0.15:
        n, dim = rng.choice([(5, 3), (300, 6)])
        return dict(format=rng.choice(["csv", "libsvm"]), n=n, dim=dim, dims=None, ntest=0)
    # half of them of an ordinary size, the rest up to what IDX can say
    top, rest_top = ((1 << 32) - 1, MAX_REST) if rng.random() < 0.5 else (100000, 4096)
    n = near(rng, 1, top, [1 << 16, 1 << 31, 60000])
    rest_max = min(rest_top, MAX_REST // n, ((1 << 32) - 1) ** 2)
    d1 = near(rng, 1, min((1 << 32) - 1, rest_max), [784, 1 << 16, 1 << 31])
    d2 = near(rng, 1, min((1 << 32) - 1, rest_max // d1), [1, 28, 1 << 16])
    ntest = 0
    if rng.random() < 0.4:
        ntest = near(rng, 1, min(top, MAX_REST // (d1 * d2)), [10000])
    return dict(format="idx", n=n, dim=d1 * d2, dims=(d1, d2), ntest=ntest)


def network(rng):
    net, top = [], rng.choice([1000000, 1000])
    for _ in range(rng.randint(0, 3)):
        net.append(("dense", near(rng, 1, top, [1000, 65536])))
        pick = rng.random()
        if pick < 0.6:
            net.append((rng.choice(["relu", "tanh", "sigmoid"]), None))
        elif pick < 0.8:
            net.append(("dropout", rng.choice([0.1, 0.5])))
    net.append(("dense", near(rng, 1, top, [2, 10])))
    return net


def recipe(rng):
    r = shape(rng)
    r.update(net=network(rng), epochs=near(rng, 1, rng.choice([100000, 100]), [10, 99999]),
             batch=near(rng, 1, 65536, [32, 256]),
             optimizer=rng.choice(["sgd", "adam", "adamw"]), clip=rng.random() < 0.3,
             normalize=rng.choice(["auto", "auto", "none", "standardize"]),
             split=rng.choice(["0", "0", "0.1", "0.5", "0.3333"]), loss=rng.choice(["softmax-cross-entropy", "mse"]))
    r["momentum"] = r["optimizer"] == "sgd" and rng.random() < 0.5
    r["weight_decay"] = {"sgd": rng.choice([0, 0.001]), "adam": rng.choice([0, 0.001]),
                         "adamw": rng.choice([0.01, 0.01, 0])}[r["optimizer"]]
    r["patience"] = rng.choice([0, 0, 3]) if r["split"] != "0" else 0
    if r["loss"] == "mse":     # one output
        r["net"][-1] = ("dense", 1)
    if r["format"] != "idx" and r["normalize"] == "standardize":
        r["normalize"] = "none"
    return r


def boundary(rng, r, which, target):
    """Change one of r's numbers (rows, epochs, the first layer's units)
    to the smallest value whose figure `which` is at least target, found by
    bisection (every figure grows with each), and return r with that value,
    one less or one more; None if the boundary is out of reach."""
    keys = {"rows": ("n", 1, (1 << 32) - 1), "epochs": ("epochs", 1, 100000), "units": (None, 1, 1000000)}
    name = rng.choice(sorted(keys))
    key, lo, hi = keys[name]
    if (key == "n" and r["format"] != "idx") or (key is None and len(r["net"]) == 1 and r["loss"] == "mse"):
        return None
    if key == "n":
        hi = min(hi, MAX_REST // r["dim"])

    def with_value(v):
        s = dict(r)
        if key:
            s[key] = v
        else:
            s["net"] = [("dense", v)] + r["net"][1:] if r["net"][0][0] == "dense" else r["net"]
        return s

    def fig(v):
        return cost(with_value(v))[which]
    if fig(hi) < target or fig(lo) >= target:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if fig(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return with_value(max(1, min(keys[name][2], lo + rng.choice([-1, 0, 1]))))


def idx_file(d, shape_, cache):
    if shape_ not in cache:
        path = os.path.join(d, "idx-%d.idx" % len(cache))
        ndim = len(shape_)
        with open(path, "wb") as f:
            f.write(struct.pack(">I", 0x0800 | ndim) + b"".join(struct.pack(">I", v) for v in shape_))
        cache[shape_] = path
    return cache[shape_]


def stanza(d, name, r, limits, policy, cache):
    lines = ["Model: %s" % name]
    if r["format"] == "idx":
        d1, d2 = r["dims"]
        lines += ["Format: idx", "Dataset: " + idx_file(d, (r["n"], d1, d2), cache),
                  "Labels: " + idx_file(d, (r["n"],), cache)]
        if r["ntest"]:
            lines += ["Test-Dataset: " + idx_file(d, (r["ntest"], d1, d2), cache),
                      "Test-Labels: " + idx_file(d, (r["ntest"],), cache)]
    else:
        lines += ["Format: " + r["format"], "Dataset: " + cache[(r["format"], r["n"])]]
    lines.append("Network: " + ", ".join(k if a is None else "%s %s" % (k, a) for k, a in r["net"]))
    lines += ["Loss: " + r["loss"], "Optimizer: " + r["optimizer"], "Epochs: %d" % r["epochs"],
              "Batch-Size: %d" % r["batch"], "Seed: 1", "Normalize: " + r["normalize"]]
    if r["momentum"]:
        lines.append("Momentum: 0.9")
    if r["optimizer"] == "adamw" or r["weight_decay"]:
        lines.append("Weight-Decay: %g" % r["weight_decay"])
    if r["clip"]:
        lines.append("Clip-Norm: 1")
    if r["split"] != "0":
        lines.append("Validation-Split: " + r["split"])
    if r["patience"]:
        lines.append("Early-Stopping: %d" % r["patience"])
    if policy:
        lines.append("Policy: " + policy)
    lines += ["%s: %s" % kv for kv in sorted(limits.items())]
    return "\n".join(lines) + "\n"


def limits_near(rng, c):
    """Recipe limits at the exact cost - 1, the cost and the cost + 1 (or
    thereabouts, or none), for a policy that sets none itself."""
    limits = {}
    for field, key in (("Max-Compute", "flop"), ("Max-Memory", "peak"), ("Max-Output-Bytes", "output")):
        if rng.random() < 0.3:
            continue
        v = c[key]
        if v >= U64 - 2 or rng.random() < 0.15:
            v = rng.choice([U64 - 2 ** 12, 10 ** 19, 1 << 62, 1 << 40, 12345])
        else:
            v = max(1, v + rng.choice([-1, 0, 1, -1, 1, -1000, 1000]))
        if field != "Max-Compute" and v >= 18 * 10 ** 18:   # policy.c: sizes below 1.8e19
            v = 17 * 10 ** 18
        limits[field] = str(v)
    return limits


with tempfile.TemporaryDirectory() as tmp:
    rng = random.Random(SEED)
    # DH_MODEL_POLICY_DIR: a policy without limits, and main as this tree has it
    write(os.path.join(tmp, "unlimited"), "Policy: unlimited\nDescription: no limits\n")
    write(os.path.join(tmp, "main"), open(os.path.join(TOP, "policy", "main")).read())
    unlimited = "unlimited"
    main = policy_limits(os.path.join(tmp, "main"))
    cache = {}
    for fmt, n, dim in (("csv", 5, 3), ("csv", 300, 6), ("libsvm", 5, 3), ("libsvm", 300, 6)):
        lines = []
        for i in range(n):
            if fmt == "csv":
                lines.append(",".join(str((i * 7 + j) % 5) for j in range(dim)) + ",%d" % (i % 2))
            else:
                lines.append("%d " % (i % 2) + " ".join("%d:%d" % (j + 1, (i + j) % 5 + 1) for j in range(dim)))
        cache[(fmt, n)] = write(os.path.join(tmp, "%s-%d.%s" % (fmt, n, fmt)),
                                ("," .join("f%d" % j for j in range(dim)) + ",label\n" if fmt == "csv" else "")
                                + "\n".join(lines) + "\n")
    cases, kinds_of = [], []
    while len(cases) < COUNT:
        r = recipe(rng)
        pick = rng.random()
        if pick < 0.35:   # a figure at 2^64, or at main's limit, exactly
            which, target = rng.choice([("flop", U64), ("peak", U64), ("output", U64), ("flop_train", U64),
                                        ("flop", float(main["Max-Compute"])), ("peak", int(main["Max-Memory"])),
                                        ("output", int(main["Max-Output-Bytes"]))])
            s = boundary(rng, r, which, int(target) + (1 if target < U64 else 0))
            if s is None:
                continue
            r, kind = s, "boundary of %s at %s" % (which, "2^64" if target == U64 else "main's limit")
        else:
            kind = "random"
        c = cost(r)
        if pick < 0.35 and "2^64" in kind:
            limits, policy = {}, unlimited             # refused only beyond 64 bits
        elif pick < 0.35 or rng.random() < 0.4:
            limits, policy = {}, None                  # main's limits
        else:
            limits, policy = limits_near(rng, c), unlimited
            kind += ", limits near the cost"
        kinds_of.append(kind)
        cases.append((r, c, limits, policy))
    models = os.path.join(tmp, "many.models")
    with open(models, "w") as f:
        f.write("\n".join(stanza(tmp, "r%d" % i, r, lim, pol, cache) for i, (r, c, lim, pol) in enumerate(cases)))
    env = dict(os.environ)
    env.pop("DH_MODEL_POLICY", None)
    env["DH_MODEL_POLICY_DIR"] = tmp
    t0 = time.monotonic()
    p = subprocess.run([trainer(), "estimate", models], capture_output=True, text=True, env=env)
    elapsed = time.monotonic() - t0
    ok(p.returncode in (0, 4), "estimate of %d recipes ran (exit %d) in %.2f s" % (len(cases), p.returncode, elapsed)) or diag(p.stderr[:2000])

    seen, errors = {}, {}
    current = None
    for line in p.stdout.splitlines():
        m = re.match(r"^(r\d+): ", line)
        if m:
            current = m.group(1)
            seen[current] = [line, None]
        elif line.startswith("  policy ") and current:
            seen[current][1] = line
    for line in p.stderr.splitlines():
        m = re.search(r"stanza \d+ \((r\d+)\): (.*)$", line)
        if m:
            errors[m.group(1)] = m.group(2)
        else:
            errors.setdefault("other", line)
    bad = {"verdict": [], "main": [], "figures": [], "message": [], "missing": []}
    over = overflowing = 0
    outcomes = {}
    for i, (r, c, limits, policy) in enumerate(cases):
        name = "r%d" % i
        if name not in seen or seen[name][1] is None:
            bad["missing"].append("%s: %s" % (name, errors.get(name, "no output")))
            continue
        figline, verdict = seen[name]
        lim = dict(limits) if policy else main
        want = refused(c, lim)
        got = "over the budget" in verdict
        over += want
        overflowing += overflows(c)
        tally = outcomes.setdefault(kinds_of[i], [0, 0, 0])
        tally[0 if not want else 2 if overflows(c) else 1] += 1
        if got != want:
            bad["verdict"].append("%s: refused %s, expected %s (exact %s, limits %s)" % (name, got, want, c, lim))
        if ("within the budget of main: yes" in verdict) != (not refused(c, main)):
            bad["main"].append("%s: %s (exact %s)" % (name, verdict, c))
        if figline != figures_line(name, c):
            bad["figures"].append("%s:\n  got      %s\n  expected %s" % (name, figline, figures_line(name, c)))
        msg = errors.get(name, "")
        if bool(msg) != want or (("do not fit in 64 bits" in msg) != overflows(c)):
            bad["message"].append("%s: %r (refused %s, overflow %s)" % (name, msg, want, overflows(c)))
    diag("recipes (accepted, refused, refused with a figure of 2^64 or more):")
    for kind, (a, b, c) in sorted(outcomes.items()):
        diag("  %s: %d, %d, %d" % (kind, a, b, c))
    diag("%d refused by the oracle, %d of them with a figure of 2^64 or more" % (over, overflowing))
    ok(not bad["missing"], "every recipe was costed (%d)" % len(seen)) or [diag(x) for x in bad["missing"][:5]]
    ok(not bad["verdict"] and over and over < len(cases),
       "refused if and only if the exact cost exceeds the policy: %d recipes, %d refused, %d wrong"
       % (len(cases), over, len(bad["verdict"]))) or [diag(x) for x in bad["verdict"][:5]]
    ok(not bad["main"], "'within the budget of main' agrees with the exact cost") or \
        [diag(x) for x in bad["main"][:5]]
    ok(not bad["figures"], "the printed figures are the exact ones, rounded") or \
        [diag(x) for x in bad["figures"][:5]]
    ok(not bad["message"], "each refusal has one message, which says so when a figure does not fit in 64 bits") \
        or [diag(x) for x in bad["message"][:5]]
done()
