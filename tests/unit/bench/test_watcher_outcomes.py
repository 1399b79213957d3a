"""Where the bench says an article ended up, from the output topic and record."""

from __future__ import annotations

from tests.bench.watcher import Watcher, behind, chain, outcome_of, outcomes, sink_caught_up


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


def test_the_sink_is_caught_up_only_when_it_consumed_what_was_seen_since_the_start() -> None:
    assert not sink_caught_up(None, 0.0, 0)  # no scrape of the sink yet
    assert sink_caught_up(500.0, 500.0, 0)
    assert not sink_caught_up(900.0, 500.0, 1000)  # a pause mid-backlog is not idle
    assert sink_caught_up(1500.0, 500.0, 1000)


def test_a_transactional_topic_is_caught_up_one_short_of_its_end() -> None:
    """The last offset of a partition the deduper wrote is its commit marker."""
    assert behind(102, 101, "news.articles") == 0
    assert behind(102, 100, "news.articles") == 1  # one record (and its marker) to go
    assert behind(0, 0, "news.articles") == 0  # never written
    assert behind(102, 101, "newsflow-sink-views") == 1  # no markers on the sink's own topics
