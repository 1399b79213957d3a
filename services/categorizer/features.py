"""Text -> sparse feature vector, shared by training and inference.

Training (scikit-learn) and the service (pure numpy) must see exactly the same
features, so both call `feature_counts` here. Features are chosen to be cheap in
pure Python: one regex pass, unigrams, adjacent bigrams and 5-letter prefixes
(a poor man's stemmer that lets "election"/"elections"/"elected" share weight,
which matters with only a few thousand training texts).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise, repeat

import numpy as np

# Word lists are written as text (one source line per ~80 chars), split at import.
_split = str.split

# Written to start with a single class (the regex engine then skips non-token characters
# without trying a match) and with possessive repeats (nothing after them can fail, so
# backtracking never changes a match): the tokens of `[a-z0-9]+(?:'[a-z]+)?`, faster.
_TOKEN_RE = re.compile(r"[a-z0-9][a-z0-9]*+(?:'[a-z]++)?+")

#: Tokens fed to the topic model are capped: the topic of a news story is settled
#: in its first paragraphs, and the cap bounds the cost for very long bodies.
MAX_TOKENS = 400

STOPWORDS: frozenset[str] = frozenset(
    _split(
        """
a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each few
for from further had has have having he her here hers herself him himself his how i if
in into is it its itself just me more most my myself no nor not now of off on once only
or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until
up very was we were what when where which while who whom why will with would you your
yours yourself yourselves said says say told also one two new would could may might must
shall s t don't it's he's she's that's there's what's i'm you're we're they're isn't
aren't wasn't weren't hasn't haven't hadn't doesn't didn't won't wouldn't can't couldn't
yesterday today tomorrow monday tuesday wednesday thursday friday saturday sunday mr mrs
ms reuters ap afp quot lt gt amp nbsp http https www com
"""
    )
)


# Byte table: token characters (a-z, 0-9, apostrophe) stay, every other byte -> space.
_TOKEN_BYTES = bytes(c if chr(c) in "abcdefghijklmnopqrstuvwxyz0123456789'" else 32 for c in range(256))


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens (letters/digits, keeping a trailing 's or 't):
    `_TOKEN_RE.findall(text.lower())`.

    Faster, same tokens: every character that cannot be in a token becomes a space
    (non-ASCII via "?", then one byte translation), so `str.split` gives the tokens of
    every chunk without an apostrophe; only the few chunks with one go through the regex.
    """
    s = text.lower().encode("ascii", "replace").translate(_TOKEN_BYTES).decode("ascii")
    i = s.find("'")
    if i < 0:
        return s.split()
    out: list[str] = []
    start = 0  # s[start] is a space (or start is 0): chunks before it are done
    while i >= 0:
        a = s.rfind(" ", start, i) + 1
        b = s.find(" ", i)
        if b < 0:
            b = len(s)
        out += s[start:a].split()
        out += _TOKEN_RE.findall(s, a, b)
        start = b
        i = s.find("'", b)
    out += s[start:].split()
    return out


def feature_counts(tokens: Sequence[str]) -> Counter[str]:
    """Count unigram, bigram and prefix features of a token sequence."""
    return count_features(tokens)[0]


def count_features(tokens: Sequence[str]) -> tuple[Counter[str], int]:
    """`feature_counts` and how many of its keys (the first ones) are single words.

    Built from list comprehensions fed to `Counter` (its counting loop is C): about
    three times faster than one Python loop over the tokens, same features in the same
    order (words, prefixes, bigrams, each by first occurrence: the order fixes the
    float summation of the model's dot product).
    A stopword is not a feature and breaks the bigram chain ("" marks it below).
    """
    stop = STOPWORDS
    # Numbers carry no topic by their value; tokens start with [a-z0-9] and "9" < "a".
    kept = ["" if t in stop else ("<num>" if t[0] <= "9" else t) for t in tokens[:MAX_TOKENS]]
    feats: Counter[str] = Counter(filter(None, kept))
    n_words = len(feats)
    # Prefixes from the distinct words (in first-occurrence order, so each prefix is
    # inserted where its first token would have put it), weighted by their counts.
    get = feats.get
    for word, count in list(feats.items()):
        if len(word) > 5:
            prefix = "~" + word[:5]
            feats[prefix] = get(prefix, 0) + count
    feats.update([a + " " + b for a, b in pairwise(kept) if a and b])
    return feats, n_words


def document_tokens(title: str | None, *parts: str | None, title_weight: int = 2) -> list[str]:
    """Tokens of a document; the title is repeated because headlines are dense in topic."""
    toks: list[str] = []
    title_toks = tokenize(title) if title else []
    for _ in range(title_weight):
        toks.extend(title_toks)
    for part in parts:
        if part:
            toks.extend(tokenize(part))
    return toks


@dataclass(frozen=True, slots=True)
class Lookup:
    """One document's features looked up in a vocabulary, computed once per article
    and shared by the topic model and the keyword extractor."""

    keys: list[str]  # feature strings, in `feats` order
    counts: np.ndarray  # float32 raw counts, aligned with keys
    index: np.ndarray  # int64 vocabulary index, -1 for unknown features
    #: When known (`count_features`): the first n_words keys are the single words, the
    #: rest prefixes and bigrams. Lets the keyword scorer skip most unknown features.
    n_words: int | None = None


def lookup(feats: Mapping[str, int], vocab: Mapping[str, int], n_words: int | None = None) -> Lookup:
    """Vocabulary indices of all features in one `map` call (no Python-level loop)."""
    keys = list(feats)
    n = len(keys)
    index = np.fromiter(map(vocab.get, keys, repeat(-1)), dtype=np.int64, count=n)
    counts = np.fromiter(feats.values(), dtype=np.float32, count=n)
    return Lookup(keys, counts, index, n_words)


def weigh(lk: Lookup, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sublinear tf-idf, L2-normalised, as (indices, values) of the known features."""
    known = lk.index >= 0
    return weigh_known(lk.index[known], lk.counts[known], idf)


def weigh_known(ia: np.ndarray, counts: np.ndarray, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`weigh` of the known features alone: vocabulary indices and float32 counts."""
    if ia.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    va = (1.0 + np.log(counts)) * idf[ia]
    norm = float(np.sqrt(np.dot(va, va)))
    if norm > 0:
        va /= norm
    return ia, va.astype(np.float32, copy=False)


def vectorize(
    feats: Mapping[str, int], vocab: Mapping[str, int], idf: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sublinear tf-idf, L2-normalised, as (indices, values) over `vocab`."""
    return weigh(lookup(feats, vocab), idf)
