"""The sink's faust app: tables fed from news.articles, views published, HTTP read API.

Every table write happens on the partition that owns its key, because faust writes a
table's changelog to the partition of the message being processed and the row to that
partition's RocksDB. So each table has its own agent on a topic partitioned like the
table, and an article's keys travel grouped by partition: one message per (article,
partition), sent to that partition explicitly (services.sink.wire):

  news.articles    (key id)    -> articles[id], then fans out, grouped by partition, to
  <app>-views      ViewBatch   -> latest[view] per view    -> news.latest (compacted)
  <app>-stories    (key story) -> stories[story]
  <app>-rel-index  IndexBatch  -> pool[key] per key (member references) and the
                                  article's Features once  -> offers (services.sink.candidates)
  <app>-rel-offers OfferBatch  -> related[id] per target   -> news.related (compacted)

With P partitions an article costs at most 2 + 2P events, plus up to P offer batches
per rel-index batch, instead of one event per view key, index key and offer (on the
read benchmark's articles with P = 3: ~16 events per article instead of ~71).

All tables are RocksDB (rocksdict) backed by changelog topics, so a restarted or moved
worker recovers them. Each agent takes the messages waiting for it (up to
NEWSFLOW_BATCH_SIZE, waiting at most NEWSFLOW_BATCH_WAIT_MS) and runs the pure handler
of services.sink.handlers on each (in small slices, yielding to HTTP reads in between),
staging the writes (services.sink.batch): then each key is written once and each
news.latest / news.related key sent once per batch. A failure becomes one news.dlq
record (stage "sink") with no table write, and the partition goes on. HTTP
(services.sink.api) routes each read to the worker owning its key, so any worker
answers any key.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

import faust
from faust.streams import _current_event
from faust.types import EventT

from services.core import metrics
from services.core.clock import utc_iso
from services.core.settings import SinkSettings
from services.core.streaming.app import StreamService, make_service
from services.core.streaming.stage import Output, observe_outputs, run_handler
from services.core.streaming.worker import run_worker
from services.core.topics import Topics
from services.sink import api, handlers, openapi, retention
from services.sink.batch import StagedBatch
from services.sink.handlers import INDEX, LATEST, OFFERS, RELATED, STORIES, VIEWS, Here, Step
from services.sink.page import add_page
from services.sink.stream import StreamHub
from services.sink.tables import partition_get, sink_table
from services.sink.web import json_errors, json_reply, respond

log = logging.getLogger(__name__)
STAGE = "sink"
TABLES = ("articles", "latest", "stories", "pool", "related")
# the internal topics (`<app id>-<suffix>`) by role; tools that watch the sink's backlog read them
INTERNAL = {VIEWS: "views", STORIES: "stories", INDEX: "rel-index", OFFERS: "rel-offers"}
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
    name: str,
    source: faust.types.TopicT,
    table: faust.types.TableT,
    steps: Steps,
    targets: dict[str, faust.types.TopicT],
    dlq: faust.types.TopicT,
    settings: SinkSettings,
) -> None:
    """Agent: a batch of messages -> handler Steps (reading the table and the batch's own
    writes) -> each key written once, outputs sent (services.sink.batch)."""
    partitions = settings.topics.partitions
    dlq_name = dlq.get_topic_name()
    compacted = frozenset(targets[role].get_topic_name() for role in (LATEST, RELATED))

    def topic_of(role: str) -> str:
        return targets[role].get_topic_name()

    async def handle(batch: StagedBatch[EventT], event: EventT) -> None:
        message = event.message
        value = event.value if isinstance(event.value, bytes) else b""
        metrics.MESSAGES_IN.labels(STAGE, message.topic).inc()
        where: dict[str, Any] = {
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
        }
        here = Here(message.partition, partitions)
        read = batch.reader(partition_get(table, message.partition))
        plan, busy = await run_steps(partial(steps, message.key, value, read, here))
        started = time.perf_counter()
        write = partial(write_plan, plan, batch.writer(event), topic_of)
        batch.add(run_handler(STAGE, write, dlq_name, message.key, value, **where))
        metrics.PROCESSING.labels(STAGE).observe(busy + time.perf_counter() - started)

    async def agent(stream: Any) -> None:  # a faust Stream (StreamT lacks take_events)
        within = settings.batch_wait_ms / 1000
        async for events in stream.take_events(settings.batch_size, within=within):
            batch: StagedBatch[EventT] = StagedBatch(table.get, compacted)
            for event in events:
                await handle(batch, event)
            for n, (key, stored, event) in enumerate(batch.writes()):
                token = _current_event.set(weakref.ref(event))  # the row's partition: see batch.py
                try:
                    table[key] = stored
                finally:
                    _current_event.reset(token)
                if n % FLUSH_SLICE == FLUSH_SLICE - 1:
                    await asyncio.sleep(0)  # a big batch's writes must not hold HTTP reads up
            outputs = batch.outputs()
            for n, out in enumerate(outputs):  # faust flushes the producer before it commits
                sent: Any = await app.producer.send(out.topic, out.key, out.value, out.partition, None, None)
                sent.add_done_callback(_on_delivery)  # an asyncio future (aiokafka's)
                if n % FLUSH_SLICE == FLUSH_SLICE - 1:
                    await asyncio.sleep(0)
            observe_outputs(STAGE, outputs, batch.received)
            # faust hands over buffered events without suspending; yield so HTTP reads
            # interleave with a burst instead of waiting for it (read tail latency).
            await asyncio.sleep(0)

    app.agent(source, name=f"sink-{name}")(agent)


def _on_delivery(sent: asyncio.Future[Any]) -> None:
    """A record the producer gave up on (after its retries) is counted and logged."""
    if not sent.cancelled() and sent.exception() is not None:
        metrics.PRODUCER_ERRORS.labels(STAGE).inc()
        log.error("send failed", extra={"error": str(sent.exception())})


def table_keys(table: Any) -> int:
    """Keys in a table, cheaply: RocksDB's own estimate per partition DB (len() would scan)."""
    dbs = getattr(table.data, "_dbs", None)  # faust's rocksdb store: one DB per partition
    if dbs is None:
        return len(table)
    return sum(int(db.property_int_value("rocksdb.estimate-num-keys") or 0) for db in dbs.values())


def _drop_faust_index(app: faust.App) -> None:
    """faust's production blueprint claims `/` for a status stub; the page lives there."""
    manager: Any = app.web.blueprints
    manager._enabled = [(p, bp) for p, bp in manager._enabled if "production_index" not in str(bp)]


def build(settings: SinkSettings) -> StreamService:
    service = make_service(STAGE, settings)
    app = service.app
    topics = Topics(settings.topics)
    n = settings.topics.partitions
    k, size = settings.related_k, settings.latest_size

    def raw_topic(name: str) -> faust.types.TopicT:
        return app.topic(name, key_type=bytes, value_type=bytes)

    targets = {
        **{role: service.internal_topic(suffix) for role, suffix in INTERNAL.items()},
        LATEST: raw_topic(topics.latest),
        RELATED: raw_topic(topics.related),
    }
    dlq = raw_topic(topics.dlq)
    # the retention timer deletes from them too
    table = {name: sink_table(app, name, n, settings.rocksdb) for name in TABLES}

    def agent(name: str, source: faust.types.TopicT, steps: Steps) -> None:
        add_table_agent(app, name, source, table[name], steps, targets, dlq, settings)

    def article(key: bytes | None, value: bytes, read: handlers.Read, here: Here) -> list[Step]:
        return [handlers.on_article(key, value, read(key) if key is not None else None, n)]

    def story(key: bytes | None, value: bytes, read: handlers.Read, here: Here) -> list[Step]:
        return [handlers.on_story(key or b"", value, read(key) if key is not None else None)]

    agent("articles", raw_topic(topics.articles), article)
    agent(
        "latest",
        targets[VIEWS],
        lambda key, v, read, here: handlers.on_views(key, v, read, here, size, utc_iso()),
    )
    agent("stories", targets[STORIES], story)
    agent("pool", targets[INDEX], lambda key, v, read, here: handlers.on_index(key, v, read, here, k))
    agent(
        "related",
        targets[OFFERS],
        lambda key, v, read, here: handlers.on_offers(key, v, read, here, k, utc_iso()),
    )

    @app.timer(30.0)
    async def gauge_tables() -> None:
        for name, t in table.items():
            metrics.TABLE_KEYS.labels(name).set(table_keys(t))

    if settings.retention_days > 0:

        @app.timer(settings.sweep_interval_s)
        async def apply_retention() -> None:
            if app.rebalancing:  # partitions are moving: sweep next time
                return
            limit = retention.cutoff(datetime.now(UTC), settings.retention_days)
            for name in retention.RULES:
                await sweep_table(name, table[name], limit)

    add_http(app, settings, topics, table)
    return service


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


def add_http(app: faust.App, settings: SinkSettings, topics: Topics, table: dict[str, Any]) -> None:
    """Read API, SSE stream, OpenAPI document, web page; JSON errors everywhere."""
    api.add_routes(api.Tables(app, table["articles"], table["latest"], table["stories"], table["related"]))

    def partitions() -> int | None:
        known = app.consumer.topic_partitions(topics.articles) if app.consumer else None
        return known or settings.topics.partitions

    hub = StreamHub(settings.kafka, topics.articles, partitions)
    document = json_reply(openapi.spec(), cache="public, max-age=60")

    @app.page("/v1/stream", name="stream")
    async def stream(self: Any, request: Any) -> Any:
        return await hub.handle(request, str(app.conf.canonical_url))

    @app.page("/openapi.json", name="openapi")
    async def spec(self: Any, request: Any) -> Any:
        return respond(request, document, str(app.conf.canonical_url))

    add_page(app)
    web_driver: Any = app.web  # the aiohttp driver: its aiohttp Application takes middlewares
    web_driver.web_app.middlewares.append(json_errors)
    _drop_faust_index(app)


def main(settings: SinkSettings | None = None) -> None:
    settings = settings or SinkSettings()
    run_worker(build(settings))
