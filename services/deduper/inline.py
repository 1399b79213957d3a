"""One step instead of three, for a worker that owns every index partition.

Why: the three phases (app.py) let any number of workers share the index, at the price
of two internal topics, the gather table and three transactions in a row per article:
at 50 articles/s those hops were ~450 ms of an article's latency and most of the
deduper's broker traffic. A worker holding every partition of the index topic (one
deduper: the default deployment) reads, decides and writes against its own tables in
one go, in the transaction that consumes the article (`inline_lookups` and
`apply_inline` below; app.py checks the ownership per article).

Why decide.py's guarantees still hold: each table partition is still read and written
by one worker, one record at a time. An inline article's reads, verdict and writes
happen with nothing between them, which is one of the orders the phases allow (its
lookups reached every partition first, its updates right after). An article still in
flight on the phases (sent before this worker took every partition) meets it as it
would meet any article that reached the keys before it: an exact copy finds the other's
hold or entry, whichever came first, and exactly one of them is unique. The writes go
through `by_reference` and `apply_update` as phase 3's do, so the state is the same
either way (a test runs one sequence of articles both ways and compares verdicts and
tables).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.core.kafka.partitioner import hash_partition
from services.deduper.decide import Candidates, LookupKeys
from services.deduper.index import (
    IndexUpdate,
    UrlState,
    apply_update,
    read_entries,
    read_url,
)
from services.deduper.params import DedupeParams
from services.deduper.tables import PartitionStore


def inline_lookups(
    stores: Mapping[int, PartitionStore], keys: LookupKeys, *, now: datetime, params: DedupeParams
) -> tuple[Candidates, UrlState | None]:
    """Phase 1 for every key at once, each read on the partition owning it (references
    resolve from there, as on the index topic)."""
    n = len(stores)

    def at(key: str) -> PartitionStore:
        return stores[hash_partition(key.encode(), n)]

    candidates = Candidates(
        bands={k: read_entries("bands", at(k).bands, k, now=now, params=params) for k in keys.bands},
        names={k: read_entries("names", at(k).names, k, now=now, params=params) for k in keys.names},
    )
    url_state = None
    for key in keys.urls:  # the first key with a state, as phase 2 takes the first reply
        url_state = read_url(at(key).urls, key, now=now, params=params)
        if url_state is not None:
            break
    return candidates, url_state


def apply_inline(
    stores: Mapping[int, PartitionStore],
    updates: Mapping[int, list[tuple[str, str, Any]]],
    *,
    now: datetime,
    params: DedupeParams,
) -> None:
    """Phase 3 on each partition: what one Updates message there would apply. No
    releases: an inline article holds nothing, so its own release would be a no-op."""
    for partition, items in updates.items():
        for table, key, value in items:
            apply_update(stores[partition], IndexUpdate(table, key, value), now=now, params=params)  # type: ignore[arg-type]
