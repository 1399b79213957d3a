"""The retention timer's partition rule matches the producer's: a tombstone lands on
the partition the key's data is on. A batch's rows record, per partition, the offset of
their last acknowledged changelog record (where a restore starts)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from aiokafka.errors import KafkaTimeoutError
from aiokafka.partitioner import DefaultPartitioner
from faust.types import TP

from services.sink.tables import hash_partition, persist_offsets


def test_hash_partition_is_aiokafkas_default_partitioner() -> None:
    for n in (1, 3, 6, 12):
        for key in (b"a000001", b"topic:medtop:11000000", "Sö Paulo".encode(), b""):
            assert hash_partition(key, n) == DefaultPartitioner()(key, list(range(n)), list(range(n)))


class _Recorded(SimpleNamespace):
    """A faust store's one method persist_offsets calls, recording what it was given."""

    def set_persisted_offset(self, tp: TP, offset: int) -> None:
        self.offsets[tp] = offset


def _table() -> SimpleNamespace:
    topic = SimpleNamespace(get_topic_name=lambda: "news.latest")
    return SimpleNamespace(data=_Recorded(offsets={}), changelog_topic=topic)


async def test_each_partitions_last_acknowledged_offset_is_persisted() -> None:
    loop = asyncio.get_running_loop()
    table = _table()
    sent = {0: loop.create_future(), 2: loop.create_future(), 4: loop.create_future()}
    persist_offsets(table, sent)  # type: ignore[arg-type]
    assert table.data.offsets == {}  # nothing before the broker acknowledged
    sent[0].set_result(SimpleNamespace(offset=41))
    sent[2].set_exception(KafkaTimeoutError())  # never acknowledged: its old offset stays
    sent[4].cancel()
    await asyncio.sleep(0)  # done callbacks run on the next loop turn
    assert table.data.offsets == {TP("news.latest", 0): 41}
