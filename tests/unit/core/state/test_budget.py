"""Each RocksDB a worker opens gets the configured memtable and cache sizes."""

from __future__ import annotations

from pathlib import Path

from rocksdict import Options

from services.core.settings import RocksDBSettings
from services.core.state.budget import (
    MEMORY_PROPERTIES,
    faust_rocksdb_options,
    memory_bytes,
    rocksdict_options,
)
from services.core.state.table import ChangelogTable


def test_faust_options_are_the_settings_in_bytes() -> None:
    options = faust_rocksdb_options(RocksDBSettings(write_buffer_mb=3, block_cache_mb=5))
    assert options == {
        "write_buffer_size": 3 << 20,
        "max_write_buffer_number": 2,
        "block_cache_size": 5 << 20,
    }


def test_a_changelog_table_opens_each_partition_with_the_budget(tmp_path: Path) -> None:
    calls: list[int] = []

    def options() -> Options:
        calls.append(1)
        return rocksdict_options(RocksDBSettings(write_buffer_mb=1, block_cache_mb=1))

    table = ChangelogTable("t", "t-changelog", tmp_path, options)
    table.put(0, b"k", b"v")
    table.commit({})
    assert table.get(0, b"k") == b"v"
    table.put(3, b"k", b"w")
    table.commit({})
    assert table.get(3, b"k") == b"w" and len(calls) == 2  # one Options per partition store
    table.close()


def test_partition_stores_are_written_with_bloom_filters(tmp_path: Path) -> None:
    """Most of the deduper's reads miss (a new article's band keys); a bloom filter per
    SST file answers those without reading its blocks. RocksDB records the filter
    policy a database was opened with in its OPTIONS file."""
    table = ChangelogTable("t", "t-changelog", tmp_path, lambda: rocksdict_options(RocksDBSettings()))
    table.put(0, b"k", b"v")
    table.commit({})
    table.close()
    written = "".join(p.read_text() for p in (tmp_path / "t" / "p0").glob("OPTIONS-*"))
    policies = [line.strip() for line in written.splitlines() if line.strip().startswith("filter_policy=")]
    assert policies and all("bloomfilter" in line for line in policies), policies


def test_memory_is_counted_by_kind_over_the_partitions_held(tmp_path: Path) -> None:
    """The newsflow_rocksdb_memory_bytes gauge: RocksDB's own accounting, summed per table."""
    table = ChangelogTable("t", "t-changelog", tmp_path, lambda: rocksdict_options(RocksDBSettings()))
    assert table.memory_bytes() == {"memtables": 0, "block_cache": 0, "table_readers": 0}
    for partition in (0, 1):
        for n in range(2000):
            table.put(partition, b"key-%d" % n, b"x" * 200)
    table.commit({})
    one = memory_bytes([table._stores[0]])
    both = table.memory_bytes()
    assert set(both) == set(MEMORY_PROPERTIES)
    assert one["memtables"] > 2000 * 200  # the unflushed writes
    assert both["memtables"] > one["memtables"]  # both partitions counted
    table.close()
