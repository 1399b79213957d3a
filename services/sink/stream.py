"""GET /v1/stream: server-sent events of articles as they land on news.articles.

Semantics (also in the OpenAPI description):
* One `article` event per record on news.articles (unique articles and updates; an
  update is a new event with a higher `version`). `data` is the ArticleSummary JSON.
* The event id is a Kafka position, not worker memory: the next offset of every
  partition of news.articles after this record, joined by dots (`12.0.57`). So a client
  resumes with Last-Event-ID on any sink worker, after any restart, exactly after the
  last event it saw, as long as retention still holds the records (else from the
  oldest retained). The first event, `ready`, carries the starting position, so even a
  client that saw no article can resume from where it connected.
* Without Last-Event-ID the stream starts at the end: only new articles.
* Order: offset order per partition (per article id); arrival order across partitions.
* Records the sink cannot decode are skipped here (the articles agent sends them to
  news.dlq); the position still moves past them.
* Each connection is its own Kafka reader (manual assignment, no group, no commits):
  fine for tens of dashboards per worker, at most `max_streams`, 503 beyond. A comment
  line every 15 s keeps proxies from closing an idle stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.core.codec import decode, encode
from services.core.exceptions import DecodeError
from services.core.kafka.clients import consumer_kwargs
from services.core.models import Article
from services.core.settings import KafkaSettings
from services.sink import views
from services.sink.web import error, respond

log = logging.getLogger(__name__)

KEEPALIVE_S = 15.0
_POSITION = re.compile(r"^\d{1,19}(\.\d{1,19}){0,1023}$")


def format_position(offsets: list[int]) -> str:
    return ".".join(str(o) for o in offsets)


def parse_position(text: str, partitions: int) -> list[int] | None:
    """Offsets from a Last-Event-ID, or None when it is not a position of this topic."""
    if not _POSITION.fullmatch(text):
        return None
    offsets = [int(o) for o in text.split(".")]
    return offsets if len(offsets) == partitions else None


def event(name: str, event_id: str, data: bytes) -> bytes:
    return b"event: " + name.encode() + b"\nid: " + event_id.encode() + b"\ndata: " + data + b"\n\n"


def summary_event(value: bytes | None, event_id: str) -> bytes | None:
    """The SSE frame of one news.articles record, None if it is not an article."""
    try:
        article = decode(value, Article)
        summary = views.summarize(article)
    except (DecodeError, ValueError):  # ValueError: any decoder slip; a stream never dies of one record
        return None
    return event("article", event_id, encode(summary))


@dataclass
class StreamHub:
    """Per-app (never module-level) settings and the count of open streams."""

    kafka: KafkaSettings
    topic: str
    partitions: Callable[[], int | None]  # partition count of `topic` (from the app's consumer)
    max_streams: int = 32
    open: int = field(default=0)

    async def handle(self, request: web.Request, served_by: str) -> web.StreamResponse:
        unknown = set(request.query)
        if unknown:
            reply = error(400, "unknown_parameter", f"unknown parameter(s): {', '.join(sorted(unknown))}")
            return respond(request, reply, served_by)
        if self.open >= self.max_streams:
            return respond(
                request, error(503, "too_many_streams", "stream limit reached; retry", 5), served_by
            )
        count = self.partitions()
        if not count:
            return respond(request, error(503, "not_ready", "partitions not known yet; retry", 2), served_by)
        tps = [TopicPartition(self.topic, p) for p in range(count)]
        consumer = AIOKafkaConsumer(
            enable_auto_commit=False, auto_offset_reset="earliest", **consumer_kwargs(self.kafka)
        )
        self.open += 1
        try:
            await consumer.start()
            consumer.assign(tps)
            last = request.headers.get("Last-Event-ID")
            if last is not None:
                start = parse_position(last.strip(), len(tps))
                if start is None:
                    reply = error(
                        400, "bad_last_event_id", "Last-Event-ID is not a position this stream sent"
                    )
                    return respond(request, reply, served_by)
                for tp, offset in zip(tps, start, strict=True):
                    consumer.seek(tp, offset)
            else:
                await consumer.seek_to_end(*tps)
            offsets = [await consumer.position(tp) for tp in tps]
            return await self._pump(request, consumer, tps, offsets, served_by)
        finally:
            self.open -= 1
            # aiokafka 0.14 raises CancelledError from stop() if its no-group task never ran.
            await asyncio.sleep(0)
            with contextlib.suppress(Exception):
                await consumer.stop()

    async def _pump(
        self,
        request: web.Request,
        consumer: AIOKafkaConsumer,
        tps: list[TopicPartition],
        offsets: list[int],
        served_by: str,
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
                "X-Newsflow-Served-By": served_by,
            }
        )
        await response.prepare(request)
        index = {tp: i for i, tp in enumerate(tps)}
        try:
            await response.write(b"retry: 2000\n" + event("ready", format_position(offsets), b"{}"))
            quiet_since = time.monotonic()
            while request.transport is not None and not request.transport.is_closing():
                batch = await consumer.getmany(*tps, timeout_ms=500, max_records=200)
                frames = []
                for tp, records in batch.items():
                    for record in records:
                        offsets[index[tp]] = record.offset + 1
                        frame = summary_event(record.value, format_position(offsets))
                        if frame:
                            frames.append(frame)
                if frames:
                    await response.write(b"".join(frames))
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since > KEEPALIVE_S:
                    await response.write(b": keepalive\n\n")
                    quiet_since = time.monotonic()
        except (ConnectionResetError, ConnectionError):
            log.debug("stream client went away")
        return response
