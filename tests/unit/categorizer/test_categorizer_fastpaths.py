"""The vectorised / index-driven fast paths give what the plain loops they replaced gave.

categorize() was made faster per article by building features with list comprehensions
+ Counter, looking features up once for model and keywords, visiting only capitalised
tokens in the place and entity scans, growing subtopic phrases only along name prefixes,
sharing one tokenization between the entity and place scans, and analysing a repeated
name run once. These tests keep the simple reference definitions next to the fast code,
so a later "optimisation" cannot silently change the features the shipped model was
trained on or what an article is given (the tokenizers: test_categorizer_wordtokens.py).
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import pairwise

import numpy as np
import pytest

from services.categorizer.entities import _TOKEN_RE, extract_entities
from services.categorizer.features import (
    MAX_TOKENS,
    STOPWORDS,
    count_features,
    document_tokens,
    feature_counts,
    lookup,
    vectorize,
    weigh,
)
from services.categorizer.keywords import KeywordTable
from services.categorizer.places import load_gazetteer
from services.categorizer.subtopics import _SPELLING, SubtopicMatcher
from services.categorizer.taxonomy import load_taxonomy
from services.categorizer.wordtokens import Tokenizer

TEXT = (
    "Russia's Defence Minister Sergei Shoigu said on Tuesday that 12 new warships would "
    "join the Black Sea fleet by 2025, while NATO ministers met in New York. The "
    "shipbuilding programme, worth 3.5 billion roubles, was announced after talks with "
    "Azerbaijani officials in Baku."
)


def _reference_features(tokens: list[str]) -> Counter[str]:
    """The original one-loop definition of the features."""
    feats: Counter[str] = Counter()
    prev = ""
    for tok in tokens[:MAX_TOKENS]:
        if tok[0].isdigit():
            tok = "<num>"
        if tok not in STOPWORDS:
            feats[tok] += 1
            if len(tok) > 5:
                feats["~" + tok[:5]] += 1
            if prev:
                feats[prev + " " + tok] += 1
            prev = tok
        else:
            prev = ""
    return feats


@pytest.mark.parametrize("n_copies", [1, 20])  # 20 copies: past the MAX_TOKENS cap
def test_feature_counts_match_reference(n_copies):
    toks = document_tokens("Warships join the Black Sea fleet", TEXT * n_copies)
    fast = feature_counts(toks)
    assert fast == _reference_features(toks)
    assert fast["<num>"] >= 1 and fast["black sea"] >= 1 and fast["~warsh"] >= 1
    assert "the" not in fast and "said on" not in fast  # stopwords break bigrams


def _ordered_features(tokens: list[str]) -> Counter[str]:
    """The comprehension definition the shipped figures were measured with: words, then
    prefixes, then bigrams, each in first-occurrence order (the order of the model's
    float sums, so it must not change either)."""
    kept = ["" if t in STOPWORDS else ("<num>" if t[0] <= "9" else t) for t in tokens[:MAX_TOKENS]]
    feats: Counter[str] = Counter(filter(None, kept))
    feats.update(["~" + t[:5] for t in kept if len(t) > 5])
    feats.update([a + " " + b for a, b in pairwise(kept) if a and b])
    return feats


@pytest.mark.parametrize("n_copies", [1, 20])
def test_feature_order_and_word_count(n_copies):
    toks = document_tokens("Warships join the Black Sea fleet", TEXT * n_copies)
    feats, n_words = count_features(toks)
    assert list(feats.items()) == list(_ordered_features(toks).items())
    keys = list(feats)
    assert all(" " not in k and k[0] != "~" for k in keys[:n_words])
    assert all(" " in k or k[0] == "~" for k in keys[n_words:])


def test_vectorize_is_sublinear_tfidf_l2():
    feats = Counter({"fleet": 3, "navy": 1, "unknown-word": 5})
    vocab = {"navy": 0, "fleet": 1, "goal": 2}
    idf = np.array([2.0, 1.5, 3.0], dtype=np.float32)
    idx, val = vectorize(feats, vocab, idf)
    raw = {1: (1 + math.log(3)) * 1.5, 0: 1.0 * 2.0}
    norm = math.sqrt(sum(v * v for v in raw.values()))
    assert sorted(idx.tolist()) == [0, 1]
    got = dict(zip(idx.tolist(), val.tolist(), strict=True))
    for j, v in raw.items():
        assert got[j] == pytest.approx(v / norm, rel=1e-6)
    lk = lookup(feats, vocab)
    assert lk.index.tolist() == [1, 0, -1]  # unknown features kept, marked -1
    e_idx, e_val = weigh(lookup(Counter({"zzz": 1}), vocab), idf)
    assert e_idx.size == 0 and e_val.size == 0


def test_keywords_same_from_counts_and_lookup():
    toks = document_tokens("Warships join the Black Sea fleet", TEXT)
    feats = feature_counts(toks)
    vocab = {f: i for i, f in enumerate(sorted(feats))}
    idf = np.linspace(1.0, 5.0, len(vocab)).astype(np.float32)
    table = KeywordTable(vocab, idf)
    kws = table.extract(feats, k=6)
    assert kws == table.extract(lookup(feats, vocab), k=6)
    # Knowing where the single words end skips one-off unknown bigrams, nothing else.
    small = {f: i for i, f in enumerate(sorted(f for f in feats if " " not in f))}
    table = KeywordTable(small, np.linspace(1.0, 5.0, len(small)).astype(np.float32))
    counts, n_words = count_features(toks * 3)
    assert table.extract(lookup(counts, small, n_words), k=8) == table.extract(counts, k=8)
    assert len(kws) == 6
    assert not any(k.startswith("~") or "<num>" in k for k in kws)


def test_place_scan_possessive_and_multiword():
    mentions, _cities = load_gazetteer().scan(TEXT)
    got = {(m.surface, m.country) for m in mentions}
    assert ("Russia", "RU") in got  # "Russia's": the possessive is not part of the name
    assert ("New York", "US") in got  # two-token name found through its prefix "new"
    assert ("Azerbaijani", "AZ") in got


def test_entity_tokens_drop_possessive_only():
    toks = _TOKEN_RE.findall("Russia's O'Brien's U.S. rock'n'roll, it's")
    assert toks == ["Russia", "O'Brien", "U.S.", "rock'n'roll", ",", "it"]


def test_entities_from_runs():
    ents = extract_entities(("", "", "", TEXT), {"russia", "baku"}, frozenset({"the", "while"}))
    assert "Sergei Shoigu" in ents.people
    assert "NATO" in ents.organizations


def test_place_scan_same_with_shared_tokens():
    gaz, tokenizer = load_gazetteer(), Tokenizer()
    for text in (TEXT, "Talks in New South Wales, Jordan and Chad Smith's Gaza Strip visit."):
        _words, toks = tokenizer.tokens(text)
        assert toks is not None
        assert gaz.scan(text, toks) == gaz.scan(text)


def _match_reference(m: SubtopicMatcher, tokens: list[str]) -> dict[str, float]:
    """The original matcher: at each start, every window length, longest first."""
    ev: dict[str, float] = {}
    n, nxt = len(tokens), 0
    for i in [i for i, t in enumerate(tokens) if t in m.first_raw]:
        if i < nxt:
            continue
        window = [_SPELLING.get(t, t) for t in tokens[i : i + min(m.max_len, n - i)]]
        for k in range(len(window), 0, -1):
            hit = m.index.get(tuple(window[:k]))
            if hit is not None:
                if hit[0]:
                    ev[hit[0]] = ev.get(hit[0], 0.0) + hit[1]
                nxt = i + k
                break
    return ev


def test_subtopic_matcher_matches_reference():
    m = SubtopicMatcher(load_taxonomy())
    texts = [
        TEXT,
        "The central bank raised interest rates; the defense ministry and the labor union "
        "met soccer clubs about the stock market, foreign exchange market and climate change.",
    ]
    for text in texts:
        toks = document_tokens(None, text)
        assert list(m.match(toks).items()) == list(_match_reference(m, toks).items())
    names = [" ".join(k) for k in list(m.index)[::7]]
    toks = document_tokens(None, " and ".join(names))
    assert list(m.match(toks).items()) == list(_match_reference(m, toks).items())


# Outputs of the entity extractor before the run/surname/token fast paths, pinned.
ENTITY_CASES = [
    (
        (
            "NATO Chiefs Meet In Brussels To Discuss Ukraine",
            "",
            "",
            "Defence Minister Ben Wallace said on Monday that NATO and the EU would act. Wallace added "
            "that the Ministry of Defence of the United Kingdom and Lockheed Martin Corp had signed a "
            "deal. Wallace met John Smith of the Bank of England, and Smith said the Bank of England "
            "would wait.",
        ),
        ["Ben Wallace", "John Smith"],
        [
            "NATO",
            "EU",
            "Ministry of Defence of the United Kingdom",
            "Lockheed Martin Corp",
            "Bank of England",
        ],
    ),
    (
        (
            "Talks in Baku",
            "FIFA BANS RUSSIA FROM WORLD CUP",
            "",
            "Azerbaijani First Deputy Minister of Defense and Chief of the General Staff of the Armed "
            "Forces, Colonel General Najmeddin Sadikov met Valery Gerasimov. Sadikov and Gerasimov "
            "discussed the Armed Forces of the Russian Federation. Colonel General Najmeddin Sadikov met "
            "Valery Gerasimov.",
        ),
        ["Najmeddin Sadikov", "Valery Gerasimov"],
        ["Armed Forces of the Russian Federation"],
    ),
    (
        (
            "",
            "",
            "Mary O'Brien's team at Red Cross",
            "Mary O'Brien, the head of the Red Cross office, told reporters in Geneva that O'Brien and "
            "her deputy Hans van der Berg met the UN. O'Brien said talks with Hamas and the White House "
            "continue; Berg told AFP. OPEC, OPEC and NASA. The Of The Bank.",
        ),
        ["Mary O'Brien", "Hans van der Berg"],
        ["Red Cross", "UN", "OPEC", "NASA", "White House"],
    ),
    (
        (
            "ALL CAPS HEADLINE ABOUT APPLE INC",
            "",
            "",
            "Tim Cook, chief executive of Apple Inc, said. Cook spoke. Cook Cook. January Smith and "
            "Monday Jones met Ms Jane Doe, who said nothing.",
        ),
        ["Tim Cook", "Cook Cook", "Jane Doe"],
        ["Apple Inc"],
    ),
]
PLACE_WORDS = {
    "brussels",
    "baku",
    "azerbaijani",
    "russian",
    "russian federation",
    "federation",
    "geneva",
    "united kingdom",
    "united",
    "kingdom",
    "england",
}
COMMON = frozenset({"the", "and", "while", "talks", "defence", "minister", "team", "head", "all", "about"})


@pytest.mark.parametrize(("texts", "people", "orgs"), ENTITY_CASES)
def test_entities_pinned_and_same_with_shared_tokens(texts, people, orgs):
    ents = extract_entities(texts, PLACE_WORDS, COMMON)
    assert (ents.people, ents.organizations) == (people, orgs)
    tokenizer = Tokenizer()
    shared = [tokenizer.tokens(t)[0] for t in texts]
    again = extract_entities(texts, PLACE_WORDS, COMMON, tokens=shared)
    assert (again.people, again.organizations) == (people, orgs)
