"""The retention timer's partition rule matches the producer's: a tombstone lands on
the partition the key's data is on."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from services.sink.tables import hash_partition


def test_hash_partition_is_aiokafkas_default_partitioner() -> None:
    for n in (1, 3, 6, 12):
        for key in (b"a000001", b"topic:medtop:11000000", "Sö Paulo".encode(), b""):
            assert hash_partition(key, n) == DefaultPartitioner()(key, list(range(n)), list(range(n)))
