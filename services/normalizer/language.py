"""Language of the article text (ISO 639-1), offline.

py3langid (a maintained fork of langid.py, 97 languages, model shipped in the wheel) is
small and needs no network. It costs ~0.4 ms per kB, so only a ~400 character sample
from the body is classified. A language the page declares (html lang, feed language)
wins when the sample is too short to be sure or when the detector agrees on the
family; a confident detection that disagrees wins over the declaration, since CMS
templates often declare the site's default language. py3langid also has a few 3-letter
classes (`zxx` "no linguistic content", `yue`, `arz`, ...); those are never returned, as
schemas/article.json wants ISO 639-1: the declaration (or None) stands instead.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["classify", "detect_language", "normalize_code"]

SAMPLE_CHARS = 300
MIN_CHARS = 40
MIN_CONFIDENCE = 0.90
_CODE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_].*)?$")


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """The py3langid model, its feature table widened to float32 once.

    The wheel ships the table as float16, so every classify call cast the ~200 rows it
    scores to float32 inside the matrix product (~70 µs, a tenth of a text dump's whole
    budget). Widened once (28 -> 57 MB) the product is ~10 µs with bit-identical scores:
    float16 -> float32 is exact and the sums were float32 already.
    """
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    table = np.ascontiguousarray(identifier.nb_ptc, dtype=np.float32)
    identifier.nb_ptc = table
    identifier._full_model = (table, identifier.nb_pc, identifier.nb_classes)  # drop the float16 copy
    _flatten_walk_tables(identifier)
    return identifier


def _flatten_walk_tables(identifier: Any) -> None:
    """The byte walk's per-state tables as flat int arrays instead of lists of ints.

    The walk (py3langid's visit_counts, one Python step per byte of the sample) reads
    the row offset and the feature of every state it enters from two 100k-entry lists,
    each entry a pointer to an int object somewhere on the heap. In a pipeline the other
    work evicts those between articles; flat 4-byte arrays (like the transition table
    already is) are a fifth of the memory to fetch again, and save ~7 MB. Same values:
    the walk and its counts are unchanged."""
    identifier._rowbase = array("I", identifier._rowbase)
    identifier.tk_output = array("i", identifier.tk_output)
    if min(identifier.tk_output) < -1:  # classify() drops exactly -1, the model's mark
        raise ValueError("py3langid model with an unexpected no-feature mark")


def classify(identifier: Any, text: str) -> tuple[str, float]:
    """identifier.classify(text): the same float32 arithmetic step for step (py3langid
    0.4.0, pinned: _encode, visit_counts, _sparse_score, _decide with norm_probs and no
    min_confidence), with less Python around it.

    The byte walk appends every state's feature and drops the model's one no-feature
    mark (-1, checked when the model loads) from the counts afterwards: a compare and a
    branch less per byte, and a Counter keeps first-seen order either way. The rows of
    the seen features are gathered with take(), which copies the same values as fancy
    indexing with less dispatch. Everything after that is py3langid's own sequence.
    """
    data = identifier._encode(text)
    nextmove, rowbase, output = identifier.tk_nextmove, identifier._rowbase, identifier.tk_output
    state = 0
    features: list[int] = []
    append = features.append
    for byte in data:
        state = nextmove[rowbase[state] + byte]
        append(output[state])
    visits = Counter(features)
    visits.pop(-1, None)
    if visits:
        idx = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
        counts = np.fromiter(visits.values(), dtype=np.float32, count=len(visits))
        scores = np.log1p(counts) @ identifier.nb_ptc.take(idx, axis=0) + identifier.nb_pc
    else:
        scores = np.full(len(identifier.nb_classes), 0.0, dtype=np.float32)
    scores *= 1.0 / math.sqrt(len(data) or 1)
    np.exp(scores - scores.max(), out=scores)
    scores /= scores.sum()
    for i, j in identifier._alias_pairs:
        scores[i] += scores[j]
        scores[j] = 0.0
    best = int(scores.argmax())
    return identifier.nb_classes[best], float(scores[best])


def normalize_code(value: str | None) -> str | None:
    """`en-US`, `de_DE`, `EN` -> `en`; None for anything that is not a language tag."""
    if not value:
        return None
    m = _CODE.match(value.strip())
    if not m:
        return None
    code = m.group(1).lower()
    return code if len(code) == 2 else None


def _sample(text: str) -> str:
    if len(text) <= SAMPLE_CHARS:
        return text
    start = min(len(text) - SAMPLE_CHARS, 200)  # skip a dateline/lead-in when we can
    cut = text.find(" ", start)
    start = cut + 1 if 0 <= cut < start + 40 else start
    return text[start : start + SAMPLE_CHARS]


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of `text`, using the page's declared language as a tie-breaker."""
    declared = normalize_code(declared)
    sample = _sample(text.strip())
    if len(sample) < MIN_CHARS:
        return declared
    code, prob = classify(_identifier(), sample)
    if len(code) != 2:  # py3langid's ISO 639-3 classes (zxx, yue, ...): not ISO 639-1, not in the schema
        return declared
    if declared is None:
        return code if prob >= 0.5 else None
    if code == declared or prob < MIN_CONFIDENCE:
        return declared
    return code
