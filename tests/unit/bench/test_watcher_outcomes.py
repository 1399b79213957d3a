"""Where the bench says an article ended up, from the output topic and record."""

from __future__ import annotations

from tests.bench.watcher import Watcher, chain, outcome_of, outcomes


def test_outcome_names_the_topic_or_the_dlq_stage_and_reason() -> None:
    assert outcome_of("news.articles", {"id": "a"}) == "articles"
    assert outcome_of("news.duplicates", {"id": "a"}) == "duplicates"
    dlq = {"stage": "sink", "error": {"type": "PartitionsMismatch", "message": "..."}}
    assert outcome_of("news.dlq", dlq) == "dlq sink PartitionsMismatch"


def test_outcomes_counts_and_marks_what_is_not_out_yet() -> None:
    watcher = Watcher("unused:9092")
    watcher.outcome = {"i1": "articles", "i2": "articles", "i3": "dlq normalizer Empty"}
    assert outcomes(watcher, ["i1", "i2", "i3", "i4"]) == {
        "articles": 2,
        "dlq normalizer Empty": 1,
        "pending": 1,
    }


def test_a_later_sink_failure_is_appended_once() -> None:
    first = chain(None, "articles")
    assert first == "articles"
    failed = chain(first, "dlq sink PartitionsMismatch")
    assert failed == "articles -> dlq sink PartitionsMismatch"
    assert chain(failed, "dlq sink PartitionsMismatch") == failed  # a redelivered record
    assert chain("articles", "articles") == "articles"
