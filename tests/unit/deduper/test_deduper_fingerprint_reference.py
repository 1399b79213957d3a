"""The vectorised fingerprint helpers against straightforward reference implementations.

Every stored key and signature depends on these values, so each fast path (strided
matrix products, in-place permutation passes, cached token entries, rewritten regexes)
is pinned to the plain per-item computation it replaces, on varied inputs.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter

import numpy as np
import pytest

from services.deduper import fingerprint as fpm
from services.deduper.fingerprint import (
    Sketch,
    band_keys,
    body_sketch,
    content_terms,
    minhash,
    salient_names,
    shingle_hashes,
    token_ids,
    token_table,
)
from services.deduper.params import DedupeParams
from tests.unit.deduper.deduper_helpers import FLOODS, MARKETS, SCHOOLS, article, heavy_chrome, seed_body

MASK = (1 << 64) - 1
WORDS = [
    "oil",
    "prices",
    "rose",
    "the",
    "u.s.",
    "pct",
    "on",
    "tuesday",
    "1000",
    "a",
    "of",
    "ab",
    "abc",
    "2023",
    "opec",
    "helen",
    "marsh",
]


def _random_words(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(WORDS) + (str(rng.randrange(50)) if rng.random() < 0.3 else "") for _ in range(n)]


def _random_hashes(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True)


# --- references: plain Python ints, one item at a time --------------------------------


def ref_id(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")


def ref_mix(x: int) -> int:
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def ref_shingles(toks: list[str], k: int) -> list[int]:
    if not toks:
        return []
    ids = [ref_id(t) for t in toks]
    order = [int(o) for o in fpm._ORDER]
    k = min(k, len(ids))
    return [ref_mix(sum(ids[i + j] * order[j] for j in range(k)) & MASK) for i in range(len(ids) - k + 1)]


def ref_permuted(hashes: list[int], num_perm: int, seed: int) -> list[list[int]]:
    a, b = fpm._perms(num_perm, seed)
    return [[((int(a[p, 0]) * h + int(b[p, 0])) & MASK) >> 32 for h in hashes] for p in range(num_perm)]


def ref_body_sketch(hashes: list[int], num_perm: int, lead: int, lead_perm: int) -> tuple[list[int], ...]:
    if not hashes:
        return [2**32 - 1] * num_perm, [0] * num_perm, [2**32 - 1] * min(lead_perm, num_perm)
    rows = ref_permuted(hashes, num_perm, 1)
    sig = [min(row) for row in rows]
    positions = [row.index(m) for row, m in zip(rows, sig, strict=True)]  # first occurrence
    return sig, positions, [min(row[: min(lead, 4096)]) for row in rows[:lead_perm]]


def ref_band_keys(sketch: Sketch, p: DedupeParams) -> list[str]:
    """The original per-kind loop with one f-string per band."""
    order = [int(o) for o in fpm._ORDER]
    keys = []
    for prefix, sig, bands, rows in (
        ("b", sketch.sig, p.bands, p.rows),
        ("l", sketch.lead, p.lead_bands, p.lead_rows),
    ):
        for i in range(bands):
            block = [int(v) for v in sig[i * rows : (i + 1) * rows]]
            digest = ref_mix((sum(v * o for v, o in zip(block, order, strict=False)) + order[rows]) & MASK)
            keys.append(f"{prefix}{p.layout_version}:{i}:{digest:016x}")
    return keys + [f"p{p.layout_version}:{h}" for h in sketch.prefixes]


_REF_NAME = re.compile(r"\b([A-Z][a-z][\w-]*(?:\s+[A-Z][a-z][\w-]*){0,3})(?:'s?)?")
_REF_MID = frozenset("abcdefghijklmnopqrstuvwxyz0123456789,;:")


def ref_found_names(body: str) -> list[tuple[str, bool]]:
    return [(m.group(1), m.start() > 1 and body[m.start() - 2] in _REF_MID) for m in _REF_NAME.finditer(body)]


# --- tests -------------------------------------------------------------------------------


def test_token_ids_and_content_flags_match_blake2b_and_the_rule() -> None:
    toks = [*WORDS, "économie", "²", "123", "12a", "mr", "ltd", "", "economy", "economy"]
    ids, content = token_table(toks)
    assert ids.dtype == np.uint64 and ids.flags.c_contiguous
    assert [int(i) for i in ids] == [ref_id(t) for t in toks]
    assert list(content) == [t not in fpm._STOP and len(t) > 2 and not t.isdigit() for t in toks]
    assert (token_ids(toks) == ids).all()
    assert token_ids([]).shape == (0,) and token_ids([]).dtype == np.uint64


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 17, 300])
@pytest.mark.parametrize("k", [1, 3, 4, 7])
def test_shingle_hashes_match_per_window_sum(n: int, k: int) -> None:
    toks = _random_words(random.Random(n * 31 + k), n)
    got = shingle_hashes(toks, k)
    assert got.dtype == np.uint64
    assert [int(h) for h in got] == ref_shingles(toks, k)


def test_mix_leaves_its_input_alone() -> None:
    x = _random_hashes(7, 50)
    before = x.copy()
    assert [int(v) for v in fpm._mix(x)] == [ref_mix(int(v)) for v in before]
    assert (x == before).all()


@pytest.mark.parametrize(
    ("n", "num_perm", "lead", "lead_perm"),
    [
        (0, 16, 45, 8),
        (1, 16, 45, 8),
        (7, 128, 45, 32),
        (60, 128, 45, 32),
        (300, 32, 5000, 8),
        (5000, 4, 45, 2),
    ],
)
def test_body_sketch_matches_per_permutation_minimum(
    n: int, num_perm: int, lead: int, lead_perm: int
) -> None:
    hashes = _random_hashes(n, n)
    sig, pos, lead_sig = body_sketch(hashes, num_perm, lead, lead_perm)
    ref_sig, ref_pos, ref_lead = ref_body_sketch([int(h) for h in hashes], num_perm, lead, lead_perm)
    assert (sig.dtype, pos.dtype, lead_sig.dtype) == (np.uint32, np.int64, np.uint32)
    assert sig.tolist() == ref_sig and pos.tolist() == ref_pos and lead_sig.tolist() == ref_lead


def test_body_sketch_keeps_the_first_minimum_across_chunks() -> None:
    """A text repeated past the 4096-shingle chunk: every minimum is in the first copy."""
    once = _random_hashes(3, 3000)
    sig, pos, _ = body_sketch(np.concatenate([once, once, once]), 8, 45, 4)
    ref_sig, ref_pos, _ = ref_body_sketch([int(h) for h in once], 8, 45, 4)
    assert sig.tolist() == ref_sig and pos.tolist() == ref_pos


@pytest.mark.parametrize("n", [0, 1, 40, 4097])
def test_minhash_matches_per_permutation_minimum(n: int) -> None:
    hashes = _random_hashes(100 + n, n)
    got = minhash(hashes, 8, 3)
    expected = [min(row) for row in ref_permuted([int(h) for h in hashes], 8, 3)] if n else [2**32 - 1] * 8
    assert got.dtype == np.uint32 and got.tolist() == expected


def test_terms_over_all_occurrences_equal_terms_over_distinct_words() -> None:
    toks = _random_words(random.Random(5), 400)
    words = {t for t in toks if t not in fpm._STOP and len(t) > 2 and not t.isdigit()}
    assert sorted(int(i) for i in content_terms(toks)) == sorted({ref_id(w) for w in words})
    ids, content = token_table(toks)
    assert (minhash(ids[content], 32, 3) == minhash(content_terms(toks), 32, 3)).all()


@pytest.mark.parametrize(
    "params",
    [DedupeParams(), DedupeParams(num_perm=64, bands=8, rows=4, lead_perm=16, lead_bands=2, lead_rows=7)],
)
def test_band_keys_match_per_band_digests(params: DedupeParams) -> None:
    for body in (seed_body(), MARKETS, "a b c d e f", ""):
        sketch = fpm.fingerprint(article("x", body), params).sketch
        assert band_keys(sketch, params) == ref_band_keys(sketch, params)
    rng = np.random.default_rng(9)
    sig = rng.integers(0, 2**32, params.num_perm, dtype=np.uint32)
    lead = rng.integers(0, 2**32, params.lead_perm, dtype=np.uint32)
    sketch = Sketch(sig=sig, lead=lead, prefixes=("12:abc",))
    assert band_keys(sketch, params) == ref_band_keys(sketch, params)


NAME_TEXTS = [
    seed_body(),
    MARKETS,
    FLOODS,
    SCHOOLS,
    heavy_chrome(MARKETS),
    "Ab",
    "Xy Zz",
    " Ab Cd",
    "a Ab",
    "aa Ab's Cd-Ef Gh Ij Kl, Mn Op; Qr",
    "ABc Def xAb Cd 1 Ef\nGh, Ij:Kl;\tMn Op\u00e9s Q\u00e9bec",
    "Monday said Ankara. Then Ankara said Monday, Ankara and Paris's Louvre",
    "_Ab Cd 9Ef \u00c9cole Paris-Nord",
]


@pytest.mark.parametrize("body", NAME_TEXTS)
def test_name_pattern_finds_what_the_plain_pattern_finds(body: str) -> None:
    assert [(name, bool(mid)) for name, mid in fpm._NAME.findall(body)] == ref_found_names(body)


@pytest.mark.parametrize("body", NAME_TEXTS)
def test_salient_names_rank_like_the_reference(body: str) -> None:
    found = [(name.casefold(), mid) for name, mid in ref_found_names(body)]
    inside = {name for name, mid in found if mid} - fpm._CALENDAR
    counts = Counter(name for name, _ in found if name in inside)
    expected = tuple(sorted(counts, key=lambda n: (-counts[n], n))[:8])
    assert salient_names(article("n", body), 8) == expected


@pytest.mark.parametrize(
    "text",
    [
        "per cent",
        "xper cent",
        "per\ncent pct",
        "pct",
        "apct",
        "5 pct",
        "per  cent%",
        "per centx",
        "(pct)",
        "éper cent",
    ],
)
def test_percent_pattern_matches_the_plain_pattern(text: str) -> None:
    assert fpm._PERCENT.sub(" % ", text) == re.sub(r"\b(?:per\s*cent|pct)\b", " % ", text)


@pytest.mark.parametrize(
    ("body", "head"),
    [
        (
            "Magma Lowers Copper Price Share on Facebook | Share on Twitter | Email Magma Copper Co said",
            "magma lowers copper price",
        ),
        ("Share this article Print Oil rose sharply", None),
        ("Oil rose", "oil rose"),
        ("Oil rose sharply", "oil"),
        ("Oilrose sharply", "oil"),
        ("share share", None),
        ("", None),
    ],
)
def test_tokens_of_a_stripped_lead_are_its_split(body: str, head: str | None) -> None:
    text, words = fpm._words(body, head)
    assert words == text.split()
