"""What each agent of the sink's two apps does with one message: pure functions from
bytes to `Step`s. The sink (services.sink.app) runs on_article, on_views, on_story and
on_related_list; the related worker (services.related.app) runs on_article_index,
on_index and on_offers.

The faust shell (services.sink.agents) hands a handler the message, a `read` function for
its table and `Here` (the message's partition, of how many); the handler returns the
table values to write (`Step.stores`, keys of that partition only) and the messages
to send (`Step.sends`). Batched messages (services.sink.wire) are handled as a
generator of small Steps, one per key or slice of scoring, so the shell can let HTTP
reads run between them; it writes nothing until the last Step is out, so a message
that fails midway leaves no trace. Each table key is read and written at most once
per message. Anything raised here becomes a news.dlq record with the app's stage ("sink" or
"related") and the partition goes on. No Kafka, no faust: unit tests call these directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import msgspec

from services.core.codec import decode, encode
from services.core.exceptions import NewsflowError
from services.core.kafka.partitioner import group_by_partition, hash_partition
from services.core.models import Article, ArticleSummary, LatestView, RelatedList
from services.sink import candidates, views, wire
from services.sink.related import Features, features, prepare

STORY_SIZE = 100  # articles kept per story, newest first
SCORE_SLICE = 48  # pool members scored between two pauses (~0.6 ms)

# Roles of the topics a step sends to; the shell maps them to topic names.
VIEWS, STORIES, INDEX, OFFERS, LATEST, RELATED = "views", "stories", "index", "offers", "latest", "related"

Read = Callable[[bytes], bytes | None]

_summary = msgspec.json.Decoder(ArticleSummary)
_summaries = msgspec.json.Decoder(list[ArticleSummary])


class SinkError(NewsflowError):
    """A message the sink must not store (goes to news.dlq)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Send:
    role: str
    key: bytes
    value: bytes
    partition: int | None = None  # a batch for one partition's keys; None: by key


@dataclass(frozen=True, slots=True)
class Step:
    """Table values to write (key, value) and messages to send, in order."""

    stores: list[tuple[bytes, bytes]] = field(default_factory=list)
    sends: list[Send] = field(default_factory=list)
    received_at: str | None = None  # the article's ingest time, for the e2e latency metric


@dataclass(frozen=True, slots=True)
class Here:
    """Where the message being handled lives: its table writes must stay on `partition`."""

    partition: int
    partitions: int

    def check(self, keys: Iterable[bytes]) -> None:
        """Refuse keys of another partition: their rows would be stored where no read looks."""
        for key in keys:
            if hash_partition(key, self.partitions) != self.partition:
                raise SinkError("wrong_partition", f"key {key!r} is not on partition {self.partition}")


def combined(steps: Iterable[Step]) -> Step:
    """All Steps of one message as one (tests and the offline simulation)."""
    stores: list[tuple[bytes, bytes]] = []
    sends: list[Send] = []
    received_at = None
    for step in steps:
        stores += step.stores
        sends += step.sends
        received_at = received_at or step.received_at
    return Step(stores, sends, received_at)


def decode_summaries(data: bytes | None) -> list[ArticleSummary]:
    return _summaries.decode(data) if data else []


def batched(
    role: str, key: bytes, keys: list[str], partitions: int, pack: Callable[[list[str]], bytes]
) -> list[Send]:
    """One message per partition of `keys`, sent there, carrying that partition's keys."""
    groups = group_by_partition(((k, k) for k in keys), partitions)
    return [Send(role, key, pack(group), partition) for partition, group in groups.items()]


def _checked_article(key: bytes | None, value: bytes) -> tuple[bytes, Article]:
    """A news.articles record both apps may use; anything else is a SinkError (-> DLQ)."""
    article = decode(value, Article)
    if key is None or key != article.id.encode():
        raise SinkError("key_mismatch", f"record key {key!r} is not the article id {article.id!r}")
    if article.dedupe is not None and article.dedupe.status == "duplicate":
        raise SinkError("duplicate", f"duplicate {article.id} on news.articles (belongs on news.duplicates)")
    return key, article


def on_article(key: bytes | None, value: bytes, stored: bytes | None, partitions: int) -> Step:
    """news.articles -> articles table (the sink); fan out to views and story."""
    key, article = _checked_article(key, value)
    if views.is_stale(article, stored):
        return Step()
    summary = views.summarize(article)
    sends = batched(
        VIEWS,
        key,
        views.view_keys(article),
        partitions,
        lambda vs: encode(wire.ViewBatch(views=vs, summary=summary)),
    )
    if article.dedupe is not None and article.dedupe.story_id:
        sends.append(Send(STORIES, article.dedupe.story_id.encode(), encode(summary)))
    return Step(stores=[(key, value)], sends=sends, received_at=article.ingest.received_at)


def on_article_index(key: bytes | None, value: bytes, partitions: int) -> Step:
    """news.articles -> the article's Features to its related-index keys (the related app).

    No stale check here: that app keeps no articles table. An older version replayed
    after a newer one is refused where it matters, by each pool (candidates.join_pool)
    and by each related list (offers carry versions).
    """
    key, article = _checked_article(key, value)
    extract = features(article)
    keys = candidates.index_keys(extract)
    sends = batched(
        INDEX, key, keys, partitions, lambda ks: encode(wire.IndexBatch(keys=ks, features=extract))
    )
    return Step(sends=sends, received_at=article.ingest.received_at)


def on_related_list(key: bytes | None, value: bytes, here: Here) -> Step:
    """news.related -> the sink's copy of the list (what its HTTP API reads).

    The related app publishes every change of a list; the copy is the last one. A
    tombstone (empty value) leaves the copy to the sink's retention.
    """
    if not value:
        return Step()
    published = decode(value, RelatedList)
    if key is None or key != published.id.encode():
        raise SinkError("key_mismatch", f"record key {key!r} is not the list's article id {published.id!r}")
    here.check([key])
    return Step(stores=[(key, value)])


def _merge(current: bytes | None, summary: ArticleSummary, limit: int) -> list[ArticleSummary] | None:
    """The merged list, or None when it did not change."""
    before = decode_summaries(current)
    after = views.merge(before, summary, limit)
    return None if after == before else after


def on_views(key: bytes | None, value: bytes, read: Read, here: Here, size: int, now: str) -> Iterator[Step]:
    """views topic -> latest table, and each changed view's whole list to news.latest."""
    batch = wire.decode_views(key, value)
    names = [v.encode() for v in dict.fromkeys(batch.views)]
    here.check(names)
    for name in names:
        merged = _merge(read(name), batch.summary, size)
        if merged is None:
            continue
        snapshot = LatestView(view=name.decode(), updated_at=now, articles=merged)
        yield Step(stores=[(name, msgspec.json.encode(merged))], sends=[Send(LATEST, name, encode(snapshot))])


def on_story(key: bytes, value: bytes, current: bytes | None) -> Step:
    """stories topic -> stories table (members of a story, newest first)."""
    merged = _merge(current, _summary.decode(value), STORY_SIZE)
    return Step() if merged is None else Step(stores=[(key, msgspec.json.encode(merged))])


def on_index(key: bytes | None, value: bytes, read: Read, here: Here, k: int) -> Iterator[Step]:
    """rel-index topic -> pool table; offers to the new article and to its best matches.

    Each pool the article joins gets a reference to it, and its Features are stored once
    on this partition (candidates.feature_key); a pool holding a newer version of it is
    left alone, as is its scoring. Each distinct member is read and scored once, a slice
    at a time.
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
        scores.update(candidates.score_members(me, members))
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
    """rel-offers topic -> related table, and news.related once for each list that changed."""
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
        published = RelatedList(id=target, updated_at=now, related=state.related)
        yield Step(
            stores=[(target.encode(), encode(state))],
            sends=[Send(RELATED, target.encode(), encode(published))],
        )


def encode_list(items: Sequence[candidates.PoolRef | Features]) -> bytes:
    return msgspec.json.encode(items)
