"""The fast tokenizers give exactly the tokens of the reference regexes they replaced.

`wordtokens.Tokenizer` (explicit character classes, chunk-by-chunk regex, place tokens
derived from entity tokens) and `features.tokenize` (byte translation + `str.split`) are
pinned here against the plain regexes, on hand-picked edge cases and on seeded random
strings, so a later change cannot silently move a token boundary.
"""

from __future__ import annotations

import random
import re

import pytest

from services.categorizer.entities import _runs
from services.categorizer.entitywords import CONNECTOR_CASES, CONNECTORS
from services.categorizer.features import tokenize
from services.categorizer.wordtokens import ENTITY_TOKEN_RE, PLACE_TOKEN_RE, Tokenizer

# The definitions the entity and place scans were written against.
ENTITY_REFERENCE = r"((?:[A-Z]\.){2,}|[^\W\d_]+(?:['’](?!s\b)[^\W\d_]+)*|[^\w\s])(?:['’]s\b)?"
PLACE_REFERENCE = r"((?:[A-Z]\.){2,}|[^\W\d_]+(?:['’](?!s\b)[^\W\d_]+)?)(?:['’]s\b)?"
FEATURE_REFERENCE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

EDGE_CASES = [
    "Russia's Defence Minister met NATO's chief in the U.S. and the U.K.'s envoy.",
    "Yahoo!'s deal",  # a mark before a possessive: the entity regex swallows the 's
    "rock'n'roll in Paris",  # two inner apostrophes: one entity token, two place tokens
    "O'Brien's U.S.'s A.B.C.D.'s S.A.'s",
    "’’s x ’s 's it's 'tis l'état d'Ivoire don't-won't",
    "emoji 😀 Baku 𝔘nicode",  # characters above U+FFFF: the category regexes run
    "\ud800 lone surrogate Baku's",
    "x²abc ²B ½ Ⅻ Müller’s Zürich İstanbul K",  # numeric "letters", Kelvin sign
    "tabs\tand\u00a0nbsp\u2028line\x1cseparators",
    "1990's 3.5 billion 12th-century under_score",
    "",
]


def _random_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = list("aZsS'’ .,!-U\n\t_9") + [chr(rng.randrange(0x80, 0x3000)) for _ in range(40)]
    alphabet += ["\U0001d518", "\ud800", "\u00b2"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30))) for _ in range(n)]


def test_reference_patterns_are_pinned():
    assert ENTITY_TOKEN_RE.pattern == ENTITY_REFERENCE
    assert PLACE_TOKEN_RE.pattern == PLACE_REFERENCE


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


@pytest.mark.parametrize("text", EDGE_CASES)
def test_tokens_match_reference_regexes(tokenizer, text):
    words, places = tokenizer.tokens(text)
    assert words == ENTITY_TOKEN_RE.findall(text)
    if places is not None:
        assert places == PLACE_TOKEN_RE.findall(text)


def test_place_tokens_fall_back_in_the_two_risky_shapes(tokenizer):
    for text in ("Yahoo!'s deal", "rock'n'roll in Paris", "emoji 😀 Baku"):
        assert tokenizer.tokens(text)[1] is None
    assert tokenizer.tokens("Russia's U.S. envoy, O'Brien.")[1] == ["Russia", "U.S.", "envoy", "O'Brien"]


def test_tokens_match_reference_on_random_text(tokenizer):
    derived = 0
    for text in _random_texts(4000, seed=7):
        words, places = tokenizer.tokens(text)
        assert words == ENTITY_TOKEN_RE.findall(text), repr(text)
        if places is not None:
            derived += 1
            assert places == PLACE_TOKEN_RE.findall(text), repr(text)
    assert derived > 1000  # the derivation is the common case, not the fallback


@pytest.mark.parametrize("text", EDGE_CASES)
def test_feature_tokens_match_reference(text):
    assert tokenize(text) == FEATURE_REFERENCE.findall(text.lower())


def test_feature_tokens_match_reference_on_random_text():
    for text in _random_texts(4000, seed=11):
        assert tokenize(text) == FEATURE_REFERENCE.findall(text.lower()), repr(text)


def _runs_reference(tokens: list[str]) -> list[tuple[int, int]]:
    """The original loop: capitalised runs, connectors joining two capitalised words."""
    n, done, out = len(tokens), 0, []
    for i in [i for i, t in enumerate(tokens) if t[0].isupper()]:
        if i < done:
            continue
        j = i + 1
        while j < n:
            if tokens[j][0].isupper():
                j += 1
            elif tokens[j].lower() in CONNECTORS:
                k = j
                while k < n and tokens[k].lower() in CONNECTORS:
                    k += 1
                if k < n and tokens[k][0].isupper():
                    j = k + 1
                else:
                    break
            else:
                break
        done = j
        if j - i >= 2:
            out.append((i, j))
    return out


def test_runs_match_reference_loop():
    rng = random.Random(3)
    words = ["Bank", "of", "The", "OF", "the", "and", "Van", "der", "x", "Smith", ",", "Al", "oF", "Kelvin"]
    for _ in range(3000):
        toks = [rng.choice(words) for _ in range(rng.randrange(1, 14))]
        assert _runs(toks, [t[0].isupper() for t in toks]) == _runs_reference(toks), toks


def test_connector_case_variants_are_exact():
    rng = random.Random(5)
    for word in CONNECTORS:
        for _ in range(5):
            variant = "".join(c.upper() if rng.random() < 0.5 else c for c in word)
            assert variant in CONNECTOR_CASES
    # Besides ASCII letters only U+212A (Kelvin) and U+0130 lower-case to something with
    # ASCII in it, and neither can spell a connector.
    odd = [c for c in map(chr, range(0x80, 0x110000)) if any(ch.isascii() for ch in c.lower())]
    assert odd == ["\u0130", "\u212a"]
    assert not any("k" in w or "i\u0307" in w for w in CONNECTORS)
