"""Latency runs: POST single articles at a fixed rate, time POST -> listed in a latest view.

The schedule is open loop (article n is sent at start + n/rate whatever the answers of
the earlier ones), and each article's clock starts before its POST, so a slow ingest or
a queue anywhere shows up in the figures instead of silently lowering the rate.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.bench.watcher import Watcher, outcomes, wait_done, wait_visible

SATURATION_FRACTION = 0.8


@dataclass(frozen=True)
class RatePlan:
    """One latency run to do: a label for the output, its rate, and why it is what it is."""

    label: str
    rate: float
    note: str | None = None

    def describe(self) -> str:
        """`50/s`, or `160/s (80% of saturation)` when the label says more than the rate."""
        rate = f"{self.rate:g}/s"
        return rate if self.label == rate else f"{rate} ({self.label})"


def plan_rates(fixed: float, saturation: float, cap: float) -> list[RatePlan]:
    """The fixed-rate run and the one at 80% of the measured saturation (capped).

    80% of saturation is the load a system is sized for; the cap keeps a fast machine
    from turning the run into a second saturation test of the bench client itself.
    """
    plans = [RatePlan(f"{fixed:g}/s", fixed)]
    target = saturation * SATURATION_FRACTION
    note = None
    if target > cap:
        note = f"80% of saturation is {target:.1f}/s, capped at {cap:g}/s"
    elif target < fixed:
        note = f"80% of saturation ({target:.1f}/s) is below the fixed rate of {fixed:g}/s"
    rate = round(max(1.0, min(target, cap)), 1)
    plans.append(RatePlan("80% of saturation", rate, note))
    return plans


def pct(values: list[float], q: float) -> float | None:
    """The q-quantile (nearest rank, no interpolation), rounded to 0.1 ms."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


@dataclass
class LatencyRun:
    """What one run measured; `points` are (s since the run started, POST->visible ms)."""

    plan: RatePlan
    sent: int
    failed: int
    on_articles: int
    posted_per_s: float
    points: list[tuple[float, float]] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)  # where the sent articles ended up
    # of the listed articles: POST -> on news.articles (ms), and from there -> listed (ms),
    # so a latency miss says whether the stages up to the deduper or the sink held it
    to_articles: list[float] = field(default_factory=list)
    in_sink: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        latencies = [ms for _, ms in self.points]
        return {
            "label": self.plan.label,
            "describe": self.plan.describe(),
            "rate_per_s": self.plan.rate,
            "note": self.plan.note,
            "sent": self.sent,
            "failed_posts": self.failed,
            "posted_per_s": self.posted_per_s,  # below rate_per_s: the client could not keep up
            "on_news_articles": self.on_articles,
            "outcomes": self.outcomes,
            "samples": len(latencies),
            "p50": pct(latencies, 0.50),
            "p95": pct(latencies, 0.95),
            "p99": pct(latencies, 0.99),
            "mean": round(statistics.fmean(latencies), 1) if latencies else None,
            "to_news_articles": {"p50": pct(self.to_articles, 0.50), "p99": pct(self.to_articles, 0.99)},
            "in_sink": {"p50": pct(self.in_sink, 0.50), "p99": pct(self.in_sink, 0.99)},
        }


async def post_at_rate(api: str, docs: list[dict[str, str]], rate: float) -> tuple[dict[str, float], int]:
    """POST each doc on schedule; (ingest id -> time its POST started, failed POSTs)."""
    sent: dict[str, float] = {}
    failed = 0
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=200)) as client:
        start = time.monotonic()
        tasks = []

        async def one(doc: dict[str, str]) -> None:
            nonlocal failed
            t0 = time.monotonic()
            try:
                response = await client.post(f"{api}/v1/articles", json=doc)
            except httpx.HTTPError:
                failed += 1
                return
            if response.status_code == 202:
                sent[response.json()["id"]] = t0
            else:
                failed += 1

        for n, doc in enumerate(docs):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(doc)))
        await asyncio.gather(*tasks)
    return sent, failed


async def run_latency(
    api: str, watcher: Watcher, docs: list[dict[str, str]], plan: RatePlan, timeout: float
) -> LatencyRun:
    """One open-loop run at `plan.rate`, then wait until everything sent is listed."""
    start = time.monotonic()
    sent, failed = await post_at_rate(api, docs, plan.rate)
    await wait_done(watcher, set(sent), timeout)
    await wait_visible(watcher, set(sent), 15.0)
    span = max(sent.values(), default=start) - min(sent.values(), default=start)
    points, to_articles, in_sink = [], [], []
    for ingest_id, t in sent.items():
        seen, done = watcher.visible_at(ingest_id), watcher.done.get(ingest_id)
        if seen is not None:
            points.append((round(t - start, 3), round((seen - t) * 1000, 1)))
        if seen is not None and done is not None:
            to_articles.append(round((done - t) * 1000, 1))
            in_sink.append(round((seen - done) * 1000, 1))
    return LatencyRun(
        plan=plan,
        sent=len(sent),
        failed=failed,
        on_articles=sum(1 for i in sent if i in watcher.article_of),
        posted_per_s=round((len(sent) - 1) / span, 1) if span > 0 else 0.0,
        points=sorted(points),
        outcomes=outcomes(watcher, sent),
        to_articles=to_articles,
        in_sink=in_sink,
    )
