"""The corpus, models and helpers that the fastText tests share
(test_fasttext.py, test_fasttext_vectors.py, test_fasttext_train.py, which
need Debian's fasttext, and test_fasttext_threads.py, which needs only our
trainer)."""
import hashlib
import os
import random
import subprocess

TOPICS = {
    "fruit": "apple pear plum fig grape kiwi mango lemon",
    "transport": "car bus train tram bike ferry plane taxi",
    "colour": "rouge vert bleu gr\u00fcn caf\u00e9 \u00e9t\u00e9 noir blanc",
    "animal": "cat dog cow hen fox owl bee ant",
    "weather": "rain snow wind sun fog hail storm cloud",
    "music": "piano drum flute harp song tune choir violin",
}
NAMES = sorted(TOPICS)


FILLER = "the a of and to in is it that with".split()


def corpus(rng, lines, prob=0.6, labelled=True, filler=0.0, length=(1, 12), unseen=0.05):
    """Lines of words drawn from one topic each (from another topic with
    probability 1 - prob).  labelled: the topic's __label__ first and, in
    15% of lines, a second one; filler: the share of FILLER words; unseen:
    the chance of a word "unseenN" after each topic word.  A draw is made
    only for what is asked for, so that each test keeps its corpus (and
    the hashes of what is trained on it) as it was."""
    out = []
    for _ in range(lines):
        t = rng.choice(NAMES)
        labels = ["__label__" + t]
        if labelled and rng.random() < 0.15:
            labels.append("__label__" + rng.choice(NAMES))
        words = []
        for _ in range(rng.randint(*length)):
            if filler and rng.random() < filler:
                words.append(rng.choice(FILLER))
                continue
            src = t if rng.random() < prob else rng.choice(NAMES)
            words.append(rng.choice(TOPICS[src].split()))
            if unseen and rng.random() < unseen:
                words.append("unseen%d" % rng.randint(0, 99))
        out.append(" ".join((labels if labelled else []) + words))
    return out


def sh(argv):
    try:
        r = subprocess.run(argv, capture_output=True)
    except OSError as e:
        return 127, "", str(e)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def sha(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return "missing " + path


def compare_prob(theirs, ours):
    t, o = theirs.split("\n"), ours.split("\n")
    if len(t) != len(o):
        return 0, 1.0
    same, worst = 0, 0.0
    for a, b in zip(t, o):
        a, b = a.split(), b.split()
        if a[0::2] == b[0::2] and len(a) == len(b):
            same += 1
            for x, y in zip(a[1::2], b[1::2]):
                worst = max(worst, abs(float(x) - float(y)))
    return same - 1, worst


def p_at_1(out):
    for line in out.split("\n"):
        if line.startswith("P@1"):
            return float(line.split()[1])
    return -1.0


MODELS = [
    ("softmax", ["-loss", "softmax"]),
    ("ns", ["-loss", "ns", "-neg", "3"]),
    ("hs", ["-loss", "hs"]),
    ("ova", ["-loss", "ova"]),
    ("softmax-ngrams", ["-loss", "softmax", "-wordNgrams", "2", "-minn", "2", "-maxn", "4", "-bucket", "20000"]),
]



def make_corpus(tmp):
    """train.txt (2000 lines) and test.txt (400 lines and odd ones) in tmp."""
    rng = random.Random(11)
    train = os.path.join(tmp, "train.txt")
    with open(train, "w") as f:
        f.write("\n".join(corpus(rng, 2000)) + "\n")
    test = os.path.join(tmp, "test.txt")
    with open(test, "w") as f:
        f.write("\n".join(corpus(rng, 400)) + "\nzzz qqq\n\n__label__fruit\ncaf\u00e9 \xe9t\xe9 apple")
    return train, test


def topic_recipe(tmp):
    """A Model-Type supervised recipe over three fortune files, held out by
    Seed, Export: fasttext: (its path, its text)."""
    fortunes = []
    for t in NAMES[:3]:
        path = os.path.join(tmp, t + ".fortune")
        with open(path, "w") as f:
            g = random.Random(t)
            f.write("\n%\n".join(" ".join(g.choice(TOPICS[t if g.random() < 0.7 else g.choice(NAMES)].split())
                                           for _ in range(g.randint(2, 9))) for _ in range(120)) + "\n")
        fortunes.append(" %s label=%s" % (path, t))
    recipe = os.path.join(tmp, "text.models")
    body = ("Model: topics\nModel-Type: supervised\nFormat: fortune\nDataset:\n" + "\n".join(fortunes) +
            "\nValidation-Split: 0.2\nSeed: 4\nDim: 10\nEpochs: 5\nWord-Ngrams: 2\nBucket: 5000\n"
            "Export: fasttext\nExpect: test-accuracy >= 0.5\n")
    with open(recipe, "w") as f:
        f.write(body)
    return recipe, body
