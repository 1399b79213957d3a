"""Offline baseline: the same articles through `newsflow process`, in this one process.

`run_process` is what `newsflow process` runs (normalize -> categorize -> dedupe with
the functions the stream apps call, one JSON line out per input), so calling it on the
saturation run's own inputs gives the figure the streaming one is compared with: the
difference is what Kafka, serialization between stages and the framework cost. Its
fixed start-up (loading the categorizer model) is timed separately and taken out, as the
services pay theirs before the bench starts.

The stream also runs the sink and the related worker, which `newsflow process` does not.
Their offline twin (services.sink.offline, what `newsflow process --views` adds) is
timed on its own over the articles run_process let through, so the bench can compare
like with like: the four pipeline services with run_process, all six with run_process
plus the twin.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from services.core.commands.offline import run_process
from services.sink.offline import OfflineViews

_SUFFIX = {"text": ".txt", "html": ".html"}  # run_process guesses the format from these


@dataclass(frozen=True)
class OfflineResult:
    """Articles processed, wall and CPU seconds without start-up, DLQ lines; the views'
    and related lists' twin (`views_*`) over the articles the deduper let through."""

    articles: int
    seconds: float
    cpu_seconds: float
    startup_seconds: float
    dlq: int
    listed: int = 0
    views_seconds: float = 0.0
    views_cpu_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "seconds": round(self.seconds, 2),
            "cpu_seconds": round(self.cpu_seconds, 2),
            "startup_seconds": round(self.startup_seconds, 2),
            "articles_per_s": per(self.articles, self.seconds),
            "articles_per_cpu_s": per(self.articles, self.cpu_seconds),
            "dlq": self.dlq,
            "listed": self.listed,
            "views_seconds": round(self.views_seconds, 2),
            "views_cpu_seconds": round(self.views_cpu_seconds, 2),
        }


def per(amount: float, seconds: float) -> float:
    """amount / seconds rounded to 0.1, 0 when nothing was timed."""
    return round(amount / seconds, 1) if seconds > 0 else 0.0


def write_inputs(docs: list[dict[str, str]], folder: Path) -> list[str]:
    """One file per doc, named so that run_process reads each in the format it was POSTed."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, doc in enumerate(docs):
        path = folder / f"{n:06d}{_SUFFIX[doc['format']]}"
        path.write_text(doc["content"], encoding="utf-8")
        paths.append(str(path))
    return paths


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of fn(); process CPU, so numpy's BLAS threads count too.

    Run before the bench starts its own threads (sampler, watcher), which would count too.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def offline_baseline(docs: list[dict[str, str]], folder: Path) -> OfflineResult:
    """Time run_process over `docs`, minus its start-up (measured on an empty input list),
    then the sink's and related worker's twin over what it let through."""
    paths = write_inputs(docs, folder)
    # imports and lazily loaded models (language, categorizer), as in a service that has run
    run_process(paths[:1], None, io.StringIO())
    startup_wall, startup_cpu = _timed(lambda: run_process([], None, io.StringIO()))
    out = io.StringIO()
    wall, cpu = _timed(lambda: run_process(paths, None, out))
    lines = [(line, orjson.loads(line)) for line in out.getvalue().splitlines()]
    listed = [
        (message["id"].encode(), line.encode())
        for line, message in lines
        if "original_b64" not in message and message["dedupe"]["status"] != "duplicate"
    ]
    twin = OfflineViews()
    views_wall, views_cpu = _timed(lambda: [twin.add(key, value) for key, value in listed])
    return OfflineResult(
        articles=len(paths),
        seconds=max(0.0, wall - startup_wall),
        cpu_seconds=max(0.0, cpu - startup_cpu),
        startup_seconds=startup_wall,
        dlq=sum(1 for _, message in lines if "original_b64" in message),
        listed=len(listed),
        views_seconds=views_wall,
        views_cpu_seconds=views_cpu,
    )


PIPELINE = ("ingest", "normalizer", "categorizer", "deduper")  # the services run_process stands for


def ratios(
    completed: int,
    seconds: float,
    cpu: dict[str, float],
    kafka_cpu: float | None,
    offline: OfflineResult,
    busy_seconds: float | None = None,
) -> dict[str, Any]:
    """Streaming vs offline, by wall time and by CPU time.

    The stream runs six processes on all the machine's cores while `newsflow process` is
    one, so the wall-time ratio flatters the stream. Per CPU second the same work is
    compared: the four pipeline services with run_process (`pipeline_vs_offline_...`);
    all six services with run_process plus the views' twin (`streaming_vs_offline_...`,
    what serialization, Kafka clients and the framework cost); and those plus the
    broker's CPU (`..._with_broker_...`: everything Kafka costs on this machine). `cpu`
    is each pipeline service's CPU seconds until the last of `completed` articles was on
    news.articles, and the sink's and related worker's until they were idle (the
    bench's saturation()); `seconds` is the former, `busy_seconds` (default `seconds`)
    the latter, over which the cores used are counted.
    """
    services = sum(cpu.values())
    pipeline = sum(cpu.get(s, 0.0) for s in PIPELINE)
    full_offline = offline.cpu_seconds + offline.views_cpu_seconds
    streaming_per_s = completed / seconds if seconds > 0 else 0.0
    offline_per_s = offline.articles / offline.seconds if offline.seconds > 0 else 0.0

    def ratio(streaming_cpu: float, offline_cpu: float) -> float | None:
        """(articles per streaming CPU s) / (articles per offline CPU s)."""
        if streaming_cpu <= 0 or offline_cpu <= 0 or not offline.articles:
            return None
        return round((completed / streaming_cpu) / (offline.articles / offline_cpu), 3)

    return {
        "streaming_cores_used": round(services / busy, 2) if (busy := busy_seconds or seconds) > 0 else 0.0,
        "streaming_articles_per_cpu_s": per(completed, services),
        "offline_articles_per_cpu_s": per(offline.articles, full_offline),
        "streaming_vs_offline": round(streaming_per_s / offline_per_s, 3) if offline_per_s else None,
        "pipeline_vs_offline_per_cpu_s": ratio(pipeline, offline.cpu_seconds),
        "streaming_vs_offline_per_cpu_s": ratio(services, full_offline),
        "streaming_vs_offline_per_cpu_s_with_broker": ratio(services + (kafka_cpu or 0.0), full_offline),
    }
