"""What every stage shares: outputs, the DLQ rule and output metrics.

A stage is a pure function from one input record to a list of Outputs. Whatever it
raises becomes one DLQ record for that message (stage, reason, original bytes), and
the partition keeps flowing. The transactional loop (txn.py) and the sink's faust
agents both call `run_handler`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.core import metrics
from services.core.clock import parse_utc
from services.core.codec import encode
from services.core.dlq import dlq_record, reason_of

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Output:
    topic: str
    key: bytes | None
    value: bytes | None  # None = tombstone (compacted state changelogs)
    received_at: str | None = None  # ingest.received_at, for the e2e latency histogram
    partition: int | None = None  # explicit partition (state changelogs); None = by key


Handler = Callable[[bytes | None, bytes], list[Output]]


def run_handler(
    stage: str,
    handler: Handler,
    dlq_topic: str,
    key: bytes | None,
    value: bytes,
    on_error: Callable[[], None] | None = None,
    **where: Any,
) -> list[Output]:
    """Call the handler; turn any failure into one DLQ output (never raises).

    `on_error` undoes whatever the failed call staged (state writes), so a message
    that goes to the DLQ leaves no trace in the stage's state.
    """
    try:
        return handler(key, value)
    except Exception as exc:
        if on_error is not None:
            on_error()
        reason = reason_of(exc)
        metrics.DLQ.labels(stage, reason).inc()
        log.warning(
            "message sent to dlq",
            extra={"stage": stage, "reason": reason, "error": str(exc)[:500], **where},
        )
        record = dlq_record(stage, exc, value, key=key, **where)
        return [Output(dlq_topic, key, encode(record))]


def observe_outputs(stage: str, outputs: list[Output], received: list[str] | None = None) -> None:
    """Count the outputs; observe the e2e latency of `received` (default: the outputs' own)."""
    now = time.time()
    for out in outputs:
        metrics.child(metrics.MESSAGES_OUT, stage, out.topic).inc()
    times = received if received is not None else [o.received_at for o in outputs if o.received_at]
    for received_at in times:
        with contextlib.suppress(ValueError):
            metrics.child(metrics.E2E_LATENCY, stage).observe(now - parse_utc(received_at).timestamp())
