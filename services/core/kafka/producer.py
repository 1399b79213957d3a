"""A producer that is replaced when aiokafka can no longer deliver with it.

Why: aiokafka's sender task dies on some errors and never comes back: after a broker
restart an idempotent producer whose expired batches used up sequence numbers gets
`OutOfOrderSequenceNumber`, and from then on every `send` raises that same error
(the Java client bumps its epoch and carries on). A transactional producer whose abort
could not reach the broker is left in a state where `begin_transaction` fails forever.
Both are cured the same way: stop the old producer and start a new one. A new
transactional producer with the same transactional id fences the old one and aborts its
open transaction, so nothing half-written becomes visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaProducer

from services.core import metrics

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0


def is_broken(producer: AIOKafkaProducer) -> bool:
    """True when this producer can never deliver again (its sender task is gone, or its
    transaction state is fatal or stuck outside READY/IN_TRANSACTION)."""
    sender = getattr(producer, "_sender", None)
    task = getattr(sender, "sender_task", None)
    if task is not None and task.done():
        return True
    accumulator = getattr(producer, "_message_accumulator", None)
    if getattr(accumulator, "_exception", None) is not None:
        return True
    txn = getattr(producer, "_txn_manager", None)
    return txn is not None and bool(txn.is_fatal_error())


def transaction_ready(producer: AIOKafkaProducer) -> bool:
    """A transactional producer can begin a transaction now (state READY)."""
    txn = getattr(producer, "_txn_manager", None)
    return txn is None or getattr(txn.state, "name", "") == "READY"


class RenewableProducer:
    """Owns the current AIOKafkaProducer; `renew()` swaps in a fresh one."""

    def __init__(self, service: str, factory: Callable[[], AIOKafkaProducer]) -> None:
        self.service = service
        self._factory = factory
        self._lock = asyncio.Lock()
        self.current: AIOKafkaProducer | None = None
        self.renewals = 0

    async def start(self) -> AIOKafkaProducer:
        producer = self._factory()
        await producer.start()
        self.current = producer
        return producer

    async def renew(self, reason: str) -> AIOKafkaProducer:
        """Replace the producer (once, however many callers saw it fail at the same time)."""
        broken = self.current
        async with self._lock:
            if self.current is not broken and self.current is not None:
                return self.current  # someone else renewed it meanwhile
            self.current = None
            if broken is not None:
                await _stop_quietly(broken)
            self.renewals += 1
            metrics.PRODUCER_RENEWALS.labels(self.service).inc()
            log.warning("kafka producer renewed", extra={"stage": self.service, "reason": reason})
            return await self.start()

    async def renew_if_broken(self) -> bool:
        """For request handlers: renew a broken (or, after a failed renewal, missing)
        producer; never raises. True when a new producer is in place."""
        if self.current is not None and not is_broken(self.current):
            return False
        try:
            await self.renew("sender stopped" if self.current is not None else "no producer")
        except Exception as exc:  # the broker is still away: the next failure tries again
            log.warning("kafka producer renewal failed", extra={"stage": self.service, "error": repr(exc)})
            return False
        return True

    async def stop(self) -> None:
        if self.current is not None:
            producer, self.current = self.current, None
            await _stop_quietly(producer)


async def _stop_quietly(producer: AIOKafkaProducer) -> None:
    """A broken producer's stop may raise or wait on a broker that is away: bound it."""
    with contextlib.suppress(Exception, asyncio.TimeoutError):
        await asyncio.wait_for(producer.stop(), STOP_TIMEOUT_S)
