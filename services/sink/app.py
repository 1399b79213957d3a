"""The sink's faust app: articles, latest views and stories from news.articles; the
related lists copied from news.related; the HTTP read API over all of them.

Every table write happens on the partition that owns its key, because faust writes a
table's changelog to the partition of the message being processed and the row to that
partition's RocksDB. So each table has its own agent on a topic partitioned like the
table, and an article's keys travel grouped by partition: one message per (article,
partition), sent to that partition explicitly (services.sink.wire):

  news.articles    (key id)    -> articles[id], then fans out, grouped by partition, to
  <app>-views      ViewBatch   -> latest[view] per view, a LatestView: news.latest
                                  (compacted) is that table's changelog
  <app>-stories    (key story) -> stories[story]
  news.related     (key id)    -> related[id] (a copy, for reads)

A worker that owns every partition of an internal topic (one sink worker) hands its
messages to that topic's agent inside the sending batch instead (services.sink.inline).

Related lists are computed by their own worker (services.related.app), which reads
news.articles too and publishes news.related. Why apart: scoring an article against
its candidate pools costs far more than its views, and faust hands one consumer's
messages to its agents one at a time, so in one app the views waited behind the
related backlog (POST -> visible took 12-20 s at 50 articles/s, 0.1-2.2 s without
related lists). Apart, each has its own consumer and process, and can be scaled alone.

All tables are RocksDB (rocksdict) backed by changelog topics, so a restarted or moved
worker recovers them. The agents batch and stage their writes (services.sink.agents).
HTTP (services.sink.api) routes each read to the worker owning its key, so any worker
answers any key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import faust

from services.core.clock import utc_iso
from services.core.settings import SinkSettings
from services.core.streaming.app import StreamService, make_service
from services.core.streaming.worker import run_worker
from services.core.topics import Topics
from services.sink import api, handlers, openapi
from services.sink.agents import TableAgents
from services.sink.handlers import LATEST, STORIES, VIEWS, Here, Step
from services.sink.page import add_page
from services.sink.stream import StreamHub
from services.sink.web import json_errors, json_reply, respond

log = logging.getLogger(__name__)
STAGE = "sink"
TABLES = ("articles", "latest", "stories", "related")
# the internal topics (`<app id>-<suffix>`) by role; tools that watch the sink's backlog read them
INTERNAL = {VIEWS: "views", STORIES: "stories"}


def _drop_faust_index(app: faust.App) -> None:
    """faust's production blueprint claims `/` for a status stub; the page lives there."""
    manager: Any = app.web.blueprints
    manager._enabled = [(p, bp) for p, bp in manager._enabled if "production_index" not in str(bp)]


def build(settings: SinkSettings) -> StreamService:
    topics = Topics(settings.topics)
    n, size = settings.topics.partitions, settings.latest_size
    wiring = TableAgents(make_service(STAGE, settings), settings, TABLES, INTERNAL, {LATEST: topics.latest})

    def article(key: bytes | None, value: bytes, read: handlers.Read, here: Here) -> list[Step]:
        return [handlers.on_article(key, value, read(key) if key is not None else None, n)]

    def story(key: bytes | None, value: bytes, read: handlers.Read, here: Here) -> list[Step]:
        return [handlers.on_story(key or b"", value, read(key) if key is not None else None)]

    def related(key: bytes | None, value: bytes, read: handlers.Read, here: Here) -> list[Step]:
        return [handlers.on_related_list(key, value, here)]

    def views(key: bytes | None, value: bytes, read: handlers.Read, here: Here) -> Iterable[Step]:
        return handlers.on_views(key, value, read, here, size, utc_iso())

    wiring.agent("articles", wiring.topic(topics.articles), article)
    wiring.agent("latest", wiring.targets[VIEWS], views)
    wiring.agent("stories", wiring.targets[STORIES], story)
    wiring.agent("related", wiring.topic(topics.related), related)
    add_http(wiring.app, settings, topics, wiring.tables)
    return wiring.finish()


def add_http(app: faust.App, settings: SinkSettings, topics: Topics, table: dict[str, Any]) -> None:
    """Read API, SSE stream, OpenAPI document, web page; JSON errors everywhere."""
    api.add_routes(api.Tables(app, table["articles"], table["latest"], table["stories"], table["related"]))

    def partitions() -> int | None:
        known = app.consumer.topic_partitions(topics.articles) if app.consumer else None
        return known or settings.topics.partitions

    hub = StreamHub(settings.kafka, topics.articles, partitions)
    document = json_reply(openapi.spec(), cache="public, max-age=60")

    @app.page("/v1/stream", name="stream")
    async def stream(self: Any, request: Any) -> Any:
        return await hub.handle(request, str(app.conf.canonical_url))

    @app.page("/openapi.json", name="openapi")
    async def spec(self: Any, request: Any) -> Any:
        return respond(request, document, str(app.conf.canonical_url))

    add_page(app)
    web_driver: Any = app.web  # the aiohttp driver: its aiohttp Application takes middlewares
    web_driver.web_app.middlewares.append(json_errors)
    _drop_faust_index(app)


def main(settings: SinkSettings | None = None) -> None:
    settings = settings or SinkSettings()
    run_worker(build(settings))
