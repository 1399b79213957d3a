"""The faust shell both sink apps share: table agents fed in batches, retention sweeps.

The sink (views, stories, articles; services.sink.app) and the related worker (pools and
related lists; services.related.app) run the same kind of agent: take the messages
waiting on a topic (up to NEWSFLOW_BATCH_SIZE, waiting at most NEWSFLOW_BATCH_WAIT_MS),
run the pure handler of services.sink.handlers on each (in small slices, yielding to
HTTP reads in between), stage the writes (services.sink.batch), then write each key
once and send each compacted key once per batch. A failure becomes one news.dlq record
(with the app's stage name) with no table write, and the partition goes on. Messages for
an internal topic this worker wholly owns go to its agent's handler in the same batch
(services.sink.inline).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

import faust
from faust.types import EventT

from services.core import metrics
from services.core.memory import TRIM_INTERVAL_S, release_free_memory
from services.core.settings import _TableStageBase
from services.core.state.budget import memory_bytes, property_total
from services.core.streaming.app import StreamService
from services.core.streaming.stage import Output, observe_outputs, run_handler
from services.core.topics import Topics
from services.sink import handlers, retention
from services.sink.batch import StagedBatch
from services.sink.handlers import LATEST, PUBLISHED_TABLES, RELATED, Here, Step
from services.sink.inline import Item, Target, handed_over, owns_every_partition, split
from services.sink.tables import partition_dbs, partition_get, persist_offsets, sink_table, write_row

log = logging.getLogger(__name__)
FLUSH_SLICE = 32  # table writes or sends of a batch between two pauses for HTTP reads

Steps = Callable[[bytes | None, bytes, handlers.Read, Here], Iterable[Step]]
Plan = list[Step] | Exception  # a message's Steps, or what its handler raised


async def run_steps(handler: Callable[[], Iterable[Step]]) -> tuple[Plan, float]:
    """All pure work of one message, before any write; the event loop is free between Steps.

    A batch does more work than one key did: slices keep HTTP reads (same event loop)
    from waiting for a whole batch. faust's current event, which table reads and writes
    need, is a contextvar of the agent's task (set by the stream per event), so it
    survives these awaits. Returns the Steps, or what the handler raised, and the CPU
    time spent in it.
    """
    plan: list[Step] = []
    busy = 0.0
    started = time.perf_counter()
    try:
        pending = iter(handler())
        while (step := next(pending, None)) is not None:
            busy += time.perf_counter() - started
            plan.append(step)
            await asyncio.sleep(0)
            started = time.perf_counter()
    except Exception as exc:  # handed to run_handler: one DLQ record, nothing written
        return exc, busy + time.perf_counter() - started
    return plan, busy + time.perf_counter() - started


class Store(Protocol):
    def __setitem__(self, key: bytes, value: bytes) -> None: ...


def write_plan(plan: Plan, table: Store, topic_of: Callable[[str], str], *_message: object) -> list[Output]:
    """run_handler's handler: a failed plan raises (-> DLQ) before anything is written."""
    if isinstance(plan, Exception):
        raise plan
    received_at = next((step.received_at for step in plan if step.received_at), None)
    outputs: list[Output] = []
    for step in plan:
        for key, stored in step.stores:
            table[key] = stored
        for s in step.sends:  # the first output carries the ingest time (e2e latency)
            first = received_at if not outputs else None
            outputs.append(Output(topic_of(s.role), s.key, s.value, first, s.partition))
    return outputs


def add_table_agent(
    app: faust.App,
    stage: str,
    own: Target,
    source: faust.types.TopicT,
    targets: dict[str, faust.types.TopicT],
    dlq: faust.types.TopicT,
    settings: _TableStageBase,
    inline_targets: Callable[[], dict[str, Target]],
) -> None:
    """Agent: a batch of messages -> handler Steps (reading the table and the batch's own
    writes) -> each key written once, outputs sent (services.sink.batch). Without a table
    the handlers read nothing and must store nothing (a pure fan-out). Outputs for the
    topics in `inline_targets()` (checked per batch) go to those agents' handlers in the
    same batch instead of the broker (services.sink.inline)."""
    partitions = settings.topics.partitions
    dlq_name = dlq.get_topic_name()
    compacted = frozenset(targets[role].get_topic_name() for role in (LATEST, RELATED) if role in targets)

    def topic_of(role: str) -> str:
        return targets[role].get_topic_name()

    async def handle(batch: StagedBatch[Any], target: Target, item: Item) -> None:
        metrics.child(metrics.MESSAGES_IN, stage, item.topic).inc()
        where: dict[str, Any] = {"topic": item.topic, "partition": item.partition, "offset": item.offset}
        here = Here(item.partition, partitions)
        committed = partition_get(target.table, item.partition) if target.table is not None else _nothing
        read = batch.reader(committed)
        plan, busy = await run_steps(partial(target.steps, item.key, item.value, read, here))
        started = time.perf_counter()
        write = partial(write_plan, plan, batch.writer(item.owner), topic_of)
        batch.add(run_handler(stage, write, dlq_name, item.key, item.value, **where))
        metrics.child(metrics.PROCESSING, stage).observe(busy + time.perf_counter() - started)

    async def run_batch(target: Target, items: list[Item]) -> StagedBatch[Any]:
        """Handle, then write each key once; under the table's lock (the agent and inline
        hand-overs share it)."""
        async with target.lock:
            batch: StagedBatch[Any] = StagedBatch(compacted)
            for item in items:
                await handle(batch, target, item)
            if batch.staged and target.table is None:
                raise RuntimeError(f"agent {target.topic} has no table but its handler stored rows")
            written = await write_rows(app, target.table, batch, stage)
        if target.publishes and written:  # each row written is a message on that topic
            metrics.child(metrics.MESSAGES_OUT, stage, target.publishes).inc(written)
        return batch

    async def hand_over(outputs: list[Output], received: list[str]) -> list[Output]:
        """Outputs left to produce once every owned target handled its own (in waves:
        a target's outputs may be for another one, as the related worker's are)."""
        inline = inline_targets()
        while True:
            produce, handed = split(outputs, inline.__contains__)
            if not handed:
                return produce
            for topic, outs in handed.items():
                done = await run_batch(inline[topic], [handed_over(o, partitions) for o in outs])
                produce += done.outputs()
                received += done.received
            outputs = produce

    async def agent(stream: Any) -> None:  # a faust Stream (StreamT lacks take_events)
        within = settings.batch_wait_ms / 1000
        async for events in stream.take_events(settings.batch_size, within=within):
            batch = await run_batch(own, [_item(event) for event in events])
            outputs = await hand_over(batch.outputs(), batch.received)
            for n, out in enumerate(outputs):  # faust flushes the producer before it commits
                sent: Any = await app.producer.send(out.topic, out.key, out.value, out.partition, None, None)
                sent.add_done_callback(partial(_on_delivery, stage))  # an asyncio future (aiokafka's)
                if n % FLUSH_SLICE == FLUSH_SLICE - 1:
                    await asyncio.sleep(0)
            observe_outputs(stage, outputs, batch.received)
            # faust hands over buffered events without suspending; yield so HTTP reads
            # interleave with a burst instead of waiting for it (read tail latency).
            await asyncio.sleep(0)

    app.agent(source, name=f"{stage}-{own.name}")(agent)


def _item(event: EventT) -> Item:
    message = event.message
    value = event.value if isinstance(event.value, bytes) else b""
    return Item(message.key, value, message.topic, message.partition, message.offset, event)


async def write_rows(app: faust.App, table: Any, batch: StagedBatch[Any], stage: str) -> int:
    """Each staged key once, on its message's partition (see batch.py and
    tables.write_row). Returns the rows written."""
    n = -1
    last: dict[int, asyncio.Future[Any]] = {}  # the batch's last changelog send per partition
    for n, (key, stored, owner) in enumerate(batch.writes()):
        sent = await write_row(app, table, key, stored, owner)
        sent.add_done_callback(partial(_on_delivery, stage))
        last[owner.message.partition] = sent
        if n % FLUSH_SLICE == FLUSH_SLICE - 1:
            await asyncio.sleep(0)  # a big batch's writes must not hold HTTP reads up
    if last:  # a stateless agent (table None) writes nothing
        persist_offsets(table, last)
    return n + 1


class TableAgents:
    """One app's wiring: its tables, the topics its agents send to, and its agents.

    Both of the sink's apps are built the same way: raw (bytes) topics, one RocksDB
    table per name on `partitions` partitions, internal topics by role, and agents that
    all send to the same targets and the same DLQ.
    """

    def __init__(
        self,
        service: StreamService,
        settings: _TableStageBase,
        tables: Iterable[str],
        internal: dict[str, str],
        published: dict[str, str],
    ) -> None:
        self.service, self.app, self.settings = service, service.app, settings
        partitions, names = settings.topics.partitions, tuple(tables)
        self.targets = {role: service.internal_topic(suffix) for role, suffix in internal.items()}
        self.targets |= {role: self.topic(name) for role, name in published.items()}
        # a table in PUBLISHED_TABLES whose topic this app publishes has it as changelog;
        # the retention timer deletes from the tables too
        self.publishes = {
            name: self.targets[role]
            for name, role in PUBLISHED_TABLES.items()
            if name in names and role in published
        }
        self.tables = {
            name: sink_table(self.app, name, partitions, settings.rocksdb, self.publishes.get(name))
            for name in names
        }
        self.dlq = self.topic(Topics(settings.topics).dlq)
        self.internal = {self.targets[role].get_topic_name() for role in internal}
        self.handlers: dict[str, Target] = {}  # internal topic -> its agent's, for inline hand-over
        self.inline_now: frozenset[str] | None = None  # what inline_targets last found (logged)

    def topic(self, name: str) -> faust.types.TopicT:
        return self.app.topic(name, key_type=bytes, value_type=bytes)

    def agent(self, name: str, source: faust.types.TopicT, steps: Steps, *, stateless: bool = False) -> None:
        """An agent on `source` with the table called `name`, or none when `stateless`."""
        publishes = self.publishes[name].get_topic_name() if name in self.publishes else None
        own = Target(
            name, source.get_topic_name(), None if stateless else self.tables[name], steps, publishes
        )
        if own.topic in self.internal:
            self.handlers[own.topic] = own
        wiring = (self.targets, self.dlq, self.settings, self.inline_targets)
        add_table_agent(self.app, self.service.name, own, source, *wiring)

    def inline_targets(self) -> dict[str, Target]:
        """The internal topics whose every partition this worker holds now, with their agents'
        handlers: none while a rebalance is in progress or with `inline_fanout` off."""
        owned: dict[str, Target] = {}
        if self.settings.inline_fanout and not self.app.rebalancing:
            actives = self.app.assignor.assigned_actives()
            n = self.settings.topics.partitions
            owned = {t: h for t, h in self.handlers.items() if owns_every_partition(actives, t, n)}
        if self.inline_now != (now := frozenset(owned)):
            self.inline_now = now
            through = sorted(self.internal - now)
            log.info("fan-out mode", extra={"inline": sorted(now), "through_kafka": through})
        return owned

    def finish(self) -> StreamService:
        add_table_timers(self.app, self.settings, self.tables)
        return self.service


def _nothing(key: bytes) -> bytes | None:
    return None


def _on_delivery(stage: str, sent: asyncio.Future[Any]) -> None:
    """A record the producer gave up on (after its retries) is counted and logged."""
    if not sent.cancelled() and sent.exception() is not None:
        metrics.PRODUCER_ERRORS.labels(stage).inc()
        log.error("send failed", extra={"error": str(sent.exception())})


def table_keys(table: Any) -> int:
    """Keys in a table, cheaply: RocksDB's own estimate per partition DB (len() would scan)."""
    dbs = partition_dbs(table)
    if dbs is None:
        return len(table)
    return property_total(dbs, "rocksdb.estimate-num-keys")


async def sweep_table(name: str, table: Any, limit: datetime) -> int:
    """Delete this worker's expired entries of one table (its active partitions only)."""
    expired = []
    for n, (key, value) in enumerate(table.items()):
        if isinstance(value, bytes) and retention.is_expired(name, value, limit):
            expired.append(key)
        if n % 500 == 499:
            await asyncio.sleep(0)  # a long scan must not stall HTTP reads
    deleted = 0
    for key in expired:
        # checked again with no await in between: an agent may have written a newer value
        # (an update of an old article) while the scan yielded
        value = table.get(key)
        if isinstance(value, bytes) and retention.is_expired(name, value, limit):
            table.pop(key, None)
            deleted += 1
    if deleted:
        metrics.STATE_EVICTED.labels(name).inc(deleted)
        log.info("retention", extra={"table": name, "deleted": deleted})
    return deleted


def add_table_timers(app: faust.App, settings: _TableStageBase, tables: dict[str, Any]) -> None:
    """A gauge of each table's keys, freed memory back to the OS (as the transactional
    stages do after their batches: services.core.memory), and the retention sweep of
    the tables it has rules for."""

    @app.timer(30.0)
    async def gauge_tables() -> None:
        for name, t in tables.items():
            metrics.TABLE_KEYS.labels(name).set(table_keys(t))
            for kind, held in memory_bytes(partition_dbs(t) or []).items():
                metrics.ROCKSDB_MEMORY.labels(name, kind).set(held)

    @app.timer(TRIM_INTERVAL_S)
    async def trim_memory() -> None:
        release_free_memory()

    if settings.retention_days <= 0:
        return
    swept = [name for name in retention.RULES if name in tables]

    @app.timer(settings.sweep_interval_s)
    async def apply_retention() -> None:
        if app.rebalancing:  # partitions are moving: sweep next time
            return
        limit = retention.cutoff(datetime.now(UTC), settings.retention_days)
        for name in swept:
            await sweep_table(name, tables[name], limit)
