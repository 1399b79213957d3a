"""GET /v1/stream: new articles as server-sent events, resumable with Last-Event-ID."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest

from tests.integration.sink.articles import BASE, make_article, records
from tests.integration.sink.support import SinkCluster
from tests.support.kafka import produce

pytestmark = pytest.mark.kafka


async def read_events(
    client: httpx.AsyncClient, url: str, want: int, headers: dict[str, str]
) -> list[dict[str, Any]]:
    """The first `want` events (name, id, data) of a stream."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    async with client.stream("GET", url, headers=headers, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if not line:
                if current:
                    events.append(current)
                    current = {}
                if len(events) >= want:
                    break
            elif not line.startswith((":", "retry:")):
                field, _, value = line.partition(": ")
                current[field] = value
    return events


def article(n: int) -> Any:
    return make_article(f"live{n}", f"Live {n}", published=BASE + timedelta(days=1, minutes=n))


async def test_stream_sends_new_articles_and_resumes_after_the_last_event(sink: SinkCluster) -> None:
    url = sink.workers[0].url + "/v1/stream"
    async with httpx.AsyncClient() as client:
        reader = asyncio.create_task(read_events(client, url, 4, {}))
        await asyncio.sleep(2.0)  # connected: the stream starts at the end of news.articles
        await produce(sink.bootstrap, sink.topics.articles, records([article(n) for n in range(3)]))
        events = await asyncio.wait_for(reader, 60)
        assert events[0]["event"] == "ready"
        seen = [orjson.loads(e["data"])["id"] for e in events[1:]]
        assert sorted(seen) == ["live0", "live1", "live2"]  # arrival order across partitions

        await produce(sink.bootstrap, sink.topics.articles, records([article(n) for n in range(3, 5)]))
        resumed = await read_events(client, url, 5, {"Last-Event-ID": events[1]["id"]})
        assert resumed[0] == {"event": "ready", "id": events[1]["id"], "data": "{}"}
        # Exactly what came after the last event seen: nothing lost, nothing repeated.
        again = [orjson.loads(e["data"])["id"] for e in resumed[1:]]
        assert sorted(again) == sorted([*seen[1:], "live3", "live4"])


def test_bad_last_event_id_is_400(sink: SinkCluster) -> None:
    response = httpx.get(sink.workers[0].url + "/v1/stream", headers={"Last-Event-ID": "7"}, timeout=10)
    assert response.status_code == 400 and response.json()["error"] == "bad_last_event_id"
