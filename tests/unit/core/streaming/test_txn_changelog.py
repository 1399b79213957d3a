"""TransactionalStage with tables, on a recording stand-in for the producer: per batch
the outputs, then one changelog record per key written (its final value), then the
input offsets and the commit; the tables checkpoint the offsets those records reached.
The broker-level behaviour (kill, restart, restore) is in tests/integration/deduper."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from services.core.kafka.partitioner import hash_partition
from services.core.settings import NormalizerSettings
from services.core.state.table import ChangelogTable
from services.core.streaming import envelope
from services.core.streaming.stage import Output
from services.core.streaming.txn import InRecord, TransactionalStage

SOURCE, OUT, DLQ, CHANGELOG = "in", "out", "dlq", "t-changelog"
FIRST_OFFSET = 100  # the changelog partitions already hold records
PARTITIONS = 4  # of every topic, as the recording producer's metadata has it


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
    headers: tuple[tuple[str, bytes], ...] = ()


class RecordingProducer:
    """What `_process` calls on an AIOKafkaProducer; every send succeeds at once."""

    def __init__(self) -> None:
        self.log: list[Any] = []
        self.ends: Counter[tuple[str, int]] = Counter()
        self.fail_commit = False

    async def begin_transaction(self) -> None:
        self.log.append("begin")

    async def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        partition: int | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> asyncio.Future[Sent]:
        self.log.append((topic, partition, key, value) + ((tuple(headers),) if headers else ()))
        future: asyncio.Future[Sent] = asyncio.get_running_loop().create_future()
        if partition is not None:
            future.set_result(Sent(FIRST_OFFSET + self.ends[(topic, partition)]))
            self.ends[(topic, partition)] += 1
        else:
            future.set_result(Sent(0))
        return future

    async def partitions_for(self, topic: str) -> set[int]:
        return set(range(PARTITIONS))

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


Ops = Callable[[ChangelogTable, InRecord], list[Output]]


@contextmanager
def recording_stage(
    tmp_path: Path,
    ops: Ops,
    settings: NormalizerSettings | None = None,
    coalesce: frozenset[str] = frozenset(),
) -> Iterator[TransactionalStage]:
    """A stage with one table "t", a recording producer and a stand-in consumer."""
    table = ChangelogTable("t", CHANGELOG, tmp_path)
    stage = TransactionalStage(
        "test",
        settings or NormalizerSettings(),
        [SOURCE],
        DLQ,
        lambda record: ops(table, record),
        tables={"t": table},
        table_sources={"t": SOURCE},
        coalesce=coalesce,
    )
    stage.producers.current = RecordingProducer()  # type: ignore[assignment]
    stage.consumer = Consumer()  # type: ignore[assignment]
    try:
        yield stage
    finally:
        table.close()


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[TransactionalStage]:
    with recording_stage(tmp_path, apply_ops) as stage:
        yield stage


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


MID = "mid"  # a coalesced internal topic


def mid_ops(table: ChangelogTable, record: InRecord) -> list[Output]:
    """apply_ops, plus one keyed and one explicitly partitioned message to MID."""
    outputs = apply_ops(table, record)
    key = record.key or b""
    return [*outputs, Output(MID, key, b"keyed:" + key), Output(MID, None, b"to-3:" + key, partition=3)]


@pytest.fixture
def coalescing(tmp_path: Path) -> Iterator[TransactionalStage]:
    with recording_stage(tmp_path, mid_ops, coalesce=frozenset({MID})) as stage:
        yield stage


async def test_messages_to_a_coalesced_topic_go_out_as_one_envelope_per_partition(
    coalescing: TransactionalStage,
) -> None:
    ops = [[["put", 0, f"k{n}", "v"]] for n in range(6)] + [[["fail", 0, "", ""]]]
    await coalescing._process(batch(*ops))  # type: ignore[arg-type]
    log = producer(coalescing).log
    kinds = [item if isinstance(item, str) else item[0] for item in log]
    # outputs as they come, then the envelopes, then the changelog, offsets, commit
    first_mid, first_changelog = kinds.index(MID), kinds.index(CHANGELOG)
    assert kinds[:first_mid] == ["begin", *[OUT] * 6, DLQ]
    assert set(kinds[first_mid:first_changelog]) == {MID}
    assert kinds[first_changelog:] == [CHANGELOG] * 6 + ["offsets", "commit"]

    envelopes = [item for item in log if isinstance(item, tuple) and item[0] == MID]
    assert all(e[2] is None and e[4] == tuple(envelope.HEADERS) for e in envelopes)
    partitions = [e[1] for e in envelopes]
    assert len(partitions) == len(set(partitions))  # one envelope per partition
    inside = {e[1]: envelope.unpack(e[3]) for e in envelopes}
    keys = [f"r{n}".encode() for n in range(6)]  # the failed record (r6) sent nothing to MID
    assert [v for k, v in inside[3] if k is None] == [b"to-3:" + k for k in keys]
    keyed = [(p, k, v) for p, pairs in inside.items() for k, v in pairs if k is not None]
    assert sorted(k for _, k, _ in keyed) == keys
    assert all(p == hash_partition(k, PARTITIONS) and v == b"keyed:" + k for p, k, v in keyed)
    for pairs in inside.values():  # each partition's messages in send order
        order = [v.split(b":")[-1] for _, v in pairs]
        assert order == sorted(order)


async def test_an_envelope_is_handled_message_by_message(coalescing: TransactionalStage) -> None:
    pairs = [
        (b"a", b'[["put", 0, "x", "1"]]'),
        (b"b", b'[["fail", 0, "", ""]]'),
        (b"c", b'[["put", 1, "y", "2"]]'),
    ]
    message = Message(SOURCE, 0, 0, None, envelope._encode(pairs), tuple(envelope.HEADERS))
    await coalescing._process({TopicPartition(SOURCE, 0): [message]})  # type: ignore[dict-item]
    log = producer(coalescing).log
    outs = [item[2] for item in log if isinstance(item, tuple) and item[0] == OUT]
    dead = [item for item in log if isinstance(item, tuple) and item[0] == DLQ]
    assert outs == [b"a", b"c"]  # each with its own key, in order
    assert len(dead) == 1 and dead[0][2] == b"b"  # the failed one alone, with its key
    assert sorted(changelog_sends(log)) == [(0, b"x", b"1"), (1, b"y", b"2")]
    assert ("offsets", {TopicPartition(SOURCE, 0): 1}) in log


async def test_a_record_that_only_claims_to_be_an_envelope_goes_to_the_dlq(
    coalescing: TransactionalStage,
) -> None:
    message = Message(SOURCE, 0, 0, b"k", b"not msgpack pairs", tuple(envelope.HEADERS))
    await coalescing._process({TopicPartition(SOURCE, 0): [message]})  # type: ignore[dict-item]
    dead = [item for item in producer(coalescing).log if isinstance(item, tuple) and item[0] == DLQ]
    assert len(dead) == 1 and dead[0][2] == b"k"


@pytest.fixture
def small_batches(tmp_path: Path) -> Iterator[TransactionalStage]:
    with recording_stage(tmp_path, apply_ops, NormalizerSettings(batch_size=3)) as stage:
        yield stage


async def test_a_batch_stops_at_batch_size_messages_counting_what_envelopes_carry(
    small_batches: TransactionalStage,
) -> None:
    stage, consumer = small_batches, small_batches.consumer
    assert isinstance(consumer, Consumer)
    pairs = [(b"a", b'[["put", 0, "x", "1"]]'), (b"b", b'[["put", 0, "y", "2"]]')]
    first = Message(SOURCE, 0, 10, None, envelope._encode(pairs), tuple(envelope.HEADERS))
    rest = [Message(SOURCE, 0, 10 + n, f"r{n}".encode(), b'[["put", 1, "z", "3"]]') for n in (1, 2, 3)]
    tp = TopicPartition(SOURCE, 0)
    await stage._process({tp: [first, *rest]})  # type: ignore[list-item]
    log = producer(stage).log
    assert [item[2] for item in log if isinstance(item, tuple) and item[0] == OUT] == [b"a", b"b", b"r1"]
    assert ("offsets", {tp: 12}) in log  # committed up to what was handled
    assert stage._carry == {tp: rest[1:]} and not consumer.seeks  # the next batch, fetched already
    assert stage._carry_generation == stage.generation

    log.clear()
    producer(stage).fail_commit = True  # the carried batch fails: back to its first record
    with pytest.raises(KafkaError):
        await stage._process(stage._carry)
    assert consumer.seeks == [(tp, 12)] and stage._carry == {}
