"""Retention rules: each table's entries expire by ingest time, never by publication."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from services.core.codec import encode
from services.core.models import Article
from services.related import candidates
from services.related import handlers as related
from services.related.scoring import features
from services.sink import handlers, retention, views
from tests.integration.sink.articles import make_article

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LIMIT = retention.cutoff(NOW, 7)


def _article(days_ago: float, published_years_ago: int = 0) -> Article:
    """Received `days_ago`; published a number of years before that (a backfill)."""
    received = NOW - timedelta(days=days_ago)
    article = make_article("a1", "Title", published=received - timedelta(days=365 * published_years_ago))
    stamp = received.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return msgspec.structs.replace(article, ingest=msgspec.structs.replace(article.ingest, received_at=stamp))


def test_cutoff_is_the_window_before_now() -> None:
    assert NOW - timedelta(days=7) == LIMIT


def test_an_article_expires_by_ingest_time_even_when_published_long_ago() -> None:
    assert not retention.is_expired("articles", encode(_article(days_ago=1, published_years_ago=6)), LIMIT)
    assert retention.is_expired("articles", encode(_article(days_ago=8)), LIMIT)


def test_a_related_list_expires_when_it_has_not_changed_for_the_window() -> None:
    fresh = b'{"version": 1, "updated_at": "2026-11-27T00:00:00.000Z", "related": []}'
    stale = b'{"version": 1, "updated_at": "2026-11-01T00:00:00.000Z", "related": []}'
    assert not retention.is_expired("related", fresh, LIMIT)
    assert retention.is_expired("related", stale, LIMIT)


def test_a_story_or_pool_stays_while_any_member_is_inside_the_window() -> None:
    old_a, new_a = _article(10), msgspec.structs.replace(_article(2), id="a2")
    [(_, story_old)] = handlers.on_story(b"s", encode(views.summarize(old_a)), None).stores
    assert retention.is_expired("stories", story_old, LIMIT)
    [(_, both)] = handlers.on_story(b"s", encode(views.summarize(new_a)), story_old).stores
    assert not retention.is_expired("stories", both, LIMIT)
    pool_old = related.encode_list([features(old_a)])
    assert retention.is_expired("pool", pool_old, LIMIT)
    assert not retention.is_expired("pool", related.encode_list([features(old_a), features(new_a)]), LIMIT)


def test_members_written_before_the_received_field_fall_back_to_their_dates() -> None:
    legacy = b'[{"id": "x", "published_at": "2026-11-27T10:00:00Z"}]'
    assert not retention.is_expired("stories", legacy, LIMIT)
    assert retention.is_expired("stories", b'[{"id": "x"}]', LIMIT)  # undatable: not kept forever


def test_a_value_that_cannot_be_decoded_is_expired_rather_than_kept_forever() -> None:
    assert retention.is_expired("articles", b"not json", LIMIT)
    assert retention.is_expired("pool", b'{"unexpected": 1}', LIMIT)


def test_a_pool_of_references_and_stored_features_expire_by_ingest_time() -> None:
    old_f, new_f = features(_article(10)), features(msgspec.structs.replace(_article(2), id="a2"))
    old_ref, new_ref = candidates.pool_ref(old_f, 0), candidates.pool_ref(new_f, 1)
    assert retention.is_expired("pool", related.encode_list([old_ref]), LIMIT)
    assert not retention.is_expired("pool", related.encode_list([new_ref, old_ref]), LIMIT)
    assert retention.is_expired("pool", encode(old_f), LIMIT)
    assert not retention.is_expired("pool", encode(new_f), LIMIT)


def test_a_stored_value_with_invalid_utf8_is_expired_not_a_crash() -> None:
    # msgspec raises UnicodeDecodeError (not its DecodeError) for invalid UTF-8 in a string
    assert retention.is_expired("articles", b'{"id": "\xff\xfe"}', LIMIT)
