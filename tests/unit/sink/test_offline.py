"""The offline twin of the sink and the related worker (services.sink.offline)."""

from __future__ import annotations

import msgspec
import pytest

from services.core import schemas
from services.core.kafka.partitioner import hash_partition
from services.sink.handlers import LATEST, RELATED, Send, SinkError
from services.sink.offline import ARTICLES, OfflineViews
from tests.integration.sink.articles import synthetic

NOW = "2026-03-01T12:00:00.000Z"


def published(twin: OfflineViews) -> dict[str, dict[bytes, object]]:
    return {role: {k: msgspec.json.decode(v) for k, v in t.items()} for role, t in twin.published.items()}


def test_one_partition_gives_what_six_partitions_give() -> None:
    """`newsflow process --views` runs on one partition; the stream's lists are the same."""
    articles = synthetic(60)
    one, six = OfflineViews(partitions=1, now=NOW), OfflineViews(partitions=6, now=NOW)
    one.feed(*articles)
    six.feed(*articles)
    assert published(one) == published(six)
    assert len(one.published[LATEST]) > 3 and len(one.published[RELATED]) > 30
    assert six.events["index"] > one.events["index"] == len(articles)  # batches per partition


def test_what_it_publishes_validates_against_the_topic_schemas() -> None:
    twin = OfflineViews(size=5)
    twin.feed(*synthetic(20))
    for value in twin.published[LATEST].values():
        view = msgspec.json.decode(value)
        schemas.validate("latest", view)
        assert len(view["articles"]) <= 5
    for value in twin.published[RELATED].values():
        schemas.validate("related", msgspec.json.decode(value))


def test_a_write_off_the_messages_partition_is_refused() -> None:
    twin = OfflineViews(partitions=3)
    article = synthetic(1)[0]
    key = article.id.encode()
    wrong = (hash_partition(key, 3) + 1) % 3
    with pytest.raises(SinkError, match="written off partition"):
        twin.handle(Send(ARTICLES, key, msgspec.json.encode(article), wrong))
