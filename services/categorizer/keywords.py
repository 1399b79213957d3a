"""Keywords: the article's most distinctive terms, by tf-idf against the training corpora.

Reuses the feature counts already computed for the topic model and the model's idf
table, so keywords cost little extra. Bigrams are preferred over the words they
contain ("strategic partnership" rather than "strategic" and "partnership").
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .featureindex import DocFeatures
from .features import STOPWORDS, Lookup, lookup

# Word lists are written as text (one source line per ~80 chars), split at import.
_split = str.split

#: Extra words that are frequent in news but never useful as keywords.
_DULL = frozenset(
    _split(
        """
year years week weeks month months day days time times percent per cent pct million
billion mln bln dlrs dlr people number part way also well last first second third next
since including according still many much even another however new news report reports
reported terms field issues level important recent current made make makes
"""
    )
)

BIGRAM_BOOST = 1.3
#: Never part of a keyword.
_BORING = STOPWORDS | _DULL


def _eligible(term: str) -> bool:
    if term.startswith("~") or "<num>" in term:
        return False
    return all(
        len(w) >= 3 and w[0].isalpha() and w not in STOPWORDS and w not in _DULL for w in term.split(" ")
    )


class KeywordTable:
    """Keyword weight (idf, x BIGRAM_BOOST for bigrams; 0 = never a keyword) of every
    vocabulary feature, precomputed once per model so that scoring an article's known
    features is one numpy expression; only its unknown features are scored in Python."""

    def __init__(self, vocab: Mapping[str, int], idf: np.ndarray) -> None:
        self.vocab = vocab
        self.weight = np.zeros(len(idf), dtype=np.float32)
        for f, j in vocab.items():
            if _eligible(f):
                self.weight[j] = float(idf[j]) * (BIGRAM_BOOST if " " in f else 1.0)
        # Words never seen in training are rare by definition: high, not maximal, idf.
        self.unknown_idf = float(idf.max()) * 0.9 if idf.size else 10.0
        # One extra 0 at the end: index -1 (an unknown feature) reads weight 0, so the
        # score of every feature is one numpy expression without a mask.
        self.weight_ext = np.append(self.weight, np.float32(0.0))

    def extract(self, feats: Mapping[str, int] | Lookup, k: int = 10) -> list[str]:
        """Top-k unigrams/bigrams by (1 + log tf) x idf."""
        lk = feats if isinstance(feats, Lookup) else lookup(feats, self.vocab)
        if not lk.keys:
            return []
        score = (1.0 + np.log(lk.counts)) * self.weight_ext[lk.index]
        # Enough candidates for k after bigram/word overlaps are skipped.
        top = np.flatnonzero(score > 0)
        if top.size > 4 * k:
            top = top[np.argpartition(-score[top], 4 * k)[: 4 * k]]
        keys = lk.keys
        # (-score, term): sorting the tuples ranks by score, then alphabetically.
        scored = [(-s, keys[i]) for s, i in zip(score[top].tolist(), top.tolist(), strict=True)]
        unknown_idf = self.unknown_idf
        # Past the single words (when the lookup knows where they end) only recurring
        # terms can qualify, so most unknown prefixes and bigrams cost one comparison.
        n_words = len(keys) if lk.n_words is None else lk.n_words
        unknown = np.flatnonzero(lk.index < 0)
        for i, c in zip(unknown.tolist(), lk.counts[unknown].tolist(), strict=True):
            if i >= n_words and c < 3:
                continue
            f = keys[i]
            # Unknown terms: single words, or bigrams that recur (>= 3 counts).
            if f[0] == "~" or (c < 3 and " " in f) or not _eligible(f):
                continue
            s = (1.0 + math.log(c)) * unknown_idf
            scored.append((-(s * BIGRAM_BOOST) if " " in f else -s, f))
        return _rank(scored, k)

    def extract_doc(self, doc: DocFeatures, keys: list[str], k: int = 10) -> list[str]:
        """`extract` from a `featureindex.DocFeatures` (`keys`: the vocabulary's features
        by index): the same candidates, so the same keywords. The known features are
        scored in the same order as `extract` scores them (the order decides ties at the
        `argpartition` cut), the unknown ones come listed."""
        score = (1.0 + np.log(doc.counts)) * self.weight[doc.index]
        top = (score > 0).nonzero()[0]
        if top.size > 4 * k:
            top = top[(-score[top]).argpartition(4 * k)[: 4 * k]]
        scored = [(-s, keys[j]) for s, j in zip(score[top].tolist(), doc.index[top].tolist(), strict=True)]
        unknown_idf = self.unknown_idf
        boring = _BORING
        for f, c in doc.unknown:
            if " " in f:
                if c < 3 or not _eligible(f):
                    continue
            # `_eligible` of a single word, inline: most unknown terms are single words.
            elif len(f) < 3 or not f[0].isalpha() or f in boring:
                continue
            s = (1.0 + math.log(c)) * unknown_idf
            scored.append((-(s * BIGRAM_BOOST) if " " in f else -s, f))
        return _rank(scored, k)


def _rank(scored: list[tuple[float, str]], k: int) -> list[str]:
    """The k best of (-score, term): bigrams first take the words they contain."""
    scored.sort()
    out: list[str] = []
    covered: set[str] = set()
    for _score, f in scored:
        if " " in f:
            a, b = f.split(" ", 1)
            if a in out and b in out:
                continue
            covered.update((a, b))
        elif f in covered:
            continue
        out.append(f)
        if len(out) >= k:
            break
    return out


def extract_keywords(
    feats: Mapping[str, int], vocab: Mapping[str, int], idf: np.ndarray, k: int = 10
) -> list[str]:
    """One-off convenience; the pipeline keeps a KeywordTable instead."""
    return KeywordTable(vocab, idf).extract(feats, k)
