"""Offline baseline: the same articles through `newsflow process`, in this one process.

`run_process` is what `newsflow process` runs (normalize -> categorize -> dedupe with
the functions the stream apps call, one JSON line out per input), so calling it on the
saturation run's own inputs gives the figure the streaming one is compared with: the
difference is what Kafka, serialization between stages and the framework cost. Its
fixed start-up (loading the categorizer model) is timed separately and taken out, as the
services pay theirs before the bench starts.
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

_SUFFIX = {"text": ".txt", "html": ".html"}  # run_process guesses the format from these


@dataclass(frozen=True)
class OfflineResult:
    """Articles processed, wall and CPU seconds without start-up, DLQ lines."""

    articles: int
    seconds: float
    cpu_seconds: float
    startup_seconds: float
    dlq: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "seconds": round(self.seconds, 2),
            "cpu_seconds": round(self.cpu_seconds, 2),
            "startup_seconds": round(self.startup_seconds, 2),
            "articles_per_s": per(self.articles, self.seconds),
            "articles_per_cpu_s": per(self.articles, self.cpu_seconds),
            "dlq": self.dlq,
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
    """Time run_process over `docs`, minus its start-up (measured on an empty input list)."""
    paths = write_inputs(docs, folder)
    # imports and lazily loaded models (language, categorizer), as in a service that has run
    run_process(paths[:1], None, io.StringIO())
    startup_wall, startup_cpu = _timed(lambda: run_process([], None, io.StringIO()))
    out = io.StringIO()
    wall, cpu = _timed(lambda: run_process(paths, None, out))
    dlq = sum(1 for line in out.getvalue().splitlines() if "original_b64" in orjson.loads(line))
    return OfflineResult(
        articles=len(paths),
        seconds=max(0.0, wall - startup_wall),
        cpu_seconds=max(0.0, cpu - startup_cpu),
        startup_seconds=startup_wall,
        dlq=dlq,
    )


def ratios(completed: int, seconds: float, cpu_seconds: float, offline: OfflineResult) -> dict[str, Any]:
    """Streaming vs offline, by wall time and by CPU time.

    The stream runs six processes on all the machine's cores while `newsflow process` is
    one, so the wall-time ratio flatters the stream; articles per CPU second of the six
    services vs articles per CPU second of the offline process compares the cost of one
    article on equal terms. `cpu_seconds` is the six services' CPU during the `seconds`
    of wall time it took to get `completed` articles through (the broker not included).
    """
    streaming_per_s = completed / seconds if seconds > 0 else 0.0
    streaming_per_cpu_s = completed / cpu_seconds if cpu_seconds > 0 else 0.0
    offline_per_s = offline.articles / offline.seconds if offline.seconds > 0 else 0.0
    offline_per_cpu_s = offline.articles / offline.cpu_seconds if offline.cpu_seconds > 0 else 0.0
    return {
        "streaming_cores_used": round(cpu_seconds / seconds, 2) if seconds > 0 else 0.0,
        "streaming_articles_per_cpu_s": round(streaming_per_cpu_s, 1),
        "offline_articles_per_cpu_s": round(offline_per_cpu_s, 1),
        "streaming_vs_offline": round(streaming_per_s / offline_per_s, 3) if offline_per_s else None,
        "streaming_vs_offline_per_cpu_s": (
            round(streaming_per_cpu_s / offline_per_cpu_s, 3) if offline_per_cpu_s else None
        ),
    }
