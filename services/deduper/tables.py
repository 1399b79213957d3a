"""The pure functions' `MutableMapping` over the stream's changelog tables.

`services.core.state.table.ChangelogTable` stores bytes per (partition, key); the stage
sends its changelog records itself, once per key and transaction, so writing through
here needs no bookkeeping. A `TableView` is one partition of such a table as the
`MutableMapping[str, Any]` that index.py and decide.py take (JSON values);
`PartitionStore` bundles the four tables of one partition as a `DedupeStore`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec


class BytesTable(Protocol):
    """What a TableView needs of a table (ChangelogTable has it)."""

    def get(self, partition: int, key: bytes) -> bytes | None: ...
    def put(self, partition: int, key: bytes, value: bytes | None) -> None: ...
    def delete(self, partition: int, key: bytes) -> None: ...
    def items(self, partition: int) -> Iterator[tuple[bytes, bytes]]: ...


class TableView(MutableMapping[str, Any]):
    """One partition of a bytes table, JSON-valued."""

    def __init__(self, table: BytesTable, partition: int) -> None:
        self.table, self.partition = table, partition

    def get(self, key: str, default: Any = None) -> Any:
        raw = self.table.get(self.partition, key.encode())
        return default if raw is None else msgspec.json.decode(raw)

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self.table.put(self.partition, key.encode(), msgspec.json.encode(value))

    def __delitem__(self, key: str) -> None:
        self.table.delete(self.partition, key.encode())

    def __iter__(self) -> Iterator[str]:
        """Committed keys only (what `sweep` needs; staged writes are this record's own)."""
        return (key.decode() for key, _ in self.table.items(self.partition))

    def __len__(self) -> int:
        return sum(1 for _ in self.table.items(self.partition))


_MISSING = object()


@dataclass
class PartitionStore:
    """The four tables of one partition as a `DedupeStore`."""

    bands: TableView
    names: TableView
    urls: TableView
    stories: TableView

    @classmethod
    def of(cls, tables: Mapping[str, BytesTable], partition: int) -> PartitionStore:
        views = {name: TableView(tables[name], partition) for name in ("bands", "names", "urls", "stories")}
        return cls(**views)
