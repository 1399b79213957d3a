"""Offline training of the topic model (`newsflow train categorizer`).

Recipe (deterministic for a given corpus and seed):
  * Labelled news: AG News (70 % training share, see corpora.py) mapped to IPTC
    (World -> politics, or conflict, war and peace when it has >= 2 war/violence cues;
    Sports -> sport; Business -> economy, business and finance; Sci/Tech -> science and
    technology) and Reuters-21578 Lewis TRAIN documents with topics (all economic ->
    economy, business and finance; down-weighted so they do not swamp the prior).
  * Prior knowledge for all 17 topics: every live IPTC concept's name + definition
    (80 %, the rest held out for evaluation) labelled with its top-level ancestor, and
    the hand-written cue terms of data/topic_lexicon.json, one tiny document each.
  * Features: features.py (unigrams, bigrams, 5-letter prefixes; sublinear tf-idf).
  * Model: multinomial logistic regression (scikit-learn, lbfgs, C=5) plus beta x
    complement naive Bayes (smoothing alpha) over the same features. Both are linear,
    so their sum is one weight matrix and inference cost does not change. alpha and
    beta are picked on the calibration tenth of the AG training share, the softmax
    temperature is fitted there (minimum log-loss), then both are refitted on the whole
    training share.
  * Pruning: features whose largest |weight| is tiny are dropped; weights stored float16.

Choices are checked by cross-validation on the AG training share (crossval.py: learning
curve, AG accuracy vs coverage of the other topics), never on the held-out share.

scikit-learn is imported here only: the service never imports this module.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import corpora
from .features import STOPWORDS, document_tokens, feature_counts
from .model import DEFAULT_MODEL_PATH, TopicModel
from .taxonomy import load_taxonomy

LEXICON_PATH = Path(__file__).parent / "data" / "topic_lexicon.json"

#: Relative training weights per source (a weight is a per-document sample weight).
W_AG = 1.0
W_REUTERS = 0.05
W_IPTC = 1.0
W_LEXICON = 0.5
#: Extra factor on prior-knowledge documents of topics no labelled corpus covers.
W_UNCOVERED = 2.0
C_GRID = (5.0,)  # 5 won against 10 and 20 on the calibration tenth; one fit saves minutes
NB_ALPHAS = (0.1, 0.3, 1.0)
NB_BETAS = (0.0, 3.0, 10.0, 30.0)
#: Topics an AG class may also be about, given >= SIDE_MIN_CUES distinct lexicon cues.
SIDE_TOPICS = {
    "World": ("medtop:02000000", "medtop:03000000", "medtop:12000000", "medtop:14000000"),
    "Sci/Tech": ("medtop:07000000", "medtop:06000000"),
    "Business": ("medtop:09000000",),
}
SIDE_MIN_CUES = 3
PRUNE_BELOW = 0.02


Row = tuple[Counter, str, float, str]  # feature counts, IPTC label, weight, source


def _training_set(corpus_dir: Path, tax, lexicon: dict, calibration: bool | None) -> list[Row]:
    """(feature counts, label, weight, source) rows; `calibration` picks the AG subset
    (True: the calibration tenth only, and no prior rows; False: the rest; None: all)."""

    def keep(title: str, description: str) -> bool:
        return calibration is None or corpora.ag_is_calibration(title, description) == calibration

    rows = ag_rows(corpus_dir, lexicon, keep)
    if calibration:
        return rows
    return rows + prior_rows(corpus_dir, tax, lexicon)


def ag_rows(corpus_dir: Path, lexicon: dict, keep: Callable[[str, str], bool]) -> list[Row]:
    """Rows of the AG News training share whose (title, description) pass `keep`.

    Separate from the prior rows so that cross-validation (crossval.py) can fold them;
    held-out rows (corpora.ag_share == "test") are never returned.
    """
    conflict_cues = set(lexicon["world_conflict_cues"])
    side_cues = {
        top: {t for t in lexicon["topics"][top] if " " not in t}
        for topics in SIDE_TOPICS.values()
        for top in topics
    }
    rows: list[Row] = []
    for r in corpora.read_ag(corpus_dir):
        if corpora.ag_share(r.title, r.description) != "train" or not keep(r.title, r.description):
            continue
        toks = document_tokens(r.title, r.description)
        label = corpora.AG_TO_IPTC[r.label][0]
        if r.label == "World" and sum(t in conflict_cues for t in toks) >= 2:
            label = corpora.CONFLICT
        feats = feature_counts(toks)
        # AG's four classes hide IPTC topics (a World quake story is a disaster): with
        # strong cues, half the weight goes to that topic (a soft label).
        distinct = set(toks)
        side = max(SIDE_TOPICS.get(r.label, ()), key=lambda top: len(distinct & side_cues[top]), default=None)
        if side is not None and len(distinct & side_cues[side]) >= SIDE_MIN_CUES:
            rows.append((feats, side, W_AG * 0.5, "ag"))
            rows.append((feats, label, W_AG * 0.5, "ag"))
        else:
            rows.append((feats, label, W_AG, "ag"))
    return rows


def prior_rows(
    corpus_dir: Path, tax, lexicon: dict, iptc_keep: Callable[[str], bool] | None = None
) -> list[Row]:
    """Reuters TRAIN, IPTC training concepts (those passing `iptc_keep`, if given) and
    the lexicon cue terms: the rows that are not AG News."""
    rows: list[Row] = []
    for d in corpora.iter_reuters(corpus_dir):
        if d.split == "TRAIN" and d.topics:
            toks = document_tokens(d.title.title(), d.body)
            rows.append((feature_counts(toks), corpora.ECONOMY, W_REUTERS, "reuters"))
    covered = {c for codes in corpora.AG_TO_IPTC.values() for c in codes}

    def boost(top: str) -> float:
        return 1.0 if top in covered else W_UNCOVERED

    for code, text, top in corpora.iptc_documents(tax):
        if corpora.iptc_share(code) == "train" and (iptc_keep is None or iptc_keep(code)):
            rows.append((feature_counts(document_tokens(None, text)), top, W_IPTC * boost(top), "iptc"))
    for top, terms in lexicon["topics"].items():
        for term in terms:
            rows.append((feature_counts(document_tokens(None, term)), top, W_LEXICON * boost(top), "lexicon"))
    return rows


def _build_vocab(rows, min_df: int = 2) -> tuple[dict[str, int], np.ndarray]:
    df: Counter[str] = Counter()
    always: set[str] = set()
    for feats, _label, _w, src in rows:
        df.update(feats.keys())
        if src in ("iptc", "lexicon"):
            always.update(feats.keys())
    words = sorted(f for f, n in df.items() if n >= min_df or f in always)
    n_docs = len(rows)
    idf = np.array([math.log((1 + n_docs) / (1 + df[w])) + 1.0 for w in words], dtype=np.float32)
    return {w: i for i, w in enumerate(words)}, idf


def _matrix(rows, vocab, idf):
    from scipy import sparse

    from .features import vectorize

    indptr = [0]
    indices: list[np.ndarray] = []
    data: list[np.ndarray] = []
    for feats, *_ in rows:
        idx, val = vectorize(feats, vocab, idf)
        indices.append(idx)
        data.append(val)
        indptr.append(indptr[-1] + idx.size)
    return sparse.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.asarray(indptr)),
        shape=(len(rows), len(vocab)),
    )


def _fit(X, y, w, C: float, seed: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression -> (weights (V, K), bias (K,))."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=2000, tol=1e-4, random_state=seed)
    clf.fit(X, y, sample_weight=w)
    W = np.zeros((X.shape[1], n_classes))
    b = np.full(n_classes, -30.0)  # a class with no training data: never predicted
    W[:, clf.classes_] = clf.coef_.T
    b[clf.classes_] = clf.intercept_
    return W, b


def _fit_nb(X, y, w, alpha: float, n_classes: int) -> np.ndarray:
    """Complement naive Bayes as linear weights (V, K), centred over classes.

    CNB is strong on small, imbalanced text data (it beat the LR on the calibration
    tenth); centring makes its scores add to the LR logits without shifting the bias.
    """
    from sklearn.naive_bayes import ComplementNB

    nb = ComplementNB(alpha=alpha).fit(X, y, sample_weight=w)
    W = np.zeros((X.shape[1], n_classes))
    W[:, nb.classes_] = nb.feature_log_prob_.T
    W[:, nb.classes_] -= W[:, nb.classes_].mean(axis=1, keepdims=True)
    return W


def _fit_temperature(logits: np.ndarray, y: np.ndarray, world: list[int]) -> float:
    """Softmax temperature with the least log-loss on the calibration tenth.

    For World rows the target is politics *or* conflict (their summed probability), as in
    evaluation, so the temperature is not pushed around by the cue-based split of World.
    """
    best_t, best_nll = 1.0, float("inf")
    is_world = np.isin(y, world)
    for t in np.exp(np.linspace(np.log(0.25), np.log(25.0), 121)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        target = p[np.arange(len(y)), y]
        target = np.where(is_world, p[:, world].sum(axis=1), target)
        nll = float(-np.log(np.maximum(target, 1e-12)).mean())
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return round(best_t, 3)


_WORD_RE = re.compile(r"[A-Za-z][a-z]+")


def common_words(corpus_dir: Path, min_count: int = 5) -> frozenset[str]:
    """Words mostly written in lower case in the training texts (not names)."""
    lower: Counter[str] = Counter()
    upper: Counter[str] = Counter()
    texts = [
        r.description
        for r in corpora.read_ag(corpus_dir)
        if corpora.ag_share(r.title, r.description) == "train"
    ]
    texts += [d.body for d in corpora.iter_reuters(corpus_dir) if d.split == "TRAIN"]
    for text in texts:
        prev_end = True
        for m in re.finditer(r"[A-Za-z][A-Za-z]*|[.!?]", text):
            tok = m.group()
            if tok in ".!?":
                prev_end = True
                continue
            if tok[0].islower():
                lower[tok] += 1
            elif not prev_end and not tok.isupper():
                upper[tok.lower()] += 1
            prev_end = False
    return frozenset(
        w for w, n in lower.items() if n >= min_count and n >= 2 * upper.get(w, 0) and len(w) > 1
    )


def train(
    corpus_dir: Path,
    out: Path = DEFAULT_MODEL_PATH,
    seed: int = 0,
    *,
    c_grid: tuple[float, ...] = C_GRID,
) -> dict:
    """Train the topic model from `corpus_dir` and write it to `out`; returns a summary.

    `c_grid`: regularisation values tried on the calibration tenth (tests pass one).
    """
    t0 = time.perf_counter()
    corpus_dir = Path(corpus_dir)
    tax = load_taxonomy()
    lexicon = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    classes = list(tax.top_level)
    cidx = {c: i for i, c in enumerate(classes)}

    fit_rows = _training_set(corpus_dir, tax, lexicon, calibration=False)
    cal_rows = _training_set(corpus_dir, tax, lexicon, calibration=True)

    # 1) on the calibration tenth: choose C, the NB smoothing and mixing weight, and the
    #    softmax temperature.
    vocab, idf = _build_vocab(fit_rows)
    X = _matrix(fit_rows, vocab, idf)
    y = np.array([cidx[r[1]] for r in fit_rows])
    w = np.array([r[2] for r in fit_rows])
    Xc = _matrix(cal_rows, vocab, idf)
    yc = np.array([cidx[r[1]] for r in cal_rows])
    world = [cidx[corpora.POLITICS], cidx[corpora.CONFLICT]]

    def accuracy(logits: np.ndarray) -> float:
        pred = logits.argmax(1)
        # World counts as right for politics or conflict, as in evaluation.
        ok = (pred == yc) | (np.isin(pred, world) & np.isin(yc, world))
        return round(float(ok.mean()), 4)

    scores: dict[str, float] = {}
    best: tuple[float, float, float, float] | None = None  # acc, C, alpha, beta
    for C in c_grid:
        W_lr, b_lr = _fit(X, y, w, C, seed, len(classes))
        for alpha in NB_ALPHAS:
            W_nb = _fit_nb(X, y, w, alpha, len(classes))
            for beta in NB_BETAS:
                acc = accuracy(Xc @ (W_lr + beta * W_nb) + b_lr)
                scores[f"C={C} alpha={alpha} beta={beta}"] = acc
                if best is None or acc > best[0]:
                    best = (acc, C, alpha, beta)
    assert best is not None
    _acc, C, alpha, beta = best
    W_lr, b_lr = _fit(X, y, w, C, seed, len(classes))
    W_nb = _fit_nb(X, y, w, alpha, len(classes))
    temperature = _fit_temperature(np.asarray(Xc @ (W_lr + beta * W_nb) + b_lr), yc, world)

    # 2) refit on the whole training share; the ensemble is one linear model.
    all_rows = fit_rows + cal_rows
    vocab, idf = _build_vocab(all_rows)
    X = _matrix(all_rows, vocab, idf)
    y = np.array([cidx[r[1]] for r in all_rows])
    w = np.array([r[2] for r in all_rows])
    W_lr, b = _fit(X, y, w, C, seed, len(classes))
    W = (W_lr + beta * _fit_nb(X, y, w, alpha, len(classes))).astype(np.float32)
    b = b.astype(np.float32)

    # 3) prune features that hardly move any class, to keep the file small.
    keep = np.abs(W).max(axis=1) >= PRUNE_BELOW
    words = sorted(vocab, key=vocab.__getitem__)
    kept = [wd for wd, k in zip(words, keep, strict=True) if k]
    W, idf = W[keep], idf[keep]
    vocab = {wd: i for i, wd in enumerate(kept)}

    sources = Counter(r[3] for r in all_rows)
    data_hash = hashlib.sha1()
    for name in ("ag_news_test.csv",):
        data_hash.update((corpus_dir / name).read_bytes())
    meta = {
        "recipe": "features.py unigram+bigram+prefix5 tf-idf; multinomial logistic "
        "regression (sklearn lbfgs) + beta x complement naive Bayes, one linear "
        "model; AG News 70% + Reuters-21578 TRAIN + IPTC names/definitions "
        "(80%) + topic_lexicon.json; alpha/beta/temperature on AG calib tenth",
        "seed": seed,
        "C": C,
        "nb_alpha": alpha,
        "nb_beta": beta,
        "calibration_accuracy": scores,
        "training_documents": dict(sources),
        "source_weights": {"ag": W_AG, "reuters": W_REUTERS, "iptc": W_IPTC, "lexicon": W_LEXICON},
        "n_features": len(vocab),
        "ag_news_sha1": data_hash.hexdigest(),
        "trained_at_unix": None,  # left out on purpose: reproducible bytes
    }
    model = TopicModel(
        vocab=vocab,
        weights=W,
        bias=b,
        idf=idf,
        classes=classes,
        temperature=temperature,
        common_words=common_words(corpus_dir),
        meta=meta,
    )
    size = model.save(Path(out))
    return {
        **meta,
        "temperature": temperature,
        "model_path": str(out),
        "model_bytes": size,
        "seconds": round(time.perf_counter() - t0, 1),
        "stopwords": len(STOPWORDS),
    }


if __name__ == "__main__":  # pragma: no cover - convenience for the lead
    import sys

    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/corpora")
    print(json.dumps(train(corpus), indent=2))
