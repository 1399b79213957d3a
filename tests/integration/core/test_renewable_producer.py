"""RenewableProducer on the real broker: a producer whose sender died is replaced.

aiokafka's sender task dies for good on errors such as OutOfOrderSequenceNumber after a
broker restart (the fault test tests/faults/test_broker_restart.py provokes the real
thing); here the sender is stopped directly to check detection and renewal in isolation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from services.core.kafka.admin import ensure_topics
from services.core.kafka.producer import RenewableProducer, is_broken, transaction_ready
from services.core.settings import KafkaSettings
from services.core.topics import TopicSpec
from tests.support.kafka import read_all

pytestmark = pytest.mark.kafka


async def test_a_producer_whose_sender_died_is_renewed_and_delivers(
    kafka_broker: Any, unique_name: Callable[[str], str]
) -> None:
    topic = unique_name("renew")
    await ensure_topics(KafkaSettings(bootstrap_servers=kafka_broker.bootstrap), [TopicSpec(topic, 1, 1, {})])
    holder = RenewableProducer("test", lambda: AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap))
    first = await holder.start()
    try:
        await first.send_and_wait(topic, b"before", key=b"k")
        assert not is_broken(first)
        assert not await holder.renew_if_broken()  # healthy: kept
        first._sender.sender_task.cancel()  # what an unrecoverable sender error leaves behind
        await asyncio.sleep(0.1)
        assert is_broken(first)
        assert await holder.renew_if_broken()
        second = holder.current
        assert second is not None and second is not first and holder.renewals == 1
        await second.send_and_wait(topic, b"after", key=b"k")
    finally:
        await holder.stop()
    values = [r.value for r in await read_all(kafka_broker.bootstrap, topic, idle_s=1.0)]
    assert values == [b"before", b"after"]


async def test_a_transactional_producer_is_ready_only_between_transactions(
    kafka_broker: Any, unique_name: Callable[[str], str]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap, transactional_id=unique_name("t"))
    await producer.start()
    try:
        assert transaction_ready(producer)
        await producer.begin_transaction()
        assert not transaction_ready(producer)
        await producer.abort_transaction()
        assert transaction_ready(producer)
    finally:
        await producer.stop()
