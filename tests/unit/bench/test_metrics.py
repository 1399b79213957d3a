"""Per-stage counts from Prometheus text and the busy-rate arithmetic of the bench."""

from __future__ import annotations

from tests.bench.metrics import StageRate, busy_rate, parse_metrics, stage_counts

PAGE = """\
# HELP newsflow_messages_in_total Messages consumed, per stage and topic.
# TYPE newsflow_messages_in_total counter
newsflow_messages_in_total{stage="categorizer",topic="news.normalized"} 120.0
newsflow_messages_in_total{stage="categorizer",topic="news.other"} 3.0
newsflow_messages_in_total{stage="deduper",topic="newsflow-deduper-index"} 900.0
newsflow_messages_in_total{stage="deduper",topic="news.categorized"} 300.0
newsflow_messages_in_created{stage="categorizer",topic="news.normalized"} 1.7e+09
newsflow_ingest_accepted_total{source="api"} 40.0
newsflow_ingest_accepted_total{source="backfill"} 2.0
newsflow_processing_seconds_bucket{le="+Inf",stage="categorizer"} 123.0
newsflow_service_info{service="a \\"quoted\\" name",version="1"} 1.0
not a metric line
"""


def test_parse_metrics_reads_names_labels_and_values() -> None:
    samples = parse_metrics(PAGE)
    assert len(samples) == 9  # comments and the garbage line skipped
    first = samples[0]
    assert first.name == "newsflow_messages_in_total"
    assert first.labels == {"stage": "categorizer", "topic": "news.normalized"}
    assert first.value == 120.0
    assert samples[4].value == 1.7e9
    assert samples[-1].labels["service"] == 'a \\"quoted\\" name'


def test_stage_counts_sums_contract_topics_and_maps_accepted_to_ingest() -> None:
    # the deduper's internal repartition topic is not counted: 300 articles, not 1200
    assert stage_counts(PAGE) == {"categorizer": 123.0, "deduper": 300.0, "ingest": 42.0}
    assert stage_counts("") == {}


def test_busy_rate_divides_by_the_time_until_the_counter_settled() -> None:
    series = [(9.0, 100.0), (10.0, 100.0), (11.0, 150.0), (12.0, 300.0), (13.0, 300.0), (14.0, 300.0)]
    rate = busy_rate(series, start=10.0)
    assert rate == StageRate(messages=200, seconds=2.0)
    assert rate.per_s == 100.0
    assert rate.as_dict() == {"messages": 200, "seconds": 2.0, "per_s": 100.0}


def test_busy_rate_of_an_idle_stage_is_zero() -> None:
    assert busy_rate([(1.0, 5.0), (2.0, 5.0), (3.0, 5.0)], start=1.5) == StageRate(0, 0.0)
    assert busy_rate([(1.0, 5.0)], start=2.0) == StageRate(0, 0.0)
    assert StageRate(0, 0.0).per_s == 0.0
