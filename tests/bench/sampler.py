"""Background sampling of every service's RSS and stage counters while the bench runs.

RSS read once at the end misses the peak (a stage's memory rises with its backlog and
falls once it is drained), and per-stage rates need to know when each stage's counter
stopped rising, so both are sampled throughout. One thread per service: a stage whose
event loop is busy answers /metrics late, and must not delay the samples of the others.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx

from tests.bench.metrics import StageRate, busy_rate, scrape
from tests.bench.procstats import rss_mb


@dataclass(frozen=True)
class Target:
    """One service to sample: its name, process id and base URL."""

    name: str
    pid: int
    url: str


@dataclass
class _Series:
    rss: list[tuple[float, float]] = field(default_factory=list)  # (time, MB)
    counts: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # stage -> (time, n)


class Sampler:
    """Samples RSS every `interval` s and the stage counters of every target."""

    def __init__(self, targets: list[Target], interval: float = 0.5) -> None:
        self.targets = targets
        self.interval = interval
        self.series = {t.name: _Series() for t in targets}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._first = {t.name: threading.Event() for t in targets}  # set after the first sample

    def start(self, timeout: float = 10.0) -> None:
        """Start sampling; returns once every target has been sampled once.

        Stage rates count from the last sample before a run: a first scrape that only
        answers after the run began would hide the messages handled until then.
        """
        for target in self.targets:
            thread = threading.Thread(target=self._loop, args=(target,), daemon=True)
            thread.start()
            self._threads.append(thread)
        deadline = time.monotonic() + timeout
        for event in self._first.values():
            event.wait(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)

    def _loop(self, target: Target) -> None:
        series = self.series[target.name]
        with httpx.Client(timeout=5) as client:
            while not self._stop.is_set():
                series.rss.append((time.monotonic(), rss_mb(target.pid)))
                counts = scrape(client, target.url)
                now = time.monotonic()
                if counts is not None:  # a labelled counter only exists once it counted
                    counts.setdefault(target.name, 0.0)
                for stage, count in (counts or {}).items():
                    series.counts.setdefault(stage, []).append((now, count))
                self._first[target.name].set()
                self._stop.wait(self.interval)

    def peak_rss(self, since: float = 0.0, until: float = float("inf")) -> dict[str, float]:
        """Highest RSS (MB) of each service seen between `since` and `until`."""
        return {
            name: round(max((mb for t, mb in s.rss if since <= t <= until), default=0.0), 1)
            for name, s in self.series.items()
        }

    def latest(self, stage: str) -> float | None:
        """The stage's counter at the last successful scrape (None before the first)."""
        for s in self.series.values():
            points = s.counts.get(stage, [])
            if points:
                return points[-1][1]
        return None

    def last_change(self, stage: str) -> float:
        """When the stage's counter last rose (0 when never seen)."""
        for s in self.series.values():
            points = s.counts.get(stage, [])
            changes = [t for (t, n), (_, before) in zip(points[1:], points, strict=False) if n != before]
            if points:
                return changes[-1] if changes else points[0][0]
        return 0.0

    def stage_rates(self, start: float, until: float) -> dict[str, StageRate]:
        """Each stage's busy rate over [start, until] (see metrics.busy_rate)."""
        rates = {}
        for s in self.series.values():
            for stage, points in list(s.counts.items()):  # a sampler may add a stage
                rates[stage] = busy_rate([p for p in points if p[0] <= until], start)
        return rates
