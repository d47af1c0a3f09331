#!/usr/bin/python3
"""A dataset's label= that already begins with the Label-Prefix (the
reader adds the prefix: label=__label__en would silently train the label
__label____label__en) is refused, naming the recipe file, the line of the
field, the item, the path and what was expected; for supervised, skipgram
and cbow, Dataset and Test-Dataset, the default and a recipe's own prefix."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dmtest import ok, diag, done, trainer, write  # noqa: E402

TRAINER = trainer()

with tempfile.TemporaryDirectory() as tmp:
    write(os.path.join(tmp, "en"), "the cat\n%\nthe dog\n%\n")
    write(os.path.join(tmp, "de"), "der hund\n%\ndie katze\n%\n")
    os.makedirs(os.path.join(tmp, "out"))
    cases = [
        ("supervised, default prefix, Dataset item 2",
         "Model-Type: supervised\nDataset:\n en label=en\n de label=__label__de\nValidation-Split: 0.5\n",
         "r.models: line 5: Dataset item 2 ('de'): label=__label__de already begins with the "
         "Label-Prefix '__label__', which is added to it; expected label=de"),
        ("supervised, Test-Dataset",
         "Model-Type: supervised\nDataset:\n en label=en\n de label=de\nTest-Dataset: de label=__label__de\n",
         "r.models: line 8: Test-Dataset item 1 ('de'): label=__label__de already begins with the "
         "Label-Prefix '__label__', which is added to it; expected label=de"),
        ("supervised, a recipe's own Label-Prefix",
         "Model-Type: supervised\nLabel-Prefix: lang:\nDataset:\n en label=lang:en\n de label=de\n"
         "Validation-Split: 0.5\n",
         "r.models: line 6: Dataset item 1 ('en'): label=lang:en already begins with the "
         "Label-Prefix 'lang:', which is added to it; expected label=en"),
        ("skipgram",
         "Model-Type: skipgram\nDataset:\n en label=__label__en\n",
         "r.models: line 5: Dataset item 1 ('en'): label=__label__en already begins with the "
         "Label-Prefix '__label__'"),
        ("cbow, the label is the prefix alone",
         "Model-Type: cbow\nDataset:\n en label=__label__\n",
         "expected label=NAME"),
    ]
    for name, fields, want in cases:
        write(os.path.join(tmp, "r.models"), "Model: m\nFormat: fortune\nSeed: 1\n" + fields)
        r = subprocess.run([TRAINER, "train", "--output-dir", "out", "r.models"], cwd=tmp,
                           capture_output=True, text=True)
        ok(r.returncode == 1 and want in r.stderr and not os.listdir(os.path.join(tmp, "out")),
           "%s: refused before reading, naming file, line, item and what was expected" % name) \
            or diag(r.stderr)
    # a label that only contains the prefix further on is a label like any other
    write(os.path.join(tmp, "r.models"), "Model: m\nFormat: fortune\nSeed: 1\nModel-Type: supervised\n"
          "Dataset:\n en label=en__label__\n de label=de\nValidation-Split: 0.5\nDim: 2\n")
    r = subprocess.run([TRAINER, "train", "--output-dir", "out", "r.models"], cwd=tmp,
                       capture_output=True, text=True)
    ok(r.returncode == 0, "label=en__label__ (the prefix not at its start) trains") or diag(r.stderr)
done()
