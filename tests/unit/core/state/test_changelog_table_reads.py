"""ChangelogTable's reads inside a transaction: a committed value read once is served
again from memory (the deduper reads each key to look it up, then to update it), and
never outlives the transaction that read it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.core.state.table import ChangelogTable


@pytest.fixture
def table(tmp_path: Path) -> Iterator[ChangelogTable]:
    table = ChangelogTable("t", "t-changelog", tmp_path)
    yield table
    table.close()


def commit(table: ChangelogTable, partition: int, key: bytes, value: bytes | None) -> None:
    table.begin_record()
    table.put(partition, key, value)
    table.commit({partition: 0})


def test_a_second_read_in_a_transaction_does_not_go_to_rocksdb(table: ChangelogTable) -> None:
    commit(table, 0, b"k", b"v1")
    assert table.get(0, b"k") == b"v1"
    table._store(0)[b"k"] = b"changed behind the table's back"
    assert table.get(0, b"k") == b"v1"  # served from this transaction's reads


def test_a_commit_ends_what_its_transaction_read(table: ChangelogTable) -> None:
    assert table.get(0, b"k") is None  # absent, as read in this transaction
    commit(table, 0, b"k", b"v1")
    assert table.get(0, b"k") == b"v1"
    commit(table, 0, b"k", None)
    assert table.get(0, b"k") is None


def test_a_rollback_ends_what_its_transaction_read(table: ChangelogTable) -> None:
    commit(table, 0, b"k", b"v1")
    assert table.get(0, b"k") == b"v1"
    table.rollback()
    table._store(0)[b"k"] = b"v2"  # as a restore would write it
    assert table.get(0, b"k") == b"v2"


def test_a_released_partition_reads_afresh(table: ChangelogTable) -> None:
    commit(table, 1, b"k", b"v1")
    assert table.get(1, b"k") == b"v1"
    table.wipe(1)  # lost local state, rebuilt from the changelog later
    assert table.get(1, b"k") is None


def test_reads_are_per_partition(table: ChangelogTable) -> None:
    commit(table, 0, b"k", b"zero")
    commit(table, 1, b"k", b"one")
    assert (table.get(0, b"k"), table.get(1, b"k")) == (b"zero", b"one")
