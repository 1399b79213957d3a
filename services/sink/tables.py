"""The sink's faust tables, with one addition: deletes from outside an agent.

faust writes a table change to the changelog partition of the event being processed
and refuses changes outside an agent. The retention timer (services.sink.retention)
deletes outside one, so a `SinkTable` falls back to the key's hash partition there:
aiokafka's default partitioner (murmur2 of the key), which is the partition every source
topic of the sink puts that key on, computed here without waiting on producer metadata.
Inside an agent nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust
from faust.streams import current_event
from faust.types import TableT, TopicT

from services.core.kafka.partitioner import hash_partition
from services.core.settings import RocksDBSettings
from services.core.state.budget import faust_rocksdb_options

__all__ = ["SinkTable", "hash_partition", "partition_dbs", "partition_get", "sink_table"]


class SinkTable(faust.Table):  # type: ignore[misc]
    def partition_for_key(self, key: Any) -> int | None:
        if current_event() is not None or self.use_partitioner:
            return super().partition_for_key(key)  # type: ignore[no-any-return]
        assert isinstance(key, bytes) and self.partitions, "sink tables have bytes keys and a size"
        return hash_partition(key, int(self.partitions))


def sink_table(
    app: faust.App, name: str, partitions: int, rocksdb: RocksDBSettings, changelog: TopicT | None = None
) -> TableT:
    """A RocksDB table; `changelog` replaces faust's own `<app>-<name>-changelog` topic
    (a published compacted topic whose messages are the table's values, partitioned
    like it: faust restores the table from it and writes every row to it)."""
    table = SinkTable(
        app,
        name=name,
        beacon=app.tables.beacon,
        partitions=partitions,
        key_type=bytes,
        value_type=bytes,
        options=faust_rocksdb_options(rocksdb),  # the store's RocksDB options (budget.py)
        changelog_topic=changelog,
    )
    app.tables.add(table)
    return table


def partition_get(table: TableT, partition: int) -> Callable[[bytes], bytes | None]:
    """Committed reads of one partition's rows, straight from its store.

    Why not `table.get`: faust looks a key up twice (contains, then get), reports every
    read to its sensors, and, with no current event in the agent's task (take_events
    fills its buffer in another task), searches every partition's RocksDB for the key.
    A sink handler only reads keys of its message's own partition (handlers.Here), so
    one lookup in that partition's DB is the same answer: a fifth of the sink's CPU was
    spent in those reads.
    """
    store: Any = table.data
    db_for = getattr(store, "_db_for_partition", None)
    if db_for is None:  # the memory store: one dict for all partitions
        get: Callable[[bytes], bytes | None] = store.data.get
        return get
    db = db_for(partition)

    def read(key: bytes) -> bytes | None:
        value = db.get(key)
        return value if isinstance(value, bytes) else None

    return read


def partition_dbs(table: TableT) -> list[Any] | None:
    """The RocksDB of each partition this worker opened, or None for a store without
    them (the memory store): faust's rocksdb store keeps one per partition."""
    dbs = getattr(table.data, "_dbs", None)
    return None if dbs is None else list(dbs.values())
