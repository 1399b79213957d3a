"""Reading topics in tests: everything on a topic until it stops growing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


async def read_all(
    bootstrap: str, topic: str, *, idle_s: float = 2.0, timeout_s: float = 30.0
) -> list[Record]:
    """All records currently on `topic` (reads until `idle_s` without new records)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_partition_fetch_bytes=16 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    records: list[Record] = []
    try:
        deadline = time.monotonic() + timeout_s
        last_new = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last_new < idle_s:
            batch = await consumer.getmany(timeout_ms=300)
            for messages in batch.values():
                for m in messages:
                    records.append(Record(m.topic, m.partition, m.offset, m.key, m.value, tuple(m.headers)))
                    last_new = time.monotonic()
    finally:
        await consumer.stop()
    return records


async def wait_for(
    bootstrap: str, topic: str, predicate: Callable[[list[Record]], bool], *, timeout_s: float = 120.0
) -> list[Record]:
    """Poll `topic` until `predicate(records)` holds; return the records read."""
    deadline = time.monotonic() + timeout_s
    records: list[Record] = []
    while time.monotonic() < deadline:
        records = await read_all(bootstrap, topic, idle_s=1.0, timeout_s=20)
        if predicate(records):
            return records
        await asyncio.sleep(1.0)
    raise AssertionError(f"timed out waiting on {topic}; have {len(records)} records")


async def produce(bootstrap: str, topic: str, items: list[tuple[bytes | None, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=16 * 1024 * 1024)
    await producer.start()
    try:
        for key, value in items:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def group_offsets(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    """The offsets a consumer group has committed, per partition."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in committed.items()}
