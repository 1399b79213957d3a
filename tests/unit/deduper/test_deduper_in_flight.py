"""Copies in flight at the same moment: the exact-hash key is held by the first copy to
reach it (phase 1), so whatever the interleaving of lookups and writes exactly one copy
comes out unique and the index ends as if they had come one after the other.

`Flight` runs the phases of one article by hand on an InMemoryStore (one process stands
for every partition; what matters is the order in which each key is touched).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import permutations

import pytest

from services.core.clock import parse_utc
from services.core.models import Article, Dedupe
from services.deduper.decide import (
    Candidates,
    decide,
    dedupe,
    hold_requests,
    index_releases,
    index_updates,
    lookup_keys,
)
from services.deduper.fingerprint import exact_key, fingerprint
from services.deduper.index import (
    InMemoryStore,
    UrlState,
    apply_update,
    decode_value,
    hold,
    read_entries,
    read_url,
    release,
    sweep,
)
from services.deduper.params import DedupeParams
from tests.unit.deduper.deduper_helpers import MARKETS, article, later

PARAMS = DedupeParams()
TABLES = ("bands", "names", "urls", "stories")
INDEX = ("bands", "names", "urls")
NEAR_MARKETS = MARKETS.replace("per cent", "%").replace("Tuesday", "Tuesday afternoon")  # house style


class Flight:
    """One article's phases as separate steps, as the stream app runs them."""

    def __init__(self, item: Article) -> None:
        self.item = item
        self.now = parse_utc(item.ingest.received_at)
        self.fp = fingerprint(item, PARAMS)
        self.keys = lookup_keys(item, self.fp, PARAMS)
        self.candidates = Candidates()
        self.url_state: UrlState | None = None
        self.verdict: Dedupe | None = None

    def look(self, store: InMemoryStore, *, exact: bool | None = None) -> None:
        """Phase 1: read the keys (all; or only the exact key, or all but it), then hold
        the exact key if it was among them, as the index partition does."""
        x = exact_key(self.fp, PARAMS)
        for key in self.keys.bands:
            if exact is None or (key == x) == exact:
                self.candidates.bands[key] = read_entries(
                    "bands", store.bands, key, now=self.now, params=PARAMS
                )
        if exact is not True:
            for key in self.keys.names:
                self.candidates.names[key] = read_entries(
                    "names", store.names, key, now=self.now, params=PARAMS
                )
            for key in self.keys.urls:
                self.url_state = self.url_state or read_url(store.urls, key, now=self.now, params=PARAMS)
        for request in hold_requests(self.item, self.fp, self.keys, now=self.now, params=PARAMS):
            if exact is not False:
                hold(store, request, now=self.now, params=PARAMS)

    def land(self, store: InMemoryStore) -> Dedupe:
        """Phases 2 and 3: decide on what phase 1 read, write (and release)."""
        self.verdict = decide(self.item, self.fp, self.candidates, self.url_state, params=PARAMS)
        for update in index_updates(
            self.item, self.fp, self.verdict, now=self.now, params=PARAMS, keys=self.keys
        ):
            apply_update(store, update, now=self.now, params=PARAMS)
        for item in index_releases(self.item, self.fp, self.verdict, self.candidates, self.keys, PARAMS):
            release(store, item)
        return self.verdict


def tables(store: InMemoryStore, names: tuple[str, ...] = TABLES) -> dict[str, dict[str, object]]:
    return {t: dict(getattr(store, t)) for t in names}


def one_after_the_other(*items: Article) -> InMemoryStore:
    store = InMemoryStore()
    for item in items:
        dedupe(item, store, now=parse_utc(item.ingest.received_at), settings=PARAMS)
    return store


def held_entries(store: InMemoryStore) -> list[tuple[str, str]]:
    return [(k, e.id) for k, v in store.bands.items() for e in decode_value("bands", v) if e.held]


# A is ingested a minute after B, so "first to reach the key" and "oldest" differ
A = article("a", MARKETS, url="https://wire.example/oil", at=later(minutes=1))
B = article("b", MARKETS, url="https://paper.example/oil", at=later(minutes=0))
STEPS = ["LA", "UA", "LB", "UB"]
INTERLEAVINGS = [
    p for p in permutations(STEPS) if p.index("LA") < p.index("UA") and p.index("LB") < p.index("UB")
]


@pytest.mark.parametrize("order", INTERLEAVINGS, ids=["-".join(p) for p in INTERLEAVINGS])
def test_two_exact_copies_in_any_interleaving_give_exactly_one_unique(order: tuple[str, ...]) -> None:
    store, flights = InMemoryStore(), {"A": Flight(A), "B": Flight(B)}
    for step in order:
        flight = flights[step[1]]
        flight.look(store) if step[0] == "L" else flight.land(store)
    first, second = ("A", "B") if order.index("LA") < order.index("LB") else ("B", "A")
    original, copy = flights[first], flights[second]
    assert original.verdict is not None and copy.verdict is not None
    assert original.verdict.status == "unique", order  # the first to reach the key
    assert (copy.verdict.status, copy.verdict.kind) == ("duplicate", "exact"), order
    assert copy.verdict.duplicate_of == original.item.id  # never the other way round
    assert copy.verdict.story_id == original.verdict.story_id
    # the copy read an entry at the exact key, so it held nothing and releases nothing
    assert index_releases(copy.item, copy.fp, copy.verdict, copy.candidates, copy.keys, PARAMS) == []
    # once both landed, the index is the one of the copies coming one after the other
    assert tables(store) == tables(one_after_the_other(original.item, copy.item))
    assert held_entries(store) == []


def test_the_interleavings_really_race_without_the_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard for the test above: with no hold, LA-LB-UA-UB gives two uniques."""
    import tests.unit.deduper.test_deduper_in_flight as me

    monkeypatch.setattr(me, "hold", lambda *args, **kwargs: False)
    store, a, b = InMemoryStore(), Flight(A), Flight(B)
    a.look(store)
    b.look(store)
    assert (a.land(store).status, b.land(store).status) == ("unique", "unique")


def test_only_the_exact_key_orders_the_copies() -> None:
    """B reads every other key before A looks up anything, then reads the exact key after
    A: B is A's copy, and A (which read B's keys before B's hold, if any) is unique."""
    store, a, b = InMemoryStore(), Flight(A), Flight(B)
    b.look(store, exact=False)
    a.look(store)
    b.look(store, exact=True)
    verdict_b, verdict_a = b.land(store), a.land(store)
    assert verdict_a.status == "unique"
    assert (verdict_b.status, verdict_b.duplicate_of) == ("duplicate", "a")


def test_three_copies_in_flight_all_point_at_the_first() -> None:
    third = article("c", MARKETS, url="https://third.example/oil", at=later(minutes=2))
    store = InMemoryStore()
    flights = [Flight(A), Flight(B), Flight(third)]
    for flight in flights:
        flight.look(store)
    verdicts = [flight.land(store) for flight in reversed(flights)][::-1]
    assert [v.status for v in verdicts] == ["unique", "duplicate", "duplicate"]
    assert [v.duplicate_of for v in verdicts[1:]] == ["a", "a"]
    assert tables(store) == tables(one_after_the_other(A, B, third))


def test_a_copy_that_turns_out_a_duplicate_gives_its_hold_back() -> None:
    """A is a near copy of an indexed Y, B the exact copy of A, both in flight: A holds,
    then ends a duplicate; B, which read A's hold, prefers the real original Y; nothing
    of A stays indexed."""
    y = article("y", MARKETS, url="https://wire.example/y", at=later(minutes=-30))
    a = Flight(article("a", NEAR_MARKETS, url="https://ledger.example/a"))
    b = Flight(article("b", NEAR_MARKETS, url="https://ledger.example/b", at=later(minutes=1)))
    store = one_after_the_other(y)
    a.look(store)
    b.look(store)
    assert any(e.held for es in b.candidates.bands.values() for e in es)  # B saw A's hold
    verdict_a, verdict_b = a.land(store), b.land(store)
    assert (verdict_a.kind, verdict_a.duplicate_of) == ("near", "y")
    assert (verdict_b.kind, verdict_b.duplicate_of) == ("near", "y")
    assert held_entries(store) == []
    assert tables(store) == tables(one_after_the_other(y, a.item, b.item))
    again = index_releases(a.item, a.fp, verdict_a, a.candidates, a.keys, PARAMS)
    assert [release(store, r) for r in again] == [False]  # A held, released; a replay: no-op


def test_a_copy_of_a_held_original_points_at_it_when_nothing_else_matches() -> None:
    """Without a real original, B is A's exact duplicate even if A ends a duplicate of
    something B could not see: a chain (B -> A -> Y), never a cycle."""
    a = Flight(article("a", NEAR_MARKETS, url="https://ledger.example/a"))
    b = Flight(article("b", NEAR_MARKETS, url="https://ledger.example/b", at=later(minutes=1)))
    store = InMemoryStore()
    a.look(store)
    b.look(store)
    verdict_b = b.land(store)
    assert (verdict_b.status, verdict_b.kind, verdict_b.duplicate_of) == ("duplicate", "exact", "a")
    assert verdict_b.story_id == "a"  # the story A starts, unless A joins one
    assert held_entries(store) == [(exact_key(a.fp, PARAMS), "a")]  # B released nothing of A's
    assert a.land(store).status == "unique"
    assert held_entries(store) == []


def test_replayed_holds_updates_and_releases_change_nothing() -> None:
    """Nothing indexed twice (story sizes may over-count a replay: index.StorySummary)."""
    store, a, b = InMemoryStore(), Flight(A), Flight(B)
    a.look(store)
    b.look(store)
    a.land(store)
    b.land(store)
    before = tables(store, INDEX)
    a.look(store)  # a phase-1 replay after the original landed: a live entry is there
    b.look(store)
    for flight in (a, b):
        assert flight.verdict is not None
        for update in index_updates(flight.item, flight.fp, flight.verdict, now=flight.now, params=PARAMS):
            apply_update(store, update, now=flight.now, params=PARAMS)
        for item in index_releases(
            flight.item, flight.fp, flight.verdict, flight.candidates, flight.keys, PARAMS
        ):
            assert release(store, item) is False
    assert tables(store, INDEX) == before


def test_a_reingest_neither_holds_nor_releases_its_own_entry() -> None:
    store = one_after_the_other(A)
    key = exact_key(fingerprint(A, PARAMS), PARAMS)
    before = store.bands[key]
    again = Flight(article("a", MARKETS, url="https://wire.example/oil", at=later(hours=1)))
    again.look(store)
    assert store.bands[key] == before  # A's real entry is live: nothing held
    assert again.land(store).kind == "reingest"
    assert store.bands[key] == before


def test_a_hold_whose_article_never_lands_expires_with_the_window() -> None:
    store, a = InMemoryStore(), Flight(A)
    a.look(store)
    key = exact_key(a.fp, PARAMS)
    assert held_entries(store) == [(key, "a")]
    late: datetime = a.now + PARAMS.window + timedelta(seconds=1)
    assert read_entries("bands", store.bands, key, now=late, params=PARAMS) == []
    assert hold(
        store,
        hold_requests(B, Flight(B).fp, Flight(B).keys, now=late, params=PARAMS)[0],
        now=late,
        params=PARAMS,
    )
    sweep(store, now=late + PARAMS.window + timedelta(seconds=1), params=PARAMS)
    assert store.bands == {}


def test_short_texts_hold_their_exact_key_and_empty_ones_hold_nothing() -> None:
    short = article("s", "Oil rose on Tuesday after OPEC ministers met in Vienna.", url="https://x.example/s")
    fp = fingerprint(short, PARAMS)
    keys = lookup_keys(short, fp, PARAMS)
    requests = hold_requests(short, fp, keys, now=later(), params=PARAMS)
    assert [r.key for r in requests] == ([exact_key(fp, PARAMS)] if keys.bands else [])
    empty = article("e", "", url="https://x.example/e")
    fp_e = fingerprint(empty, PARAMS)
    assert hold_requests(empty, fp_e, lookup_keys(empty, fp_e, PARAMS), now=later(), params=PARAMS) == []
