"""Keywords by tf-idf against the model's document frequencies."""

from __future__ import annotations

import numpy as np

from services.categorizer.features import document_tokens, feature_counts
from services.categorizer.keywords import extract_keywords


def test_prefers_distinctive_terms_and_bigrams():
    vocab = {"the": 0, "central": 1, "bank": 2, "central bank": 3, "rates": 4, "year": 5}
    idf = np.array([1.0, 3.0, 2.5, 4.0, 3.0, 1.1], dtype=np.float32)
    feats = feature_counts(
        document_tokens(None, "The central bank raised rates. The central bank said rates rise this year.")
    )
    kw = extract_keywords(feats, vocab, idf, k=3)
    assert kw[0] == "central bank"
    assert "rates" in kw
    assert "central" not in kw and "year" not in kw and "the" not in kw


def test_limit_and_empty():
    assert extract_keywords({}, {}, np.zeros(0, dtype=np.float32)) == []
    feats = feature_counts(document_tokens(None, " ".join(f"word{i}x" for i in range(50))))
    assert len(extract_keywords(feats, {}, np.ones(1, dtype=np.float32), k=5)) <= 5
