"""ChangelogTable.restore on the real broker: a new owner sees every committed write.

The broker answers a transaction's commit before it writes the commit markers, and a
dead worker's open transaction holds the changelog's stable end back until it is
aborted. A restore that stopped at the stable end it saw first would miss committed
writes (issue 5: known articles coming out unique after a worker restart).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.core.kafka.admin import ensure_topics
from services.core.settings import KafkaSettings
from services.core.state.table import ChangelogTable
from services.core.topics import TopicSpec

pytestmark = pytest.mark.kafka


async def _topic(bootstrap: str, name: str) -> None:
    spec = TopicSpec(name, 1, 1, {"cleanup.policy": "compact"})
    await ensure_topics(KafkaSettings(bootstrap_servers=bootstrap), [spec])


async def _reader(bootstrap: str) -> AIOKafkaConsumer:
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        isolation_level="read_committed",
        enable_auto_commit=False,
        fetch_max_wait_ms=50,
    )
    await reader.start()
    return reader


async def _txn_producer(bootstrap: str, txn_id: str) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=txn_id, acks="all")
    await producer.start()
    return producer


async def test_restore_waits_for_an_open_transaction_and_keeps_its_committed_writes(
    kafka_broker: Any, tmp_path: Path, unique_name: Callable[[str], str]
) -> None:
    bootstrap = kafka_broker.bootstrap
    topic = unique_name("changelog")
    await _topic(bootstrap, topic)
    first = await _txn_producer(bootstrap, unique_name("txn"))
    async with first.transaction():
        await first.send(topic, b"v1", key=b"k1", partition=0)
    second = await _txn_producer(bootstrap, unique_name("txn"))
    await second.begin_transaction()
    await (await second.send(topic, b"v2", key=b"k2", partition=0))  # written, not committed yet

    table = ChangelogTable("t", topic, tmp_path)
    assert table.get(0, b"k1") is None  # read before the restore: must not outlive it
    reader = await _reader(bootstrap)
    try:
        restore = asyncio.create_task(table.restore(0, reader, warn_every_s=30))
        await asyncio.sleep(1.5)
        assert not restore.done(), "restore returned while a transaction on the changelog was open"
        assert table.get(0, b"k2") is None  # read while restoring (not committed yet)
        await second.commit_transaction()
        applied = await asyncio.wait_for(restore, 30)
    finally:
        await reader.stop()
        await first.stop()
        await second.stop()
    assert applied == 2
    assert table.get(0, b"k1") == b"v1" and table.get(0, b"k2") == b"v2"


async def test_restore_skips_aborted_writes_and_resumes_from_its_checkpoint(
    kafka_broker: Any, tmp_path: Path, unique_name: Callable[[str], str]
) -> None:
    bootstrap = kafka_broker.bootstrap
    topic = unique_name("changelog")
    await _topic(bootstrap, topic)
    producer = await _txn_producer(bootstrap, unique_name("txn"))
    try:
        async with producer.transaction():
            await producer.send(topic, b"a", key=b"k1", partition=0)
        await producer.begin_transaction()
        await producer.send(topic, b"aborted", key=b"k2", partition=0)
        await producer.abort_transaction()
        table = ChangelogTable("t", topic, tmp_path)
        reader = await _reader(bootstrap)
        try:
            assert await table.restore(0, reader, warn_every_s=10) == 1
            assert table.get(0, b"k2") is None
            async with producer.transaction():
                await producer.send(topic, b"b", key=b"k1", partition=0)
                await producer.send(topic, None, key=b"k3", partition=0)
            table.release({0})  # the partition moves away and comes back
            assert await table.restore(0, reader, warn_every_s=10) == 2  # only what came after
        finally:
            await reader.stop()
    finally:
        await producer.stop()
    assert table.get(0, b"k1") == b"b" and table.get(0, b"k3") is None


async def test_restore_outlasting_its_warning_keeps_waiting_for_the_end(
    kafka_broker: Any, tmp_path: Path, unique_name: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    """Giving up at a deadline left a partly restored table and no error: the deduper's
    gather table then held an article back forever. Past `warn_every_s` it only warns."""
    bootstrap = kafka_broker.bootstrap
    topic = unique_name("changelog")
    await _topic(bootstrap, topic)
    open_txn = await _txn_producer(bootstrap, unique_name("txn"))
    await open_txn.begin_transaction()
    await (await open_txn.send(topic, b"late", key=b"k", partition=0))
    table = ChangelogTable("t", topic, tmp_path)
    reader = await _reader(bootstrap)
    try:
        with caplog.at_level(logging.WARNING, logger="services.core.state.table"):
            restore = asyncio.create_task(table.restore(0, reader, warn_every_s=0.5))
            await asyncio.sleep(2.5)  # several warning intervals
            assert not restore.done(), "restore gave up before the changelog end"
            await open_txn.commit_transaction()
            assert await asyncio.wait_for(restore, 30) == 1
    finally:
        await reader.stop()
        await open_txn.stop()
    assert table.get(0, b"k") == b"late"
    warnings = [r for r in caplog.records if "still short of the changelog end" in r.getMessage()]
    assert len(warnings) >= 2, [r.getMessage() for r in caplog.records]
