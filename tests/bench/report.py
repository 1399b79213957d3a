"""The human-readable lines of `make bench`, one block per workload.

Kept apart from the measuring code so the JSON (for machines) and these lines (for a
reader of the issue) are built from the same result dict and cannot drift apart.
"""

from __future__ import annotations

import os
from typing import Any


def format_latency(run: dict[str, Any]) -> str:
    line = (
        f"POST->visible at {run['describe']}: p50 {run['p50']} ms, "
        f"p95 {run['p95']} ms, p99 {run['p99']} ms, mean {run['mean']} ms "
        f"({run['samples']} of {run['sent']} seen; posted at {run['posted_per_s']}/s; {run['outcomes']}"
    )
    if run["failed_posts"]:
        line += f", {run['failed_posts']} POSTs failed"
    line += ")"
    split = run.get("to_news_articles"), run.get("in_sink")
    if all(split):
        line += (
            f"; of which POST->news.articles p50 {split[0]['p50']} / p99 {split[0]['p99']} ms, "
            f"news.articles->listed p50 {split[1]['p50']} / p99 {split[1]['p99']} ms"
        )
    return line + (f" [{run['note']}]" if run["note"] else "")


def workload_lines(result: dict[str, Any]) -> list[str]:
    """Throughput, offline comparison, per-stage rates, CPU/RSS and latency lines."""
    name, offline = result["workload"], result["offline"]
    stages = ", ".join(f"{s} {r['per_s']}" for s, r in result["stage_rates"].items())
    return [
        f"{name}: {result['articles_per_s']} articles/s end to end at saturation "
        f"({result['completed']}/{result['accepted']} in {result['seconds']} s; {result['outcomes']}); "
        f"views and related lists done after {result['seconds_to_idle']} s "
        f"({result['articles_per_s_to_idle']} articles/s)",
        f"{name}: offline `newsflow process` {offline['articles_per_s']} articles/s "
        f"({offline['articles']} in {offline['seconds']} s, start-up {offline['startup_seconds']} s "
        f"not counted, {offline['dlq']} DLQ); streaming/offline (wall time) {result['streaming_vs_offline']}",
        f"{name}: offline twin of the sink and related worker (newsflow process --views) "
        f"{offline['views_cpu_seconds']} CPU s for the {offline['listed']} articles listed",
        f"{name}: per CPU second: streaming {result['streaming_articles_per_cpu_s']} articles "
        f"({len(result['cpu_seconds'])} services used {result['streaming_cores_used']} of {os.cpu_count()} cores until idle; "
        f"Kafka broker {result['cpu_seconds_kafka']} CPU s) vs offline {result['offline_articles_per_cpu_s']} "
        f"(process + twin); streaming/offline per CPU second: four pipeline services vs `process` "
        f"{result['pipeline_vs_offline_per_cpu_s']}, six services vs process + twin "
        f"{result['streaming_vs_offline_per_cpu_s']}, with the broker "
        f"{result['streaming_vs_offline_per_cpu_s_with_broker']}",
        f"{name}: per-stage messages/s while busy at saturation: {stages}",
        f"{name}: CPU s per service at saturation (sink, related, broker: until idle) {result['cpu_seconds']}; "
        f"peak RSS MB {result['peak_rss_mb_all_runs']}",
        *(f"{name}: {format_latency(run)}" for run in result["latency"]),
    ]


def print_workload(result: dict[str, Any]) -> None:
    for line in workload_lines(result):
        print(line, flush=True)
