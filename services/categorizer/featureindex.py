"""The article's known features and keyword candidates from integer word ids.

`features.count_features` builds every feature as a string: a new string per bigram
(about one per token), hashed and looked up in the 70 k-feature vocabulary, most of them
unknown. Here each token is looked up once as a word (`FeatureIndex.words`), and
prefixes and bigrams are found from the word ids with numpy: a bigram is looked up only
as a pair of ids, in a sorted table of the vocabulary's bigrams; its string is built
only when it may be a keyword (an unknown bigram counted three times or more).

Same answer as `features.lookup(count_features(tokens))`: the known features in the
same order (words, then prefixes, then bigrams, each by first occurrence; the order of
the model's float sums) with the same counts, and every unknown word and recurring
unknown bigram the keyword scorer would consider. `FeatureIndex` is built once per
model (~0.1 s) and never changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from .features import MAX_TOKENS, STOPWORDS

#: Word id of a stopword: not a feature, breaks the bigram chain.
_STOP = -2
_NUM = "<num>"


@dataclass(frozen=True, slots=True)
class DocFeatures:
    """One document's features, as the topic model and the keyword scorer need them."""

    index: np.ndarray  # int64 vocabulary indices of the known features, in feature order
    counts: np.ndarray  # float32 counts, aligned with index
    #: Features not in the vocabulary that can be keywords: every unknown word and every
    #: unknown bigram counted >= 3 times, with its count (order irrelevant: ranked later).
    unknown: list[tuple[str, int]]


class FeatureIndex:
    """Integer views of one vocabulary: word -> id, word id -> prefix feature, and the
    bigram features as sorted pairs of word ids."""

    def __init__(self, vocab: Mapping[str, int]) -> None:
        self.vocab = vocab
        n = len(vocab)
        self.n_vocab = n
        keys = [""] * n
        for f, j in vocab.items():
            keys[j] = f
        self.keys = keys
        # Single-word features. A word starting with a digit is never one (it counts as
        # "<num>"), so it is left out and such tokens take the "<num>" path.
        words: dict[str, int] = {
            f: j for f, j in vocab.items() if " " not in f and not f.startswith("~") and f[:1] > "9"
        }
        # Words of vocabulary bigrams that are no feature of their own get ids past the
        # vocabulary (none in the shipped model; kept general).
        extra: list[str] = []
        pairs: list[tuple[str, str, int]] = []
        for f, j in vocab.items():
            if " " in f:
                a, _, b = f.partition(" ")
                if " " in b or a in STOPWORDS or b in STOPWORDS:
                    continue  # never produced by the tokens
                for w in (a, b):
                    if w not in words:
                        words[w] = n + len(extra)
                        extra.append(w)
                pairs.append((a, b, j))
        self.base = n + len(extra)  # ids >= base: words unknown to this vocabulary
        self.extra = extra
        words.update(dict.fromkeys(STOPWORDS, _STOP))
        self.words = words
        base = self.base
        bkeys = np.array([words[a] * base + words[b] for a, b, _ in pairs], dtype=np.int64)
        order = np.argsort(bkeys)
        # One sentinel past the end, so a searchsorted position is always a valid index.
        self.bigram_keys = np.append(bkeys[order], np.int64(np.iinfo(np.int64).max))
        self.bigram_index = np.append(np.array([j for *_, j in pairs], dtype=np.int64)[order], -1)
        # One -1 past the ids: `take(..., mode="clip")` reads it for every unknown word.
        prefix_of = np.full(base + 1, -1, dtype=np.int64)
        for w, i in words.items():
            if i >= 0 and len(w) > 5:
                prefix_of[i] = vocab.get("~" + w[:5], -1)
        self.prefix_of = prefix_of

    def word(self, i: int, unknown: list[str]) -> str:
        """The word of id `i` (`unknown`: this document's unknown words, by id - base)."""
        if i < self.n_vocab:
            return self.keys[i]
        if i < self.base:
            return self.extra[i - self.n_vocab]
        return unknown[i - self.base]

    def features(self, tokens: Sequence[str]) -> DocFeatures:
        """Known features and keyword candidates of a token sequence (see module doc)."""
        toks = tokens[:MAX_TOKENS]
        ids = list(map(self.words.get, toks, repeat(-1)))
        unknown: dict[str, int] = {}
        base = self.base
        if -1 in ids:
            get = self.words.get
            i = ids.index(-1)
            while True:
                t = toks[i]
                w = _NUM if t[0] <= "9" else t
                j = get(w)
                if j is None:
                    j = unknown.setdefault(w, base + len(unknown))
                ids[i] = j
                try:
                    i = ids.index(-1, i + 1)
                except ValueError:
                    break
        arr = np.fromiter(ids, dtype=np.int64, count=len(ids))
        kept = arr >= 0
        if not np.count_nonzero(kept):
            return DocFeatures(np.zeros(0, np.int64), np.zeros(0, np.float32), [])
        wid, wcnt = _first_counts(arr[kept])
        n = self.n_vocab
        known_w = wid < n
        # Prefixes, by first occurrence of a word that has them, counts summed over words.
        pid = self.prefix_of.take(wid, mode="clip")
        unknown_words = list(unknown)
        if unknown:
            beyond = wid >= base
            vocab_get = self.vocab.get
            pid[beyond] = [
                vocab_get("~" + w[:5], -1) if len(w) > 5 else -1
                for w in map(unknown_words.__getitem__, (wid[beyond] - base).tolist())
            ]
        has_p = pid >= 0
        p_idx, p_cnt = _first_counts(pid[has_p], wcnt[has_p])
        # Bigrams: adjacent non-stopwords, looked up as id pairs.
        pair = kept[:-1] & kept[1:]
        a, b = arr[:-1][pair], arr[1:][pair]
        inside = (a < base) & (b < base)
        key = a[inside] * base + b[inside]
        pos = self.bigram_keys.searchsorted(key)
        b_idx, b_cnt = _first_counts(self.bigram_index[pos[self.bigram_keys[pos] == key]])
        index = np.concatenate([wid[known_w], p_idx, b_idx])
        counts = np.concatenate([wcnt[known_w], p_cnt, b_cnt]).astype(np.float32)
        # Keyword candidates outside the vocabulary: the unknown words, and the bigrams
        # not in it that recur (>= 3). A repeated pair is rare: strings only for those.
        word = self.word
        cands = [
            (word(i, unknown_words), c)
            for i, c in zip(wid[~known_w].tolist(), wcnt[~known_w].tolist(), strict=True)
        ]
        if a.size >= 3:
            width = base + len(unknown)
            pairs = a * width + b
            pairs.sort()
            if np.count_nonzero(pairs[2:] == pairs[:-2]):
                uniq, times = _first_counts(pairs)
                for k, c in zip(uniq[times >= 3].tolist(), times[times >= 3].tolist(), strict=True):
                    f = word(k // width, unknown_words) + " " + word(k % width, unknown_words)
                    if f not in self.vocab:
                        cands.append((f, c))
        return DocFeatures(index, counts, cands)


def _first_counts(x: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of `x` in order of first occurrence, and how often each occurs
    (or the sum of their `weights`): a `Counter` of `x`, in numpy."""
    if x.size == 0:
        return x, np.zeros(0, dtype=np.int64)
    order = x.argsort(kind="stable")
    s = x[order]
    new = np.empty(s.size, dtype=bool)
    new[0] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    starts = new.nonzero()[0]
    if weights is None:
        ends = np.empty_like(starts)
        ends[:-1] = starts[1:]
        ends[-1] = s.size
        totals = ends - starts
    else:
        totals = np.add.reduceat(weights[order], starts)
    by_first = order[starts].argsort()
    return s[starts][by_first], totals[by_first]
