"""TransactionalStage with tables, on a recording stand-in for the producer: per batch
the outputs, then one changelog record per key written (its final value), then the
input offsets and the commit; the tables checkpoint the offsets those records reached.
The broker-level behaviour (kill, restart, restore) is in tests/integration/deduper."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from services.core.settings import NormalizerSettings
from services.core.state.table import ChangelogTable
from services.core.streaming.stage import Output
from services.core.streaming.txn import InRecord, TransactionalStage

SOURCE, OUT, DLQ, CHANGELOG = "in", "out", "dlq", "t-changelog"
FIRST_OFFSET = 100  # the changelog partitions already hold records


@dataclass(frozen=True)
class Sent:
    offset: int


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


class RecordingProducer:
    """What `_process` calls on an AIOKafkaProducer; every send succeeds at once."""

    def __init__(self) -> None:
        self.log: list[Any] = []
        self.ends: Counter[tuple[str, int]] = Counter()
        self.fail_commit = False

    async def begin_transaction(self) -> None:
        self.log.append("begin")

    async def send(
        self, topic: str, value: bytes | None, key: bytes | None = None, partition: int | None = None
    ) -> asyncio.Future[Sent]:
        self.log.append((topic, partition, key, value))
        future: asyncio.Future[Sent] = asyncio.get_running_loop().create_future()
        if partition is not None:
            future.set_result(Sent(FIRST_OFFSET + self.ends[(topic, partition)]))
            self.ends[(topic, partition)] += 1
        else:
            future.set_result(Sent(0))
        return future

    async def send_offsets_to_transaction(self, offsets: dict[TopicPartition, int], group: str) -> None:
        self.log.append(("offsets", dict(offsets)))

    async def commit_transaction(self) -> None:
        if self.fail_commit:
            raise KafkaError("commit failed")
        self.log.append("commit")

    async def abort_transaction(self) -> None:
        self.log.append("abort")


class Consumer:
    """What the stage's rewind needs of the consumer."""

    def __init__(self) -> None:
        self.seeks: list[tuple[TopicPartition, int]] = []

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition(SOURCE, 0)}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))


def apply_ops(table: ChangelogTable, record: InRecord) -> list[Output]:
    """Input values are JSON lists of [op, partition, key, value]; "fail" raises."""
    for op, partition, key, value in json.loads(record.value):
        if op == "fail":
            raise ValueError("poison record")
        if op == "put":
            table.put(partition, key.encode(), value.encode())
        else:
            table.delete(partition, key.encode())
    return [Output(OUT, record.key, b"done")]


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[TransactionalStage]:
    table = ChangelogTable("t", CHANGELOG, tmp_path)
    stage = TransactionalStage(
        "test",
        NormalizerSettings(),
        [SOURCE],
        DLQ,
        lambda record: apply_ops(table, record),
        tables={"t": table},
        table_sources={"t": SOURCE},
    )
    stage.producers.current = RecordingProducer()  # type: ignore[assignment]
    stage.consumer = Consumer()  # type: ignore[assignment]
    yield stage
    table.close()


def batch(*ops: list[list[Any]]) -> dict[TopicPartition, list[Message]]:
    return {
        TopicPartition(SOURCE, 0): [
            Message(SOURCE, 0, offset, f"r{offset}".encode(), json.dumps(o).encode())
            for offset, o in enumerate(ops)
        ]
    }


def producer(stage: TransactionalStage) -> RecordingProducer:
    assert isinstance(stage.producer, RecordingProducer)
    return stage.producer


def changelog_sends(log: list[Any]) -> list[tuple[int, bytes, bytes | None]]:
    return [item[1:] for item in log if isinstance(item, tuple) and item[0] == CHANGELOG]


async def test_one_changelog_record_per_key_sent_last_and_checkpointed(stage: TransactionalStage) -> None:
    await stage._process(
        batch(  # type: ignore[arg-type]
            [["put", 0, "gather", "a"], ["put", 0, "gather", "b"], ["put", 1, "index", "x"]],
            [["put", 0, "gather", "c"], ["del", 0, "gather", ""], ["put", 1, "other", "y"]],
            [["put", 1, "index", "poison"], ["put", 0, "never", "z"], ["fail", 0, "", ""]],
        )
    )
    log = producer(stage).log
    assert sorted(changelog_sends(log)) == [(0, b"gather", None), (1, b"index", b"x"), (1, b"other", b"y")]
    kinds = [item if isinstance(item, str) else item[0] for item in log]
    assert kinds == ["begin", OUT, OUT, DLQ, CHANGELOG, CHANGELOG, CHANGELOG, "offsets", "commit"]
    table = stage.tables["t"]
    assert (table.checkpoint(0), table.checkpoint(1)) == (FIRST_OFFSET, FIRST_OFFSET + 1)
    assert table.get(0, b"gather") is None and table.get(1, b"index") == b"x"
    assert table.get(0, b"never") is None

    log.clear()
    await stage._process(batch([["put", 1, "index", "x2"]]))  # type: ignore[arg-type]
    assert changelog_sends(log) == [(1, b"index", b"x2")]  # nothing of the last batch again
    assert (table.checkpoint(0), table.checkpoint(1)) == (FIRST_OFFSET, FIRST_OFFSET + 2)


async def test_an_aborted_batch_leaves_the_tables_as_they_were(stage: TransactionalStage) -> None:
    await stage._process(batch([["put", 0, "k", "committed"]]))  # type: ignore[arg-type]
    producer(stage).fail_commit = True
    with pytest.raises(KafkaError):
        await stage._process(batch([["put", 0, "k", "aborted"], ["put", 0, "j", "aborted"]]))  # type: ignore[arg-type]
    table = stage.tables["t"]
    assert table.get(0, b"k") == b"committed" and table.get(0, b"j") is None
    assert table.checkpoint(0) == FIRST_OFFSET and table.changelog_records() == []
    assert producer(stage).log[-1] == "abort"
