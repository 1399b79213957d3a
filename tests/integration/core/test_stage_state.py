"""A transactional stage's tables always match the offsets it committed (real broker).

- A commit that went through although its answer was lost: when `commit_transaction`
  fails (the connection drops after the broker took EndTxn) the stage cannot know the
  outcome. It rolls its tables back and resumes from the offsets the group really
  committed; if the commit went through, those are past the batch, so the batch is not
  handled again and its state writes are only on the changelog. The stage now catches
  its tables up from the changelogs there; before, it went on without those writes (in
  the deduper: a gather entry without its article, held back forever). Only the
  client's answer is lost, by a producer that commits and then raises.
- aiokafka fetches a new assignment while the assignment callback (the restore) still
  runs: a batch handled then read half-restored tables.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from services.core.kafka.admin import ensure_topics
from services.core.settings import KafkaSettings, NormalizerSettings, TopicSettings
from services.core.state.table import ChangelogTable
from services.core.streaming.stage import Output
from services.core.streaming.txn import InRecord, TransactionalStage
from services.core.topics import TopicSpec
from tests.support.kafka import produce, wait_for

pytestmark = pytest.mark.kafka


class LosingStage(TransactionalStage):
    """Its producers commit for real, then report the first commit as failed."""

    lost: list[int]

    def _new_producer(self) -> AIOKafkaProducer:
        producer = super()._new_producer()
        commit = producer.commit_transaction

        async def commit_then_lose_the_answer() -> None:
            await commit()
            if not self.lost:
                self.lost.append(1)
                raise KafkaConnectionError("connection lost after EndTxn (test)")

        producer.commit_transaction = commit_then_lose_the_answer  # type: ignore[method-assign]
        return producer


def counting(table: ChangelogTable, out: str) -> Callable[[InRecord], list[Output]]:
    """Counts records per key in the table; emits `key:count`."""

    def handle(record: InRecord) -> list[Output]:
        key = record.key or b""
        count = int(table.get(record.partition, key) or b"0") + 1
        table.put(record.partition, key, str(count).encode())
        return [Output(out, key, key + b":" + str(count).encode())]

    return handle


async def topics_and_stage(
    bootstrap: str, tmp_path: Path, unique_name: Callable[[str], str]
) -> tuple[LosingStage, ChangelogTable, dict[str, str]]:
    names = {n: unique_name(n) for n in ("in", "out", "dlq", "changelog")}
    kafka = KafkaSettings(bootstrap_servers=bootstrap)
    await ensure_topics(
        kafka,
        [TopicSpec(names[t], 1, 1, {}) for t in ("in", "out", "dlq")]
        + [TopicSpec(names["changelog"], 1, 1, {"cleanup.policy": "compact"})],
    )
    settings = NormalizerSettings(
        kafka=kafka, topics=TopicSettings(prefix=unique_name("p") + "."), instance_id=unique_name("w")
    )
    table = ChangelogTable("t", names["changelog"], tmp_path)
    stage = LosingStage(
        "test",
        settings,
        [names["in"]],
        names["dlq"],
        counting(table, names["out"]),
        tables={"t": table},
        table_sources={"t": names["in"]},
    )
    return stage, table, names


async def stop(stage: TransactionalStage, runner: asyncio.Task[None]) -> None:
    await stage.stop()
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)


async def test_a_commit_whose_answer_was_lost_keeps_its_state_writes(
    kafka_broker: Any, tmp_path: Path, unique_name: Callable[[str], str]
) -> None:
    bootstrap = kafka_broker.bootstrap
    stage, table, names = await topics_and_stage(bootstrap, tmp_path, unique_name)
    stage.lost = []
    await stage.start()
    runner = asyncio.create_task(stage.run())
    try:
        await produce(bootstrap, names["in"], [(b"x", b"1")])
        await wait_for(bootstrap, names["out"], lambda rs: len(rs) == 1, timeout_s=60)
        deadline = asyncio.get_running_loop().time() + 30
        while stage.recheck or stage.resync:  # the lost answer was handled
            assert asyncio.get_running_loop().time() < deadline, "the stage never resynced"
            await asyncio.sleep(0.1)
        await produce(bootstrap, names["in"], [(b"x", b"2")])
        records = await wait_for(bootstrap, names["out"], lambda rs: len(rs) >= 2, timeout_s=60)
    finally:
        await stop(stage, runner)
    assert stage.lost == [1], "the commit's answer was never lost: the test tested nothing"
    assert [r.value for r in records] == [b"x:1", b"x:2"]
    assert table.get(0, b"x") == b"2"


async def test_no_record_is_handled_before_the_tables_are_restored(
    kafka_broker: Any, tmp_path: Path, unique_name: Callable[[str], str]
) -> None:
    """The changelog holds x=1 behind another producer's open transaction, so the
    restore cannot read it before that transaction ends; an input for x is waiting."""
    bootstrap = kafka_broker.bootstrap
    stage, table, names = await topics_and_stage(bootstrap, tmp_path, unique_name)
    stage.lost = [0]  # no lost answers here
    blocker = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=unique_name("blocker"))
    writer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=unique_name("writer"))
    await blocker.start()
    await writer.start()
    try:
        await blocker.begin_transaction()
        await (await blocker.send(names["changelog"], b"1", key=b"other", partition=0))
        async with writer.transaction():
            await writer.send(names["changelog"], b"1", key=b"x", partition=0)
        await produce(bootstrap, names["in"], [(b"x", b"1")])
        await stage.start()
        runner = asyncio.create_task(stage.run())
        try:
            await asyncio.sleep(4)  # the stage is assigned its partition and restoring
            assert stage.restoring, "the restore ended before the blocking transaction did"
            await blocker.commit_transaction()
            records = await wait_for(bootstrap, names["out"], lambda rs: len(rs) >= 1, timeout_s=60)
        finally:
            await stop(stage, runner)
    finally:
        await blocker.stop()
        await writer.stop()
    assert [r.value for r in records] == [b"x:2"]
    assert table.get(0, b"x") == b"2" and table.get(0, b"other") == b"1"
