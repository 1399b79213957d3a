"""Each related-worker handler as a pure function: what it stores and what it sends."""

import msgspec
import pytest

from services.core import schemas
from services.core.codec import encode
from services.core.exceptions import DecodeError
from services.related import candidates
from services.related import handlers as related
from services.related.candidates import index_keys
from services.related.scoring import features
from services.sink import handlers, wire
from services.sink.handlers import INDEX, RELATED, Here
from tests.integration.sink.articles import synthetic
from tests.unit.sink.memory import NOW, MemorySink
from tests.unit.sink.messages import kafka_partition, offer, sends_by_role

PARTITIONS = 3


def _pool_values(sink: MemorySink) -> tuple[dict[bytes, bytes], dict[bytes, bytes]]:
    """The pool table split into pools and stored Features."""
    pool = sink.tables["pool"]
    stored = {k: v for k, v in pool.items() if k.startswith(candidates.FEATURE_PREFIX.encode())}
    return {k: v for k, v in pool.items() if k not in stored}, stored


def test_the_related_worker_sends_an_article_to_its_index_keys_once_per_partition() -> None:
    article = synthetic(1)[0]
    step = related.on_article_index(article.id.encode(), encode(article), PARTITIONS)
    assert step.stores == [] and step.received_at == article.ingest.received_at
    by_role = sends_by_role(step)
    assert set(by_role) == {INDEX}
    index = [wire.decode_index(s.key, s.value) for s in by_role[INDEX]]
    assert sorted(k for b in index for k in b.keys) == sorted(index_keys(features(article)))
    for send, batch in zip(by_role[INDEX], index, strict=True):
        assert send.key == article.id.encode() and batch.features == features(article)
        assert {kafka_partition(k.encode()) for k in batch.keys} == {send.partition}
    assert len(by_role[INDEX]) <= PARTITIONS


def test_index_then_offers_build_schema_valid_related_lists() -> None:
    sink = MemorySink(partitions=PARTITIONS)
    sink.feed(*synthetic(24))
    assert set(sink.tables["related"]) == {a.id.encode() for a in synthetic(24)}
    for value in sink.published[RELATED].values():
        schemas.validate("related", msgspec.json.decode(value))
    last = sink.related("a000023")
    assert 1 <= len(last) <= 10 and all(0 <= score <= 1 for _, score, _ in last)


def test_an_offer_batch_applies_every_offer_and_publishes_each_changed_list_once() -> None:
    ids = [f"t{n}" for n in range(30)]
    partition = kafka_partition(b"t0")
    mine = [i for i in ids if kafka_partition(i.encode()) == partition][:3]
    first, second, third = mine
    unchanged = handlers.combined(
        related.on_offers(
            None,
            encode(wire.OfferBatch(offers=[offer(third, ("x", 0.5))])),
            {}.get,
            Here(partition, PARTITIONS),
            10,
            NOW,
        )
    )
    table = dict(unchanged.stores)
    offers = [
        offer(first, ("x", 0.5)),
        offer(second, ("y", 0.4)),
        offer(first, ("z", 0.9)),
        offer(third, ("x", 0.5)),
    ]
    step = handlers.combined(
        related.on_offers(
            b"src", encode(wire.OfferBatch(offers=offers)), table.get, Here(partition, PARTITIONS), 10, NOW
        )
    )
    assert [k for k, _ in step.stores] == [first.encode(), second.encode()]  # third did not change
    assert step.sends == []  # the related table's changelog is news.related: storing publishes
    assert handlers.PUBLISHED_TABLES["related"] == RELATED
    published = msgspec.json.decode(step.stores[0][1])
    schemas.validate("related", published)
    assert published["id"] == first and published["version"] == 1
    assert [r["id"] for r in published["related"]] == ["z", "x"]


def test_lists_stored_by_earlier_versions_still_read_and_take_offers() -> None:
    target = "t0"
    here = Here(kafka_partition(target.encode()), PARTITIONS)
    old_state = (
        b'{"version": 2, "updated_at": "2026-01-01T00:00:00Z", "related": [{"id": "a", "score": 0.3}]}'
    )
    old_list = b'{"schema_version": 1, "id": "t0", "updated_at": "2026-01-01T00:00:00Z", "related": [{"id": "a", "score": 0.3}]}'
    for stored, version in ((old_state, 2), (old_list, 0)):  # a published list had no version
        assert candidates.decode_state(stored).version == version  # type: ignore[union-attr]
        batch = encode(wire.OfferBatch(offers=[offer(target, ("b", 0.5), version=max(version, 1))]))
        step = handlers.combined(related.on_offers(None, batch, {target.encode(): stored}.get, here, 10, NOW))
        merged = msgspec.json.decode(dict(step.stores)[target.encode()])
        schemas.validate("related", merged)
        assert [r["id"] for r in merged["related"]] == ["b", "a"]  # merged, not started afresh


def test_garbage_in_a_handler_raises_before_any_step() -> None:
    steps = related.on_index(b"k", b'{"keys": "kw:x"}', {}.get, Here(0, PARTITIONS), 10)
    with pytest.raises(DecodeError):
        next(steps)


def test_pools_hold_references_and_each_article_is_stored_once_per_partition() -> None:
    sink = MemorySink(partitions=PARTITIONS)
    articles = synthetic(60)
    sink.feed(*articles)
    pools, stored = _pool_values(sink)
    assert pools and stored
    for value in pools.values():
        refs = candidates.decode_pool(value)
        assert refs and all(isinstance(r, candidates.PoolRef) for r in refs)
        for ref in refs:  # every reference resolves on its pool's partition
            assert isinstance(ref, candidates.PoolRef)
            assert candidates.feature_key(ref.id, ref.slot) in stored
    per_article: dict[str, int] = {}
    for key, value in stored.items():
        f = candidates.decode_features(value)
        assert f is not None and key.endswith(f":{f.id}".encode())
        per_article[f.id] = per_article.get(f.id, 0) + 1
    assert set(per_article) == {a.id for a in articles}
    assert max(per_article.values()) <= PARTITIONS


def test_a_pool_written_with_whole_features_is_read_and_moved_to_references() -> None:
    articles = synthetic(50, seed=3)
    current, legacy = MemorySink(partitions=PARTITIONS), MemorySink(partitions=PARTITIONS)
    current.feed(*articles[:30])
    legacy.feed(*articles[:30])
    pools, stored = _pool_values(legacy)
    inline = {}  # the table as earlier versions wrote it: Features copied into each pool
    for key, value in pools.items():
        members = []
        for ref in candidates.decode_pool(value):
            assert isinstance(ref, candidates.PoolRef)
            members.append(candidates.decode_features(stored[candidates.feature_key(ref.id, ref.slot)]))
        inline[key] = related.encode_list([m for m in members if m is not None])
    legacy.tables["pool"] = dict(inline)
    legacy.feed(*articles[30:])
    current.feed(*articles[30:])
    for article in articles[30:]:
        assert legacy.related(article.id) == current.related(article.id)
        assert legacy.related(article.id)
    rewritten = [v for k, v in _pool_values(legacy)[0].items() if inline.get(k) != v]
    assert rewritten and all(v.startswith(b"[[") for v in rewritten)


def test_a_member_whose_features_expired_is_no_longer_offered() -> None:
    articles = synthetic(40, seed=9)
    sink = MemorySink(partitions=PARTITIONS)
    sink.feed(*articles[:39])
    last = articles[39]
    twin = MemorySink(partitions=PARTITIONS)
    twin.feed(*articles[:39])
    twin.feed(last)
    gone = twin.related(last.id)[0][0]  # its best match, which retention now removes
    for key in [k for k in sink.tables["pool"] if k.endswith(f":{gone}".encode())]:
        del sink.tables["pool"][key]
    sink.feed(last)
    assert gone not in {i for i, _, _ in sink.related(last.id)}
    assert [r for r in twin.related(last.id) if r[0] != gone][:5] == sink.related(last.id)[:5]
