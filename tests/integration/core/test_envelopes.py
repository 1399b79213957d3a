"""Envelopes on the real broker: a stage's messages to a coalesced topic travel as one
record per partition and batch, and the reading stage handles each message alone.

Stage A reads `in` and sends three keyed messages per input to `mid` (coalesced);
stage B reads `mid` and echoes each message to `out`, sending a poison one to the DLQ.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable

import pytest

from services.core.kafka.admin import ensure_topics
from services.core.kafka.partitioner import hash_partition
from services.core.settings import KafkaSettings, NormalizerSettings, TopicSettings
from services.core.streaming import envelope
from services.core.streaming.stage import Output
from services.core.streaming.txn import InRecord, TransactionalStage
from services.core.topics import TopicSpec
from tests.support.kafka import produce, read_all

pytestmark = pytest.mark.kafka

INPUTS, FAN_OUT, MID_PARTITIONS = 60, 3, 3
POISON = b"in-17:1"


def settings(bootstrap: str, prefix: str) -> NormalizerSettings:
    return NormalizerSettings(
        kafka=KafkaSettings(bootstrap_servers=bootstrap),
        topics=TopicSettings(prefix=prefix, partitions=MID_PARTITIONS),
        batch_size=25,  # several batches, each with many messages per partition
    )


def fan_out(mid: str) -> Callable[[InRecord], list[Output]]:
    def handle(record: InRecord) -> list[Output]:
        name = record.value.decode()
        return [Output(mid, f"{name}:{n}".encode(), f"{name}:{n}".encode()) for n in range(FAN_OUT)]

    return handle


def echo(out: str) -> Callable[[InRecord], list[Output]]:
    def handle(record: InRecord) -> list[Output]:
        if record.value == POISON:
            raise ValueError("poison message")
        return [Output(out, record.key, record.value + f"@{record.partition}".encode())]

    return handle


async def test_envelopes_carry_each_message_once_in_order_with_its_key(
    kafka_broker: object, unique_name: Callable[[str], str]
) -> None:
    bootstrap = kafka_broker.bootstrap  # type: ignore[attr-defined]
    prefix = unique_name("env") + "."
    source, mid, out, dlq = (f"{prefix}{t}" for t in ("in", "mid", "out", "dlq"))
    kafka = KafkaSettings(bootstrap_servers=bootstrap)
    await ensure_topics(
        kafka,
        [TopicSpec(t, n, 1, {}) for t, n in ((source, 2), (mid, MID_PARTITIONS), (out, 1), (dlq, 1))],
    )
    await produce(bootstrap, source, [(None, f"in-{n}".encode()) for n in range(INPUTS)])
    first = TransactionalStage(
        "env-a", settings(bootstrap, prefix), [source], dlq, fan_out(mid), coalesce=frozenset({mid})
    )
    second = TransactionalStage("env-b", settings(bootstrap, prefix), [mid], dlq, echo(out))
    stages = [first, second]
    for stage in stages:
        await stage.start()
    tasks = [asyncio.create_task(stage.run()) for stage in stages]
    try:
        expected = INPUTS * FAN_OUT - 1
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if len(await read_all(bootstrap, out, idle_s=0.5)) >= expected:
                break
            await asyncio.sleep(0.5)
    finally:
        for stage in stages:
            await stage.stop()
        for task in tasks:
            task.cancel()

    enveloped = await read_all(bootstrap, mid)
    assert enveloped and all(envelope.is_envelope(r.headers) for r in enveloped)
    assert len(enveloped) < INPUTS * FAN_OUT / 4  # far fewer records than messages
    sent: dict[int, list[bytes]] = defaultdict(list)
    for record in enveloped:
        assert record.value is not None
        for key, value in envelope.unpack(record.value):
            assert (
                key == value and key is not None and hash_partition(key, MID_PARTITIONS) == record.partition
            )
            sent[record.partition].append(key)

    echoed = await read_all(bootstrap, out)
    received: dict[int, list[bytes]] = defaultdict(list)
    for record in echoed:
        assert record.value is not None and record.key is not None
        name, _, partition = record.value.decode().rpartition("@")
        assert name.encode() == record.key  # each inner message handled with its own key
        received[int(partition)].append(record.key)
    for partition, keys in sent.items():  # every message once, in its partition's order
        assert received[partition] == [k for k in keys if k != POISON]
    assert sum(len(keys) for keys in received.values()) == INPUTS * FAN_OUT - 1

    dead = await read_all(bootstrap, dlq)
    assert len(dead) == 1 and dead[0].key == POISON  # the poison alone, not its envelope
