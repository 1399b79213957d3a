"""A small fixed run of `newsflow eval dedupe`, and the offline `newsflow dedupe FILE`.

The fixture is 160 real Reuters-21578 records (see tests/fixtures/deduper/NOTICE.md).
Thresholds sit a little under the measured figures (recall 1.00, precision 1.00, FPR 0
on this fixture with the fallback path) so a regression shows, noise does not.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from services.deduper.corpus import VARIANT_KINDS, build_stream, load_reuters
from services.deduper.evaluate import evaluate_dedupe, format_report, load_normalizer
from services.deduper.exceptions import CorpusError, DeduperError
from services.deduper.offline import dedupe_file, read_articles
from tests.unit.deduper.deduper_helpers import DEDUPER_FIXTURES, MARKETS, article, later


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    return evaluate_dedupe(DEDUPER_FIXTURES, normalize=False, pairs=400, echo=False, timing_runs=1)


def test_recall_on_near_duplicate_variants(report: dict) -> None:  # type: ignore[type-arg]
    assert report["near_recall"] >= 0.97
    for kind in (*VARIANT_KINDS, "exact", "reingest", "update"):
        row = report["recall"][kind]
        assert row["n"] >= 2, kind
        assert row["recall"] >= 0.9, (kind, row)


def test_precision_and_false_positives(report: dict) -> None:  # type: ignore[type-arg]
    for kind, row in report["precision"].items():
        assert row["precision"] >= 0.97, (kind, row)
    for kind, row in report["negatives"].items():
        assert row["n"] >= 10 and row["fpr"] <= 0.01, (kind, row)
    pairs = report["same_topic_pairs"]
    assert pairs["pairs"] >= 300 and pairs["fpr"] <= 0.005
    assert report["stories"]["duplicates_with_story"] == 1.0


def test_report_prints_every_figure(report: dict) -> None:  # type: ignore[type-arg]
    text = format_report(report)
    for needle in (
        "recall by variant",
        "truncated",
        "precision by verdict",
        "same_chrome",
        "same_topic_pairs",
        "articles/s per worker",
        "store at end",
    ):
        assert needle in text
    assert report["articles_per_s"] > 0


def test_stream_is_deterministic_and_labelled() -> None:
    bases = load_reuters(DEDUPER_FIXTURES, limit=60)
    first, second = build_stream(bases), build_stream(bases)
    assert [(i.kind, i.id, i.body) for i in first] == [(i.kind, i.id, i.body) for i in second]
    assert [i.time for i in first] == sorted(i.time for i in first)
    heavy = [i.page for i in first if i.kind == "same_chrome"]
    assert heavy and all("Most read" in page for page in heavy)


def test_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError):
        evaluate_dedupe(tmp_path, echo=False)


def test_normalizer_path_when_it_is_importable() -> None:
    """Runs pages through the real normalizer; it is developed in parallel, so only a
    loose bound: its extraction, not the deduper, limits recall here."""
    normalize, _ = load_normalizer()
    if normalize is None:
        pytest.skip("services.normalizer.pipeline.normalize not importable yet")
    report = evaluate_dedupe(DEDUPER_FIXTURES, limit=40, pairs=0, echo=False)
    assert report["articles"] >= 40
    assert report["near_recall"] >= 0.7
    assert report["negatives"]["same_chrome"]["fpr"] <= 0.05
    # both figures, side by side: through the normalizer (the stream path) and raw text
    assert report["raw"]["near_recall"] >= 0.9
    text = format_report(report)
    assert "through normalizer" in text and "raw text" in text


def test_offline_file_gives_stream_verdicts(tmp_path: Path) -> None:
    items = [
        article("a", MARKETS, url="https://wire.example/a", at=later(minutes=1)),
        article("b", MARKETS, url="https://other.example/b", at=later(minutes=2)),
        article("a", MARKETS, url="https://wire.example/a", at=later(minutes=3)),
    ]
    path = tmp_path / "articles.jsonl"
    path.write_bytes(b"\n".join(msgspec.json.encode(a) for a in items))
    verdicts = [a.dedupe for a in dedupe_file(path)]
    assert [(v.status, v.kind) for v in verdicts if v] == [
        ("unique", None),
        ("duplicate", "exact"),
        ("duplicate", "reingest"),
    ]
    array = tmp_path / "articles.json"
    array.write_bytes(msgspec.json.encode(items))
    assert read_articles(array) == items
    single = tmp_path / "one.json"
    single.write_bytes(msgspec.json.encode(items[0]))
    assert read_articles(single) == [items[0]]


def test_offline_bad_line_names_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(msgspec.json.encode(article("a", MARKETS)).decode() + "\n{nope}\n")
    with pytest.raises(DeduperError, match=":2:"):
        read_articles(path)


def test_command_entry_points(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from services.deduper import evaluate, offline

    path = tmp_path / "one.jsonl"
    path.write_bytes(msgspec.json.encode(article("a", MARKETS)) + b"\n")
    assert offline.main([str(path)]) == 0
    line = capsys.readouterr().out.strip()
    assert '"status":"unique"' in line
    assert offline.main([]) == 2
    assert evaluate.main(["--corpus", str(DEDUPER_FIXTURES), "--limit", "30", "--json"]) == 0
    assert '"near_recall"' in capsys.readouterr().out
