"""The sink's faust tables, with two additions: deletes outside an agent, reads from another thread.

faust writes a table change to the changelog partition of the event being processed
and refuses changes outside an agent. The retention timer (services.sink.retention)
deletes outside one, so a `SinkTable` falls back to the key's hash partition there:
aiokafka's default partitioner (murmur2 of the key), which is the partition every source
topic of the sink puts that key on, computed here without waiting on producer metadata.
Inside an agent nothing changes.

The HTTP server runs on a thread of its own (services.sink.server). faust's `get`
finds the partition from the current event, or else scans every partition DB (a dict
the main thread changes on rebalance), so that thread reads with `read_local`: the key's
own partition DB, by the same hash. RocksDB serves concurrent readers and a writer.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.streams import current_event
from faust.types import TableT

from services.core.kafka.partitioner import hash_partition
from services.sink.exceptions import PartitionUnavailable

__all__ = ["SinkTable", "hash_partition", "sink_table"]


class SinkTable(faust.Table):  # type: ignore[misc]
    def partition_for_key(self, key: Any) -> int | None:
        if current_event() is not None or self.use_partitioner:
            return super().partition_for_key(key)  # type: ignore[no-any-return]
        assert isinstance(key, bytes) and self.partitions, "sink tables have bytes keys and a size"
        return hash_partition(key, int(self.partitions))

    def read_local(self, key: bytes) -> bytes | None:
        """The key's value if its partition is held here; safe from any thread."""
        dbs = getattr(self.data, "_dbs", None)  # faust's rocksdb store: one DB per partition
        if dbs is None:
            value = self.get(key)  # the memory store: a dict
        else:
            db = dbs.get(hash_partition(key, int(self.partitions or 1)))
            try:  # no DB yet: nothing was ever stored on that partition here
                value = db.get(key) if db is not None else None
            except Exception as exc:  # closed by a rebalance between lookup and read
                raise PartitionUnavailable(f"partition of {key!r} closed: {exc}") from exc
        return value if isinstance(value, bytes) else None


def sink_table(app: faust.App, name: str, partitions: int) -> TableT:
    table = SinkTable(
        app, name=name, beacon=app.tables.beacon, partitions=partitions, key_type=bytes, value_type=bytes
    )
    app.tables.add(table)
    return table
