"""The real Kafka 4.4 broker does what the pipeline relies on, through aiokafka 0.14.

Topics (partitioned and compacted), compression codecs, ~5 MB records, consumer-group
commit/resume, and data surviving a broker crash (SIGKILL) and restart.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.codec import has_lz4, has_snappy, has_zstd
from aiokafka.errors import for_code

from services.core.kafka.clients import consumer_kwargs, producer_kwargs
from services.core.settings import KafkaSettings
from tests.support.kafka import group_offsets
from tests.support.system import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.asyncio]

# deploy/kafka/kafka_runner.py, imported by path in tests/conftest.py (loaded before us)
kafka_runner = sys.modules["newsflow_kafka_runner"]

MAX_BYTES = 16 * 1024 * 1024
TIMEOUT = 30.0


async def create_topic(
    bootstrap: str, name: str, partitions: int = 1, configs: dict[str, str] | None = None
) -> None:
    """Create a topic and fail loudly: aiokafka returns per-topic errors instead of raising."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        resp = await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs or {})])
        for topic, code, *rest in resp.topic_errors:
            if code:
                raise for_code(code)(f"create {topic}: {rest}")
    finally:
        await admin.close()


async def topic_configs(bootstrap: str, name: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (resp,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    finally:
        await admin.close()
    (resource,) = resp.resources
    assert resource[0] == 0, resource  # error_code
    return {entry[0]: entry[1] for entry in resource[4]}


async def read_all(
    bootstrap: str, topic: str, count: int, **consumer_kwargs: Any
) -> list[tuple[bytes | None, bytes | None]]:
    """Read `count` records from the start of `topic` without a consumer group."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", **consumer_kwargs
    )
    await consumer.start()
    out: list[tuple[bytes | None, bytes | None]] = []
    try:
        async with asyncio.timeout(TIMEOUT):
            while len(out) < count:
                batches = await consumer.getmany(timeout_ms=1000)
                out.extend((m.key, m.value) for msgs in batches.values() for m in msgs)
    finally:
        await consumer.stop()
    return out


async def test_create_partitioned_and_compacted_topics(
    kafka_broker: Any, unique_name: Callable[[str], str]
) -> None:
    plain, compacted = unique_name("articles"), unique_name("latest")
    await create_topic(kafka_broker.bootstrap, plain, partitions=3)
    await create_topic(kafka_broker.bootstrap, compacted, partitions=3, configs={"cleanup.policy": "compact"})

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    await admin.start()
    try:
        described = {t["topic"]: t for t in await admin.describe_topics([plain, compacted])}
    finally:
        await admin.close()
    assert len(described[plain]["partitions"]) == 3
    assert len(described[compacted]["partitions"]) == 3
    assert (await topic_configs(kafka_broker.bootstrap, compacted))["cleanup.policy"] == "compact"
    assert (await topic_configs(kafka_broker.bootstrap, plain))["cleanup.policy"] == "delete"


CODECS = {"gzip": True, "lz4": has_lz4(), "zstd": has_zstd(), "snappy": has_snappy()}


@pytest.mark.parametrize("codec", list(CODECS))
async def test_compressed_produce_round_trip(
    kafka_broker: Any, unique_name: Callable[[str], str], codec: str
) -> None:
    if not CODECS[codec]:
        pytest.skip(f"aiokafka needs cramjam for {codec}")
    topic = unique_name(f"compressed-{codec}")
    await create_topic(kafka_broker.bootstrap, topic, partitions=3)
    sent = [(f"k{i}".encode(), (f"article {i} " * 50).encode()) for i in range(200)]

    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap, compression_type=codec, linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v, key=k) for k, v in sent]
        await producer.flush()
        assert all(f.done() and not f.exception() for f in futures)
    finally:
        await producer.stop()

    got = await read_all(kafka_broker.bootstrap, topic, len(sent))
    assert sorted(got) == sorted(sent)


async def test_five_megabyte_value_round_trips(kafka_broker: Any, unique_name: Callable[[str], str]) -> None:
    topic = unique_name("raw-html")
    await create_topic(kafka_broker.bootstrap, topic, configs={"max.message.bytes": str(MAX_BYTES)})
    value = os.urandom(5 * 1024 * 1024)  # incompressible: the record really is 5 MB

    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_broker.bootstrap, max_request_size=MAX_BYTES + 1024 * 1024
    )
    await producer.start()
    try:
        meta = await producer.send_and_wait(topic, value=value, key=b"big")
    finally:
        await producer.stop()
    assert meta.offset == 0

    got = await read_all(
        kafka_broker.bootstrap,
        topic,
        1,
        max_partition_fetch_bytes=MAX_BYTES,
        fetch_max_bytes=2 * MAX_BYTES,
    )
    assert got == [(b"big", value)]


async def test_the_services_consumers_take_a_record_larger_than_their_fetch_sizes(
    kafka_broker: Any, unique_name: Callable[[str], str]
) -> None:
    """services.core.kafka.clients fetches little per partition (memory); a larger record
    (up to NEWSFLOW_KAFKA__MAX_MESSAGE_BYTES) must still come through: the broker hands
    over the first batch of a partition whole, however large (KIP-74)."""
    topic = unique_name("raw-big")
    await create_topic(kafka_broker.bootstrap, topic, configs={"max.message.bytes": str(MAX_BYTES)})
    settings = KafkaSettings(bootstrap_servers=kafka_broker.bootstrap)
    fetch = consumer_kwargs(settings)
    big = os.urandom(fetch["max_partition_fetch_bytes"] + 1024)
    values = [b"small-1", big, b"small-2"]
    producer = AIOKafkaProducer(**producer_kwargs(settings))
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value=value, key=b"k")
    finally:
        await producer.stop()
    kwargs = {k: v for k, v in fetch.items() if k != "bootstrap_servers"}
    got = await read_all(kafka_broker.bootstrap, topic, 3, **kwargs)
    assert [v for _, v in got] == values


KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588  # a topic created without newsflow's admin


async def test_the_services_full_batches_fit_a_topic_with_kafkas_default_limit(
    kafka_broker: Any, unique_name: Callable[[str], str]
) -> None:
    """The producers collect up to MAX_BATCH_BYTES per partition (clients.py: aiokafka's
    16 KB default made sends wait a round trip per 16 KB). 2.5 MB to one partition, sent
    without waiting, goes out as full batches; each must pass a broker that takes no more
    than Kafka's default per record batch, or the sends fail (MessageSizeTooLarge)."""
    topic = unique_name("batches")
    await create_topic(
        kafka_broker.bootstrap, topic, configs={"max.message.bytes": str(KAFKA_DEFAULT_MAX_MESSAGE_BYTES)}
    )
    settings = KafkaSettings(bootstrap_servers=kafka_broker.bootstrap)
    values = [os.urandom(1000) for _ in range(2500)]  # incompressible, and no compression by default
    producer = AIOKafkaProducer(**producer_kwargs(settings))
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v, partition=0) for v in values]
        await producer.flush()
        offsets = [(await f).offset for f in futures]
    finally:
        await producer.stop()
    assert offsets == list(range(len(values)))
    got = await read_all(kafka_broker.bootstrap, topic, len(values))
    assert [v for _, v in got] == values


async def test_consumer_group_commit_and_resume(kafka_broker: Any, unique_name: Callable[[str], str]) -> None:
    topic, group = unique_name("clean"), unique_name("normalizer")
    await create_topic(kafka_broker.bootstrap, topic)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
    await producer.start()
    try:
        for i in range(10):
            await producer.send(topic, value=str(i).encode())
        await producer.flush()
    finally:
        await producer.stop()

    def group_consumer() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka_broker.bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )

    first = group_consumer()
    await first.start()
    try:
        async with asyncio.timeout(TIMEOUT):
            head = [(await first.getone()).value for _ in range(4)]
        await first.commit()  # commits the position after the 4th record
    finally:
        await first.stop()
    assert head == [b"0", b"1", b"2", b"3"]

    offsets = await group_offsets(kafka_broker.bootstrap, group)
    assert offsets[TopicPartition(topic, 0)] == 4

    second = group_consumer()
    await second.start()
    try:
        async with asyncio.timeout(TIMEOUT):
            rest = [(await second.getone()).value for _ in range(6)]
    finally:
        await second.stop()
    assert rest == [str(i).encode() for i in range(4, 10)]


async def test_data_survives_kill_and_restart(tmp_path: Path, unique_name: Callable[[str], str]) -> None:
    """Own broker: a crash of the shared session broker would disturb other tests."""
    broker = kafka_runner.KafkaBroker(
        tmp_path / "kafka", port=free_port(), controller_port=free_port(), heap="256m"
    )
    topic = unique_name("durable")
    try:
        await asyncio.to_thread(broker.start)
        await create_topic(broker.bootstrap, topic, configs={"cleanup.policy": "compact"})
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, value=b"before crash", key=b"a")
        finally:
            await producer.stop()

        broker.kill()
        assert not broker.is_running()
        await asyncio.to_thread(broker.start)
        assert broker.is_running()

        assert await read_all(broker.bootstrap, topic, 1) == [(b"a", b"before crash")]
        assert (await topic_configs(broker.bootstrap, topic))["cleanup.policy"] == "compact"
    finally:
        await asyncio.to_thread(broker.stop)
    assert not broker.is_running()
