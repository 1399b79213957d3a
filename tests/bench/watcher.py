"""Watches the pipeline's output topics: when each POSTed article came out, and was listed.

A consumer on the topics (not polling the HTTP API) records the first time each ingest id
left the deduper and the first time each article version appeared in a latest view, so
the bench measures the pipeline, not the speed of its own polling.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.related.app import INTERNAL as RELATED_INTERNAL
from services.sink.app import INTERNAL as SINK_INTERNAL
from tests.support.kafka import group_offsets

# the bench runs the services with default settings: their groups and no topic prefix.
# What each group must have committed before the sink counts as idle: the sink's
# internal topics and the related lists it copies; the related worker's internal
# topics and news.articles (its related work competes with the views for the CPU).
SINK_GROUP, RELATED_GROUP = "newsflow-sink", "newsflow-related"
BACKLOG_TOPICS = {
    SINK_GROUP: (*(f"{SINK_GROUP}-{s}" for s in SINK_INTERNAL.values()), "news.related"),
    RELATED_GROUP: (*(f"{RELATED_GROUP}-{s}" for s in RELATED_INTERNAL.values()), "news.articles"),
}
# written in transactions (the deduper's): a partition's last offset is a commit marker,
# which a consumer never commits past, so one offset left per partition is caught up
TRANSACTIONAL = frozenset({"news.articles"})


def behind(end: int, committed: int, topic: str) -> int:
    """Records of one partition a group has yet to commit."""
    return max(0, end - committed - (1 if topic in TRANSACTIONAL else 0))


OUTPUT_TOPICS = ("news.articles", "news.duplicates", "news.dlq")


def outcome_of(topic: str, value: dict[str, Any]) -> str:
    """`articles`, `duplicates`, or `dlq <stage> <error type>`: where an article ended up.

    An article missing from the latency figures is explained by this (a DLQ'd stage and
    its reason), instead of only by a lower sample count.
    """
    if topic == "news.dlq":
        return f"dlq {value.get('stage')} {(value.get('error') or {}).get('type')}"
    return topic.removeprefix("news.")


def chain(before: str | None, now: str) -> str:
    """`articles -> dlq sink X` when the sink fails an article the deduper let through.

    The deduper's output decides when an article is done; a later DLQ record (the sink's)
    is appended, so an article that never shows in a view says why.
    """
    if before is None or before == now or before.endswith(f"-> {now}"):
        return before or now
    return f"{before} -> {now}"


def outcomes(watcher: Watcher, ids: Iterable[str]) -> dict[str, int]:
    """How many of `ids` ended up where (ids not out yet count as `pending`)."""
    return dict(Counter(watcher.outcome.get(i, "pending") for i in ids).most_common())


class Watcher:
    """Consumes the output topics and records when each ingest id / article id appears."""

    def __init__(self, bootstrap: str, sink_consumed: Callable[[], float | None] = lambda: None) -> None:
        self.bootstrap = bootstrap
        # the sink's consumed counter (news.articles), and its value when this watcher started
        self.sink_consumed = sink_consumed
        self.sink_baseline = 0.0
        self.done: dict[str, float] = {}  # ingest id -> time it left the deduper
        self.article_of: dict[str, tuple[str, int]] = {}  # ingest id -> (article id, version)
        self.visible: dict[tuple[str, int], float] = {}  # (article id, version) -> first listed
        self.outcome: dict[str, str] = {}  # ingest id -> where it went (see outcome_of, chain)
        self._task: asyncio.Task[None] | None = None
        self.last_view_update = time.monotonic()
        self.articles_seen = 0  # records on news.articles since start(): what the sink must consume

    async def start(self) -> None:
        self.sink_baseline = self.sink_consumed() or 0.0
        self.consumer = AIOKafkaConsumer(
            *OUTPUT_TOPICS,
            "news.latest",
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="latest",
            enable_auto_commit=False,
            max_partition_fetch_bytes=16 << 20,
            fetch_max_bytes=64 << 20,
        )
        await self.consumer.start()
        while not self.consumer.assignment():
            await asyncio.sleep(0.1)
        for tp in self.consumer.assignment():
            await self.consumer.seek_to_end(tp)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=200)
            now = time.monotonic()
            for messages in batch.values():
                for m in messages:
                    if m.topic == "news.latest":
                        self.last_view_update = now
                        if m.key == b"all" or (m.key or b"").startswith(b"source:bench "):
                            for item in orjson.loads(m.value)["articles"]:
                                self.visible.setdefault((item["id"], item.get("version", 1)), now)
                        continue
                    value = orjson.loads(m.value)
                    ingest_id = value.get("ingest", {}).get("id") or value.get("ingest_id")
                    if ingest_id:
                        self.done.setdefault(ingest_id, now)
                        self.outcome[ingest_id] = chain(
                            self.outcome.get(ingest_id), outcome_of(m.topic, value)
                        )
                        if m.topic == "news.articles":
                            self.articles_seen += 1
                            version = (value.get("dedupe") or {}).get("version", 1)
                            self.article_of[ingest_id] = (value["id"], version)

    async def sink_backlog(self) -> int:
        """Records the sink's and the related worker's groups have not committed yet.

        The sink's consumed counter only covers news.articles; its view and story agents
        work through internal topics after that, and the related worker's scoring runs
        on the same CPUs, so a sink that consumed every article can still be busy.
        """
        await self.consumer.topics()  # refreshes the metadata of every topic
        left = 0
        for group, topics in BACKLOG_TOPICS.items():
            done = await group_offsets(self.bootstrap, group)
            tps = [
                TopicPartition(topic, p)
                for topic in topics
                for p in self.consumer.partitions_for_topic(topic) or ()
            ]
            ends = await self.consumer.end_offsets(tps) if tps else {}
            left += sum(behind(end, done.get(tp, 0), tp.topic) for tp, end in ends.items())
        return left

    def visible_at(self, ingest_id: str) -> float | None:
        """When the article of this ingest id was first listed in a view, if it was."""
        article = self.article_of.get(ingest_id)
        return self.visible.get(article) if article else None

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.consumer.stop()


async def wait_done(watcher: Watcher, ids: set[str], timeout: float) -> None:
    """Until every ingest id left the deduper, or `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not ids <= set(watcher.done):
        await asyncio.sleep(0.2)


async def wait_visible(watcher: Watcher, ids: set[str], timeout: float) -> None:
    """Until every ingest id that reached news.articles is listed in a view, or `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = [i for i in ids if i in watcher.article_of and watcher.visible_at(i) is None]
        if not pending:
            return
        await asyncio.sleep(0.2)


def sink_caught_up(consumed: float | None, baseline: float, seen: int) -> bool:
    """The sink consumed every news.articles record the watcher saw since `baseline`."""
    return consumed is not None and consumed - baseline >= seen


async def wait_sink_idle(watcher: Watcher, quiet: float = 1.0, timeout: float = 600.0) -> None:
    """Until the sink consumed all it was sent and no latest view changed for `quiet` s.

    The sink works through a backlog after the deduper is done: a latency run started
    before it is idle would measure that queue, not the pipeline at the chosen rate.
    Quiet time alone was not enough: the sink can pause for seconds mid-backlog (a
    commit, a rebalance), and latency runs started into such a pause measured ~15 s.
    So the sink's consumed counter (news.articles, from its /metrics) must have risen,
    since the watcher started, by the records the watcher saw there, and the groups of the
    sink and the related worker must have committed everything (Watcher.sink_backlog).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        caught_up = sink_caught_up(watcher.sink_consumed(), watcher.sink_baseline, watcher.articles_seen)
        quiet_now = time.monotonic() - watcher.last_view_update >= quiet
        if caught_up and quiet_now and await watcher.sink_backlog() == 0:
            return
        await asyncio.sleep(0.5)
