"""The verdict on one article, as one call (`dedupe`) or as the three phases a stream runs.

Partitioned stream design (the lead wires it in app.py; every function here is pure
over the tables it is given, see index.py for their layout):

  0. on the article's partition (news.categorized, key = article id), stateless:
     `fp = fingerprint(article, params)`, `keys = lookup_keys(article, fp, params)`:
     <= 23 `bands` keys (exact hash, LSH bands, prefixes), <= 6 `names` keys, 1-2 `urls`
     keys. Both travel to step 2 with the article (wire.Prepared): shipping them costs
     <1/10 of computing them again (~0.3 ms per article for fingerprint and keys).
  1. lookup, repartitioned by key (an internal topic keyed by the index key; the agent
     owning that partition reads its table): `read_entries(table, mapping, key, ...)` /
     `read_url(...)`; then the exact-hash key is held for the article (Consistency).
     Replies go to a gather topic keyed by article id, carrying the key and its live
     entries (an empty list too: the gather counts replies). The band partitions hold
     the compact signatures needed to verify, so there is no second hop.
     `lookup_candidates` / `lookup_url` are the same reads done in one process (`dedupe`
     has nothing in flight, so it holds nothing).
  2. gather + decide, on the article's partition again: when the replies for all keys of
     step 0 are in (the count is known), `decide(article, fp, candidates, url_state,
     params=...)` -> `Dedupe`; unique/update -> news.articles, duplicate -> news.duplicates.
  3. write, repartitioned by key again: `index_updates(...)` lists (table, key, value);
     each goes to the partition owning `key`, which runs `apply_update` (read-modify-
     write: bounded, expired entries dropped, idempotent for replays; a held entry, see
     Consistency, is replaced or released).
  A timer on every worker runs `sweep` over its own partitions so keys nobody reads again
  expire. Because each key lives on exactly one partition, a copy finds its original
  whichever partition indexed it, with any number of workers.

Consistency: exact copies (same normalized body, hence the same exact-hash `bands` key)
are ordered by the partition owning that key, whatever the timing. Phase 1 there, after
reading, holds the key for the asking article (`hold_requests`, index.hold: a provisional
entry, version 0, written only where no live entry is), in the transaction of its reply;
a copy looking up later reads the hold and comes out its exact duplicate, holding nothing
itself. Phase 3 replaces a hold with the real entry (unique, update) or releases it
(duplicate: `index_releases`), so once the articles in flight have landed the index is
the one they would have left coming one after the other (duplicates are not indexed);
replays rewrite the same values. So of exact copies in flight together exactly one comes
out unique, the first to reach the key (not the oldest), unless identity (same id or
URL) decides first. `decide` prefers a real original (exact, then near) to a held one; a
copy whose held original then turns out a near duplicate of an article the copy did not
see points at that original (a chain, B -> A -> Y), and takes the story it would join
itself, else one named after the original. A hold whose article never lands (its verdict
failed to the DLQ) answers for it until it expires with the window.
Not guaranteed: near copies (different hashes) in flight together can still both come
out unique. They meet only on LSH keys spread over partitions, each of which could order
them its own way (A first here, B first there: each the other's duplicate), and no one key
orders them; copies of a story arrive minutes to hours apart, far outside that window.
Nor are two ingests of one id or URL at the same moment (the `urls` keys are not held).
Candidates are only ever earlier articles (indexed before, or holding the exact key
before), a held entry is read only by later arrivals at its key and its article never
reads theirs (they hold nothing), and a tie goes to the oldest, so verdicts never form
cycles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from services.core.models import Article, Dedupe
from services.deduper.fingerprint import Fingerprint, band_keys, exact_key, fingerprint
from services.deduper.index import (
    HELD,
    BandEntry,
    DedupeStore,
    IndexUpdate,
    InMemoryStore,
    Release,
    StoryEntry,
    StorySummary,
    TableName,
    UrlState,
    apply_update,
    epoch,
    pack_positions,
    pack_sig,
    read_entries,
    read_url,
    unpack_sig,
    url_keys,
)
from services.deduper.params import DedupeParams
from services.deduper.similarity import (
    Match,
    Packed,
    compare,
    estimate_jaccard,
    is_near_duplicate,
    is_superset,
)
from services.deduper.story import best_story, story_keys

DEFAULT_PARAMS = DedupeParams()


@dataclass(frozen=True, slots=True)
class LookupKeys:
    bands: list[str]  # exact + LSH keys -> `bands` table
    names: list[str]  # salient-name pairs -> `names` table
    urls: list[str]  # article id and canonical URL -> `urls` table

    def count(self) -> int:
        return len(self.bands) + len(self.names) + len(self.urls)

    def by_table(self) -> list[tuple[TableName, list[str]]]:
        return [("bands", self.bands), ("names", self.names), ("urls", self.urls)]


@dataclass(slots=True)
class Candidates:
    """Live entries per looked-up key, as gathered from the partitions."""

    bands: dict[str, list[BandEntry]] = field(default_factory=dict)
    names: dict[str, list[StoryEntry]] = field(default_factory=dict)


def lookup_keys(article: Article, fp: Fingerprint, params: DedupeParams) -> LookupKeys:
    """Every key phase 1 reads and phase 3 may write for this article."""
    return LookupKeys(_content_keys(fp, params), story_keys(fp.names, params), url_keys(article, params))


def _content_keys(fp: Fingerprint, params: DedupeParams) -> list[str]:
    """Exact + LSH keys; none for near-empty bodies, exact only for very short ones."""
    if fp.n_tokens < params.min_tokens:
        return []
    if fp.n_shingles < params.min_shingles:
        return [exact_key(fp, params)]
    keys = [exact_key(fp, params), *band_keys(fp.sketch, params)]
    if fp.prose is not None:  # found by, and finds, copies that lost their rows
        keys += [k for k in band_keys(fp.prose.sketch, params) if k not in keys]
    return keys


def lookup_candidates(
    fp: Fingerprint,
    store: DedupeStore,
    *,
    now: datetime,
    params: DedupeParams = DEFAULT_PARAMS,
    keys: LookupKeys | None = None,
) -> Candidates:
    """Phase 1 in one process: the live entries under each band and name key."""
    keys = keys or LookupKeys(_content_keys(fp, params), story_keys(fp.names, params), [])
    return Candidates(
        bands={k: read_entries("bands", store.bands, k, now=now, params=params) for k in keys.bands},
        names={k: read_entries("names", store.names, k, now=now, params=params) for k in keys.names},
    )


def lookup_url(
    article: Article,
    urls: Mapping[str, Any],
    *,
    now: datetime,
    params: DedupeParams = DEFAULT_PARAMS,
    keys: list[str] | None = None,
) -> UrlState | None:
    """Phase 1 for identity: the state of this article id, else of its URL (in the
    stream: the first non-empty reply in `keys.urls` order)."""
    for key in keys or url_keys(article, params):
        state = read_url(urls, key, now=now, params=params)
        if state is not None:
            return state
    return None


def _exact_copy_of(original: str, story: str | None, fp: Fingerprint) -> Dedupe:
    """The verdict for the same text as `original` (indexed, or held while in flight)."""
    return Dedupe(
        status="duplicate",
        fingerprint=fp.content_hash,
        duplicate_of=original,
        similarity=1.0,
        story_id=story,
        kind="exact",
    )


def decide(
    article: Article,
    fp: Fingerprint,
    candidates: Candidates,
    url_state: UrlState | None,
    *,
    params: DedupeParams = DEFAULT_PARAMS,
) -> Dedupe:
    """Phase 2: the verdict. Pure: same inputs, same verdict, on any worker.

    Order of precedence: identity (same id / canonical URL: re-ingest or update), exact
    body, near-duplicate body (verified), then story membership for a unique article.
    """
    packed = Packed.of(fp, params)
    if url_state is not None:
        return _identity_verdict(fp, packed, url_state, params)
    distinct = _distinct_entries(candidates, article.id)
    entries = [e for e in distinct if not e.held]
    if fp.n_tokens >= params.min_tokens:
        exact = [e for e in entries if e.hash == fp.content_hash]
        if exact:
            first = min(exact, key=lambda e: (e.seen, e.id))
            return _exact_copy_of(first.id, first.story, fp)
    matches = [compare(fp, packed, e, params) for e in entries]
    near = [m for m in matches if is_near_duplicate(m, fp, params)]
    if near:
        best = min(near, key=lambda m: (-m.similarity(params), m.entry.seen, m.entry.id))
        return Dedupe(
            status="duplicate",
            fingerprint=fp.content_hash,
            duplicate_of=best.entry.id,
            similarity=round(best.similarity(params), 4),
            story_id=best.entry.story,
            kind="near",
        )
    held = [e for e in distinct if e.held and e.hash == fp.content_hash]
    if held and fp.n_tokens >= params.min_tokens:  # a copy in flight reached the key first
        first = min(held, key=lambda e: (e.seen, e.id))
        story = _story_of(article, fp, packed, matches, candidates, params, fallback=first.id)
        return _exact_copy_of(first.id, story, fp)
    return Dedupe(
        status="unique",
        fingerprint=fp.content_hash,
        story_id=_story_of(article, fp, packed, matches, candidates, params),
    )


def _identity_verdict(fp: Fingerprint, packed: Packed, state: UrlState, params: DedupeParams) -> Dedupe:
    if state.hash == fp.content_hash or fp.n_tokens < params.min_tokens:
        # an empty re-scrape (failed extraction) must not overwrite a known article
        return Dedupe(
            status="duplicate",
            fingerprint=fp.content_hash,
            duplicate_of=state.id,
            similarity=1.0 if state.hash == fp.content_hash else 0.0,
            story_id=state.story,
            version=state.version,
            kind="reingest",
        )
    similarity = estimate_jaccard(packed.sig, unpack_sig(state.sig, params.sig_bits), params.sig_bits)
    return Dedupe(
        status="update",
        fingerprint=fp.content_hash,
        duplicate_of=state.id,
        similarity=round(similarity, 4),
        story_id=state.story,
        version=state.version + 1,
        kind="update",
    )


def _distinct_entries(candidates: Candidates, own_id: str) -> list[BandEntry]:
    """One entry per indexed text (an article shows up under many band keys, and an
    updated one once per version), in an order that does not depend on the order the
    partitions replied in. A real entry wins over the same text's held one (its phase 3
    reached one partition before this lookup, the exact key's after)."""
    distinct: dict[tuple[str, str], BandEntry] = {}
    for entries in candidates.bands.values():
        for entry in entries:
            if entry.id == own_id:
                continue
            known = distinct.get((entry.id, entry.hash))
            if known is None or (known.held and not entry.held):
                distinct[(entry.id, entry.hash)] = entry
    return sorted(distinct.values(), key=lambda e: (e.seen, e.id, e.hash))


def _story_of(
    article: Article,
    fp: Fingerprint,
    packed: Packed,
    matches: list[Match],
    candidates: Candidates,
    params: DedupeParams,
    *,
    fallback: str | None = None,
) -> str:
    """Join the story of a text relative (rewrite, longer version) or of a report sharing
    names and words nearby in time; else start a story named after this article (after
    `fallback`: the original in flight of an exact copy, whose story is not known yet)."""
    window = params.story_window.total_seconds()
    related = [
        m
        for m in matches
        if abs(fp.time - m.entry.time) <= window
        and (m.similarity(params) >= params.story_similarity or is_superset(m, fp, params))
    ]
    if related:
        best = min(related, key=lambda m: (-m.similarity(params), m.entry.seen, m.entry.id))
        return best.entry.story
    entries = [e for es in candidates.names.values() for e in es if e.id != article.id]
    found = best_story(fp, packed.terms, entries, params)
    return found[0] if found else fallback or article.id


def index_updates(
    article: Article,
    fp: Fingerprint,
    verdict: Dedupe,
    *,
    now: datetime,
    params: DedupeParams = DEFAULT_PARAMS,
    keys: LookupKeys | None = None,
) -> list[IndexUpdate]:
    """Phase 3: what to write. Only unique articles and updates are indexed for content
    (duplicates point to them); every article records its identity state. `keys` are
    the ones phase 0 computed (recomputed if not given)."""
    seen, bits, story = epoch(now), params.sig_bits, verdict.story_id or article.id
    sig = pack_sig(fp.sketch.sig, bits)
    first_id = verdict.duplicate_of if verdict.kind in ("update", "reingest") else article.id
    state = UrlState(
        id=first_id or article.id,
        hash=fp.content_hash,
        version=verdict.version,
        story=story,
        seen=seen,
        sig=sig,
    )
    keys = keys or lookup_keys(article, fp, params)
    updates = [IndexUpdate("urls", k, msgspec.to_builtins(state)) for k in keys.urls]
    if verdict.kind == "reingest":  # refreshes `seen`; an empty re-scrape writes nothing
        return updates if fp.n_tokens >= params.min_tokens else []
    summary = StorySummary(latest=article.id, first=fp.time, last=fp.time, size=1, seen=seen)
    updates.append(IndexUpdate("stories", story, msgspec.to_builtins(summary)))
    if verdict.status == "duplicate":
        return updates
    band_value = msgspec.to_builtins(_band_entry(article, fp, seen, sig, story, verdict.version, bits))
    updates += [IndexUpdate("bands", k, band_value) for k in keys.bands]
    member = StoryEntry(
        id=article.id,
        seen=seen,
        time=fp.time,
        story=story,
        names=list(fp.names),
        terms=pack_sig(fp.terms, bits),
    )
    member_value = msgspec.to_builtins(member)
    updates += [IndexUpdate("names", k, member_value) for k in keys.names]
    return updates


def _band_entry(
    article: Article, fp: Fingerprint, seen: int, sig: str, story: str, version: int, bits: int
) -> BandEntry:
    return BandEntry(
        id=article.id,
        seen=seen,
        time=fp.time,
        n=fp.n_shingles,
        hash=fp.content_hash,
        sig=sig,
        pos=pack_positions(fp.positions, fp.n_shingles),
        story=story,
        version=version,
        **_prose_fields(fp, bits),
    )


def held_key(fp: Fingerprint, keys: LookupKeys, params: DedupeParams) -> str | None:
    """The key an article in flight holds: its exact-hash key, when it looks one up."""
    key = exact_key(fp, params)
    return key if keys.bands[:1] == [key] else None


def hold_requests(
    article: Article,
    fp: Fingerprint,
    keys: LookupKeys,
    *,
    now: datetime,
    params: DedupeParams = DEFAULT_PARAMS,
) -> list[IndexUpdate]:
    """Phase 0: the provisional entry phase 1 holds under the exact-hash key (index.hold)
    while this article is in flight. A whole entry (version HELD, story = own id), so
    any reader can decode and verify it; only `decide` treats it apart."""
    key = held_key(fp, keys, params)
    if key is None:
        return []
    bits = params.sig_bits
    entry = _band_entry(article, fp, epoch(now), pack_sig(fp.sketch.sig, bits), article.id, HELD, bits)
    return [IndexUpdate("bands", key, msgspec.to_builtins(entry))]


def index_releases(
    article: Article,
    fp: Fingerprint,
    verdict: Dedupe,
    candidates: Candidates,
    keys: LookupKeys,
    params: DedupeParams,
) -> list[Release]:
    """Phase 3 of a duplicate: give up what phase 1 held, so what stays indexed is what
    `index_updates` writes, as without holds. Phase 1 held iff the exact key read no live
    entry (index.hold), so an exact duplicate has nothing to release and sends nothing;
    a release where nothing was held (an earlier version's lookup) is a no-op."""
    key = held_key(fp, keys, params)
    if key is None or verdict.status != "duplicate" or candidates.bands.get(key):
        return []
    return [Release(key, article.id)]


def _prose_fields(fp: Fingerprint, bits: int) -> dict[str, Any]:
    if fp.prose is None:
        return {}
    return {
        "prose_n": fp.prose.n_shingles,
        "prose_sig": pack_sig(fp.prose.sketch.sig, bits),
        "prose_pos": pack_positions(fp.prose.positions, fp.prose.n_shingles),
    }


def dedupe(
    article: Article,
    store: DedupeStore,
    *,
    now: datetime,
    settings: DedupeParams | None = None,
) -> Article:
    """The one-shot path (offline, tests): the three phases against one store."""
    params = settings or DEFAULT_PARAMS
    if isinstance(store, InMemoryStore):
        store.expire(now=now, params=params)
    fp = fingerprint(article, params)
    keys = lookup_keys(article, fp, params)
    candidates = lookup_candidates(fp, store, now=now, params=params, keys=keys)
    url_state = lookup_url(article, store.urls, now=now, params=params, keys=keys.urls)
    verdict = decide(article, fp, candidates, url_state, params=params)
    for update in index_updates(article, fp, verdict, now=now, params=params, keys=keys):
        apply_update(store, update, now=now, params=params)
    return msgspec.structs.replace(article, dedupe=verdict)
