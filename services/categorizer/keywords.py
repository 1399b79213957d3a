"""Keywords: the article's most distinctive terms, by tf-idf against the training corpora.

Reuses the feature counts already computed for the topic model and the model's idf
table, so keywords cost little extra. Bigrams are preferred over the words they
contain ("strategic partnership" rather than "strategic" and "partnership").
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .features import STOPWORDS

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


def _eligible(term: str) -> bool:
    if term.startswith("~") or "<num>" in term:
        return False
    return all(
        len(w) >= 3 and w[0].isalpha() and w not in STOPWORDS and w not in _DULL for w in term.split(" ")
    )


class KeywordTable:
    """Idf of every feature that may be a keyword, precomputed once per model."""

    def __init__(self, vocab: Mapping[str, int], idf: np.ndarray) -> None:
        self.idf = {f: float(idf[j]) for f, j in vocab.items() if _eligible(f)}
        # Words never seen in training are rare by definition: high, not maximal, idf.
        self.unknown_idf = float(idf.max()) * 0.9 if idf.size else 10.0

    def extract(self, feats: Mapping[str, int], k: int = 10) -> list[str]:
        """Top-k unigrams/bigrams by (1 + log tf) x idf."""
        scored: list[tuple[float, str]] = []
        table = self.idf
        for f, c in feats.items():
            w_idf = table.get(f)
            if w_idf is None:
                # Unknown terms: single words, or bigrams that recur (>= 3 counts).
                if f[0] == "~" or (c < 3 and " " in f) or not _eligible(f):
                    continue
                w_idf = self.unknown_idf
            score = (1.0 + math.log(c)) * w_idf
            if " " in f:
                score *= BIGRAM_BOOST
            scored.append((score, f))
        scored.sort(key=lambda x: (-x[0], x[1]))
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
