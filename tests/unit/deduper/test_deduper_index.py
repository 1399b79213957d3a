"""The state model: bounded lists, window eviction, flat memory, wire form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import msgspec
import pytest

from services.deduper.decide import dedupe
from services.deduper.exceptions import BadState
from services.deduper.index import (
    BandEntry,
    IndexUpdate,
    InMemoryStore,
    JsonBytes,
    apply_update,
    canonical_url_key,
    read_entries,
    sweep,
)
from services.deduper.offline import OfflineDeduper
from services.deduper.params import DedupeParams
from services.deduper.tables import PartitionStore
from tests.unit.deduper.deduper_helpers import FLOODS, MARKETS, T0, article, later

PARAMS = DedupeParams()


def entry(article_id: str, seen_days: float) -> list[object]:
    seen = int((T0 + timedelta(days=seen_days)).timestamp())
    value = BandEntry(id=article_id, seen=seen, time=seen, n=10, hash="h", sig="", pos="", story=article_id)
    return msgspec.to_builtins(value)  # type: ignore[no-any-return]


def test_original_out_of_the_window_is_forgotten() -> None:
    store = InMemoryStore()
    dedupe(article("a", MARKETS, url="https://wire.example/a"), store, now=T0)
    copy = dedupe(article("b", MARKETS), store, now=later(days=6))
    assert copy.dedupe is not None and copy.dedupe.status == "duplicate"
    late = dedupe(article("c", MARKETS), store, now=later(days=8))
    assert late.dedupe is not None and late.dedupe.status == "unique"


def test_a_shorter_window_is_a_setting() -> None:
    params = DedupeParams.from_window_days(1)
    store = InMemoryStore()
    dedupe(article("a", MARKETS), store, now=T0, settings=params)
    late = dedupe(article("b", MARKETS), store, now=later(days=2), settings=params)
    assert late.dedupe is not None and late.dedupe.status == "unique"


def test_memory_stays_flat_over_time() -> None:
    """Sixty days of a steady stream hold no more keys than one window's worth."""
    store = InMemoryStore()
    sizes = []
    for day in range(60):
        for n, body in enumerate((MARKETS, FLOODS)):
            text = f"{body}\n\nDay {day} edition, item {n}: " + " ".join(f"w{day}x{n}x{i}" for i in range(40))
            dedupe(
                article(f"{day}-{n}", text, url=f"https://x.example/{day}/{n}", at=later(days=day)),
                store,
                now=later(days=day),
            )
        sizes.append(sum(store.size().values()))
    assert max(sizes[20:]) <= max(sizes[:9]) + 5
    assert len(store.written) <= 9 * 2 * 40  # the expiry queue is bounded too


def test_sweep_deletes_what_no_write_touched_again() -> None:
    store = InMemoryStore()
    dedupe(article("a", MARKETS, url="https://wire.example/a"), store, now=T0)
    plain = InMemoryStore(
        bands=dict(store.bands), names=dict(store.names), urls=dict(store.urls), stories=dict(store.stories)
    )
    assert sweep(plain, now=later(days=3), params=PARAMS) == 0
    removed = sweep(plain, now=later(days=8), params=PARAMS)
    assert removed == sum(store.size().values())
    assert sum(plain.size().values()) == 0


def test_band_lists_are_bounded_newest_first_and_idempotent() -> None:
    store = InMemoryStore()
    for i in range(PARAMS.max_entries + 5):
        apply_update(
            store,
            IndexUpdate("bands", "b1:0:k", entry(f"a{i}", i / 100)),
            now=later(days=i / 100),
            params=PARAMS,
        )
    apply_update(
        store, IndexUpdate("bands", "b1:0:k", entry("a20", 0.2)), now=later(days=0.2), params=PARAMS
    )  # a replayed write
    live = read_entries("bands", store.bands, "b1:0:k", now=later(days=0.3), params=PARAMS)
    assert len(live) == PARAMS.max_entries
    assert [e.id for e in live[:2]] == ["a20", "a19"]


def test_reads_skip_and_writes_drop_expired_entries() -> None:
    store = InMemoryStore()
    apply_update(store, IndexUpdate("bands", "k", entry("old", 0)), now=T0, params=PARAMS)
    assert read_entries("bands", store.bands, "k", now=later(days=8), params=PARAMS) == []
    apply_update(store, IndexUpdate("bands", "k", entry("new", 8)), now=later(days=8), params=PARAMS)
    assert [e[0] for e in store.bands["k"]] == ["new"]


def test_bytes_valued_tables_work_through_the_adapter() -> None:
    raw: dict[bytes, bytes] = {}
    table = JsonBytes(raw)
    table["k"] = [entry("a", 0)]
    assert isinstance(raw[b"k"], bytes)
    assert read_entries("bands", table, "k", now=T0, params=PARAMS)[0].id == "a"
    assert list(table) == ["k"] and len(table) == 1
    del table["k"]
    assert raw == {}


def test_a_corrupt_value_is_a_deduper_error() -> None:
    with pytest.raises(BadState):
        read_entries("bands", {"k": [["only-an-id"]]}, "k", now=T0, params=PARAMS)


def test_canonical_url_keys() -> None:
    same = {
        canonical_url_key(u)
        for u in (
            "https://www.example.com/world/story-1/",
            "http://example.com/world/story-1?utm_source=rss&utm_medium=feed",
            "https://example.com/world/story-1#comments",
        )
    }
    assert same == {"example.com/world/story-1"}
    assert canonical_url_key("https://example.com/a?id=2&x=1") == "example.com/a?id=2&x=1"


class FakeChangelogTable:
    """The ChangelogTable API (bytes per partition and key), logging its writes."""

    def __init__(self) -> None:
        self.parts: dict[int, dict[bytes, bytes]] = {}
        self.writes: list[tuple[int, bytes, bytes | None]] = []

    def get(self, partition: int, key: bytes) -> bytes | None:
        return self.parts.get(partition, {}).get(key)

    def put(self, partition: int, key: bytes, value: bytes | None) -> None:
        self.writes.append((partition, key, value))
        if value is None:
            self.parts.setdefault(partition, {}).pop(key, None)
        else:
            self.parts.setdefault(partition, {})[key] = value

    def delete(self, partition: int, key: bytes) -> None:
        self.put(partition, key, None)

    def items(self, partition: int) -> Iterator[tuple[bytes, bytes]]:
        return iter(list(self.parts.get(partition, {}).items()))


def test_changelog_tables_back_the_same_logic() -> None:
    tables = {name: FakeChangelogTable() for name in ("bands", "names", "urls", "stories")}
    store = PartitionStore.of(tables, partition=3)
    first = dedupe(article("a", MARKETS, url="https://wire.example/a"), store, now=T0)
    copy = dedupe(article("b", MARKETS), store, now=later(minutes=1))
    assert first.dedupe is not None and copy.dedupe is not None
    assert (copy.dedupe.status, copy.dedupe.duplicate_of) == ("duplicate", "a")
    writes = [w for table in tables.values() for w in table.writes]
    assert writes and all(part == 3 for part, _, _ in writes)
    assert set(tables["bands"].parts) == {3}
    assert sweep(store, now=later(days=8), params=PARAMS) > 0
    assert not any(tables[name].parts[3] for name in tables)


def test_offline_deduper_keeps_state_between_calls() -> None:
    deduper = OfflineDeduper()
    deduper.dedupe(article("a", MARKETS, at=T0))
    again = deduper.dedupe(article("b", MARKETS, at=later(minutes=5)))
    assert again.dedupe is not None and again.dedupe.kind == "exact"
