"""Each sink agent's step as a pure function: what it stores and what it sends."""

import msgspec
import pytest

from services.core import schemas
from services.core.codec import encode
from services.core.exceptions import DecodeError
from services.sink import handlers
from services.sink.handlers import INDEX, LATEST, OFFERS, RELATED, STORIES, VIEWS, SinkError
from tests.integration.sink.articles import make_article, synthetic

NOW = "2026-03-01T12:00:00.000Z"


def test_article_is_stored_and_fanned_out_to_views_story_and_index() -> None:
    article = synthetic(1)[0]
    step = handlers.on_article(article.id.encode(), encode(article), None)
    assert step.store == encode(article)
    roles = [s.role for s in step.sends]
    assert roles.count(VIEWS) == 5 and roles.count(STORIES) == 1 and roles.count(INDEX) >= 4
    assert {s.key for s in step.sends if s.role == VIEWS} >= {b"all", b"topic:medtop:11000000", b"country:AZ"}
    assert step.received_at == article.ingest.received_at


def test_older_version_is_ignored() -> None:
    v2 = make_article("a", "v2", version=2)
    v1 = make_article("a", "v1", version=1)
    assert handlers.on_article(b"a", encode(v1), encode(v2)).store is None


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
        handlers.on_article(key, value, None)
    assert getattr(caught.value, "reason", None) == reason


def test_duplicate_on_news_articles_is_refused() -> None:
    article = make_article("a", "t")
    assert article.dedupe is not None
    dup = msgspec.structs.replace(article, dedupe=msgspec.structs.replace(article.dedupe, status="duplicate"))
    with pytest.raises(SinkError) as caught:
        handlers.on_article(b"a", encode(dup), None)
    assert caught.value.reason == "duplicate"


def test_view_update_publishes_a_schema_valid_snapshot_only_on_change() -> None:
    summary = handlers.on_article(b"a000000", encode(synthetic(1)[0]), None).sends[0].value
    step = handlers.on_view(b"all", summary, None, 50, NOW)
    [send] = step.sends
    assert send.role == LATEST and send.key == b"all"
    schemas.validate("latest", msgspec.json.decode(send.value))
    assert handlers.on_view(b"all", summary, step.store, 50, NOW).store is None


def test_story_keeps_members() -> None:
    sends = [
        s
        for a in synthetic(60)
        for s in handlers.on_article(a.id.encode(), encode(a), None).sends
        if s.role == STORIES
    ]
    stored = None
    for s in (s for s in sends if s.key == b"story-0"):
        stored = handlers.on_story(s.key, s.value, stored).store or stored
    assert [i.id for i in handlers.decode_summaries(stored)] == ["a000051", "a000000"]


def test_index_then_offers_build_schema_valid_related_lists() -> None:
    pools: dict[bytes, bytes] = {}
    lists: dict[bytes, bytes] = {}
    published = []
    for article in synthetic(24):
        for s in handlers.on_article(article.id.encode(), encode(article), None).sends:
            if s.role != INDEX:
                continue
            step = handlers.on_index(s.key, s.value, pools.get(s.key), 10)
            pools[s.key] = step.store or pools[s.key]
            for offer in step.sends:
                assert offer.role == OFFERS
                result = handlers.on_offer(offer.key, offer.value, lists.get(offer.key), 10, NOW)
                if result.store:
                    lists[offer.key] = result.store
                    published += [r for r in result.sends if r.role == RELATED]
    assert set(lists) == {a.id.encode() for a in synthetic(24)}
    for send in published:
        schemas.validate("related", msgspec.json.decode(send.value))
    first = msgspec.json.decode(published[-1].value)
    assert 1 <= len(first["related"]) <= 10 and all(0 <= r["score"] <= 1 for r in first["related"])
