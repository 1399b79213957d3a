"""The sink's faust app: tables fed from news.articles, views published, HTTP read API.

Two agents keep every table write on the partition that owns its key:
  news.articles (key = article id) -> `articles` table, and one view update per view
    the article belongs to, re-keyed by view name onto the internal `views` topic;
  views topic (key = view name) -> `latest` table -> news.latest (compacted).
HTTP handlers (services.sink.api) route each request to the worker owning the key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import faust
import msgspec

from services.core import metrics
from services.core.clock import utc_iso
from services.core.codec import decode, encode
from services.core.models import Article, ArticleSummary, LatestView
from services.core.settings import SinkSettings
from services.core.streaming.app import StreamService, make_service
from services.core.streaming.stage import Output, observe_outputs, run_handler
from services.core.streaming.worker import run_worker
from services.core.topics import Topics
from services.sink import api, views

log = logging.getLogger(__name__)
STAGE = "sink"

_summaries = msgspec.json.Decoder(list[ArticleSummary])


@dataclass(frozen=True)
class SinkState:
    """The faust objects the HTTP API reads; built once per app, never module-level."""

    app: faust.App
    settings: SinkSettings
    articles: faust.types.TableT
    latest: faust.types.TableT


def decode_summaries(data: bytes | None) -> list[ArticleSummary]:
    return _summaries.decode(data) if data else []


def build(settings: SinkSettings) -> StreamService:
    service = make_service(STAGE, settings)
    app = service.app
    topics = Topics(settings.topics)
    partitions = settings.topics.partitions
    source = app.topic(topics.articles, key_type=bytes, value_type=bytes)
    views_topic = service.internal_topic("views")
    latest_out = app.topic(topics.latest, key_type=bytes, value_type=bytes)
    dlq = app.topic(topics.dlq, key_type=bytes, value_type=bytes)
    articles = app.Table("articles", key_type=bytes, value_type=bytes, partitions=partitions)
    latest = app.Table("latest", key_type=bytes, value_type=bytes, partitions=partitions)
    state = SinkState(app, settings, articles, latest)

    def handle_article(key: bytes | None, value: bytes) -> list[Output]:
        article = decode(value, Article)
        if views.is_stale(article, articles.get(article.id.encode())):
            return []
        articles[article.id.encode()] = value
        summary = encode(views.summarize(article))
        return [
            Output(views_topic.get_topic_name(), view.encode(), summary, article.ingest.received_at)
            for view in views.view_keys(article)
        ]

    @app.agent(source, name="sink-articles")
    async def store_articles(stream: faust.StreamT) -> None:
        async for event in stream.events():
            message = event.message
            metrics.MESSAGES_IN.labels(STAGE, message.topic).inc()
            outputs = run_handler(
                STAGE,
                handle_article,
                topics.dlq,
                message.key,
                event.value,
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
            )
            for out in outputs:
                target = dlq if out.topic == topics.dlq else views_topic
                await target.send(key=out.key, value=out.value)
            observe_outputs(STAGE, outputs)
            metrics.TABLE_KEYS.labels("articles").set(len(articles))

    @app.agent(views_topic, name="sink-views")
    async def update_views(stream: faust.StreamT) -> None:
        async for event in stream.events():
            view_name: bytes = event.message.key
            item = msgspec.json.decode(event.value, type=ArticleSummary)
            merged = views.merge(decode_summaries(latest.get(view_name)), item, settings.latest_size)
            latest[view_name] = msgspec.json.encode(merged)
            snapshot = LatestView(view=view_name.decode(), updated_at=utc_iso(), articles=merged)
            await latest_out.send(key=view_name, value=encode(snapshot))
            metrics.MESSAGES_OUT.labels(STAGE, topics.latest).inc()
            metrics.TABLE_KEYS.labels("latest").set(len(latest))

    api.add_routes(state)
    return service


def main(settings: SinkSettings | None = None) -> None:
    settings = settings or SinkSettings()
    run_worker(build(settings))
