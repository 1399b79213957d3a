"""Quality regression on a fixed subset of real pages (fundus, MIT; 14 publishers, 12
languages). Thresholds sit slightly below what the extractor measured when they were set
(body F1 0.970, title 10/14, day 14/14, author F1 0.64), so quality cannot slide silently.
This asserts quality only, never timing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from services.normalizer.evaluate import (
    CorpusPage,
    Result,
    _norm,
    author_f1,
    decode_html,
    run_newsflow,
    token_f1,
)
from tests.unit.normalizer.normalizer_helpers import FIXTURES

FUNDUS = FIXTURES / "normalizer" / "fundus"
EXPECTED: dict[str, dict] = json.loads((FUNDUS / "expected.json").read_text("utf-8"))


def _page(name: str) -> CorpusPage:
    e = EXPECTED[name]
    html = decode_html(gzip.decompress((FUNDUS / name).read_bytes()))
    return CorpusPage(
        key=name,
        path=Path(name),
        url=e["url"],
        html=html,
        title=e["title"],
        body=e["body"],
        authors=e["authors"],
        day=e["day"],
    )


@pytest.fixture(scope="module")
def results() -> list[tuple[CorpusPage, Result]]:
    pages = [_page(name) for name in sorted(EXPECTED)]
    return [(p, run_newsflow(p)) for p in pages]


def test_fixture_is_small_and_licensed() -> None:
    size = sum(p.stat().st_size for p in FUNDUS.rglob("*") if p.is_file())
    assert size < 2_000_000
    assert (FUNDUS / "LICENSE").read_text().startswith("MIT License")
    assert len(EXPECTED) >= 12


def test_body_f1(results: list[tuple[CorpusPage, Result]]) -> None:
    scores = {p.key: token_f1(r.body, p.body) for p, r in results}
    assert sum(scores.values()) / len(scores) >= 0.95, scores
    assert min(scores.values()) >= 0.80, scores


def test_title_exact(results: list[tuple[CorpusPage, Result]]) -> None:
    hits = sum(_norm(r.title) == _norm(p.title) for p, r in results)
    assert hits >= 10


def test_publication_day(results: list[tuple[CorpusPage, Result]]) -> None:
    hits = sum(r.day == p.day for p, r in results)
    assert hits >= 13


def test_authors(results: list[tuple[CorpusPage, Result]]) -> None:
    mean = sum(author_f1(r.authors, p.authors) for p, r in results) / len(results)
    assert mean >= 0.60
