"""Each sink agent's handler as a pure function: what it stores and what it sends."""

import msgspec
import pytest

from services.core import schemas
from services.core.codec import encode
from services.core.exceptions import DecodeError
from services.core.models import RelatedItem, RelatedList
from services.related import handlers as related
from services.related.scoring import features
from services.sink import handlers, views, wire
from services.sink.handlers import INDEX, LATEST, STORIES, VIEWS, Here, SinkError
from tests.integration.sink.articles import make_article, synthetic
from tests.unit.sink.memory import NOW, MemorySink
from tests.unit.sink.messages import kafka_partition, sends_by_role
from tests.unit.sink.messages import offer as _offer

PARTITIONS = 3


def test_article_is_stored_and_fanned_out_once_per_partition() -> None:
    article = synthetic(1)[0]
    step = handlers.on_article(article.id.encode(), encode(article), None, PARTITIONS)
    assert step.stores == [(article.id.encode(), encode(article))]
    assert step.received_at == article.ingest.received_at
    by_role = sends_by_role(step)
    assert set(by_role) == {VIEWS, STORIES}  # related lists are the related worker's
    assert len(by_role[STORIES]) == 1 and by_role[STORIES][0].partition is None
    batches = [wire.decode_views(s.key, s.value) for s in by_role[VIEWS]]
    assert sorted(v for b in batches for v in b.views) == sorted(views.view_keys(article))
    for send, keys in [(s, b.views) for s, b in zip(by_role[VIEWS], batches, strict=True)]:
        assert send.key == article.id.encode()
        assert {kafka_partition(k.encode()) for k in keys} == {send.partition}  # where a keyed send went
    assert len(by_role[VIEWS]) <= PARTITIONS


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
        related.on_article_index(key, value, PARTITIONS)
    assert getattr(again.value, "reason", None) == reason


def test_duplicate_on_news_articles_is_refused() -> None:
    article = make_article("a", "t")
    assert article.dedupe is not None
    dup = msgspec.structs.replace(article, dedupe=msgspec.structs.replace(article.dedupe, status="duplicate"))
    with pytest.raises(SinkError) as caught:
        handlers.on_article(b"a", encode(dup), None, PARTITIONS)
    assert caught.value.reason == "duplicate"
    with pytest.raises(SinkError) as again:
        related.on_article_index(b"a", encode(dup), PARTITIONS)
    assert again.value.reason == "duplicate"


def test_a_view_batch_stores_each_changed_view_as_its_news_latest_message() -> None:
    article = synthetic(1)[0]
    names = [v for v in views.view_keys(article) if kafka_partition(v.encode()) == kafka_partition(b"all")]
    batch = encode(wire.ViewBatch(views=names, summary=views.summarize(article)))
    here = Here(kafka_partition(b"all"), PARTITIONS)
    step = handlers.combined(handlers.on_views(b"x", batch, {}.get, here, 50, NOW))
    assert [k for k, _ in step.stores] == [n.encode() for n in names]
    assert step.sends == []  # the latest table's changelog is news.latest: storing publishes
    assert handlers.PUBLISHED_TABLES["latest"] == LATEST
    for key, stored in step.stores:
        view = msgspec.json.decode(stored)
        schemas.validate("latest", view)
        assert view["view"] == key.decode() and [a["id"] for a in view["articles"]] == [article.id]
    again = handlers.combined(handlers.on_views(b"x", batch, dict(step.stores).get, here, 50, NOW))
    assert again == handlers.Step()


def test_views_stored_as_bare_lists_by_earlier_versions_still_read() -> None:
    first, second = synthetic(2)
    legacy = {b"all": msgspec.json.encode([views.summarize(first)])}
    batch = encode(wire.ViewBatch(views=["all"], summary=views.summarize(second)))
    here = Here(kafka_partition(b"all"), PARTITIONS)
    step = handlers.combined(handlers.on_views(b"x", batch, legacy.get, here, 50, NOW))
    merged = msgspec.json.decode(dict(step.stores)[b"all"])
    assert {a["id"] for a in merged["articles"]} == {first.id, second.id}
    assert [a.id for a in handlers.decode_view(legacy[b"all"])] == [first.id]


def test_story_keeps_members() -> None:
    sink = MemorySink(partitions=PARTITIONS)
    sink.feed(*synthetic(60))
    stored = sink.tables["stories"][b"story-0"]
    assert [i.id for i in handlers.decode_summaries(stored)] == ["a000051", "a000000"]


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
