"""ChangelogTable: one changelog record per (partition, key) and transaction.

The stage sends `changelog_records()` once, just before it commits: each key's final
value of the transaction, nothing of a record that went to the DLQ. Restoring from the
broker is tested in tests/integration/core/test_changelog_table.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.core.state.table import ChangelogTable
from services.core.streaming.stage import Output

TOPIC = "t-changelog"


@pytest.fixture
def table(tmp_path: Path) -> Iterator[ChangelogTable]:
    table = ChangelogTable("t", TOPIC, tmp_path)
    yield table
    table.close()


def records(table: ChangelogTable) -> set[tuple[int | None, bytes | None, bytes | None]]:
    return {(out.partition, out.key, out.value) for out in table.changelog_records()}


def test_a_key_written_three_times_then_deleted_is_one_tombstone(table: ChangelogTable) -> None:
    table.begin_record()
    for value in (b"v1", b"v2", b"v3"):
        table.put(0, b"k", value)
    table.begin_record()  # the delete may come from a later record of the same batch
    table.delete(0, b"k")
    assert table.changelog_records() == [Output(TOPIC, b"k", None, partition=0)]


def test_only_the_final_value_of_a_key_goes_out(table: ChangelogTable) -> None:
    table.begin_record()
    table.put(0, b"k", b"v1")
    table.put(0, b"k", b"v2")
    table.put(0, b"other", b"x")
    assert records(table) == {(0, b"k", b"v2"), (0, b"other", b"x")}
    assert table.get(0, b"k") == b"v2"  # reads see the transaction's own writes


def test_writes_of_a_failed_record_are_undone_and_not_sent(table: ChangelogTable) -> None:
    table.begin_record()
    table.put(0, b"kept", b"first")
    table.delete(0, b"gone")
    table.begin_record()  # this record fails: it goes to the DLQ
    table.put(0, b"kept", b"overwritten")
    table.put(0, b"gone", b"revived")
    table.put(0, b"new", b"staged")
    table.undo_record()
    assert records(table) == {(0, b"kept", b"first"), (0, b"gone", None)}
    assert table.get(0, b"new") is None and table.get(0, b"kept") == b"first"


def test_each_partition_gets_its_own_records(table: ChangelogTable) -> None:
    table.begin_record()
    table.put(0, b"k", b"on-0")
    table.put(1, b"k", b"on-1")
    table.put(1, b"k", b"on-1-again")
    table.put(1, b"j", b"j")
    assert records(table) == {(0, b"k", b"on-0"), (1, b"k", b"on-1-again"), (1, b"j", b"j")}
    assert {out.topic for out in table.changelog_records()} == {TOPIC}


def test_commit_persists_final_values_and_the_offsets_reached(table: ChangelogTable) -> None:
    table.begin_record()
    table.put(0, b"a", b"1")
    table.put(1, b"b", b"2")
    table.commit({0: 41, 1: 7})
    assert table.changelog_records() == []  # sent once: the next transaction starts empty
    assert (table.checkpoint(0), table.checkpoint(1), table.checkpoint(2)) == (41, 7, None)
    assert dict(table.items(0)) == {b"a": b"1"} and dict(table.items(1)) == {b"b": b"2"}
    table.begin_record()
    table.delete(0, b"a")
    table.commit({0: 42})
    assert table.checkpoint(0) == 42 and table.checkpoint(1) == 7  # untouched: as it was
    assert table.get(0, b"a") is None


def test_rollback_sends_and_keeps_nothing(table: ChangelogTable) -> None:
    table.begin_record()
    table.put(0, b"a", b"1")
    table.commit({0: 3})
    table.begin_record()
    table.put(0, b"a", b"2")
    table.put(0, b"b", b"3")
    table.rollback()
    assert table.changelog_records() == []
    assert table.get(0, b"a") == b"1" and table.get(0, b"b") is None and table.checkpoint(0) == 3
