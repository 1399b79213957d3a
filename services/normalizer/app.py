"""normalizer stream app: news.raw -> news.normalized (or news.dlq)."""

from __future__ import annotations

from services.normalizer.pipeline import normalize

from services.core.codec import decode, encode
from services.core.models import RawArticle
from services.core.settings import NormalizerSettings
from services.core.streaming.app import StreamService, make_service
from services.core.streaming.stage import Handler, Output, add_stage_agent
from services.core.streaming.worker import run_worker
from services.core.topics import Topics

STAGE = "normalizer"


def make_handler(settings: NormalizerSettings, topics: Topics) -> Handler:
    def handle(key: bytes | None, value: bytes) -> list[Output]:
        raw = decode(value, RawArticle)
        article = normalize(raw, max_chars=settings.max_chars)
        return [Output(topics.normalized, article.id.encode(), encode(article), raw.ingest.received_at)]

    return handle


def build(settings: NormalizerSettings) -> StreamService:
    service = make_service(STAGE, settings)
    app = service.app
    topics = Topics(settings.topics)
    add_stage_agent(app, STAGE, topics.raw, topics.dlq, make_handler(settings, topics))
    return service


def main(settings: NormalizerSettings | None = None) -> None:
    settings = settings or NormalizerSettings()
    run_worker(build(settings))
