"""What the related worker's agents do with one message: pure functions from bytes to `Step`s.

The shell (services.sink.agents, wired by services.related.app) hands each the message, a
`read` function for its table and `Here`, exactly as for the sink's own handlers
(services.sink.handlers, whose Step, Send and Here these return):

  on_article_index  news.articles -> the article's Features to its index keys, by partition
  on_index          rel-index     -> pools joined, members scored -> offers, by partition
  on_offers         rel-offers    -> related lists merged -> news.related

No Kafka, no faust: unit tests call these directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import msgspec

from services.core.codec import encode
from services.core.kafka.partitioner import group_by_partition
from services.related import candidates
from services.related.memo import ScoreMemo
from services.related.scoring import Features, features, prepare
from services.sink import wire
from services.sink.handlers import INDEX, OFFERS, Here, Read, Send, Step, batched, checked_article

SCORE_SLICE = 48  # pool members scored between two pauses (~0.6 ms)


def on_article_index(key: bytes | None, value: bytes, partitions: int) -> Step:
    """news.articles -> the article's Features to its related-index keys (the related app).

    No stale check here: that app keeps no articles table. An older version replayed
    after a newer one is refused where it matters, by each pool (candidates.join_pool)
    and by each related list (offers carry versions).
    """
    key, article = checked_article(key, value)
    extract = features(article)
    keys = candidates.index_keys(extract)
    sends = batched(
        INDEX, key, keys, partitions, lambda ks: encode(wire.IndexBatch(keys=ks, features=extract))
    )
    return Step(sends=sends, received_at=article.ingest.received_at)


def on_index(
    key: bytes | None, value: bytes, read: Read, here: Here, k: int, memo: ScoreMemo | None = None
) -> Iterator[Step]:
    """rel-index topic -> pool table; offers to the new article and to its best matches.

    Each pool the article joins gets a reference to it, and its Features are stored once
    on this partition (candidates.feature_key); a pool holding a newer version of it is
    left alone, as is its scoring. Each distinct member is read and scored once, a slice
    at a time; with a `memo`, once per article across partitions too (memo.py).
    """
    batch = wire.decode_index(key, value)
    new = batch.features
    keys = [k_.encode() for k_ in dict.fromkeys(batch.keys)]
    here.check(keys)
    ref = candidates.pool_ref(new, candidates.feature_slot(new.id, here.partition, here.partitions))
    pools: list[list[candidates.PoolRef]] = []
    inline: dict[str, Features] = {}  # members of pools written with whole Features
    for pool_key in keys:
        refs = [_as_ref(m, inline, here) for m in candidates.decode_pool(read(pool_key))]
        joined = candidates.join_pool(refs, ref)
        if joined is not None:
            pools.append(refs)
            yield Step(stores=[(pool_key, encode_list(joined))])
    if not pools:
        return
    older = [(f, _slot(f.id, here)) for f in inline.values() if f.id != new.id]
    known = _store_features([(new, ref.slot), *older], read)
    yield Step(stores=known.stores)
    if k <= 0:
        return
    me, refs = prepare(new), candidates.distinct_members(new.id, pools)
    scores: dict[str, candidates.Scored] = {}
    for start in range(0, len(refs), SCORE_SLICE):
        members = _resolve(refs[start : start + SCORE_SLICE], known.features, read)
        scored = memo.score(new, me, members) if memo is not None else candidates.score_members(me, members)
        scores.update(scored)
        yield Step()  # a pause: the shell lets other tasks run
    offers = candidates.pool_offers(new, pools, scores, k)
    groups = group_by_partition(((o.target, o) for o in offers), here.partitions)
    source = new.id.encode()
    yield Step(
        sends=[Send(OFFERS, source, encode(wire.OfferBatch(offers=g)), part) for part, g in groups.items()]
    )


def _as_ref(
    member: candidates.PoolRef | Features, inline: dict[str, Features], here: Here
) -> candidates.PoolRef:
    """A pool member as a reference; whole Features (older pools) are kept aside to store."""
    if isinstance(member, candidates.PoolRef):
        return member
    known = inline.get(member.id)
    if known is None or member.version > known.version:
        inline[member.id] = member
    return candidates.pool_ref(member, _slot(member.id, here))


def _slot(article_id: str, here: Here) -> int:
    return candidates.feature_slot(article_id, here.partition, here.partitions)


@dataclass(frozen=True, slots=True)
class _Known:
    features: dict[str, Features]  # newest Features known here, by id
    stores: list[tuple[bytes, bytes]]  # those newer than what the table holds


def _store_features(slotted: list[tuple[Features, int]], read: Read) -> _Known:
    """Features to (re)write on this partition: each one newer than its stored version."""
    known: dict[str, Features] = {}
    stores: list[tuple[bytes, bytes]] = []
    for f, slot in slotted:
        fkey = candidates.feature_key(f.id, slot)
        stored = candidates.decode_features(read(fkey))
        if stored is None or stored.version < f.version:
            stores.append((fkey, encode(f)))
            known[f.id] = f
        else:
            known[f.id] = stored
    return _Known(known, stores)


def _resolve(refs: list[candidates.PoolRef], known: dict[str, Features], read: Read) -> list[Features]:
    """The members' stored Features; one whose Features expired (retention) is left out."""
    out = []
    for r in refs:
        f = known.get(r.id)
        if f is None:
            f = candidates.decode_features(read(candidates.feature_key(r.id, r.slot)))
        if f is not None:
            out.append(f)
    return out


def on_offers(key: bytes | None, value: bytes, read: Read, here: Here, k: int, now: str) -> Iterator[Step]:
    """rel-offers topic -> related table: each changed list as its news.related message,
    which the table's changelog (news.related, PUBLISHED_TABLES) publishes."""
    batch = wire.decode_offers(key, value)
    by_target: dict[str, list[candidates.Offer]] = {}
    for offer in batch.offers:
        by_target.setdefault(offer.target, []).append(offer)
    here.check(t.encode() for t in by_target)
    for target, offers in by_target.items():
        state = current = candidates.decode_state(read(target.encode()))
        for offer in offers:
            state = candidates.apply_offer(state, offer, k, now) or state
        if state is None or state is current:
            continue
        yield Step(stores=[(target.encode(), candidates.encode_state(target, state))])


def encode_list(items: Sequence[candidates.PoolRef | Features]) -> bytes:
    return msgspec.json.encode(items)
