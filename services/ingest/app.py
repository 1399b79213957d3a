"""The ingest HTTP service: validate, produce to news.raw, answer 202 after the broker acked.

Handlers only decode the request, call services.ingest.requests, produce and encode
the answer. A 202 means the record is on the broker with acks=all; when Kafka cannot
take it in time the client gets 503 with Retry-After, never a false 202.
"""

from __future__ import annotations

import asyncio
import logging
import math
import zlib
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from aiohttp import hdrs, web
from aiokafka import AIOKafkaProducer

from services import __version__
from services.core import jsonlog, metrics
from services.core.http import add_ops_routes, metrics_middleware
from services.core.kafka.admin import ensure_topics
from services.core.kafka.clients import producer_kwargs
from services.core.kafka.producer import RenewableProducer, is_broken
from services.core.models import RawArticle
from services.core.settings import IngestSettings
from services.core.topics import Topics
from services.ingest import requests, sources
from services.ingest.auth import RateLimiter, check_token
from services.ingest.exceptions import (
    BadRequest,
    IngestError,
    TooLarge,
    Unavailable,
    UnsupportedMediaType,
)
from services.ingest.feeds import service as feeds_service

log = logging.getLogger(__name__)


@dataclass
class _State:
    """Per-app mutable state: aiohttp freezes the app mapping once it starts."""

    producers: RenewableProducer | None = None

    @property
    def producer(self) -> AIOKafkaProducer | None:
        return self.producers.current if self.producers is not None else None


STATE = web.AppKey("state", _State)
LIMITER = web.AppKey("limiter", RateLimiter)
SETTINGS = web.AppKey("settings", IngestSettings)
BACKFILL = web.AppKey("backfill", RateLimiter)  # issue 8: one bucket shared by all backfill clients


def _error(exc: IngestError) -> web.Response:
    metrics.INGEST_REJECTED.labels(str(exc.status), exc.reason).inc()
    retry_after = getattr(exc, "retry_after", 5)
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if exc.status in (429, 503) else None
    if exc.status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="newsflow-ingest"'}
    return web.json_response({"error": exc.reason, "detail": str(exc)}, status=exc.status, headers=headers)


# Content codings the API undoes itself (build() turns aiohttp's automatic decompression
# off): with it on, a corrupt gzip body escaped the handlers as a 500, `br` (no Brotli
# installed) got aiohttp's plain-text 400 and unknown codings were read as identity.
_IDENTITY = frozenset({"", "identity"})
_GZIP = frozenset({"gzip", "x-gzip"})  # RFC 9110 8.4.1.3: x-gzip is gzip
_DEFLATE = frozenset({"deflate"})
_INFLATE_STEP = 1 << 16  # output per zlib call: what a decompression bomb costs before the limit


class _Inflater:
    """A gzip or deflate body undone chunk by chunk, at most _INFLATE_STEP bytes a step.

    Deflate is zlib-wrapped (RFC 1950) as HTTP says, or raw deflate as some clients send
    it (told apart by the first byte, as aiohttp did). Gzip may have several members
    (RFC 1952); bytes after the end of a deflate stream are an error.
    """

    def __init__(self, coding: str) -> None:
        self._gzip = coding in _GZIP
        self._coding = "gzip" if self._gzip else "deflate"
        self._stream: zlib._Decompress | None = None

    def _bad(self, detail: str) -> BadRequest:
        return BadRequest("bad_encoding", f"body is not valid {self._coding} (Content-Encoding): {detail}")

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of the next chunk; BadRequest `bad_encoding` if it is corrupt."""
        while data or self._stream is not None:
            if self._stream is None or (self._stream.eof and data):
                if self._stream is not None and not self._gzip:
                    raise self._bad("data after the end of the stream")
                wbits = 31 if self._gzip else (15 if data[0] & 0x0F == 8 else -15)
                self._stream = zlib.decompressobj(wbits)
            try:
                out = self._stream.decompress(data, _INFLATE_STEP)
            except zlib.error as exc:
                raise self._bad(str(exc)) from exc
            if out:
                yield out
            if self._stream.eof:
                data = self._stream.unused_data
                if not data:
                    return
            else:
                data = self._stream.unconsumed_tail
                if not data and len(out) < _INFLATE_STEP:  # input used up and nothing pending
                    return

    def close(self) -> None:
        """The body ended: a stream cut short is corrupt too."""
        if self._stream is not None and not self._stream.eof:
            raise self._bad("truncated")


async def _body_chunks(request: web.Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The request body, its Content-Encoding undone, as it arrives.

    Refusals: 413 `too_large` over `limit` bytes (sent or decoded), 415
    `unsupported_encoding` for a coding other than gzip, deflate or identity, 400
    `bad_encoding` for a corrupt compressed body or a broken transfer.
    """
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge("too_large", f"request body exceeds {limit} bytes")
    coding = request.headers.get(hdrs.CONTENT_ENCODING, "").strip().lower()
    if coding in _IDENTITY:
        inflater = None
    elif coding in _GZIP | _DEFLATE:
        inflater = _Inflater(coding)
    else:
        raise UnsupportedMediaType(
            "unsupported_encoding",
            f"Content-Encoding {coding[:40]!r} is not supported; send gzip, deflate or identity",
        )
    received = 0
    try:
        async for chunk in request.content.iter_chunked(1 << 16):
            received += len(chunk)
            if received > limit:
                raise TooLarge("too_large", f"request body exceeds {limit} bytes")
            if inflater is None:
                yield chunk
            else:
                for piece in inflater.feed(chunk):
                    yield piece
    except web.RequestPayloadError as exc:  # the transfer itself broke (chunked encoding, ...)
        raise BadRequest("bad_encoding", f"request body could not be read: {exc}") from exc
    if inflater is not None and received:
        inflater.close()


async def _read_body(request: web.Request, limit: int) -> bytes:
    chunks, size = [], 0
    async with aclosing(_body_chunks(request, limit)) as body:
        async for chunk in body:
            size += len(chunk)
            if size > limit:
                raise TooLarge("too_large", f"request body exceeds {limit} bytes")
            chunks.append(chunk)
    return b"".join(chunks)


async def _read_batch(
    request: web.Request, limits: requests.Limits, limit: int, source: str
) -> tuple[list[tuple[int, requests.Record]], list[dict[str, Any]]]:
    """Decode the NDJSON body line by line as it arrives: the whole body is never in memory,
    only the unfinished line and the encoded records (issue 9)."""
    batch = requests.NdjsonBatch(limits, source, limit)
    async with aclosing(_body_chunks(request, limit)) as body:
        async for chunk in body:
            batch.feed(chunk)
    return batch.close()


async def _produce(app: web.Application, articles: list[RawArticle]) -> list[BaseException | None]:
    """Send all, then wait for every ack; one result per article (None = acked)."""
    return await _produce_records(app, [requests.to_record(a) for a in articles])


async def _produce_records(
    app: web.Application, records: list[requests.Record]
) -> list[BaseException | None]:
    """Send all, then wait for every ack; one result per record (None = acked)."""
    producer = app[STATE].producer
    settings = app[SETTINGS]
    if producer is None:
        holder = app[STATE].producers
        if holder is None or not await holder.renew_if_broken():
            return [Unavailable("starting", "no kafka producer yet")] * len(records)
        producer = holder.current
        assert producer is not None
    topic = Topics(settings.topics).raw

    async def one(record: requests.Record) -> None:
        future = await producer.send(topic, record.value, key=record.key)
        await future

    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(one(r) for r in records), return_exceptions=True),
            timeout=settings.produce_timeout_s,
        )
    except TimeoutError:
        results = [TimeoutError("broker did not ack in time")] * len(records)
    holder = app[STATE].producers
    if holder is not None and any(r is not None for r in results):
        # the refused articles got 503 (clients retry); the next request gets a producer
        # that can deliver again
        await holder.renew_if_broken()
    for result, record in zip(results, records, strict=True):
        if result is None:
            metrics.INGEST_ACCEPTED.labels(record.source).inc()
            metrics.MESSAGES_OUT.labels("ingest", topic).inc()
        else:
            metrics.PRODUCER_ERRORS.labels("ingest").inc()
            log.warning("produce failed", extra={"ingest_id": record.id, "error": repr(result)})
    return list(results)


@web.middleware
async def auth_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """POST routes need a bearer token when tokens are configured; all are rate limited."""
    if request.method != "POST":
        return await handler(request)
    settings = request.app[SETTINGS]
    who = request.remote or "unknown"
    try:
        if settings.auth_tokens:
            who = check_token(request.headers.get("Authorization"), settings.auth_tokens)
        request.app[LIMITER].take(who)
    except IngestError as exc:
        return _error(exc)
    return await handler(request)


async def post_article(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    limits = requests.Limits(settings.max_body_bytes, settings.max_batch_lines)
    try:
        source = sources.ingest_source(request.headers.get(sources.HEADER), "api")
        sources.admit(request.app[BACKFILL], source, 1)
        body = await _read_body(request, settings.max_body_bytes + 65536)
        if request.content_type in ("text/html", "text/plain"):
            article = requests.from_raw_body(
                body, request.content_type, limits, request.query.get("url"), request.charset, source
            )
        elif request.content_type in ("application/json", "application/octet-stream", ""):
            article = requests.from_json(body, limits, source)
        else:
            raise UnsupportedMediaType(
                "unsupported_media_type", "send application/json, text/html or text/plain"
            )
        (result,) = await _produce(request.app, [article])
        if result is not None:
            raise Unavailable("kafka_unavailable", "could not store the article; retry later")
    except IngestError as exc:
        return _error(exc)
    return web.json_response({"id": article.ingest.id}, status=202)


async def post_batch(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    limits = requests.Limits(settings.max_body_bytes, settings.max_batch_lines)
    try:
        source = sources.ingest_source(request.headers.get(sources.HEADER), "batch")
        accepted, errors = await _read_batch(request, limits, settings.max_batch_bytes, source)
        sources.admit(request.app[BACKFILL], source, len(accepted))
    except IngestError as exc:
        return _error(exc)
    for error in errors:
        metrics.INGEST_REJECTED.labels("400", error["reason"]).inc()
    results = await _produce_records(request.app, [r for _, r in accepted])
    ids: list[str] = []
    for (line, record), result in zip(accepted, results, strict=True):
        if result is None:
            ids.append(record.id)
        else:
            errors.append({"line": line, "reason": "kafka_unavailable", "error": repr(result)})
    errors.sort(key=lambda e: e["line"])
    answer: dict[str, Any] = {"ids": ids, "errors": errors}
    status, headers = 202, None
    if not ids:  # nothing stored: say why at the top level too, like every other refusal
        unavailable = any(e["reason"] == "kafka_unavailable" for e in errors)
        status = 503 if unavailable else 400
        answer["error"] = "kafka_unavailable" if unavailable else "no_valid_lines"
        headers = {"Retry-After": "5"} if unavailable else None
    return web.json_response(answer, status=status, headers=headers)


async def index(request: web.Request) -> web.Response:
    return web.json_response({"service": "newsflow-ingest", "version": __version__})


def build(settings: IngestSettings) -> web.Application:
    app = web.Application(
        middlewares=[metrics_middleware, auth_middleware],
        client_max_size=max(settings.max_body_bytes, settings.max_batch_bytes) + 65536,
        handler_args={"auto_decompress": False},  # _body_chunks undoes Content-Encoding itself
    )
    app[SETTINGS] = settings
    app[STATE] = _State()
    app[LIMITER] = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
    app[BACKFILL] = RateLimiter(settings.backfill_rate_per_s, settings.backfill_burst)
    app.router.add_get("/", index)
    app.router.add_post("/v1/articles", post_article)
    app.router.add_post("/v1/articles/batch", post_batch)
    add_ops_routes(app, lambda: _ready(app))
    app.cleanup_ctx.append(_kafka_producer)
    # issue 8: feeds (NEWSFLOW_FEEDS_FILE) polled in the background, produced like API requests
    feeds_service.attach(app, settings, lambda articles: _produce(app, articles))
    return app


def _ready(app: web.Application) -> tuple[bool, str]:
    producer = app[STATE].producer
    if producer is None:
        return False, "starting"
    if producer._closed:
        return False, "producer closed"
    if is_broken(producer):
        return False, "producer cannot deliver; renewed on the next request"
    return True, "ok"


async def _kafka_producer(app: web.Application) -> Any:
    settings = app[SETTINGS]
    if settings.topics.create:
        await ensure_topics(settings.kafka, Topics(settings.topics).specs(settings.kafka))
    holder = RenewableProducer(
        "ingest", lambda: AIOKafkaProducer(**producer_kwargs(settings.kafka), client_id="newsflow-ingest")
    )
    await holder.start()
    app[STATE].producers = holder
    log.info("ingest ready", extra={"port": settings.http.port})
    try:
        yield
    finally:
        app[STATE].producers = None
        await holder.stop()


def main(settings: IngestSettings | None = None) -> None:
    settings = settings or IngestSettings()
    jsonlog.setup("ingest", settings.log_level)
    metrics.SERVICE_INFO.info({"service": "ingest", "version": __version__})
    web.run_app(
        build(settings),
        host=settings.http.host,
        port=settings.http.port,
        print=None,
        access_log=None,
        shutdown_timeout=30,
    )
