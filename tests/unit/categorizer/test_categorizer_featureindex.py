"""`featureindex.FeatureIndex` gives what `features.lookup(count_features(...))` gives.

The pipeline's topic model and keyword scorer read the integer-id features; the model
was trained on (and the figures measured with) the string features. These tests pin
the two together: the same known features in the same order (the order of the model's
float sums and of the keyword scorer's ties), and the same keywords, on small made-up
vocabularies that exercise unknown words, numbers, prefixes, recurring unknown bigrams
and bigram words that are no feature of their own.
"""

from __future__ import annotations

import numpy as np
import pytest

from services.categorizer.featureindex import FeatureIndex
from services.categorizer.features import count_features, document_tokens, lookup, vectorize, weigh_known
from services.categorizer.keywords import KeywordTable
from services.categorizer.model import TopicModel
from services.categorizer.places import load_gazetteer
from tests.unit.categorizer.categorizer_helpers import seed_article

TEXT = (
    "Russia's Defence Minister Sergei Shoigu said on Tuesday that 12 new warships would "
    "join the Black Sea fleet by 2025, while NATO ministers met in New York. The "
    "shipbuilding programme, worth 3.5 billion roubles, was announced after talks with "
    "Azerbaijani officials in Baku. Black Sea fleet warships, Black Sea fleet sailors and "
    "the Black Sea fleet's commanders: don't expect 2026 changes, the rock'n'roll admiral said."
)


def _reference(tokens: list[str], vocab: dict[str, int]):
    counts, n_words = count_features(tokens)
    lk = lookup(counts, vocab, n_words)
    known = lk.index >= 0
    return lk, lk.index[known], lk.counts[known]


def _vocabularies(tokens: list[str]) -> list[dict[str, int]]:
    feats = list(count_features(tokens)[0])
    every_other = feats[::2]
    # A bigram whose words are not features themselves ("black sea" without "black").
    bigram_only = [f for f in feats if " " in f][:5]
    return [
        {f: i for i, f in enumerate(feats)},
        {f: i for i, f in enumerate(every_other)},
        {f: i for i, f in enumerate(sorted(bigram_only))},
        {f: i for i, f in enumerate(reversed(every_other))},
        {},
    ]


@pytest.mark.parametrize("copies", [1, 3, 40])  # 40 copies: past the MAX_TOKENS cap
def test_same_known_features_and_order(copies):
    toks = document_tokens("Warships join the Black Sea fleet", TEXT * copies)
    for vocab in _vocabularies(toks):
        _lk, index, counts = _reference(toks, vocab)
        doc = FeatureIndex(vocab).features(toks)
        assert doc.index.tolist() == index.tolist()
        assert doc.counts.dtype == np.float32 and doc.counts.tolist() == counts.tolist()


@pytest.mark.parametrize("copies", [1, 3, 40])
def test_unknown_candidates_are_those_the_scorer_reads(copies):
    toks = document_tokens("Warships join the Black Sea fleet", TEXT * copies)
    for vocab in _vocabularies(toks):
        lk, _index, _counts = _reference(toks, vocab)
        want = set()
        for i in np.flatnonzero(lk.index < 0).tolist():
            f, c = lk.keys[i], int(lk.counts[i])
            if f[0] != "~" and (" " not in f or c >= 3):
                want.add((f, c))
        assert set(FeatureIndex(vocab).features(toks).unknown) == want


@pytest.mark.parametrize("copies", [1, 3, 40])
def test_same_keywords_and_logits(copies):
    toks = document_tokens("Warships join the Black Sea fleet", TEXT * copies)
    for vocab in _vocabularies(toks)[:-1]:
        idf = np.linspace(1.0, 5.0, len(vocab)).astype(np.float32)
        table, fi = KeywordTable(vocab, idf), FeatureIndex(vocab)
        counts, n_words = count_features(toks)
        doc = fi.features(toks)
        for k in (3, 10):
            assert table.extract_doc(doc, fi.keys, k=k) == table.extract(lookup(counts, vocab, n_words), k=k)
        idx, val = vectorize(counts, vocab, idf)
        d_idx, d_val = weigh_known(doc.index, doc.counts, idf)
        assert idx.tolist() == d_idx.tolist() and val.tolist() == d_val.tolist()


def test_shipped_model_same_probabilities_on_the_seed():
    model = TopicModel.load()
    art = seed_article()
    toks = document_tokens(art.title, art.body)
    counts, n_words = count_features(toks)
    fast = model.predict_proba(FeatureIndex(model.vocab).features(toks))
    assert fast.tolist() == model.predict_proba(lookup(counts, model.vocab, n_words)).tolist()


def test_empty_and_stopword_only():
    fi = FeatureIndex({"fleet": 0, "~fleet": 1})
    for toks in ([], ["the", "of", "and"]):
        doc = fi.features(toks)
        assert doc.index.size == 0 and doc.counts.size == 0 and doc.unknown == []


def test_place_scan_stops_at_lower_case_words():
    """The scan stops growing a name at a token neither capitalised nor a function word:
    same mentions as trying every span."""
    gaz = load_gazetteer()
    mentions, _ = gaz.scan("Talks in New South Wales, in New south wales and in the Republic of the Congo.")
    assert [m.surface for m in mentions][:1] == ["New South Wales"]
    assert any(m.surface == "Republic of the Congo" for m in mentions)
