"""The offline commands: one JSON line per input, in input order, DLQ lines for failures.

They call the same functions as the stream apps, so their output validates against the
same schemas.
"""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import orjson
import pytest

from services.core import schemas
from services.core.cli import main

FIXTURES = Path(__file__).parents[2] / "fixtures"
SEED = FIXTURES / "seed-article.txt"
PAGE = sorted((FIXTURES / "e2e" / "fundus").glob("*.html.gz"))[0]


def run(
    argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None
) -> tuple[int, list[dict]]:
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
    try:
        code = main(argv)
    finally:
        sys.stdin = sys.__stdin__
    lines = [orjson.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    return code, lines


def test_normalize_then_categorize_dedupe_related(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("   ")
    code, normalized = run(["normalize", str(SEED), str(PAGE), str(empty)], capsys)
    assert code == 1  # one input failed
    assert len(normalized) == 3
    assert normalized[0]["title"].startswith("Chiefs of General Staffs")
    assert normalized[1]["extraction"]["format"] == "html"
    assert normalized[2]["stage"] == "normalizer"  # the failure, on its own line, in order
    schemas.validate("dlq_record", normalized[2])
    articles = tmp_path / "articles.jsonl"
    articles.write_bytes(b"\n".join(orjson.dumps(a) for a in normalized[:2]) + b"\n")

    code, categorized = run(["categorize", str(articles)], capsys)
    assert code == 0 and [a["id"] for a in categorized] == [a["id"] for a in normalized[:2]]
    assert "AZ" in categorized[0]["countries"] and categorized[0]["topics"]
    for article in categorized:
        schemas.validate("article", article)

    twice = tmp_path / "twice.jsonl"
    twice.write_bytes(b"\n".join(orjson.dumps(a) for a in [*categorized, categorized[0]]) + b"\n")
    code, deduped = run(["dedupe", str(twice)], capsys)
    assert [a["dedupe"]["status"] for a in deduped] == ["unique", "unique", "duplicate"]
    assert deduped[2]["dedupe"]["duplicate_of"] == deduped[0]["id"]

    code, related = run(["related", "--top", "3", str(articles)], capsys)
    assert [r["id"] for r in related] == [a["id"] for a in normalized[:2]]
    assert all(set(r) == {"id", "related"} for r in related)


def test_process_runs_all_three_stages_and_reads_gzip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.html.gz"
    page.write_bytes(PAGE.read_bytes())
    assert gzip.decompress(page.read_bytes())
    code, out = run(["process", str(SEED), str(page)], capsys)
    assert code == 0 and len(out) == 2
    assert all(a["dedupe"]["status"] == "unique" and a["topics"] is not None for a in out)


def test_process_with_views_writes_the_latest_views_and_related_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = sorted((FIXTURES / "e2e" / "fundus").glob("*.html.gz"))[:6]
    copy = tmp_path / "copy.txt"
    copy.write_text(SEED.read_text())
    views_file = tmp_path / "views.jsonl"
    code, out = run(["process", "--views", str(views_file), str(SEED), *map(str, pages), str(copy)], capsys)
    assert code == 0 and len(out) == 8
    listed = [a["id"] for a in out if a["dedupe"]["status"] != "duplicate"]
    assert out[-1]["dedupe"]["status"] == "duplicate" and len(listed) == 7  # the copy is not listed
    lines = [orjson.loads(line) for line in views_file.read_text().splitlines()]
    latest = {v["view"]: v for v in lines if "view" in v}
    related = {r["id"]: r for r in lines if "view" not in r}
    for view in latest.values():
        schemas.validate("latest", view)
    for item in related.values():
        schemas.validate("related", item)
    # every article the deduper let through, and only those, in the overall view
    assert sorted(a["id"] for a in latest["all"]["articles"]) == sorted(listed)
    assert {f"source:{a['source']['name'].strip().lower()}" for a in out if a["source"]["name"]} <= set(
        latest
    )
    assert set(related) <= set(listed) and related  # lists only for listed articles


def test_normalize_reads_stdin(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["normalize", "--format", "text", "-"], capsys, stdin=SEED.read_text())
    assert code == 0 and out[0]["dateline"]["country"] == "AZ"
