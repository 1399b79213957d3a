"""Cross-validation on the AG News *training* share: evidence for model choices.

Why this exists: the held-out 30 % of AG News (corpora.ag_share == "test") is the
figure `newsflow eval categorizer` reports, so choices must not be tuned on it. This
tool splits the training share into folds (sha1("cv\\n" + title + "\\n" + description)
mod 5, independent of the train/test and calibration hashes) and answers, in seconds
(complement naive Bayes only, no logistic-regression refits):

* `learning_curve`: AG-only four-class accuracy against the number of training rows,
  i.e. how much more AG-style labelled data would buy (the 0.92 aim of issue #4);
* `coverage_tradeoff`: the 17-topic training set with the AG rows weighted x1, x2, x4:
  AG accuracy against the accuracy on a fifth of the IPTC *training* concepts that is
  kept out of the fit (an honest stand-in for the IPTC held-out check, which must not be
  used for tuning either), overall and for the topics AG does not label. More AG weight
  buys AG accuracy with coverage of the other topics.

Run: `.venv/bin/python -m services.categorizer.crossval [CORPUS_DIR]` (JSON on stdout).
scikit-learn is needed, as for training; the service never imports this module.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import corpora
from .features import document_tokens, feature_counts
from .taxonomy import load_taxonomy
from .train import LEXICON_PATH, Row, _build_vocab, _matrix, ag_rows, prior_rows

AG_CLASSES = ("World", "Sports", "Business", "Sci/Tech")
CV_FOLDS = 5


def cv_fold(key: str, folds: int = CV_FOLDS) -> int:
    """Fold of a text (or an IPTC code): its own hash, so folds do not follow the
    train/test split or the calibration tenth."""
    return int(hashlib.sha1(("cv\n" + key).encode("utf-8")).hexdigest(), 16) % folds


def _ag_docs(corpus_dir: Path) -> list[tuple[Counter, str, int]]:
    """(features, AG class, fold) of every AG News row in the training share."""
    return [
        (
            feature_counts(document_tokens(r.title, r.description)),
            r.label,
            cv_fold(r.title + "\n" + r.description),
        )
        for r in corpora.read_ag(corpus_dir)
        if corpora.ag_share(r.title, r.description) == "train"
    ]


def _cnb(rows: Sequence[Row], alpha: float) -> tuple[dict[str, int], np.ndarray, np.ndarray, list[str]]:
    """Complement NB over the training recipe's tf-idf: (vocab, idf, weights V x K, classes)."""
    from sklearn.naive_bayes import ComplementNB

    vocab, idf = _build_vocab(rows)
    nb = ComplementNB(alpha=alpha).fit(
        _matrix(rows, vocab, idf), [r[1] for r in rows], sample_weight=[r[2] for r in rows]
    )
    return vocab, idf, nb.feature_log_prob_.T, list(nb.classes_)


def _predict(
    feats: Sequence[Counter], model: tuple[dict[str, int], np.ndarray, np.ndarray, list[str]]
) -> list[str]:
    vocab, idf, weights, classes = model
    scores = _matrix([(f, "", 1.0, "") for f in feats], vocab, idf) @ weights
    return [classes[i] for i in np.asarray(scores).argmax(axis=1)]


def learning_curve(
    corpus_dir: Path, sizes: Sequence[int] = (500, 1000, 2000, 3000), alpha: float = 0.3, seed: int = 0
) -> dict[str, float]:
    """Mean CV accuracy of a four-class AG-only complement NB per number of training
    rows ("all" = every training-fold row); subsets drawn with a fixed seed per fold."""
    docs = _ag_docs(Path(corpus_dir))
    hits: Counter[str] = Counter()
    total = 0
    for k in range(CV_FOLDS):
        train = [(f, lab, 1.0, "ag") for f, lab, fold in docs if fold != k]
        val = [(f, lab) for f, lab, fold in docs if fold == k]
        if not train or not val:
            continue
        rng = np.random.RandomState(seed + k)
        total += len(val)
        for n in [*sizes, len(train)]:
            if n > len(train):
                continue
            sub = [train[i] for i in sorted(rng.choice(len(train), n, replace=False))]
            pred = _predict([f for f, _ in val], _cnb(sub, alpha))
            key = "all" if n == len(train) else str(n)
            hits[key] += sum(p == g for p, (_, g) in zip(pred, val, strict=True))
    return {key: round(hits[key] / total, 4) for key in hits} if total else {}


def coverage_tradeoff(
    corpus_dir: Path, ag_weights: Sequence[float] = (1.0, 2.0, 4.0), alpha: float = 0.3
) -> dict[str, dict[str, float]]:
    """AG CV accuracy vs accuracy on IPTC training concepts kept out of the fit, for the
    17-topic training rows (train.py) with AG rows weighted by each of `ag_weights`."""
    corpus_dir = Path(corpus_dir)
    tax = load_taxonomy()
    lexicon = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    prior = prior_rows(corpus_dir, tax, lexicon, iptc_keep=lambda code: cv_fold(code) != 0)
    aside = [
        (feature_counts(document_tokens(None, text)), top)
        for code, text, top in corpora.iptc_documents(tax)
        if corpora.iptc_share(code) == "train" and cv_fold(code) == 0
    ]
    covered = {c for codes in corpora.AG_TO_IPTC.values() for c in codes}
    to_ag = {c: name for name, codes in corpora.AG_TO_IPTC.items() for c in codes}
    docs = _ag_docs(corpus_dir)
    tally = {w: Counter[str]() for w in ag_weights}
    for k in range(CV_FOLDS):

        def outside_fold(title: str, description: str, k: int = k) -> bool:
            return cv_fold(title + "\n" + description) != k

        fold_rows = ag_rows(corpus_dir, lexicon, outside_fold)
        val = [(f, lab) for f, lab, fold in docs if fold == k]
        for w in ag_weights:
            rows = [(f, lab, wt * w, src) for f, lab, wt, src in fold_rows] + prior
            model = _cnb(rows, alpha)
            t = tally[w]
            pred = _predict([f for f, _ in val], model)
            t["ag_ok"] += sum(to_ag.get(p) == g for p, (_, g) in zip(pred, val, strict=True))
            t["ag_n"] += len(val)
            got = _predict([f for f, _ in aside], model)
            for p, (_, top) in zip(got, aside, strict=True):
                t["iptc_ok"] += p == top
                t["iptc_n"] += 1
                if top not in covered:
                    t["other_ok"] += p == top
                    t["other_n"] += 1
    out: dict[str, dict[str, float]] = {}
    for w, t in tally.items():
        out[f"ag_weight_x{w:g}"] = {
            "ag_cv_accuracy": round(t["ag_ok"] / max(1, t["ag_n"]), 4),
            "iptc_aside_accuracy": round(t["iptc_ok"] / max(1, t["iptc_n"]), 4),
            "iptc_aside_accuracy_topics_ag_lacks": round(t["other_ok"] / max(1, t["other_n"]), 4),
        }
    return out


if __name__ == "__main__":  # pragma: no cover - a tool for whoever retrains
    import sys

    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/corpora")
    print(
        json.dumps(
            {"learning_curve": learning_curve(corpus), "coverage_tradeoff": coverage_tradeoff(corpus)},
            indent=2,
        )
    )
