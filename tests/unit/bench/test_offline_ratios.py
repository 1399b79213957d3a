"""Streaming vs offline arithmetic and the offline inputs of the bench."""

from __future__ import annotations

from pathlib import Path

from tests.bench.offline import OfflineResult, per, ratios, write_inputs


def test_ratios_by_wall_time_and_by_cpu_time_on_like_terms() -> None:
    offline = OfflineResult(
        articles=1000,
        seconds=10.0,
        cpu_seconds=8.0,
        startup_seconds=0.5,
        dlq=0,
        listed=900,
        views_cpu_seconds=2.0,
    )
    # streaming: 1000 articles in 20 s wall; the pipeline's four services used 16 CPU s,
    # the sink and related worker 14 more (30 in all, 1.5 cores), the broker 10
    cpu = {"ingest": 1.0, "normalizer": 3.0, "categorizer": 4.0, "deduper": 8.0, "sink": 6.0, "related": 8.0}
    got = ratios(completed=1000, seconds=20.0, cpu=cpu, kafka_cpu=10.0, offline=offline)
    assert ratios(1000, 20.0, cpu, 10.0, offline, busy_seconds=30.0)["streaming_cores_used"] == 1.0
    assert got == {
        "streaming_cores_used": 1.5,
        "streaming_articles_per_cpu_s": 33.3,
        "offline_articles_per_cpu_s": 100.0,  # process 8 CPU s + the views' twin 2
        "streaming_vs_offline": 0.5,  # 50/s vs 100/s
        "pipeline_vs_offline_per_cpu_s": 0.5,  # 16 CPU s vs process's 8
        "streaming_vs_offline_per_cpu_s": 0.333,  # 30 vs 10
        "streaming_vs_offline_per_cpu_s_with_broker": 0.25,  # 40 vs 10
    }


def test_ratios_without_timings_are_none_not_a_crash() -> None:
    offline = OfflineResult(articles=0, seconds=0.0, cpu_seconds=0.0, startup_seconds=0.0, dlq=0)
    got = ratios(completed=0, seconds=0.0, cpu={}, kafka_cpu=None, offline=offline)
    assert got["streaming_vs_offline"] is None
    assert got["streaming_vs_offline_per_cpu_s"] is None
    assert got["pipeline_vs_offline_per_cpu_s"] is None
    assert per(5, 0.0) == 0.0
    assert offline.as_dict()["articles_per_s"] == 0.0


def test_write_inputs_names_files_for_run_process_format_guess(tmp_path: Path) -> None:
    docs = [{"content": "Title\n\nbody", "format": "text"}, {"content": "<html></html>", "format": "html"}]
    paths = write_inputs(docs, tmp_path / "in")
    assert [Path(p).name for p in paths] == ["000000.txt", "000001.html"]
    assert Path(paths[1]).read_text() == "<html></html>"
