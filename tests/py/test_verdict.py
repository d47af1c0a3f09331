#!/usr/bin/python3
"""The ML-Policy verdict from the trainer's side: licence expressions and the
list of free licences, DEP-5 matching (the last stanza wins, '*' crosses
'/', escapes), copyright files that are missing or not machine-readable,
the owner of an installed file from dpkg-query (with a database of our own
through DPKG_ROOT), the rules of Data-License, and what the record and the
card say."""
import json
import os
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from dmtest import ok, diag, done, dpkg_db, trainer, write  # noqa: E402

TRAINER = trainer()
EXPAT_COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: 2026 someone
License: Expat
"""


def csv_text(rows=60, seed=3):
    rs = np.random.RandomState(seed)
    x = rs.uniform(-1, 1, size=(rows, 3))
    y = (x.sum(axis=1) > 0).astype(int)
    return "a,b,c,label\n" + "".join("%.4f,%.4f,%.4f,%d\n" % (r[0], r[1], r[2], c) for r, c in zip(x, y))


def recipe(dataset="data/train.csv", license="Expat", extra=""):
    text = ("Model: m\nDataset: %s\nFormat: csv\nNetwork: dense 2\nLoss: softmax-cross-entropy\n"
            "Epochs: 2\nSeed: 1\n" % dataset)
    if license is not None:
        text += "License: %s\n" % license
    return text + extra


class Tree:
    """A source tree: debian/models, debian/copyright, data/train.csv."""

    def __init__(self, base, name, copyright=EXPAT_COPYRIGHT, data=("data/train.csv",)):
        self.dir = os.path.join(base, name)
        os.makedirs(os.path.join(self.dir, "out"))
        for d in data:
            write(os.path.join(self.dir, d), csv_text())
        if copyright is not None:
            write(os.path.join(self.dir, "debian/copyright"), copyright)

    def train(self, recipe_text, env=None, args=()):
        write(os.path.join(self.dir, "debian/models"), recipe_text)
        for f in os.listdir(os.path.join(self.dir, "out")):
            os.unlink(os.path.join(self.dir, "out", f))
        e = dict(os.environ)
        e.update(env or {})
        r = subprocess.run([TRAINER, "train", "--output-dir", "out"] + list(args) + ["debian/models"],
                           cwd=self.dir, env=e, capture_output=True, text=True)
        rec = None
        path = os.path.join(self.dir, "out", "m.json")
        if r.returncode == 0 and os.path.exists(path):
            with open(path) as f:
                rec = json.load(f)
        return r, rec

    def card(self):
        return subprocess.run([TRAINER, "card", "out/m.json"], cwd=self.dir, capture_output=True,
                              text=True).stdout


def verdict_of(tree, recipe_text, **kw):
    r, rec = tree.train(recipe_text, **kw)
    if not rec:
        diag(r.stdout + r.stderr)
        return {"class": None, "reason": r.stderr, "data": [{}]}
    return rec["verdict"]


with tempfile.TemporaryDirectory() as tmp:
    # ---- the weights' licence: expressions and the list --------------------
    t = Tree(tmp, "exprs")
    free = ["Expat", "MIT", "GPL-2+", "GPL-2.0-or-later", "gpl-3.0-only", "Apache-2.0", "apache-2",
            "Apache-2.0.0", "BSD-3-clause", "BSD-3-Clause", "CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0",
            "CC-BY-3.0-US", "public-domain", "LGPL-2.1+", "MPL-2.0", "GFDL-NIV-1.3+",
            "GFDL-1.3-no-invariants-or-later", "ODbL-1.0",
            "GPL-2+ or Artistic-2.0, and BSD-3-clause", "GPL-2+ with OpenSSL exception",
            "CC-BY-NC-4.0 or MIT", "(MIT OR CC-BY-NC-4.0) AND Apache-2.0",
            "Apache-2.0 WITH LLVM-exception", "MIT and BSD-2-clause"]
    for lic in free:
        v = verdict_of(t, recipe(license=lic))
        ok(v["class"] == "Free Model" and v["weights"]["free"], "weights under %s: Free Model" % lic)
    nonfree = [
        ("CC-BY-NC-4.0", "CC-BY-NC-4.0 is not free: non-commercial use only"),
        ("CC-BY-NC-SA-4.0", "non-commercial use only (DFSG 6"),
        ("CC-BY-ND-4.0", "CC-BY-ND-4.0 is not free: no derivative works (DFSG 3"),
        ("CC-BY-NC-ND-3.0", "non-commercial use only"),
        ("MIT and CC-BY-NC-4.0", "CC-BY-NC-4.0 is not free"),
        ("CC-BY-NC-4.0 or CC-BY-ND-4.0", "CC-BY-NC-4.0 is not free"),
        ("MIT or CC-BY-NC-4.0, and CC-BY-ND-4.0", "CC-BY-ND-4.0 is not free"),
        ("GFDL-1.3+", "may have invariant sections (GR 2006-001)"),
        ("CreativeML-OpenRAIL-M", "use-based restrictions (DFSG 6)"),
        ("Llama-3-Community", "Llama licences"),
        ("JSON", "Good, not Evil"),
        ("Acme-Model-License-1.0", "Acme-Model-License-1.0 is not in the list of free licences"),
        ("CC-BY", "CC-BY is not in the list of free licences"),   # DEP-5: CC-BY 1.0
        ("CC-BY-2.0", "not in the list of free licences"),
        ("MIT or", "cannot read the licence expression 'MIT or': expected a licence short name at its end"),
        ("MIT GPL-2+", "expected 'and', 'or' or ',' at 'GPL-2+'"),
        ("(MIT", "expected ')' at its end"),
    ]
    for lic, why in nonfree:
        v = verdict_of(t, recipe(license=lic))
        ok(v["class"] == "Non-free" and why in v["reason"],
           "weights under '%s': Non-free, because %s" % (lic, why)) or diag(v["reason"])
    # "and" binds tighter than "or" unless a comma precedes it
    v = verdict_of(t, recipe(license="MIT or CC-BY-NC-4.0 and CC-BY-ND-4.0"))
    ok(v["class"] == "Free Model", "A or B and C is A or (B and C): free when A is")
    v = verdict_of(t, recipe(license="MIT or CC-BY-NC-4.0, and CC-BY-ND-4.0"))
    ok(v["class"] == "Non-free", "A or B, and C is (A or B) and C: not free when C is not")
    # no License field: the licence of the debian/copyright stanza that
    # covers the recipe; none covers it: no licence, Non-free
    v = verdict_of(t, recipe(license=None))
    ok(v["class"] == "Free Model" and v["weights"]["license-from"] == "source-copyright" and
       v["weights"]["stanza"] == "Files: *", "no License field: Expat from Files: *, which covers "
       "debian/models") or diag(json.dumps(v["weights"]))
    v = verdict_of(Tree(tmp, "uncovered", copyright=EXPAT_COPYRIGHT.replace("Files: *", "Files: data/*")),
                   recipe(license=None))
    ok(v["class"] == "Non-free" and "the weights have no licence: debian/models has no License field for "
       "model m; no Files: stanza of debian/copyright matches debian/models" in v["reason"],
       "no License field and no stanza that covers the recipe: Non-free") or diag(v["reason"])

    # A list of one's own; "!" lines win over every other line.
    lst = write(os.path.join(tmp, "my-licenses"), "# mine\nExpat\nCC-BY-*  any CC-BY\n"
                "!CC-BY-NC*  non-commercial here too\n!MIT   not in this distribution\n")
    env = {"DH_MODEL_FREE_LICENSES": lst}
    v = verdict_of(t, recipe(license="CC-BY-SA-2.0"), env=env)
    ok(v["class"] == "Free Model", "DH_MODEL_FREE_LICENSES: a list of one's own is used")
    ok(v["free-licenses"]["file"] == "my-licenses", "... and named in the record")
    v = verdict_of(t, recipe(license="CC-BY-NC-2.0"), env=env)
    ok(v["class"] == "Non-free" and "non-commercial here too" in v["reason"],
       "a '!' line wins over a broader free pattern")
    v = verdict_of(t, recipe(license="MIT"), env=env)
    ok("MIT is not free: not in this distribution" in v["reason"], "... and its text is the reason")
    bad = write(os.path.join(tmp, "bad-licenses"), "Expat\n!Foo\n")
    r, _ = t.train(recipe(), env={"DH_MODEL_FREE_LICENSES": bad})
    ok(r.returncode == 1 and "bad-licenses: line 2: '!Foo' needs a reason after the name" in r.stderr,
       "a '!' line without a reason is an error naming the line") or diag(r.stderr)
    r, _ = t.train(recipe(), env={"DH_MODEL_FREE_LICENSES": os.path.join(tmp, "nonexistent")})
    ok(r.returncode == 1 and "DH_MODEL_FREE_LICENSES: " in r.stderr and "cannot open" in r.stderr,
       "a missing list is an error") or diag(r.stderr)
    ok(not os.path.exists(os.path.join(t.dir, "out", "m.safetensors")), "... and nothing is written")

    # ---- DEP-5 matching in the source tree ---------------------------------
    def dep5(*stanzas, fmt="https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"):
        text = "Format: %s\n" % fmt
        for files, lic in stanzas:
            text += "\nFiles: %s\nCopyright: 2026 someone\nLicense: %s\n" % (files, lic)
        return text

    cases = [
        ("last stanza wins", dep5(("*", "Expat"), ("data/*", "CC-BY-NC-4.0"), ("data/train.csv", "CC0-1.0")),
         "data/train.csv", "Free Model", "Files: data/train.csv"),
        ("... in file order, not by how specific", dep5(("data/train.csv", "CC0-1.0"), ("data/*", "CC-BY-NC-4.0")),
         "data/train.csv", "ToxicCandy", "Files: data/*"),
        ("'*' matches '/' too", dep5(("*.csv", "CC0-1.0")), "data/sub/train.csv", "Free Model", "Files: *.csv"),
        ("'?' matches one character", dep5(("data/tr?in.csv", "CC0-1.0")), "data/train.csv", "Free Model",
         "Files: data/tr?in.csv"),
        ("several patterns over lines", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
         "\nFiles: src/*\n data/train.csv\n more/*\nCopyright: x\nLicense: CC0-1.0\n",
         "data/train.csv", "Free Model", "Files: src/* data/train.csv more/*"),
        ("a directory name does not match what is in it", dep5(("data", "CC0-1.0")), "data/train.csv",
         "ToxicCandy", None),
        ("a trailing '/' never matches", dep5(("data/", "CC0-1.0")), "data/train.csv", "ToxicCandy", None),
        ("patterns start at the top of the tree", dep5(("train.csv", "CC0-1.0")), "data/train.csv",
         "ToxicCandy", None),
        ("an escaped '*' is a '*'", dep5(("data/a\\*b.csv", "CC0-1.0")), "data/a*b.csv", "Free Model", None),
        ("... and does not match other names", dep5(("data/\\*.csv", "CC0-1.0")), "data/train.csv",
         "ToxicCandy", None),
        ("the DEP-5 drafts' Format URL", dep5(("*", "CC0-1.0"), fmt="http://dep.debian.net/deps/dep5"),
         "data/train.csv", "Free Model", "Files: *"),
        ("'./' and '..' in the recipe's path", dep5(("data/train.csv", "CC0-1.0")),
         "./data/../data/train.csv", "Free Model", "Files: data/train.csv"),
    ]
    for i, (name, cr, path, cls, stanza) in enumerate(cases):
        real = path.replace("./data/../", "")
        t = Tree(tmp, "dep5-%d" % i, copyright=cr, data=(real,))
        v = verdict_of(t, recipe(dataset=path))
        d = v["data"][0]
        ok(v["class"] == cls and (stanza is None or d.get("stanza") == stanza),
           "DEP-5: %s (%s: %s)" % (name, path, cls)) or diag(json.dumps(v, indent=1))

    t = Tree(tmp, "nostanza-license", copyright="Format: https://www.debian.org/doc/packaging-manuals/"
             "copyright-format/1.0/\n\nFiles: *\nCopyright: x\n")
    v = verdict_of(t, recipe())
    ok(v["class"] == "ToxicCandy" and "the stanza Files: * (debian/copyright, line 3) has no License field"
       in v["reason"], "a Files: stanza without License: not free, and why") or diag(v["reason"])

    t = Tree(tmp, "notdep5", copyright="This package was debianized by someone.\n\nIt is GPL.\n")
    v = verdict_of(t, recipe())
    ok(v["class"] == "ToxicCandy" and "debian/copyright is not machine-readable (not in the deb822 format"
       in v["reason"], "a copyright file in free text (before DEP-5)") or diag(v["reason"])
    t = Tree(tmp, "notdep5b", copyright="Upstream-Name: x\n\nFiles: *\nLicense: Expat\n")
    v = verdict_of(t, recipe())
    ok(v["class"] == "ToxicCandy" and "debian/copyright is not machine-readable (its first stanza has no "
       "Format: field of copyright-format 1.0)" in v["reason"], "a deb822 copyright file without Format:") \
        or diag(v["reason"])
    t = Tree(tmp, "junk", copyright="Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
             "\nthis line has no colon\n")
    v = verdict_of(t, recipe())
    ok(v["class"] == "ToxicCandy" and "debian/copyright: line 2: expected 'Field: value'" in v["reason"],
       "a copyright file that is not deb822: the reason names its line") or diag(v["reason"])
    t = Tree(tmp, "nocopyright", copyright=None)
    v = verdict_of(t, recipe())
    ok(v["class"] == "ToxicCandy" and "there is no debian/copyright" in v["reason"], "no debian/copyright")

    # a member of an archive: the archive is the file that debian/copyright covers
    t = Tree(tmp, "archive", copyright=dep5(("*", "Expat"), ("data/*.tar.gz", "CC0-1.0")), data=())
    member = write(os.path.join(tmp, "member", "train.csv"), csv_text())
    os.makedirs(os.path.join(t.dir, "data"))
    with tarfile.open(os.path.join(t.dir, "data", "corpus.tar.gz"), "w:gz") as tf:
        tf.add(member, arcname="train.csv")
    v = verdict_of(t, recipe(dataset="data/corpus.tar.gz:train.csv"))
    ok(v["class"] == "Free Model" and v["data"][0]["license"] == "CC0-1.0" and
       "matches data/corpus.tar.gz" in v["data"][0]["note"],
       "archive:member: the archive's stanza applies") or diag(json.dumps(v, indent=1))

    # ---- Data-License -------------------------------------------------------
    t = Tree(tmp, "datalicense", copyright=dep5(("src/*", "Expat")))
    v = verdict_of(t, recipe(extra="Data-License: CC0-1.0\n"))
    d = v["data"][0]
    ok(v["class"] == "Free Model" and d["license-from"] == "recipe" and
       d["note"].startswith("stated by the recipe's Data-License (debian/models line 9), as no copyright file "
                            "covers it: no Files: stanza"), "Data-License for data that no stanza covers")
    v = verdict_of(t, recipe(extra="Data-License: CC-BY-NC-SA-4.0\n"))
    ok(v["class"] == "ToxicCandy" and v["reason"].endswith("non-commercial use only (DFSG 6: no discrimination "
       "against fields of endeavour) (Data-License, debian/models line 9)"),
       "a non-free Data-License: ToxicCandy, naming the field's line") or diag(v["reason"])
    t = Tree(tmp, "datalicense-covered", copyright=dep5(("*", "CC-BY-NC-4.0")))
    r, rec = t.train(recipe(extra="Data-License: CC0-1.0\n"))
    v = rec["verdict"]
    ok(v["class"] == "ToxicCandy" and v["data-license-unused"] and v["data"][0]["license"] == "CC-BY-NC-4.0",
       "Data-License cannot override a copyright file that covers the data")
    ok("dh-model-train: warning: m: Data-License (debian/models line 9) is not used: a copyright file "
       "covers every data file" in r.stderr, "... and a warning on stderr says that it went unused")
    for value, want in [("CC0-1.0\n more", "Data-License: expected one line"),
                        ("", "Data-License: expected a licence on one line")]:
        r, _ = t.train(recipe(extra="Data-License: %s\n" % value))
        ok(r.returncode == 1 and "debian/models: line 9: " + want in r.stderr,
           "Data-License %r is refused with its line" % value) or diag(r.stderr)

    # ---- who owns an installed file: dpkg-query, with a database of our own --
    root = os.path.join(tmp, "root")
    share = os.path.join(root, "usr/share/datasets/toy")
    for name in ("train.csv", "other.csv", "shared.csv", "a*b.csv", "[x].csv", "b\\c.csv", "diverted.csv"):
        write(os.path.join(share, name), csv_text())
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    admindir = os.path.join(root, "var/lib/dpkg")
    dpkg_db(admindir, [
        ("toy-data", "all", None, ["/.", "/usr", "/usr/share", "/usr/share/datasets/toy",
                                   "/usr/share/datasets/toy/train.csv", "/usr/share/datasets/toy/a*b.csv",
                                   "/usr/share/datasets/toy/[x].csv", "/usr/share/datasets/toy/b\\c.csv",
                                   "/usr/share/datasets/toy/shared.csv", "/usr/share/datasets/toy/diverted.csv"]),
        ("toy-nodoc", arch, "same", ["/usr/share/datasets/toy/other.csv", "/usr/share/datasets/toy/shared.csv"]),
        ("toy-zzz", "all", None, ["/usr/share/datasets/toy/shared.csv"]),
    ], diversions=[("/usr/share/datasets/toy/diverted.csv", "/usr/share/datasets/toy/diverted.csv.toy",
                    "toy-zzz")])
    ok(subprocess.run(["dpkg-query", "--admindir=" + admindir, "--search", "/usr/share/datasets/toy/train.csv"],
                      capture_output=True, text=True).stdout == "toy-data: /usr/share/datasets/toy/train.csv\n",
       "the test's own dpkg database is one that dpkg-query reads")
    write(os.path.join(root, "usr/share/doc/toy-data/copyright"), dep5(
        ("*", "Expat"), ("debian/*", "GPL-2+"), ("toy/*.csv", "CC-BY-4.0")))
    env = {"DPKG_ROOT": root}
    t = Tree(tmp, "dpkg", copyright=EXPAT_COPYRIGHT, data=())
    write(os.path.join(t.dir, "debian/control"), "Source: x\nBuild-Depends: debhelper-compat (= 13),\n"
          " toy-data (>= 1) [amd64] <!nocheck> | other,\n\nPackage: x\n")
    v = verdict_of(t, recipe(dataset=os.path.join(share, "train.csv")), env=env)
    d = v["data"][0]
    ok(v["class"] == "Free Model" and d["package"] == "toy-data" and
       d["copyright-file"] == "/usr/share/doc/toy-data/copyright" and d["license"] == "CC-BY-4.0" and
       d["stanza"] == "Files: toy/*.csv" and d["in-build-depends"] is True,
       "an installed file: its owner from dpkg's lists, the stanza whose pattern matches the "
       "installed path's end") or diag(json.dumps(v, indent=1))

    write(os.path.join(root, "usr/share/doc/toy-data/copyright"), dep5(("*", "Expat"), ("debian/*", "GPL-2+")))
    v = verdict_of(t, recipe(dataset=os.path.join(share, "train.csv")), env=env)
    d = v["data"][0]
    ok(v["class"] == "Free Model" and d["stanza"] == "Files: *" and
       "no Files: pattern names the installed path, so the Files: * stanza applies (every other stanza is "
       "free too)" in d["note"], "no pattern names it: Files: *, sound because every stanza is free")
    write(os.path.join(root, "usr/share/doc/toy-data/copyright"), dep5(("*", "Expat"), ("data/*", "CC-BY-NC-4.0")))
    v = verdict_of(t, recipe(dataset=os.path.join(share, "train.csv")), env=env)
    ok(v["class"] == "ToxicCandy" and "the installed path matches no Files: pattern of /usr/share/doc/toy-data/"
       "copyright, and its stanza at line 7 (CC-BY-NC-4.0) may be the one that covers it" in v["reason"],
       "... but not when another stanza, which may be the one, is not free") or diag(v["reason"])

    v = verdict_of(t, recipe(dataset=os.path.join(share, "other.csv")), env=env)
    ok(v["class"] == "ToxicCandy" and v["data"][0]["package"] == "toy-nodoc" and
       "toy-nodoc owns /usr/share/datasets/toy/other.csv, but " in v["reason"] and "cannot open" in v["reason"],
       "a Multi-Arch list (PKG:ARCH.list); the owner has no copyright file") or diag(v["reason"])
    r, rec = t.train(recipe(dataset=os.path.join(share, "other.csv")), env=env)
    ok(rec["verdict"]["data"][0]["in-build-depends"] is False and
       "dh-model-train: warning: m: %s comes from toy-nodoc, which is not in Build-Depends of "
       "debian/control" % os.path.join(share, "other.csv") in r.stderr,
       "an owner that is not in Build-Depends is a warning on stderr")
    # --quiet (dh_model's DEB_BUILD_OPTIONS=terse, DH_QUIET) hides progress
    # only: the warning and the verdict stay on stderr
    r, rec = t.train(recipe(dataset=os.path.join(share, "other.csv")), env=env, args=["--quiet"])
    ok(r.returncode == 0 and r.stdout == "", "--quiet: no progress line on stdout") or diag(r.stdout)
    ok("dh-model-train: warning: m: %s comes from toy-nodoc, which is not in Build-Depends" %
       os.path.join(share, "other.csv") in r.stderr, "--quiet: the Build-Depends warning is still on stderr") \
        or diag(r.stderr)
    ok("dh-model-train: m: verdict: ToxicCandy: " in r.stderr, "--quiet: the verdict is still on stderr") \
        or diag(r.stderr)
    write(os.path.join(share, "stray.csv"), csv_text())
    v = verdict_of(t, recipe(dataset=os.path.join(share, "stray.csv")), env=env)
    ok(v["class"] == "ToxicCandy" and "no installed package owns it (dpkg's file lists)" in v["reason"],
       "a file that no package owns has no licence")
    v = verdict_of(t, recipe(dataset=os.path.join(share, "stray.csv"), extra="Data-License: CC0-1.0\n"), env=env)
    ok(v["class"] == "Free Model" and v["data"][0]["license-from"] == "recipe", "... unless Data-License states it")
    # exactly the path: its wildcards are not wildcards, and no other file matches
    write(os.path.join(root, "usr/share/doc/toy-data/copyright"), dep5(("*", "CC0-1.0")))
    for name in ("a*b.csv", "[x].csv", "b\\c.csv"):
        v = verdict_of(t, recipe(dataset=os.path.join(share, name)), env=env)
        ok(v["class"] == "Free Model" and v["data"][0].get("package") == "toy-data",
           "a file whose name has glob characters, %s: its owner" % name) or diag(json.dumps(v, indent=1))
    for name in ("a?b.csv", "[a]*b.csv", "tr\\ain.csv", "t*.csv", "train.cs"):
        write(os.path.join(share, name), csv_text())
        v = verdict_of(t, recipe(dataset=os.path.join(share, name)), env=env)
        ok(v["class"] == "ToxicCandy" and "package" not in v["data"][0] and
           "no installed package owns it (dpkg's file lists)" in v["reason"],
           "%s is not taken for a pattern nor a substring: no package owns it" % name) or diag(v["reason"])
    v = verdict_of(t, recipe(dataset=os.path.join(share, "shared.csv")), env=env)
    ok(v["data"][0].get("package") == "toy-data", "several packages own a file: the first by name, "
       "without a Multi-Arch package's :ARCH") or diag(json.dumps(v, indent=1))
    v = verdict_of(t, recipe(dataset=os.path.join(share, "diverted.csv")), env=env)
    ok(v["data"][0].get("package") == "toy-data", "a diverted file: the package whose list has it, not the "
       "diverting one") or diag(json.dumps(v, indent=1))
    # without DPKG_ROOT, the paths of a database that DPKG_ADMINDIR names are those of /
    other_db = os.path.join(tmp, "other-db")
    dpkg_db(other_db, [("toy-elsewhere", "all", None, [os.path.join(share, "train.csv")])])
    v = verdict_of(t, recipe(dataset=os.path.join(share, "train.csv")), env={"DPKG_ADMINDIR": other_db})
    ok(v["data"][0].get("package") == "toy-elsewhere", "DPKG_ADMINDIR names the database") \
        or diag(json.dumps(v, indent=1))
    v = verdict_of(t, recipe(dataset=os.path.join(share, "train.csv")), env=dict(env, DPKG_ADMINDIR=""))
    ok(v["data"][0].get("package") == "toy-data", "an empty DPKG_ADMINDIR is as unset: DPKG_ROOT's database") \
        or diag(json.dumps(v, indent=1))

    v = verdict_of(t, recipe(dataset=os.path.join(share, "train.csv")),
                   env={"DPKG_ADMINDIR": os.path.join(tmp, "nowhere")})
    ok(v["class"] == "ToxicCandy" and "cannot read dpkg's database" in v["reason"] and
       "dpkg-query finds no package in it" in v["reason"], "no dpkg database: said") or diag(v["reason"])
    broken = write(os.path.join(tmp, "broken-db", "status"), "this is not a status file\n")
    v = verdict_of(t, recipe(dataset=os.path.join(share, "train.csv")),
                   env={"DPKG_ADMINDIR": os.path.dirname(broken)})
    ok(v["class"] == "ToxicCandy" and "cannot read dpkg's database: dpkg-query --search exited with status 2"
       in v["reason"], "dpkg-query fails: said, with its exit status") or diag(v["reason"])
    empty_path = os.path.join(tmp, "empty-path")
    os.makedirs(empty_path)
    v = verdict_of(t, recipe(dataset=os.path.join(share, "train.csv")), env=dict(env, PATH=empty_path))
    ok(v["class"] == "ToxicCandy" and "cannot run dpkg-query: No such file or directory" in v["reason"],
       "no dpkg-query: said") or diag(v["reason"])
    # dpkg-query runs before the trainer restricts itself (Landlock, seccomp),
    # which its children inherit: like libfaketime under reprotest, which
    # creates shared memory in /dev/shm, this one writes outside the output
    # directory first, and must still answer
    wrap_dir = os.path.join(tmp, "wrapped-path")
    marker = os.path.join(tmp, "dpkg-query-wrote-here")
    write(os.path.join(wrap_dir, "dpkg-query"),
          "#!/bin/sh\nset -e\necho ran >> %s\nexec /usr/bin/dpkg-query \"$@\"\n" % marker)
    os.chmod(os.path.join(wrap_dir, "dpkg-query"), 0o755)
    v = verdict_of(t, recipe(dataset=os.path.join(share, "train.csv")),
                   env=dict(env, PATH=wrap_dir + ":" + os.environ["PATH"]))
    ok(v["class"] == "Free Model" and v["data"][0].get("package") == "toy-data" and os.path.exists(marker),
       "dpkg-query runs outside the sandbox: a wrapper that writes outside the output still answers") \
        or diag(json.dumps(v, indent=1))
    # a symbolic link in the tree to an installed file: the installed file counts
    os.makedirs(os.path.join(t.dir, "data"), exist_ok=True)
    os.symlink(os.path.join(share, "train.csv"), os.path.join(t.dir, "data/link.csv"))
    write(os.path.join(root, "usr/share/doc/toy-data/copyright"), dep5(("*", "CC0-1.0")))
    v = verdict_of(t, recipe(dataset="data/link.csv"), env=env)
    ok(v["class"] == "Free Model" and v["data"][0]["package"] == "toy-data" and
       "data/link.csv leads outside the source tree" in v["data"][0]["note"],
       "a symbolic link out of the tree: the owner of its target") or diag(json.dumps(v, indent=1))
    # a relative path out of the tree
    write(os.path.join(tmp, "outside.csv"), csv_text())
    v = verdict_of(t, recipe(dataset="../outside.csv"), env=env)
    ok(v["class"] == "ToxicCandy" and "../outside.csv leads outside the source tree; no installed package owns it"
       in v["reason"], "a path out of the tree that no package owns") or diag(v["reason"])
    ok(tmp not in json.dumps(t.train(recipe(dataset="../outside.csv"), env=env)[1]["verdict"]),
       "... and the record does not hold the build directory")

    # the real thing, if installed
    if os.path.exists("/usr/share/doc/dataset-fashion-mnist/copyright"):
        fm = "/usr/share/datasets/fashion-mnist/"
        t2 = Tree(tmp, "fashion", data=())
        r, rec = t2.train("Model: m\nDataset: %st10k-images-idx3-ubyte.gz\nLabels: %st10k-labels-idx1-ubyte.gz\n"
                          "Format: idx\nNetwork: dense 10\nLoss: softmax-cross-entropy\nEpochs: 1\nSeed: 1\n"
                          "License: Expat\n" % (fm, fm))
        v = rec["verdict"]
        ok(v["class"] == "Free Model" and [d["package"] for d in v["data"]] == ["dataset-fashion-mnist"] * 2 and
           v["data"][0]["copyright-file"] == "/usr/share/doc/dataset-fashion-mnist/copyright" and
           v["data"][0]["stanza-line"] == 4, "dataset-fashion-mnist: Expat from the Files: * stanza at line 4")
        ok("in-build-depends" not in v["data"][0], "... (no debian/control here: nothing said about Build-Depends)")
        # through a symbolic link outside the tree: the owner of the canonical path
        link = os.path.join(tmp, "fashion-link")
        os.symlink(fm, link)
        r, rec = t2.train("Model: m\nDataset: %s/t10k-images-idx3-ubyte.gz\nLabels: %s/t10k-labels-idx1-ubyte.gz\n"
                          "Format: idx\nNetwork: dense 10\nLoss: softmax-cross-entropy\nEpochs: 1\nSeed: 1\n"
                          "License: Expat\n" % (link, link))
        v = rec["verdict"] if rec else {"data": []}
        ok([d.get("package") for d in v["data"]] == ["dataset-fashion-mnist"] * 2,
           "a path through a symbolic link: the package that owns its canonical path") or diag(r.stderr)

    # ---- the record is the same wherever the tree is ------------------------
    a = Tree(tmp, "where-a", copyright=dep5(("*", "Expat")))
    b = Tree(os.path.join(tmp, "deeper/down"), "where-b", copyright=dep5(("*", "Expat")))
    ra, reca = a.train(recipe())
    rb, recb = b.train(recipe())
    with open(os.path.join(a.dir, "out/m.json"), "rb") as f1, open(os.path.join(b.dir, "out/m.json"), "rb") as f2:
        ok(f1.read() == f2.read(), "the provenance does not depend on where the source tree is")
    r1, rec1 = a.train(recipe(), args=("--threads", "2"))
    ok(rec1["verdict"] == reca["verdict"], "... nor on the thread count")

    # ---- the card ------------------------------------------------------------
    t = Tree(tmp, "card", copyright=dep5(("*", "Expat"), ("data/*", "CC-BY-NC-4.0")))
    r, rec = t.train(recipe())
    card = t.card()
    ok("## Verdict: ToxicCandy\n" in card, "the card's verdict heading")
    ok("**ToxicCandy** in the sense of Debian's ML policy" in card and rec["verdict"]["reason"] in card,
       "... and the reason in full")
    ok("| training data | `data/train.csv` | CC-BY-NC-4.0 | **no** | `debian/copyright`, `Files: data/*` at line 7;"
       in card, "... and the licence table") or diag(card)
    ok("| Compute | " in card and "policy main allows 3.6e+14 FLOP" in card and "within the budget of main: yes"
       in card, "the compute against the budget")

done()
