"""Which partition a key belongs to, computed without a producer.

Stages that batch the keys of one record by partition (one internal message per
partition instead of one per key) must put each key exactly where a keyed send would:
aiokafka's DefaultPartitioner, which is Java Kafka's (murmur2 of the key bytes). Then
state written by keyed sends and state written by batched sends share one layout.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from aiokafka.partitioner import murmur2

T = TypeVar("T")


def hash_partition(key: bytes, partitions: int) -> int:
    """aiokafka's DefaultPartitioner for a non-null key."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def group_by_partition(items: Iterable[tuple[str, T]], partitions: int) -> dict[int, list[T]]:
    """`(key, item)` pairs -> items per partition of their key, in input order."""
    groups: dict[int, list[T]] = {}
    for key, item in items:
        groups.setdefault(hash_partition(key.encode(), partitions), []).append(item)
    return groups
