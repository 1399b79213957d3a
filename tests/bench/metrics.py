"""Per-stage message counts from the services' Prometheus /metrics pages.

The counters the stages already export are the cheapest honest per-stage rate: no extra
consumer on the broker, and each stage counts exactly what it consumed. Parsing is kept
pure (text in, numbers out) so it is unit-tested without a running service.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

# stream stages count what they consume; ingest counts what Kafka acked (it consumes nothing)
CONSUMED = "newsflow_messages_in_total"
ACCEPTED = "newsflow_ingest_accepted_total"
CONTRACT_PREFIX = "news."  # the bench runs without NEWSFLOW_TOPICS__PREFIX

_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class MetricSample:
    """One line of the Prometheus text format: name, labels, value."""

    name: str
    labels: dict[str, str]
    value: float


def parse_metrics(text: str) -> list[MetricSample]:
    """Every sample line of a Prometheus text page; comments and bad lines are skipped."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            continue
        name, labels, value = match.groups()
        try:
            number = float(value)
        except ValueError:
            continue
        samples.append(MetricSample(name, dict(_LABEL.findall(labels or "")), number))
    return samples


def stage_counts(text: str) -> dict[str, float]:
    """Articles handled per stage: consumed from contract topics, or accepted for ingest.

    Only the `news.*` topics count: a stage's internal repartition topics (the deduper's
    newsflow-deduper-index/gather carry several messages per article) are bookkeeping,
    and counting them would make the deduper look many times faster than it is.
    """
    counts: dict[str, float] = {}
    for sample in parse_metrics(text):
        if sample.name == CONSUMED and sample.labels.get("topic", "").startswith(CONTRACT_PREFIX):
            stage = sample.labels.get("stage", "?")
        elif sample.name == ACCEPTED:
            stage = "ingest"
        else:
            continue
        counts[stage] = counts.get(stage, 0.0) + sample.value
    return counts


def scrape(client: httpx.Client, base_url: str) -> dict[str, float] | None:
    """Stage counts of one service, or None when it did not answer (busy or gone)."""
    try:
        response = client.get(f"{base_url}/metrics")
    except httpx.HTTPError:
        return None
    return stage_counts(response.text) if response.status_code == 200 else None


@dataclass(frozen=True)
class StageRate:
    """What one stage did during a run: messages, the seconds it was busy, their ratio."""

    messages: int
    seconds: float

    @property
    def per_s(self) -> float:
        return round(self.messages / self.seconds, 1) if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"messages": self.messages, "seconds": round(self.seconds, 2), "per_s": self.per_s}


def busy_rate(series: Sequence[tuple[float, float]], start: float) -> StageRate:
    """Rate of a counter from `start` until it stopped rising (its last change).

    A stage further down the pipeline keeps working after the POSTs end (the sink drains
    its backlog after the deduper is done), so dividing by a common wall time would
    understate the busy stages; dividing by the time until each stage's own counter
    settled gives the rate it actually sustained. `series` is (time, counter) samples,
    oldest first; samples before `start` only give the baseline.
    """
    before = [count for t, count in series if t <= start]
    after = [(t, count) for t, count in series if t > start]
    if not after:
        return StageRate(0, 0.0)
    baseline = before[-1] if before else after[0][1]
    final = after[-1][1]
    settled = next(t for t, count in after if count == final)
    return StageRate(int(final - baseline), settled - start if final > baseline else 0.0)
