"""Fingerprints: what counts as the same text, and keys that never drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.deduper.chrome import strip_chrome
from services.deduper.exceptions import BadParams
from services.deduper.fingerprint import (
    band_keys,
    content_hash,
    fingerprint,
    normalize_body,
    token_ids,
)
from services.deduper.params import DedupeParams
from tests.unit.deduper.deduper_helpers import MARKETS, article, heavy_chrome, seed_body


def test_house_style_and_reflow_normalize_away() -> None:
    a = 'The U.S. economy grew 2.5 per cent in 2023, "officials" said -- 1,000 jobs.'
    b = "The US economy\ngrew 2.5% in 2023,\n\u201cofficials\u201d said \u2014 1000 jobs."
    c = "THE U.S. ECONOMY GREW 2.5 PCT IN 2023, \u2018OFFICIALS\u2019 SAID - 1,000 JOBS."
    assert normalize_body(a) == normalize_body(b) == normalize_body(c)
    assert normalize_body(a) == "the us economy grew 25 % in 2023 officials said 1000 jobs"


def test_paragraph_breaks_do_not_matter() -> None:
    body = seed_body()
    assert normalize_body(body) == normalize_body(body.replace("\n\n", "\n"))
    assert normalize_body(body) == normalize_body(body.replace("\n\n", " "))


def test_residual_chrome_is_cut() -> None:
    assert normalize_body(heavy_chrome(MARKETS)) == normalize_body(MARKETS)
    kept = strip_chrome(
        [
            "Home | World | Business | Markets",
            "By Jane Doe | May 2, 2024",
            "Follow us on Twitter",
            "Share this article",
            "Oil rose.",
            "Most read",
            "Tech shares slide after weak chip forecast",
            "By midday prices had recovered.",
        ]
    )
    assert kept == ["Oil rose.", "By midday prices had recovered."]


def test_repeated_headline_and_flattened_share_bar_are_cut() -> None:
    title = "Magma Lowers Copper Price"
    body = "Magma Lowers Copper Price Share on Facebook | Share on Twitter | Email Magma Copper Co said"
    assert normalize_body(body, title) == "magma copper co said"


def test_fingerprint_ignores_everything_but_the_body() -> None:
    a = article("a", MARKETS, url="https://one.example/a", title="Oil up | One", source="One")
    b = article("b", MARKETS, url="https://two.example/b", title="Oil rises", source="Two")
    fa, fb = fingerprint(a), fingerprint(b)
    assert fa.content_hash == fb.content_hash
    assert band_keys(fa.sketch) == band_keys(fb.sketch)


def test_keys_are_stable_across_processes_and_releases() -> None:
    """Stored keys must match on every worker and after upgrades: pinned values."""
    assert content_hash(normalize_body("The U.S. economy grew 2.5 per cent.")) == "1575c6dfd164dd8d"
    assert int(token_ids(["economy"])[0]) == 4671747305899902033
    keys = band_keys(fingerprint(article("s", seed_body())).sketch)
    assert keys[:2] == ["b1:0:dce66a8e0a711b96", "b1:1:78f20c4747b8da19"]
    code = (
        "from services.deduper.fingerprint import fingerprint, band_keys;"
        "from tests.unit.deduper.deduper_helpers import article, seed_body;"
        "print(band_keys(fingerprint(article('s', seed_body())).sketch)[0])"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345"},
        cwd=Path(__file__).parents[3],
    )
    assert other.stdout.strip() == keys[0]


def test_key_counts_and_layout() -> None:
    params = DedupeParams()
    fp = fingerprint(article("s", seed_body()))
    keys = band_keys(fp.sketch, params)
    assert len(keys) == params.bands + params.lead_bands + 2  # + prefixes of 12 and 24 words
    assert len(set(keys)) == len(keys)
    short = fingerprint(article("t", "Too short to have a 24-word prefix at all."))
    assert len(band_keys(short.sketch, params)) == params.bands + params.lead_bands


def test_params_that_cannot_work_are_refused() -> None:
    with pytest.raises(BadParams):
        DedupeParams(bands=30, rows=5)
    with pytest.raises(BadParams):
        DedupeParams(sig_bits=4)
