"""The one loop every transform stage runs: decode, call the pure handler, route, DLQ.

A stage is a pure function `handler(key, value) -> list[Output]`. Whatever it raises
becomes a DLQ record for that message, and the partition keeps flowing. Offsets are
committed by faust only after the producer has flushed (at-least-once); the sends
happen before the next message is taken, so output order follows input order per
partition.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import faust

from services.core import metrics
from services.core.clock import parse_utc
from services.core.codec import encode
from services.core.dlq import dlq_record, reason_of

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Output:
    topic: str
    key: bytes | None
    value: bytes
    received_at: str | None = None  # ingest.received_at, for the e2e latency histogram


Handler = Callable[[bytes | None, bytes], list[Output]]


def run_handler(
    stage: str, handler: Handler, dlq_topic: str, key: bytes | None, value: bytes, **where: Any
) -> list[Output]:
    """Call the handler; turn any failure into one DLQ output (never raises)."""
    try:
        return handler(key, value)
    except Exception as exc:
        reason = reason_of(exc)
        metrics.DLQ.labels(stage, reason).inc()
        log.warning(
            "message sent to dlq",
            extra={"stage": stage, "reason": reason, "error": str(exc)[:500], **where},
        )
        record = dlq_record(stage, exc, value, key=key, **where)
        return [Output(dlq_topic, key, encode(record))]


def observe_outputs(stage: str, outputs: list[Output]) -> None:
    now = time.time()
    for out in outputs:
        metrics.MESSAGES_OUT.labels(stage, out.topic).inc()
        if out.received_at:
            with contextlib.suppress(ValueError):
                metrics.E2E_LATENCY.labels(stage).observe(now - parse_utc(out.received_at).timestamp())


def add_stage_agent(app: faust.App, stage: str, source: str, dlq_topic: str, handler: Handler) -> None:
    """Wire `handler` between `source` and whatever topics its outputs name."""
    src = app.topic(source, key_type=bytes, value_type=bytes)
    sinks: dict[str, faust.types.TopicT] = {}

    def sink(name: str) -> faust.types.TopicT:
        if name not in sinks:
            sinks[name] = app.topic(name, key_type=bytes, value_type=bytes)
        return sinks[name]

    async def agent(stream: faust.StreamT) -> None:
        async for event in stream.events():
            message = event.message
            value = event.value if isinstance(event.value, bytes) else b""
            metrics.MESSAGES_IN.labels(stage, message.topic).inc()
            metrics.ARTICLE_BYTES.labels(stage).observe(len(value))
            started = time.perf_counter()
            outputs = run_handler(
                stage,
                handler,
                dlq_topic,
                message.key,
                value,
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
            )
            metrics.PROCESSING.labels(stage).observe(time.perf_counter() - started)
            for out in outputs:
                await sink(out.topic).send(key=out.key, value=out.value)
            observe_outputs(stage, outputs)

    app.agent(src, name=f"{stage}-agent")(agent)
