"""The deduper's state: four key-value tables, bounded in size and in time.

Every function here takes a `MutableMapping[str, value]` and a `now`, so the same code
runs on dicts (`InMemoryStore`: `newsflow dedupe FILE`, tests) and on faust tables
(RocksDB + compacted changelog) in the stream app. Values are plain JSON-able lists and
dicts (`msgspec.to_builtins` of the array-like Structs below); `JsonBytes` wraps a
bytes-valued table. Each key is owned by exactly one partition, so each table is
partitioned by its own key and any worker finds an original whatever partition wrote it.

Layout (sizes measured for the default params; `v` = params.layout_version):

| table   | key (~21 B)                       | value                                   |
|---------|-----------------------------------|-----------------------------------------|
| bands   | `x{v}:{hash}` exact body hash     | list[BandEntry], newest first, at most  |
|         | `b{v}:{band}:{h64}` 12 body bands | `max_entries` (16); ~450 B per entry as |
|         | `l{v}:{band}:{h64}` 8 lead bands  | JSON (128 B b-bit signature + 128 B     |
|         | `p{v}:{words}:{hash}` 12/24-word  | positions, base64); a key holds 1 entry |
|         | prefixes                          | unless texts are near copies. The       |
|         |                                   | stream app stores references instead    |
|         | `e{v}:{id}:{hash}` the entry      | ([id, seen, hash], ~45 B) and the entry |
|         | itself, once per partition        | once per partition: references.py       |
| names   | `s{v}:{h64}` pair of salient names| list[StoryEntry] <= `max_story_entries` |
|         | (<= 6 keys: pairs of the top 4)   | (16), ~155 B per entry                  |
| urls    | `i{v}:{article id}`, `u{v}:{url}` | UrlState ~260 B                         |
| stories | story id                          | StorySummary ~60 B                      |

While an article is in flight (looked up, not yet decided), its exact-hash key may hold
a provisional entry for it (`hold`, version 0): phase 3 replaces it with the real entry,
or drops it (`release`) when the article turns out a duplicate.

A body with list-like rows (fingerprint `prose`) is also indexed under the band keys of
its prose, and its entries carry the prose signature too (+~260 B).

Per unique article (or update): 23 band entries (in the stream app 23 references and
one entry per partition), <= 6 name entries, 2 url states, 1 story write; a duplicate
writes only its url states and story. Entries carry
`seen` (the `now` that wrote them): reads ignore and writes drop entries older than
`window` (7 days), and `sweep` deletes keys nobody touched since, so memory stays flat
at about window x unique articles per day x the bytes per article. The stream app stores
~10 KB per article of the Reuters text workload with references (31 KB with whole
entries under every band key), so 100k/day is ~7 GB of RocksDB, spread over the
partitions. The signature bytes dominate: `num_perm` trades them for accuracy.
"""

from __future__ import annotations

import base64
from collections import deque
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec
import numpy as np

from services.core.models import Article
from services.deduper.exceptions import BadState
from services.deduper.params import DedupeParams
from services.deduper.references import VERSION_AT, is_reference, resolve

TableName = Literal["bands", "names", "urls", "stories"]


class BandEntry(msgspec.Struct, array_like=True, frozen=True):
    """One indexed text under one LSH/exact key: enough to verify a match without a 2nd hop.

    `version` 0 marks a held entry (`hold`): an article in flight, not yet decided, under
    its exact-hash key only. Real versions start at 1, so the wire form is unchanged.
    """

    id: str
    seen: int  # epoch s of the `now` that indexed it: eviction
    time: int  # article time, epoch s: story window
    n: int  # shingles in text order
    hash: str  # exact content hash
    sig: str  # base64 b-bit MinHash of the body (num_perm * sig_bits/8 bytes)
    pos: str  # base64 uint8 per permutation: where its minimum lies, in 256ths of n
    story: str
    version: int = 1
    # the text without its list-like rows (fingerprint.Prose), when it has rows:
    prose_n: int = 0
    prose_sig: str = ""
    prose_pos: str = ""

    @property
    def held(self) -> bool:
        return self.version == HELD


HELD = 0  # BandEntry.version of a held entry


class StoryEntry(msgspec.Struct, array_like=True, frozen=True):
    """One unique article under a salient-name key: a member a later report can join."""

    id: str
    seen: int
    time: int
    story: str
    names: list[str]
    terms: str  # base64 b-bit MinHash of content words


class UrlState(msgspec.Struct, array_like=True, frozen=True):
    """Latest known content of one URL / article id: re-ingestion vs update."""

    id: str  # the article id first seen for this URL
    hash: str
    version: int
    story: str
    seen: int
    sig: str


class StorySummary(msgspec.Struct, array_like=True, frozen=True):
    """Per story id: for the sink and operators (the decision never reads it).

    `size` counts articles routed into the story (re-ingestion excluded); a replayed
    update can over-count it by one under at-least-once delivery.
    """

    latest: str  # newest member's id
    first: int  # earliest member's article time, epoch s
    last: int
    size: int
    seen: int  # the `now` of the last write: eviction


class IndexUpdate(NamedTuple):
    """One write of phase 3, routed to the partition owning `key` of `table`."""

    table: TableName
    key: str
    value: Any  # the entry in wire form (msgspec.to_builtins)


class Release(NamedTuple):
    """Phase 3 of a duplicate: drop the entry `id` held under `key` (bands) in phase 1."""

    key: str
    id: str


class DedupeStore(Protocol):
    """The four tables (any MutableMapping: dicts, faust tables, `JsonBytes(table)`)."""

    @property
    def bands(self) -> MutableMapping[str, Any]: ...
    @property
    def names(self) -> MutableMapping[str, Any]: ...
    @property
    def urls(self) -> MutableMapping[str, Any]: ...
    @property
    def stories(self) -> MutableMapping[str, Any]: ...


@dataclass
class InMemoryStore:
    """Dict-backed store for offline runs and tests.

    Keeps a FIFO of (seen, table, key) writes so expiry costs O(expired keys) instead of
    a full scan (`expire`); `dedupe` calls it on every article. `sweep` works too.
    """

    bands: dict[str, Any] = field(default_factory=dict)
    names: dict[str, Any] = field(default_factory=dict)
    urls: dict[str, Any] = field(default_factory=dict)
    stories: dict[str, Any] = field(default_factory=dict)
    written: deque[tuple[int, TableName, str]] = field(default_factory=deque)

    def size(self) -> dict[str, int]:
        return {t: len(getattr(self, t)) for t in ("bands", "names", "urls", "stories")}

    def expire(self, *, now: datetime, params: DedupeParams) -> int:
        """Drop what went out of the window since the last call; returns keys deleted."""
        horizon = epoch(now) - int(params.window.total_seconds())
        removed = 0
        while self.written and self.written[0][0] < horizon:
            _, table, key = self.written.popleft()
            removed += _expire_key(self, table, key, horizon, now, params)
        return removed


class JsonBytes(MutableMapping[str, Any]):
    """Adapter for a table whose values are bytes (e.g. faust `value_type=bytes`), and
    keys bytes too unless `bytes_keys=False`."""

    def __init__(self, table: MutableMapping[Any, Any], *, bytes_keys: bool = True) -> None:
        self._table = table
        self._bytes_keys = bytes_keys

    def _key(self, key: str) -> Any:
        return key.encode() if self._bytes_keys else key

    def __getitem__(self, key: str) -> Any:
        return msgspec.json.decode(self._table[self._key(key)])

    def __setitem__(self, key: str, value: Any) -> None:
        self._table[self._key(key)] = msgspec.json.encode(value)

    def __delitem__(self, key: str) -> None:
        del self._table[self._key(key)]

    def __iter__(self) -> Iterator[str]:
        return (k.decode() if isinstance(k, bytes) else k for k in self._table)

    def __len__(self) -> int:
        return len(self._table)


_TYPES: dict[str, Any] = {
    "bands": list[BandEntry],
    "names": list[StoryEntry],
    "urls": UrlState,
    "stories": StorySummary,
}


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def decode_value(table: TableName, value: Any) -> Any:
    try:
        return msgspec.convert(value, _TYPES[table])
    except msgspec.ValidationError as exc:
        raise BadState(f"{table} value does not decode: {exc}") from exc


def pack_sig(sig: np.ndarray, bits: int) -> str:
    """b-bit MinHash: keep the low `bits` of each permutation (estimates stay unbiased
    after the 2^-bits chance-collision correction, at 1/4 of the bytes)."""
    dtype = np.uint8 if bits == 8 else np.dtype("<u2")
    return base64.b64encode((sig & ((1 << bits) - 1)).astype(dtype).tobytes()).decode()


def unpack_sig(text: str, bits: int) -> np.ndarray:
    dtype = np.uint8 if bits == 8 else np.dtype("<u2")
    return np.frombuffer(base64.b64decode(text), dtype=dtype)


def unpack_sigs(texts: list[str], bits: int) -> np.ndarray:
    """Many signatures of one length as rows of one array (one decode per text)."""
    dtype = np.uint8 if bits == 8 else np.dtype("<u2")
    raw = b"".join(base64.b64decode(t) for t in texts)
    return np.frombuffer(raw, dtype=dtype).reshape(len(texts), -1)


def pack_positions(positions: np.ndarray, n: int) -> str:
    """Positions of the minima as 256ths of the text (1 byte each, rounded down)."""
    buckets = np.minimum(positions * 256 // max(n, 1), 255).astype(np.uint8)
    return base64.b64encode(buckets.tobytes()).decode()


def unpack_positions(text: str, n: int) -> np.ndarray:
    """Upper bounds (exclusive) of the positions: bucket b covers [b*n/256, (b+1)*n/256)."""
    buckets = np.frombuffer(base64.b64decode(text), dtype=np.uint8).astype(np.int64)
    return -((-(buckets + 1) * n) // 256)


def read_entries(
    table: TableName, store: Mapping[str, Any], key: str, *, now: datetime, params: DedupeParams
) -> list[Any]:
    """Phase-1 read on the partition owning `key`: live entries, newest first. Read-only."""
    value = store.get(key)
    if value is None:
        return []
    if table == "bands":
        value = resolve(store, value, params)  # references (references.py) -> their entries
    horizon = epoch(now) - int(params.window.total_seconds())
    return [e for e in decode_value(table, value) if e.seen >= horizon]


def read_url(store: Mapping[str, Any], key: str, *, now: datetime, params: DedupeParams) -> UrlState | None:
    value = store.get(key)
    if value is None:
        return None
    state: UrlState = decode_value("urls", value)
    return state if state.seen >= epoch(now) - int(params.window.total_seconds()) else None


def apply_update(store: DedupeStore, update: IndexUpdate, *, now: datetime, params: DedupeParams) -> None:
    """Phase-3 write on the partition owning `update.key`: merge, prune, bound.

    List tables prepend the entry (replacing an older entry of the same id, the one the
    article held in phase 1 included: `hold`), drop expired entries and keep the newest
    `max_entries`; urls overwrite; stories merge.
    Idempotent for a replayed update, so at-least-once delivery is fine.
    """
    mapping: MutableMapping[str, Any] = getattr(store, update.table)
    if isinstance(store, InMemoryStore):
        store.written.append((epoch(now), update.table, update.key))
    if update.table in ("bands", "names"):
        current = mapping.get(update.key)
        if current is None:  # the common case: a band key of a new text
            mapping[update.key] = [update.value]
            return
        # wire-form merge (entries are [id, seen, ...]): no decode on the hot write path
        cap = params.max_entries if update.table == "bands" else params.max_story_entries
        horizon = epoch(now) - int(params.window.total_seconds())
        new_id = update.value[0]
        try:
            old = [e for e in current if e[0] != new_id and e[1] >= horizon]
        except (TypeError, IndexError, KeyError) as exc:
            raise BadState(f"{update.table} value under {update.key!r} is not a list") from exc
        mapping[update.key] = [update.value, *old][:cap]
    elif update.table == "stories":
        new_s = decode_value("stories", update.value)
        current = mapping.get(update.key)
        if current is not None:
            old_s = decode_value("stories", current)
            new_s = StorySummary(
                latest=new_s.latest if new_s.last >= old_s.last else old_s.latest,
                first=min(old_s.first, new_s.first),
                last=max(old_s.last, new_s.last),
                size=old_s.size + new_s.size,
                seen=max(old_s.seen, new_s.seen),
            )
        mapping[update.key] = msgspec.to_builtins(new_s)
    else:
        mapping[update.key] = update.value


def hold(store: DedupeStore, update: IndexUpdate, *, now: datetime, params: DedupeParams) -> bool:
    """Phase 1 on the partition owning an exact-hash key, after reading it: hold the key
    for the asking article (`update.value`, a BandEntry of version HELD) unless a live
    entry is there already. True if it wrote.

    The first copy of a text to reach the key holds it; every later copy reads an entry
    and becomes its duplicate; a copy that finds an entry holds nothing, so each key has
    at most one held entry and the first arrival is the original. Reads and this write
    ride in one transaction, so a replayed lookup holds again exactly as the first run.
    """
    mapping: MutableMapping[str, Any] = getattr(store, update.table)
    current = mapping.get(update.key)
    horizon = epoch(now) - int(params.window.total_seconds())
    try:
        if current is not None and any(e[1] >= horizon for e in current):
            return False
    except (TypeError, IndexError, KeyError) as exc:
        raise BadState(f"{update.table} value under {update.key!r} is not a list") from exc
    if isinstance(store, InMemoryStore):
        store.written.append((epoch(now), update.table, update.key))
    mapping[update.key] = [update.value]
    return True


def release(store: DedupeStore, item: Release) -> bool:
    """Phase 3 of a duplicate on the partition owning `item.key`: drop its held entry
    (duplicates are not indexed); real entries and other articles' holds stay. Writes
    only if there was one, so a replay or a copy that held nothing costs one read."""
    current = store.bands.get(item.key)
    if current is None:
        return False
    try:  # the wire form: the value may hold references (references.py), never held
        kept = [e for e in current if not (e[0] == item.id and not is_reference(e) and e[VERSION_AT] == HELD)]
    except (TypeError, IndexError, KeyError) as exc:
        raise BadState(f"bands value under {item.key!r} is not a list of entries") from exc
    if len(kept) == len(current):
        return False
    if kept:
        store.bands[item.key] = kept
    else:
        del store.bands[item.key]
    return True


def sweep(store: DedupeStore, *, now: datetime, params: DedupeParams) -> int:
    """Delete everything older than the window; returns how many keys went.

    O(keys held), but most keys are decided from the `seen` of their newest and oldest
    entry without decoding. The stream app runs it from a timer on each worker's own
    partitions (faust iterates only local table partitions); deletes become changelog
    tombstones. Between sweeps memory exceeds the window by the timer period.
    """
    horizon = epoch(now) - int(params.window.total_seconds())
    removed = 0
    for table in ("bands", "names", "urls", "stories"):
        for key in list(getattr(store, table)):
            removed += _expire_key(store, table, key, horizon, now, params)
    return removed


def _expire_key(
    store: DedupeStore,
    table: TableName,
    key: str,
    horizon: int,
    now: datetime,
    params: DedupeParams,
) -> int:
    """Prune one key: 1 if it was deleted, else 0."""
    mapping = getattr(store, table)
    value = mapping.get(key)
    if value is None:
        return 0
    if table in ("urls", "stories"):
        if decode_value(table, value).seen >= horizon:
            return 0
        del mapping[key]
        return 1
    newest, oldest = _seen_range(value)
    if oldest is not None and oldest >= horizon:
        return 0
    try:  # the wire form: entries and references (references.py) both carry `seen` at 1
        live = [] if newest is not None and newest < horizon else [e for e in value if e[1] >= horizon]
    except (TypeError, IndexError, KeyError) as exc:
        raise BadState(f"{table} value under {key!r} is not a list of entries") from exc
    if live:
        mapping[key] = live
        return 0
    del mapping[key]
    return 1


def _seen_range(value: Any) -> tuple[int | None, int | None]:
    """(newest, oldest) `seen` of a list value in wire form, without a full decode."""
    try:
        return int(value[0][1]), int(value[-1][1])
    except (TypeError, IndexError, KeyError, ValueError):
        return None, None


_TRACKING = ("utm_", "fbclid", "gclid", "mc_", "ocid", "cmpid", "at_")


def canonical_url_key(url: str) -> str:
    """Scheme-, www-, fragment-, tracking-parameter- and trailing-slash-free URL."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith(_TRACKING)]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("", host, path, urlencode(sorted(query)), ""))[2:]


def url_keys(article: Article, params: DedupeParams) -> list[str]:
    """Identity keys: the article id, and its canonical URL (else URL) when known."""
    keys = [f"i{params.layout_version}:{article.id}"]
    url = article.canonical_url or article.url
    if url:
        keys.append(f"u{params.layout_version}:{canonical_url_key(url)}")
    return keys
