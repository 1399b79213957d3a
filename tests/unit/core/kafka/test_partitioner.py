"""Batched keys must land exactly where a keyed send would put them."""

from __future__ import annotations

import pytest
from aiokafka.partitioner import DefaultPartitioner

from services.core.kafka.partitioner import group_by_partition, hash_partition

KEYS = [f"b3:{band}:{n:016x}" for band in range(12) for n in range(0, 4000, 97)] + ["", "é", "story:x"]


@pytest.mark.parametrize("partitions", [1, 3, 6, 12])
def test_hash_partition_is_the_default_partitioner_for_keyed_sends(partitions: int) -> None:
    every = list(range(partitions))
    for key in KEYS:
        raw = key.encode()
        assert hash_partition(raw, partitions) == DefaultPartitioner()(raw, every, every)


def test_group_by_partition_keeps_each_item_with_its_keys_partition_in_order() -> None:
    items = [(key, (i, key)) for i, key in enumerate(KEYS)]
    groups = group_by_partition(items, 6)
    assert sorted(x for group in groups.values() for x in group) == sorted(item for _, item in items)
    for partition, group in groups.items():
        assert all(hash_partition(key.encode(), 6) == partition for _, key in group)
        assert [i for i, _ in group] == sorted(i for i, _ in group)
    assert len(groups) == 6  # 500 keys spread over every partition
