"""The split phases, run as a partitioned stream would, give the one-shot verdicts.

Each table is split over several partitions by a stable hash of the key, and every
phase touches a key only through the partition that owns it, one key at a time, in a
shuffled order, with values passing through JSON as they would through a changelog.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from services.core.models import Article
from services.deduper.decide import (
    Candidates,
    decide,
    dedupe,
    index_updates,
    lookup_keys,
)
from services.deduper.fingerprint import fingerprint
from services.deduper.index import InMemoryStore, apply_update, read_entries, read_url
from services.deduper.params import DedupeParams
from tests.unit.deduper.deduper_helpers import (
    FLOODS,
    FLOODS_OTHER_OUTLET,
    MARKETS,
    SCHOOLS,
    article,
    heavy_chrome,
    later,
    paragraphs,
    seed_body,
)

PARAMS = DedupeParams()


class Partitioned(MutableMapping[str, Any]):
    """One logical table over `n` partitions (dicts), values stored as JSON bytes."""

    def __init__(self, n: int) -> None:
        self.parts: list[dict[str, bytes]] = [{} for _ in range(n)]

    def owner(self, key: str) -> dict[str, bytes]:
        digest = hashlib.blake2b(key.encode(), digest_size=4).digest()
        return self.parts[int.from_bytes(digest, "little") % len(self.parts)]

    def __getitem__(self, key: str) -> Any:
        return msgspec.json.decode(self.owner(key)[key])

    def __setitem__(self, key: str, value: Any) -> None:
        self.owner(key)[key] = msgspec.json.encode(value)

    def __delitem__(self, key: str) -> None:
        del self.owner(key)[key]

    def __iter__(self) -> Iterator[str]:
        return (k for part in self.parts for k in part)

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)


@dataclass
class PartitionedStore:
    partitions: int = 4
    bands: Partitioned = field(init=False)
    names: Partitioned = field(init=False)
    urls: Partitioned = field(init=False)
    stories: Partitioned = field(init=False)

    def __post_init__(self) -> None:
        for table in ("bands", "names", "urls", "stories"):
            setattr(self, table, Partitioned(self.partitions))


def stream_dedupe(item: Article, store: PartitionedStore, rng: random.Random, minute: int) -> Any:
    """Phases 0-3 as separate steps, each key read/written on its own partition."""
    now = later(minutes=minute)
    fp = fingerprint(item, PARAMS)  # phase 0, stateless
    keys = lookup_keys(item, fp, PARAMS)
    requests = [("bands", k) for k in keys.bands] + [("names", k) for k in keys.names]
    rng.shuffle(requests)  # replies arrive in any order
    candidates = Candidates()
    for table, key in requests:  # phase 1, on the partition owning each key
        getattr(candidates, table)[key] = read_entries(
            table, getattr(store, table), key, now=now, params=PARAMS
        )  # type: ignore[arg-type]
    url_state = None
    for key in keys.urls:
        url_state = url_state or read_url(store.urls, key, now=now, params=PARAMS)
    verdict = decide(item, fp, candidates, url_state, params=PARAMS)  # phase 2
    updates = index_updates(item, fp, verdict, now=now, params=PARAMS)  # phase 3
    rng.shuffle(updates)
    for update in updates:
        apply_update(store, update, now=now, params=PARAMS)  # type: ignore[arg-type]
    return verdict


def sample_stream() -> list[Article]:
    seed = seed_body()
    cut = "\n\n".join(paragraphs(seed)[:5])
    places: dict[str, Any] = {"places": ["Bologna", "Ravenna"], "people": ["Stefano Rinaldi"]}
    return [
        article("seed", seed, url="https://trend.example/seed"),
        article("m1", MARKETS, url="https://wire.example/m1"),
        article("f1", FLOODS, url="https://ansa.example/f1", **places),
        article("m2", heavy_chrome(MARKETS), url="https://ledger.example/m2"),  # near
        article("cut", cut, url="https://x.example/cut"),  # truncated
        article("f2", FLOODS_OTHER_OUTLET, url="https://wire.example/f2", **places),  # story
        article("m1", MARKETS, url="https://wire.example/m1"),  # reingest
        article("m1", MARKETS + "\n\nPrices later eased.", url="https://wire.example/m1"),  # update
        article("s1", SCHOOLS, url="https://school.example/s1"),
        article("m3", MARKETS, url="https://copy.example/m3"),  # exact
        article("seed2", seed, url="https://trend.example/seed/?utm_source=x"),  # same canonical
    ]


def test_split_phases_on_partitions_give_the_one_shot_verdicts() -> None:
    one_shot = InMemoryStore()
    expected = [dedupe(a, one_shot, now=later(minutes=i)).dedupe for i, a in enumerate(sample_stream())]
    for partitions, seed in ((1, 0), (3, 1), (8, 2)):
        store = PartitionedStore(partitions)
        rng = random.Random(seed)
        got = [stream_dedupe(a, store, rng, i) for i, a in enumerate(sample_stream())]
        assert got == expected
    kinds = [(v.status, v.kind) for v in expected if v is not None]
    assert {
        ("duplicate", "near"),
        ("duplicate", "exact"),
        ("duplicate", "reingest"),
        ("update", "update"),
        ("unique", None),
    } <= set(kinds)


def test_every_written_key_is_one_of_the_looked_up_keys() -> None:
    """Phase 3 never writes a key phase 1 did not route: one repartition scheme serves both."""
    store = InMemoryStore()
    for i, item in enumerate(sample_stream()):
        now = later(minutes=i)
        fp = fingerprint(item, PARAMS)
        keys = lookup_keys(item, fp, PARAMS)
        routed = set(keys.bands) | set(keys.names) | set(keys.urls)
        verdict = dedupe(item, store, now=now).dedupe
        assert verdict is not None
        for update in index_updates(item, fp, verdict, now=now, params=PARAMS):
            assert update.key in routed or update.table == "stories"
