"""Band entries once per partition (services.deduper.references) and the index functions
that read, release and sweep values holding references."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec

from services.deduper.index import (
    HELD,
    BandEntry,
    IndexUpdate,
    InMemoryStore,
    Release,
    apply_update,
    read_entries,
    release,
    sweep,
)
from services.deduper.params import DedupeParams
from services.deduper.references import HASH_AT, VERSION_AT, by_reference, entry_key, is_reference, resolve
from tests.unit.deduper.deduper_helpers import T0

PARAMS = DedupeParams()


def entry(article_id: str, content_hash: str = "h1", *, days: float = 0, version: int = 1) -> list[Any]:
    seen = int((T0 + timedelta(days=days)).timestamp())
    value = BandEntry(
        id=article_id,
        seen=seen,
        time=seen,
        n=10,
        hash=content_hash,
        sig="c2ln",
        pos="cG9z",
        story="s",
        version=version,
    )
    return msgspec.to_builtins(value)  # type: ignore[no-any-return]


def apply_all(store: InMemoryStore, items: list[tuple[str, str, Any]], *, days: float = 0) -> None:
    for table, key, value in items:
        apply_update(store, IndexUpdate(table, key, value), now=T0 + timedelta(days=days), params=PARAMS)  # type: ignore[arg-type]


def test_the_wire_positions_are_band_entrys() -> None:
    # references and the index functions read BandEntry's wire form by position; a
    # reference puts id and seen where an entry has them
    fields = BandEntry.__struct_fields__
    assert (fields[0], fields[1], fields[HASH_AT], fields[VERSION_AT]) == ("id", "seen", "hash", "version")


def test_a_partitions_band_keys_share_one_stored_entry() -> None:
    a = entry("a1")
    items = [
        ("urls", "i1:a1", ["a1"]),
        ("bands", "x1:h1", a),
        ("bands", "b1:0:ff", a),
        ("names", "s1:n", ["a1"]),
    ]
    out = by_reference(items, PARAMS)
    assert out[0] == ("bands", entry_key("a1", "h1", PARAMS), a)  # first: before any reference to it
    refs = [value for table, _, value in out if table == "bands" and is_reference(value)]
    assert refs == [["a1", a[1], "h1"]] * 2
    assert ("urls", "i1:a1", ["a1"]) in out and ("names", "s1:n", ["a1"]) in out
    assert sum(1 for _, _, value in out if value == a) == 1


def test_held_entries_stay_whole() -> None:
    held = entry("a1", version=HELD)
    assert by_reference([("bands", "x1:h1", held)], PARAMS) == [("bands", "x1:h1", held)]


def test_references_read_as_their_entries_and_pin_the_text() -> None:
    store = InMemoryStore()
    old, new = entry("a1", "h1"), entry("a1", "h2", days=1)
    apply_all(store, by_reference([("bands", "b1:0:old", old)], PARAMS))
    apply_all(store, by_reference([("bands", "b1:0:new", new)], PARAMS), days=1)  # an update: new text
    read = [
        e.hash
        for e in read_entries("bands", store.bands, "b1:0:old", now=T0 + timedelta(days=1), params=PARAMS)
    ]
    assert read == ["h1"]  # the old text's key still reads the old text
    assert [e.hash for e in read_entries("bands", store.bands, "b1:0:new", now=T0, params=PARAMS)] == ["h2"]


def test_whole_entries_of_earlier_versions_and_references_read_together() -> None:
    store = InMemoryStore()
    apply_all(store, [("bands", "b1:0:k", entry("old"))])  # written whole, as earlier versions did
    apply_all(store, by_reference([("bands", "b1:0:k", entry("new", "h2"))], PARAMS))
    assert store.bands["b1:0:k"][0] == ["new", entry("new")[1], "h2"]
    read = read_entries("bands", store.bands, "b1:0:k", now=T0, params=PARAMS)
    assert [(e.id, e.hash) for e in read] == [("new", "h2"), ("old", "h1")]


def test_a_replayed_update_stores_the_entry_once() -> None:
    store = InMemoryStore()
    items = by_reference([("bands", "b1:0:k", entry("a1")), ("bands", "l1:0:k", entry("a1"))], PARAMS)
    apply_all(store, items)
    apply_all(store, items)
    assert store.bands[entry_key("a1", "h1", PARAMS)] == [entry("a1")]
    assert store.bands["b1:0:k"] == [["a1", entry("a1")[1], "h1"]]


def test_a_reference_whose_entry_is_gone_is_dropped() -> None:
    value = [["a1", 1, "h1"], entry("b1")]
    assert resolve({}, value, PARAMS) == [entry("b1")]
    plain = [entry("b1")]
    assert resolve({}, plain, PARAMS) is plain  # nothing to look up


def test_release_drops_a_hold_beside_references() -> None:
    store = InMemoryStore()
    store.bands["x1:h1"] = [entry("b1", version=HELD), ["a1", 1, "h1"]]
    assert release(store, Release("x1:h1", "b1"))
    assert store.bands["x1:h1"] == [["a1", 1, "h1"]]
    assert not release(store, Release("x1:h1", "a1"))  # a reference is never a hold


def test_sweep_expires_references_and_entries_alike() -> None:
    store = InMemoryStore()
    apply_all(store, by_reference([("bands", "b1:0:k", entry("a1"))], PARAMS))
    apply_all(store, by_reference([("bands", "b1:0:k", entry("c1", "h3", days=6))], PARAMS), days=6)
    sweep(store, now=T0 + timedelta(days=8), params=PARAMS)  # a1 left the 7-day window
    assert entry_key("a1", "h1", PARAMS) not in store.bands
    assert store.bands["b1:0:k"] == [["c1", entry("c1", days=6)[1], "h3"]]
    assert entry_key("c1", "h3", PARAMS) in store.bands
