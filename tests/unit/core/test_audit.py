"""Audit reconciliation: missing, doubled and DLQ records matched by raw position."""

from services.core.audit import Seen, reconcile


def test_clean_when_every_accepted_id_came_out_once() -> None:
    report = reconcile(
        [("a", ("news.raw", 0, 0)), ("b", ("news.raw", 0, 1)), ("c", ("news.raw", 1, 0))],
        [Seen("news.articles", "a"), Seen("news.duplicates", "b"), Seen("news.dlq", "c")],
    )
    assert report.clean
    assert report.outcomes == {"news.articles": 1, "news.duplicates": 1, "news.dlq": 1}


def test_missing_and_doubled_are_named() -> None:
    report = reconcile(
        [("a", ("news.raw", 0, 0)), ("b", ("news.raw", 0, 1))],
        [Seen("news.articles", "a"), Seen("news.duplicates", "a"), Seen("news.articles", "zzz")],
    )
    assert report.missing == ["b"]
    assert report.doubled == {"a": 2}
    assert report.unknown == 1
    assert not report.clean
    assert "NOT CLEAN" in report.format()


def test_raw_record_without_ingest_id_is_matched_by_position_in_the_dlq() -> None:
    report = reconcile([(None, ("news.raw", 2, 7))], [Seen("news.dlq", None, origin=("news.raw", 2, 7))])
    assert report.clean and report.outcomes["news.dlq"] == 1
