"""How much memory each RocksDB of a worker may hold: small memtables and read cache.

Why: a worker opens one RocksDB per table and partition (the sink: 5 tables x 6
partitions, the deduper 5 x 6). RocksDB's defaults are sized for one large database
per process: 64 MB memtables (faust keeps up to 3) and, in faust, a 2 GB block cache,
each per database, so a worker's RSS grew with what it had written (make bench, text
then HTML, 5,000 articles: sink 706 MB, deduper 502 MB). Tables here are small and
read mostly from recent writes, so a few MB each is plenty.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rocksdict import BlockBasedOptions, Cache, Options

from services.core.settings import RocksDBSettings

__all__ = [
    "MEMORY_PROPERTIES",
    "faust_rocksdb_options",
    "memory_bytes",
    "property_total",
    "rocksdict_options",
]

_MB = 1 << 20
_WRITE_BUFFERS = 2  # one being written while the other is flushed


def faust_rocksdb_options(settings: RocksDBSettings) -> dict[str, Any]:
    """faust's `rocksdb_options` (RocksDBOptions keyword arguments)."""
    return {
        "write_buffer_size": settings.write_buffer_mb * _MB,
        "max_write_buffer_number": _WRITE_BUFFERS,
        "block_cache_size": settings.block_cache_mb * _MB,
    }


def rocksdict_options(settings: RocksDBSettings) -> Options:
    """Options for a ChangelogTable's partition store (raw bytes keys and values)."""
    options = Options(raw_mode=True)
    options.create_if_missing(True)
    options.set_write_buffer_size(settings.write_buffer_mb * _MB)
    options.set_max_write_buffer_number(_WRITE_BUFFERS)
    table = BlockBasedOptions()
    table.set_block_cache(Cache(settings.block_cache_mb * _MB))
    table.set_bloom_filter(10, False)
    options.set_block_based_table_factory(table)
    return options


# RocksDB's own accounting of a database's memory, by kind
MEMORY_PROPERTIES = {
    "memtables": "rocksdb.cur-size-all-mem-tables",
    "block_cache": "rocksdb.block-cache-usage",
    "table_readers": "rocksdb.estimate-table-readers-mem",
}


def memory_bytes(dbs: Iterable[Any]) -> dict[str, int]:
    """What a table's databases hold in memory, by kind: the part of a worker's RSS that
    RocksDB owns. write_buffer_mb and block_cache_mb bound the first two per database;
    index and bloom filter blocks (table readers) sit outside the cache and grow with
    the keys."""
    dbs = list(dbs)
    return {kind: property_total(dbs, name) for kind, name in MEMORY_PROPERTIES.items()}


def property_total(dbs: Iterable[Any], name: str) -> int:
    """An integer RocksDB property summed over databases (a table's partitions)."""
    return sum(int(db.property_int_value(name) or 0) for db in dbs)
