"""Related articles in the stream: scatter to candidate pools, score there, merge per article.

Why this shape: the related list of an article needs candidates from every partition,
but faust only lets a worker read and write table keys of the partitions it owns. So
an article is never compared with "all articles"; it is compared with the recent
articles that share one of its *index keys* (story, topic, country, name, place,
keyword, and title: its own title and the titles of the publisher's related links).

    news.articles (key id) --Features--> rel-index topic (key = index key, one message per key)
    rel-index agent: pool[key] = the POOL_SIZE newest Features under that key
        score new article X against each pool member C, both directions, then
        -> rel-offers (key X.id): X's top k from this pool          (forward, one message)
        -> rel-offers (key C.id): X for the REVERSE best C's          (reverse, few messages)
        and X joins the pool (an update replaces the older version).
    rel-offers agent: related[id] = merge of every offer, best k, on the id's partition
        -> news.related (compacted) when the list changed.

Each pool is bounded, so the work per article is bounded (keys x pool), hot keys stay
hot only up to POOL_SIZE, and "recent ones preferred" comes for free: old articles fall
out of the pools. Any pair sharing an index key is scored exactly as the offline
`newsflow related` scores it (same pure function), so the stream's list equals the
offline one restricted to recent key-sharing candidates. Offers are idempotent (merge
by id; the same pair always scores the same), so at-least-once redelivery is harmless.
Offers carry the target's dedupe version: a newer version starts a fresh list, offers
for an older version are dropped.
"""

from __future__ import annotations

import msgspec

from services.core.models import RelatedItem
from services.sink.related import Features, Prepared, norm_title, prepare, score_both

POOL_SIZE = 64  # Features kept per index key
REVERSE_PER_KEY = 5  # existing articles told about a new one, per index key
LIMITS = {"story": 1, "topic": 4, "country": 3, "name": 6, "place": 3, "kw": 6, "title": 9}


class Offer(msgspec.Struct, kw_only=True):
    """rel-offers value (key = target article id): candidates for one article's list."""

    target: str
    version: int
    items: list[RelatedItem]


class RelatedState(msgspec.Struct, kw_only=True):
    """related table value (key = article id)."""

    version: int
    updated_at: str
    related: list[RelatedItem] = msgspec.field(default_factory=list)


_pool = msgspec.json.Decoder(list[Features])
_features = msgspec.json.Decoder(Features)
_offer = msgspec.json.Decoder(Offer)
_state = msgspec.json.Decoder(RelatedState)


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


def decode_pool(data: bytes | None) -> list[Features]:
    return _pool.decode(data) if data else []


def decode_features(data: bytes) -> Features:
    return _features.decode(data)


def decode_offer(data: bytes) -> Offer:
    return _offer.decode(data)


def decode_state(data: bytes | None) -> RelatedState | None:
    return _state.decode(data) if data else None


def join_pool(pool: list[Features], new: Features, size: int = POOL_SIZE) -> list[Features] | None:
    """Pool with `new` in it (newest first, bounded), or None if a newer version is there."""
    if any(f.id == new.id and f.version > new.version for f in pool):
        return None
    kept = [f for f in pool if f.id != new.id]
    kept.append(new)
    kept.sort(key=lambda f: (f.when or "", f.id), reverse=True)
    return kept[:size]


def score_in_pool(new: Features, pool: list[Features], k: int, reverse: int = REVERSE_PER_KEY) -> list[Offer]:
    """Offers from one pool: first the new article's own top k, then the reverse ones."""
    if k <= 0:
        return []
    me = prepare(new)
    others: list[Prepared] = [prepare(f) for f in pool if f.id != new.id]
    offers = []
    forward_items = []
    backward = []
    for other in others:  # one pass scores both directions (same results as rank())
        (fwd, fwd_reason), (bwd, bwd_reason) = score_both(me, other)
        if fwd > 0:
            forward_items.append(
                RelatedItem(id=other.features.id, score=fwd, reason=fwd_reason, title=other.features.title)
            )
        if bwd > 0:
            backward.append((bwd, bwd_reason, other.features))
    forward_items.sort(key=lambda item: (-item.score, item.id))
    forward = forward_items[:k]
    if forward:
        offers.append(Offer(target=new.id, version=new.version, items=forward))
    backward.sort(key=lambda t: (-t[0], t[2].id))
    for value, reason, other_f in backward[:reverse]:
        item = RelatedItem(id=new.id, score=value, reason=reason, title=new.title)
        offers.append(Offer(target=other_f.id, version=other_f.version, items=[item]))
    return offers


def apply_offer(state: RelatedState | None, offer: Offer, k: int, now: str) -> RelatedState | None:
    """The merged list, or None when the offer changes nothing (stale or no better)."""
    if state is not None and offer.version < state.version:
        return None
    current = [] if state is None or offer.version > state.version else state.related
    merged = {item.id: item for item in current}
    for item in offer.items:
        if item.id != offer.target:
            merged[item.id] = item
    ranked = sorted(merged.values(), key=lambda item: (-item.score, item.id))[:k]
    if state is not None and offer.version == state.version and ranked == state.related:
        return None
    return RelatedState(version=offer.version, updated_at=now, related=ranked)
