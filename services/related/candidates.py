"""Related articles in the stream: scatter to candidate pools, score there, merge per article.

Why this shape: the related list of an article needs candidates from every partition,
but faust only lets a worker read and write table keys of the partitions it owns. So
an article is never compared with "all articles"; it is compared with the recent
articles that share one of its *index keys* (story, topic, country, name, place,
keyword, and title: its own title and the titles of the publisher's related links).

    news.articles (key id) --Features--> rel-index topic: one IndexBatch per partition
        holding the article's index keys of that partition (services.sink.wire)
    rel-index agent, per batch:
        per key: pool[key] = the POOL_SIZE newest Features under that key, X joined
        score new article X once against each distinct member C of those pools (both
        directions; the pools overlap), then
        -> X's top k over the pools' union                        (forward offer)
        -> X to each pool's REVERSE_PER_KEY best C's, once per C   (reverse offers)
        -> rel-offers topic: one OfferBatch per partition of the offers' targets
    rel-offers agent: related[id] = merge of every offer, best k, on the id's partition
        -> news.related (compacted) once per batch for each list that changed.

The lists are the same as when every key was its own message scored alone: the top k
of a union is the merge of the per-pool top ks, and a pair always scores the same (one
nuance: a member held in two versions by different pools is scored in its newest).
Each pool is bounded, so the work per article is bounded (keys x pool), hot keys stay
hot only up to POOL_SIZE, and "recent ones preferred" comes for free: old articles fall
out of the pools. Any pair sharing an index key is scored exactly as the offline
`newsflow related` scores it (same pure function), so the stream's list equals the
offline one restricted to recent key-sharing candidates. Offers are idempotent (merge
by id; the same pair always scores the same), so at-least-once redelivery is harmless.
Offers carry the target's dedupe version: a newer version starts a fresh list, offers
for an older version are dropped.

Pools hold references, not copies: a pool value is its members' `PoolRef`s (id,
version, times, ~70 bytes each) and each member's Features are stored once per
partition under a `feature_key` that hashes to that partition. Every join rewrites the
whole pool (and its changelog record), so with copies an article cost ~30 pools x 64
members of Features in writes, most of the sink's bytes, CPU and broker load. Pools
written by earlier versions (Features inline) are still read, and moved to references
when next rewritten.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple, Protocol, TypeVar

import msgspec

from services.core.kafka.partitioner import hash_partition
from services.core.models import RelatedItem, RelatedList
from services.related.scoring import Features, Prepared, norm_title, prepare, score_both

POOL_SIZE = 64  # Features kept per index key
FEATURES_CACHED = 2048  # decoded and prepared pool members kept (~5 KB each with their sets)
REVERSE_PER_KEY = 5  # existing articles told about a new one, per index key
FEATURE_PREFIX = "feat:"  # pool-table keys of stored Features (no index key kind starts so)
MAX_SLOT = 100_000  # salts tried for a feature key; P partitions need ~P on average
LIMITS = {"story": 1, "topic": 4, "country": 3, "name": 6, "place": 3, "kw": 6, "title": 9}


class Offer(msgspec.Struct, kw_only=True):
    """Candidates for one article's related list (travels in a wire.OfferBatch)."""

    target: str
    version: int
    items: list[RelatedItem]


class RelatedState(msgspec.Struct, kw_only=True):
    """A related list with the article version it is for (key = article id); stored as
    the RelatedList news.related publishes (encode_state), once stored as this."""

    version: int
    updated_at: str
    related: list[RelatedItem] = msgspec.field(default_factory=list)


class PoolRef(msgspec.Struct, array_like=True, frozen=True):
    """A pool member: what ordering and retention need; its Features live under
    `feature_key(id, slot)` on the pool's partition."""

    id: str
    version: int
    when: str | None
    received: str | None
    slot: int


class HasId(Protocol):
    @property
    def id(self) -> str: ...


_refs = msgspec.json.Decoder(list[PoolRef])
_inline = msgspec.json.Decoder(list[Features])  # pools written by earlier versions
_features = msgspec.json.Decoder(Features)


class _Stored(msgspec.Struct, kw_only=True):
    """A related-table value: a RelatedList (news.related is the table's changelog), or
    a RelatedState of earlier versions; a list published before lists carried their
    version has none (0 below)."""

    version: int | None = None
    updated_at: str
    related: list[RelatedItem] = msgspec.field(default_factory=list)


_state = msgspec.json.Decoder(_Stored)


def feature_key(article_id: str, slot: int) -> bytes:
    return f"{FEATURE_PREFIX}{slot}:{article_id}".encode()


def feature_slot(article_id: str, partition: int, partitions: int) -> int:
    """The first salt whose feature key hashes to `partition`.

    Table keys must live on the partition that hashes them (faust's changelog and the
    sink's deletes rely on it), and an article's Features are needed on every partition
    whose pools it joins: a salted key per partition keeps both true.
    """
    for slot in range(MAX_SLOT):
        if hash_partition(feature_key(article_id, slot), partitions) == partition:
            return slot
    raise ValueError(f"no feature key of {article_id!r} hashes to partition {partition}")


def pool_ref(f: Features, slot: int) -> PoolRef:
    return PoolRef(id=f.id, version=f.version, when=f.when, received=f.received, slot=slot)


def decode_features(data: bytes | None) -> Features | None:
    return _decoded_features(data) if data else None


@lru_cache(maxsize=FEATURES_CACHED)
def _decoded_features(data: bytes) -> Features:
    """Decoded once per distinct value: a pool's members are scored against every new
    article that joins it, and their stored bytes decode to the same frozen Features.
    Keyed by the bytes themselves, so a rewritten (newer) value is a new entry; a cache
    of a pure function, so a restart loses time, never state."""
    return _features.decode(data)


def index_keys(f: Features) -> list[str]:
    """The pools an article is scored in and joins, bounded per kind."""
    keys: list[str] = []
    if f.story:
        keys.append(f"story:{f.story}")
    keys += [f"topic:{t}" for t in f.topics[: LIMITS["topic"]]]
    countries = [p for p in f.places if len(p) == 2][: LIMITS["country"]]
    keys += [f"country:{c}" for c in countries]
    keys += [f"name:{n}" for n in f.names[: LIMITS["name"]]]
    keys += [f"place:{p}" for p in f.places if len(p) > 2][: LIMITS["place"]]
    keys += [f"kw:{t}" for t in f.terms[: LIMITS["kw"]]]
    titles = [norm_title(f.title)] if f.title else []
    keys += [f"title:{t}" for t in (titles + list(f.links))[: LIMITS["title"]] if t]
    return list(dict.fromkeys(keys))


def decode_pool(data: bytes | None) -> list[PoolRef | Features]:
    """A pool's members: references, or whole Features in pools of earlier versions.

    A pool is always rewritten whole, so it holds one kind or the other, never both.
    """
    if not data:
        return []
    return list(_inline.decode(data)) if data.startswith(b"[{") else list(_refs.decode(data))


def decode_state(data: bytes | None) -> RelatedState | None:
    if not data:
        return None
    stored = _state.decode(data)
    return RelatedState(version=stored.version or 0, updated_at=stored.updated_at, related=stored.related)


def encode_state(article_id: str, state: RelatedState) -> bytes:
    """The related-table value: the list as news.related publishes it, with its version."""
    listed = RelatedList(
        id=article_id, updated_at=state.updated_at, related=state.related, version=state.version or None
    )  # 0: unknown (see _Stored)
    return msgspec.json.encode(listed)


class _Member(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def when(self) -> str | None: ...


M = TypeVar("M", bound=_Member)


def join_pool(pool: list[M], new: M, size: int = POOL_SIZE) -> list[M] | None:
    """Pool with `new` in it (newest first, bounded), or None if a newer version is there."""
    if any(f.id == new.id and f.version > new.version for f in pool):
        return None
    kept = [f for f in pool if f.id != new.id]
    kept.append(new)
    kept.sort(key=lambda f: (f.when or "", f.id), reverse=True)
    return kept[:size]


class Scored(NamedTuple):
    """One pool member scored against the new article, in both directions."""

    member: Features
    forward: float  # the member as related to the new article
    forward_reason: str
    backward: float  # the new article as related to the member
    backward_reason: str


def distinct_members(new_id: str, pools: Iterable[Sequence[M]]) -> list[M]:
    """Each member of the pools once, the new article excluded.

    Pools of one article overlap a lot (its topic, country and name pools hold the same
    articles), so scoring per distinct member instead of per (pool, member) saves most
    of the work. A member seen in two versions (an update re-indexed under other keys)
    counts with its newest. Members are Features or PoolRefs alike.
    """
    chosen: dict[str, M] = {}
    for pool in pools:
        for f in pool:
            known = chosen.get(f.id)
            if f.id != new_id and (known is None or f.version > known.version):
                chosen[f.id] = f
    return list(chosen.values())


def score_members(me: Prepared, members: Iterable[Features]) -> dict[str, Scored]:
    """score_both of the new article (prepared) against each member, by member id."""
    out = {}
    for f in members:
        (fwd, fwd_reason), (bwd, bwd_reason) = score_both(me, _prepared(f))
        out[f.id] = Scored(f, fwd, fwd_reason, bwd, bwd_reason)
    return out


@lru_cache(maxsize=FEATURES_CACHED)
def _prepared(f: Features) -> Prepared:
    """prepare(f), once per distinct member (Features are frozen: equal ones prepare alike)."""
    return prepare(f)


def pool_offers(
    new: Features,
    pools: Sequence[Sequence[HasId]],
    scores: dict[str, Scored],
    k: int,
    reverse: int = REVERSE_PER_KEY,
) -> list[Offer]:
    """Offers from scored pools: first the new article's own top k, then the reverse ones.

    Forward: top k over the union of the pools, which is what merging one top k per
    pool gives (related lists merge offers by id and keep the best k). Reverse: per pool
    its best `reverse` members by how related the new article is to them (as when each
    pool was scored alone), each member told once, best first.
    """
    if k <= 0:
        return []
    ranked = sorted((s for s in scores.values() if s.forward > 0), key=lambda s: (-s.forward, s.member.id))
    offers = []
    if ranked:
        items = [
            RelatedItem(id=s.member.id, score=s.forward, reason=s.forward_reason, title=s.member.title)
            for s in ranked[:k]
        ]
        offers.append(Offer(target=new.id, version=new.version, items=items))
    told: dict[str, Scored] = {}
    for pool in pools:
        # a member without Features (expired, see retention) has no score and no offer
        scored = (scores.get(f.id) for f in pool if f.id != new.id)
        backward = [s for s in scored if s is not None and s.backward > 0]
        for s in heapq.nsmallest(reverse, backward, key=lambda s: (-s.backward, s.member.id)):
            told[s.member.id] = s
    for s in sorted(told.values(), key=lambda s: (-s.backward, s.member.id)):
        item = RelatedItem(id=new.id, score=s.backward, reason=s.backward_reason, title=new.title)
        offers.append(Offer(target=s.member.id, version=s.member.version, items=[item]))
    return offers


def score_pools(
    new: Features, pools: list[list[Features]], k: int, reverse: int = REVERSE_PER_KEY
) -> list[Offer]:
    """All offers of a new article scored against several pools at once (each member once)."""
    if k <= 0:
        return []
    return pool_offers(new, pools, score_members(prepare(new), distinct_members(new.id, pools)), k, reverse)


def score_in_pool(new: Features, pool: list[Features], k: int, reverse: int = REVERSE_PER_KEY) -> list[Offer]:
    """Offers from one pool: the per-key definition the batched scoring must agree with."""
    return score_pools(new, [pool], k, reverse)


def apply_offer(state: RelatedState | None, offer: Offer, k: int, now: str) -> RelatedState | None:
    """The merged list, or None when the offer changes nothing (stale or no better).

    A list of unknown version (0: published before lists carried one) is merged into,
    not started afresh: it is most likely the current version's.
    """
    if state is not None and offer.version < state.version:
        return None
    fresh = state is None or (state.version > 0 and offer.version > state.version)
    current = [] if state is None or fresh else state.related
    merged = {item.id: item for item in current}
    for item in offer.items:
        if item.id != offer.target:
            merged[item.id] = item
    ranked = sorted(merged.values(), key=lambda item: (-item.score, item.id))[:k]
    if state is not None and offer.version == state.version and ranked == state.related:
        return None
    return RelatedState(version=offer.version, updated_at=now, related=ranked)
