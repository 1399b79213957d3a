"""evaluate_extraction / format_report on a one-page corpus laid out like fundus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from services.normalizer.evaluate import (
    author_f1,
    evaluate_extraction,
    format_report,
    iter_corpus,
    token_f1,
)
from tests.unit.normalizer.normalizer_helpers import FIXTURES

FUNDUS = FIXTURES / "normalizer" / "fundus"


def _corpus(tmp_path: Path) -> Path:
    expected = json.loads((FUNDUS / "expected.json").read_text("utf-8"))
    name = "us/APNews_2023_04_28.html.gz"
    e = expected[name]
    country = tmp_path / "fundus" / "us"
    country.mkdir(parents=True)
    shutil.copy(FUNDUS / name, country / "APNews_2023_04_28.html.gz")
    paragraphs = e["body"].split("\n\n")
    fields = {
        "title": e["title"],
        "authors": e["authors"],
        "publishing_date": f"{e['day']} 12:00:00+00:00",
        "body": {"summary": [], "sections": [{"headline": [], "paragraphs": paragraphs}]},
    }
    (country / "APNews.json").write_text(json.dumps({"V1": fields}))
    (country / "meta.info").write_text(json.dumps({"APNews_2023_04_28.html.gz": {"url": e["url"]}}))
    return tmp_path / "fundus"


def test_metrics() -> None:
    assert token_f1("a b c", "a b c") == 1.0
    assert token_f1("", "") == 1.0 and token_f1("a", "") == 0.0
    assert round(token_f1("a b", "a c"), 3) == 0.5
    assert token_f1("東京", "東京都") == 0.8
    assert author_f1(["Jane Doe"], ["jane  doe"]) == 1.0
    assert author_f1([], []) == 1.0 and author_f1(["x"], []) == 0.0


def test_iter_corpus_pairs_versions_with_pages(tmp_path: Path) -> None:
    (page,) = list(iter_corpus(_corpus(tmp_path)))
    assert page.key == "us/APNews/V1"
    assert page.url and page.title and page.body


def test_evaluate_and_report(tmp_path: Path) -> None:
    report = evaluate_extraction(_corpus(tmp_path), limit=1)
    assert report["pages"] == 1
    for name in ("newsflow", "trafilatura"):
        assert set(report[name]) >= {"body_f1", "title_exact", "date_day", "author_f1", "pages_per_s"}
    assert report["newsflow"]["body_f1"] > 0.9
    assert report["text_dumps"]["seed_dumps_per_s"] > 0
    text = format_report(report)
    assert "body_f1" in text and "trafilatura" in text and "seed_dumps_per_s" in text
