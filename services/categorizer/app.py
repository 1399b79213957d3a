"""categorizer stream app: news.normalized -> news.categorized (or news.dlq)."""

from __future__ import annotations

from services.categorizer.pipeline import Categorizer

from services.core.codec import decode, encode
from services.core.models import Article
from services.core.settings import CategorizerSettings
from services.core.streaming.app import StreamService, make_service
from services.core.streaming.stage import Handler, Output, add_stage_agent
from services.core.streaming.worker import run_worker
from services.core.topics import Topics

STAGE = "categorizer"


def make_handler(categorizer: Categorizer, topics: Topics) -> Handler:
    def handle(key: bytes | None, value: bytes) -> list[Output]:
        article = categorizer.categorize(decode(value, Article))
        return [Output(topics.categorized, article.id.encode(), encode(article), article.ingest.received_at)]

    return handle


def build(settings: CategorizerSettings) -> StreamService:
    service = make_service(STAGE, settings)
    app = service.app
    topics = Topics(settings.topics)
    categorizer = Categorizer.load(settings.model_path, settings.section_table)
    add_stage_agent(app, STAGE, topics.normalized, topics.dlq, make_handler(categorizer, topics))
    return service


def main(settings: CategorizerSettings | None = None) -> None:
    settings = settings or CategorizerSettings()
    run_worker(build(settings))
