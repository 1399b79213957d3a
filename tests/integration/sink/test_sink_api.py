"""The sink on a real broker: latest, articles, related, stories over HTTP and on topics.

Fed straight on news.articles (see conftest.py); every message the sink emits must
validate against its topic's schema, and a poison record must reach news.dlq.
"""

from __future__ import annotations

import base64
import os
from typing import Any

import httpx
import orjson
import pytest

from services.core import schemas
from services.core.codec import encode
from tests.integration.sink.articles import make_article
from tests.integration.sink.conftest import XSS_TITLE
from tests.integration.sink.support import SinkCluster, get, latest_ids, settled
from tests.support.kafka import produce, read_all, wait_for

pytestmark = pytest.mark.kafka

REASONS = {"story", "names", "places", "topic", "text", "links"}


def url(sink: SinkCluster) -> str:
    return sink.workers[0].url


def test_latest_is_newest_first_with_a_late_arrival_in_its_place(
    sink: SinkCluster, fed: dict[str, Any]
) -> None:
    articles = get(f"{url(sink)}/v1/latest", limit=200).json()["articles"]
    published = [a["published_at"] for a in articles]
    assert published == sorted(published, reverse=True)
    ids = [a["id"] for a in articles]
    assert ids.index("a000011") < ids.index("late") < ids.index("a000010")
    assert len(ids) == len(set(ids)) == 43


def test_update_replaces_the_older_version_and_a_stale_replay_does_not(
    sink: SinkCluster, fed: dict[str, Any]
) -> None:
    listed = [a for a in get(f"{url(sink)}/v1/latest", limit=200).json()["articles"] if a["id"] == "upd"]
    assert [(a["title"], a["version"]) for a in listed] == [("Minister resigns after summit", 2)]
    article = get(f"{url(sink)}/v1/articles/upd").json()
    assert article["title"] == "Minister resigns after summit" and article["dedupe"]["version"] == 2
    topic_view = get(f"{url(sink)}/v1/latest", topic="medtop:11000000", limit=200).json()["articles"]
    assert [a["version"] for a in topic_view if a["id"] == "upd"] == [2]


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"topic": "medtop:15000000"}, lambda a: "medtop:15000000" in a["topics"]),
        ({"country": "gb"}, lambda a: "GB" in a["countries"]),
        ({"source": "REUTERS"}, lambda a: a["source"] == "Reuters"),
        ({"section": "sport"}, lambda a: a["section"] == "sport"),
        ({"topic": "medtop:11000000", "source": "Trend"}, lambda a: a["source"] == "Trend"),
    ],
)
def test_filters(sink: SinkCluster, fed: dict[str, Any], params: dict[str, str], check: Any) -> None:
    items = get(f"{url(sink)}/v1/latest", limit=200, **params).json()["articles"]
    assert items and all(check(a) for a in items)


def test_cursor_walks_the_whole_view(sink: SinkCluster, fed: dict[str, Any]) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        page = get(f"{url(sink)}/v1/latest", **params).json()
        seen += [a["id"] for a in page["articles"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == latest_ids(url(sink))


@pytest.mark.parametrize(
    ("path", "params", "status", "reason"),
    [
        ("/v1/latest", {"limit": 0}, 400, "bad_limit"),
        ("/v1/latest", {"topic": "politics!"}, 400, "bad_topic"),
        ("/v1/latest", {"cursor": "nope"}, 400, "bad_cursor"),
        ("/v1/latest", {"sort": "asc"}, 400, "unknown_parameter"),
        ("/v1/articles/no-such-id", {}, 404, "not_found"),
        ("/v1/articles/no-such-id/related", {}, 404, "not_found"),
        ("/v1/stories/no-such-story", {}, 404, "not_found"),
        ("/v1/articles/%3Cscript%3E", {}, 400, "bad_article_id"),
        ("/v1/nothing-here", {}, 404, "no_such_route"),
    ],
)
def test_errors_say_why(
    sink: SinkCluster, path: str, params: dict[str, Any], status: int, reason: str
) -> None:
    response = get(url(sink) + path, **params)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == reason and response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/latest",
        "/v1/articles/a000001",
        "/v1/articles/a000001/related",
        "/v1/stories/story-0",
        "/openapi.json",
        "/",
    ],
)
def test_etag_and_cache_control(sink: SinkCluster, fed: dict[str, Any], path: str) -> None:
    # the related worker may still be improving lists when the feed is listed: compare
    # two reads of a settled resource, not of one still changing (a 200 then, rightly)
    settled(lambda: get(url(sink) + path).headers.get("etag"), quiet_s=2.0)
    first = get(url(sink) + path)
    assert first.status_code == 200 and first.headers["cache-control"]
    etag = first.headers["etag"]
    again = httpx.get(url(sink) + path, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.headers["etag"] == etag


def test_related_lists_are_bounded_scored_and_explained(sink: SinkCluster, fed: dict[str, Any]) -> None:
    def lists() -> dict[str, list[tuple[str, float]]]:
        out = {}
        for article_id in latest_ids(url(sink)):
            body = get(f"{url(sink)}/v1/articles/{article_id}/related").json()
            out[article_id] = [(r["id"], r["score"]) for r in body["related"]]
        return out

    related = settled(lists)
    assert all(related.values()), [k for k, v in related.items() if not v]
    for article_id, items in related.items():
        assert len(items) <= 10 and article_id not in {i for i, _ in items}
        assert all(0 <= s <= 1 for _, s in items) and [s for _, s in items] == sorted(
            (s for _, s in items), reverse=True
        )
    body = get(f"{url(sink)}/v1/articles/late/related").json()
    assert {r["reason"] for r in body["related"]} <= REASONS
    story_mates = {"a000000", "a000051", "xss"} & set(latest_ids(url(sink)))
    top = [r["id"] for r in body["related"] if r["reason"] == "story"]
    assert set(top) == story_mates and body["related"][0]["reason"] == "story"


def test_story_lists_its_members_newest_first(sink: SinkCluster, fed: dict[str, Any]) -> None:
    story = get(f"{url(sink)}/v1/stories/story-0").json()
    assert [a["id"] for a in story["articles"]] == ["xss", "late", "a000000"]
    assert story["count"] == 3


async def test_compacted_topics_carry_schema_valid_views(sink: SinkCluster, fed: dict[str, Any]) -> None:
    latest = await read_all(sink.bootstrap, sink.topics.latest, idle_s=1.5)
    related = await read_all(sink.bootstrap, sink.topics.related, idle_s=1.5)
    for record in latest + related:
        value = orjson.loads(record.value or b"")
        schemas.validate("latest" if record.topic == sink.topics.latest else "related", value)
        assert record.key == (value["view"] if "view" in value else value["id"]).encode()
    last_all = [orjson.loads(r.value or b"") for r in latest if r.key == b"all"][-1]
    api = get(f"{url(sink)}/v1/latest", limit=50).json()["articles"]
    assert [a["id"] for a in last_all["articles"]] == [a["id"] for a in api]
    keys = {r.key for r in latest}
    assert {b"topic:medtop:11000000", b"country:AZ", b"source:trend", b"section:politics"} <= keys
    last_related = {r.key: orjson.loads(r.value or b"") for r in related}
    api_late = get(f"{url(sink)}/v1/articles/late/related").json()
    assert last_related[b"late"]["related"] == api_late["related"]


async def test_poison_goes_to_the_dlq_and_the_stream_goes_on(sink: SinkCluster, fed: dict[str, Any]) -> None:
    after = make_article("after-poison", "After the poison", topic=("medtop:15000000", "sport"))
    poison = b"\x00\xffnot an article"
    await produce(
        sink.bootstrap, sink.topics.articles, [(b"poison", poison), (b"after-poison", encode(after))]
    )

    def stages(records: list[Any]) -> dict[str, dict[str, Any]]:
        """The poison's DLQ records by stage: news.articles has two readers, each reports."""
        found = (orjson.loads(r.value or b"") for r in records if r.key == b"poison")
        return {value["stage"]: value for value in found}

    dlq = await wait_for(sink.bootstrap, sink.topics.dlq, lambda rs: set(stages(rs)) == {"sink", "related"})
    for record in dlq:
        schemas.validate("dlq_record", orjson.loads(record.value or b""))
    for value in stages(dlq).values():
        assert value["error"]["type"] == "json"
        assert base64.b64decode(value["original_b64"]) == poison
    sink.wait(lambda: "after-poison" in latest_ids(url(sink)), "article after the poison listed")


def test_script_laden_text_is_served_as_data(sink: SinkCluster, fed: dict[str, Any]) -> None:
    response = get(f"{url(sink)}/v1/articles/xss")
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["title"] == XSS_TITLE
    page = get(url(sink) + "/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert XSS_TITLE not in page.text
    script = get(url(sink) + "/static/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "textContent" in script.text


def test_openapi_document_is_served(sink: SinkCluster) -> None:
    spec = get(f"{url(sink)}/openapi.json").json()
    assert spec["openapi"] == "3.1.0" and "/v1/latest" in spec["paths"]


def test_the_related_worker_yields_the_cpu_to_the_sink(sink: SinkCluster) -> None:
    """`newsflow run` applies NEWSFLOW_NICE: the related worker's default is 10."""
    assert sink.related is not None and sink.related.proc is not None
    sink_worker = sink.workers[0].proc
    assert sink_worker is not None
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, sink_worker.pid) == base
    assert os.getpriority(os.PRIO_PROCESS, sink.related.proc.pid) == max(base, 10)


def test_every_line_the_workers_wrote_is_one_json_object(sink: SinkCluster, fed: dict[str, Any]) -> None:
    """What a log shipper reads: faust's startup spinner wrote terminal escapes before the
    first line until the worker dropped it (services.core.streaming.worker)."""
    lines = [line.split(" | ", 1)[1] for line in sink.logs]
    assert len(lines) > 5
    for line in lines:
        assert isinstance(orjson.loads(line), dict), line[:200]
