"""Each sink agent's handler as a pure function: what it stores and what it sends."""

import msgspec
import pytest
from aiokafka.partitioner import DefaultPartitioner

from services.core import schemas
from services.core.codec import encode
from services.core.exceptions import DecodeError
from services.core.models import RelatedItem, RelatedList
from services.sink import candidates, handlers, views, wire
from services.sink.candidates import Offer, index_keys
from services.sink.handlers import INDEX, LATEST, RELATED, STORIES, VIEWS, Here, SinkError
from services.sink.related import features
from tests.integration.sink.articles import make_article, synthetic
from tests.unit.sink.memory import NOW, MemorySink

PARTITIONS = 3


def kafka_partition(key: bytes, n: int = PARTITIONS) -> int:
    every = list(range(n))
    return int(DefaultPartitioner()(key, every, every))


def _by_role(step: handlers.Step) -> dict[str, list[handlers.Send]]:
    by_role: dict[str, list[handlers.Send]] = {}
    for send in step.sends:
        by_role.setdefault(send.role, []).append(send)
    return by_role


def test_article_is_stored_and_fanned_out_once_per_partition() -> None:
    article = synthetic(1)[0]
    step = handlers.on_article(article.id.encode(), encode(article), None, PARTITIONS)
    assert step.stores == [(article.id.encode(), encode(article))]
    assert step.received_at == article.ingest.received_at
    by_role = _by_role(step)
    assert set(by_role) == {VIEWS, STORIES}  # related lists are the related worker's
    assert len(by_role[STORIES]) == 1 and by_role[STORIES][0].partition is None
    batches = [wire.decode_views(s.key, s.value) for s in by_role[VIEWS]]
    assert sorted(v for b in batches for v in b.views) == sorted(views.view_keys(article))
    for send, keys in [(s, b.views) for s, b in zip(by_role[VIEWS], batches, strict=True)]:
        assert send.key == article.id.encode()
        assert {kafka_partition(k.encode()) for k in keys} == {send.partition}  # where a keyed send went
    assert len(by_role[VIEWS]) <= PARTITIONS


def test_the_related_worker_sends_an_article_to_its_index_keys_once_per_partition() -> None:
    article = synthetic(1)[0]
    step = handlers.on_article_index(article.id.encode(), encode(article), PARTITIONS)
    assert step.stores == [] and step.received_at == article.ingest.received_at
    by_role = _by_role(step)
    assert set(by_role) == {INDEX}
    index = [wire.decode_index(s.key, s.value) for s in by_role[INDEX]]
    assert sorted(k for b in index for k in b.keys) == sorted(index_keys(features(article)))
    for send, batch in zip(by_role[INDEX], index, strict=True):
        assert send.key == article.id.encode() and batch.features == features(article)
        assert {kafka_partition(k.encode()) for k in batch.keys} == {send.partition}
    assert len(by_role[INDEX]) <= PARTITIONS


def test_the_sink_copies_a_published_related_list_on_its_partition() -> None:
    item = RelatedItem(id="b", score=0.5, reason="names", title="B")
    value = encode(RelatedList(id="a", updated_at=NOW, related=[item]))
    here = Here(kafka_partition(b"a"), PARTITIONS)
    assert handlers.on_related_list(b"a", value, here) == handlers.Step(stores=[(b"a", value)])
    assert handlers.on_related_list(b"a", b"", here) == handlers.Step()  # a tombstone: retention's
    with pytest.raises(SinkError) as caught:
        handlers.on_related_list(b"b", value, here)
    assert caught.value.reason == "key_mismatch"
    elsewhere = Here((here.partition + 1) % PARTITIONS, PARTITIONS)
    with pytest.raises(SinkError) as wrong:
        handlers.on_related_list(b"a", value, elsewhere)
    assert wrong.value.reason == "wrong_partition"
    with pytest.raises(DecodeError):
        handlers.on_related_list(b"a", b'{"id": "a"}', here)


@pytest.mark.parametrize("partitions", [1, 2, 3, 6, 12])
def test_grouping_by_partition_is_aiokafkas_default_partitioner(partitions: int) -> None:
    keys = [f"kw:{n}" for n in range(40)] + ["all", "topic:medtop:11000000", "country:AZ", "title:é ü ß"]
    sends = handlers.batched(INDEX, b"a", keys, partitions, lambda group: ",".join(group).encode())
    assert len({s.partition for s in sends}) == len(sends)
    for send in sends:
        for key in send.value.decode().split(","):
            assert send.partition == kafka_partition(key.encode(), partitions)
    assert sorted(k for s in sends for k in s.value.decode().split(",")) == sorted(keys)


def test_older_version_is_ignored() -> None:
    v2 = make_article("a", "v2", version=2)
    v1 = make_article("a", "v1", version=1)
    assert handlers.on_article(b"a", encode(v1), encode(v2), PARTITIONS) == handlers.Step()


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        (b"a", b"\x00not json", "json"),
        (b"a", b'{"id": "a"}', "schema"),
        (b"other", encode(make_article("a", "t")), "key_mismatch"),
        (None, encode(make_article("a", "t")), "key_mismatch"),
    ],
)
def test_bad_records_raise_with_a_reason_for_the_dlq(key: bytes | None, value: bytes, reason: str) -> None:
    with pytest.raises((DecodeError, SinkError)) as caught:
        handlers.on_article(key, value, None, PARTITIONS)
    assert getattr(caught.value, "reason", None) == reason
    with pytest.raises((DecodeError, SinkError)) as again:  # the related worker refuses them alike
        handlers.on_article_index(key, value, PARTITIONS)
    assert getattr(again.value, "reason", None) == reason


def test_duplicate_on_news_articles_is_refused() -> None:
    article = make_article("a", "t")
    assert article.dedupe is not None
    dup = msgspec.structs.replace(article, dedupe=msgspec.structs.replace(article.dedupe, status="duplicate"))
    with pytest.raises(SinkError) as caught:
        handlers.on_article(b"a", encode(dup), None, PARTITIONS)
    assert caught.value.reason == "duplicate"
    with pytest.raises(SinkError) as again:
        handlers.on_article_index(b"a", encode(dup), PARTITIONS)
    assert again.value.reason == "duplicate"


def test_a_view_batch_updates_each_view_and_publishes_only_changes() -> None:
    article = synthetic(1)[0]
    names = [v for v in views.view_keys(article) if kafka_partition(v.encode()) == kafka_partition(b"all")]
    batch = encode(wire.ViewBatch(views=names, summary=views.summarize(article)))
    here = Here(kafka_partition(b"all"), PARTITIONS)
    step = handlers.combined(handlers.on_views(b"x", batch, {}.get, here, 50, NOW))
    assert [k for k, _ in step.stores] == [n.encode() for n in names]
    assert [(s.role, s.key) for s in step.sends] == [(LATEST, n.encode()) for n in names]
    for send in step.sends:
        schemas.validate("latest", msgspec.json.decode(send.value))
    again = handlers.combined(handlers.on_views(b"x", batch, dict(step.stores).get, here, 50, NOW))
    assert again == handlers.Step()


def test_story_keeps_members() -> None:
    sink = MemorySink(partitions=PARTITIONS)
    sink.feed(*synthetic(60))
    stored = sink.tables["stories"][b"story-0"]
    assert [i.id for i in handlers.decode_summaries(stored)] == ["a000051", "a000000"]


def test_index_then_offers_build_schema_valid_related_lists() -> None:
    sink = MemorySink(partitions=PARTITIONS)
    sink.feed(*synthetic(24))
    assert set(sink.tables["related"]) == {a.id.encode() for a in synthetic(24)}
    for value in sink.published[RELATED].values():
        schemas.validate("related", msgspec.json.decode(value))
    last = sink.related("a000023")
    assert 1 <= len(last) <= 10 and all(0 <= score <= 1 for _, score, _ in last)


def test_batched_flow_equals_the_per_key_flow_with_fewer_events() -> None:
    articles = synthetic(90, seed=11)
    linked = make_article(
        "linker",
        "Roundup",
        related_titles=[articles[5].title or "", articles[40].title or ""],
        story_id="story-5",
    )
    update = make_article("a000007", "Politics report 7: updated", version=2, story_id="story-7")
    batched, per_key = MemorySink(partitions=PARTITIONS), MemorySink(partitions=PARTITIONS, single_key=True)
    for sink in (batched, per_key):
        sink.feed(*articles, linked, update)
    assert batched.snapshot() == per_key.snapshot()
    assert {reason for _, _, reason in batched.related("linker")} >= {"links"}
    assert sum(batched.events.values()) * 3 < sum(per_key.events.values())
    assert batched.events[VIEWS] <= PARTITIONS * batched.events["articles"]
    assert batched.events[INDEX] <= PARTITIONS * batched.events["articles"]


def _offer(target: str, *items: tuple[str, float], version: int = 1) -> Offer:
    return Offer(
        target=target, version=version, items=[RelatedItem(id=i, score=s, reason="text") for i, s in items]
    )


def test_an_offer_batch_applies_every_offer_and_publishes_each_changed_list_once() -> None:
    ids = [f"t{n}" for n in range(30)]
    partition = kafka_partition(b"t0")
    mine = [i for i in ids if kafka_partition(i.encode()) == partition][:3]
    first, second, third = mine
    unchanged = handlers.combined(
        handlers.on_offers(
            None,
            encode(wire.OfferBatch(offers=[_offer(third, ("x", 0.5))])),
            {}.get,
            Here(partition, PARTITIONS),
            10,
            NOW,
        )
    )
    table = dict(unchanged.stores)
    offers = [
        _offer(first, ("x", 0.5)),
        _offer(second, ("y", 0.4)),
        _offer(first, ("z", 0.9)),
        _offer(third, ("x", 0.5)),
    ]
    step = handlers.combined(
        handlers.on_offers(
            b"src", encode(wire.OfferBatch(offers=offers)), table.get, Here(partition, PARTITIONS), 10, NOW
        )
    )
    assert [k for k, _ in step.stores] == [first.encode(), second.encode()]  # third did not change
    assert [(s.role, s.key) for s in step.sends] == [(RELATED, first.encode()), (RELATED, second.encode())]
    published = msgspec.json.decode(step.sends[0].value)
    schemas.validate("related", published)
    assert [r["id"] for r in published["related"]] == ["z", "x"]


@pytest.mark.parametrize("decode", [wire.decode_views, wire.decode_index, wire.decode_offers])
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", "empty_value"),
        (b"\x00garbage", "json"),
        (b"[1, 2]", "schema"),
        (b"{}", "schema"),
        (b'{"views": [], "keys": [], "offers": []}', "schema"),
        (b'{"views": ["all"], "summary": {"id": 5}}', "schema"),
        (b'{"keys": ["kw:x"], "features": {"title": "no id"}}', "schema"),
        (b'{"offers": [{"target": "a"}]}', "schema"),
    ],
)
def test_garbage_batches_are_decode_errors(decode: object, value: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(b"k", value)  # type: ignore[operator]
    assert caught.value.reason == reason


def test_garbage_in_a_handler_raises_before_any_step() -> None:
    steps = handlers.on_index(b"k", b'{"keys": "kw:x"}', {}.get, Here(0, PARTITIONS), 10)
    with pytest.raises(DecodeError):
        next(steps)


def test_single_key_messages_of_earlier_versions_are_still_accepted() -> None:
    article = synthetic(1)[0]
    summary = encode(views.summarize(article))
    here = Here(kafka_partition(b"all"), PARTITIONS)
    step = handlers.combined(handlers.on_views(b"all", summary, {}.get, here, 50, NOW))
    assert [k for k, _ in step.stores] == [b"all"]
    offer = encode(_offer("t0", ("x", 0.5)))
    with pytest.raises(DecodeError) as caught:
        wire.decode_offers(b"t1", offer)
    assert caught.value.reason == "key_mismatch"
    with pytest.raises(DecodeError) as caught:
        wire.decode_index(None, encode(features(article)))
    assert caught.value.reason == "no_key"


def test_keys_of_another_partition_are_refused() -> None:
    article = synthetic(1)[0]
    batch = encode(wire.ViewBatch(views=["all"], summary=views.summarize(article)))
    elsewhere = (kafka_partition(b"all") + 1) % PARTITIONS
    with pytest.raises(SinkError) as caught:
        list(handlers.on_views(b"x", batch, {}.get, Here(elsewhere, PARTITIONS), 50, NOW))
    assert caught.value.reason == "wrong_partition"


def _pool_values(sink: MemorySink) -> tuple[dict[bytes, bytes], dict[bytes, bytes]]:
    """The pool table split into pools and stored Features."""
    pool = sink.tables["pool"]
    stored = {k: v for k, v in pool.items() if k.startswith(candidates.FEATURE_PREFIX.encode())}
    return {k: v for k, v in pool.items() if k not in stored}, stored


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
        inline[key] = handlers.encode_list([m for m in members if m is not None])
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
