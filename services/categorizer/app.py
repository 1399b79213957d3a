"""categorizer stream app: news.normalized -> news.categorized (or news.dlq)."""

from __future__ import annotations

from services.categorizer.pipeline import Categorizer
from services.core import metrics
from services.core.codec import decode, encode
from services.core.models import Article
from services.core.settings import CategorizerSettings
from services.core.streaming.host import run_stage
from services.core.streaming.stage import Handler, Output
from services.core.streaming.txn import TransactionalStage
from services.core.topics import Topics

STAGE = "categorizer"


def make_handler(categorizer: Categorizer, topics: Topics) -> Handler:
    def handle(key: bytes | None, value: bytes) -> list[Output]:
        article = categorizer.categorize(decode(value, Article))
        if article.topics:
            metrics.CATEGORIZED_TOPICS.labels(article.topics[0].code).inc()
        return [Output(topics.categorized, article.id.encode(), encode(article), article.ingest.received_at)]

    return handle


def build(settings: CategorizerSettings) -> TransactionalStage:
    topics = Topics(settings.topics)
    handler = make_handler(Categorizer.load(settings.model_path, settings.section_table), topics)
    return TransactionalStage(
        STAGE, settings, [topics.normalized], topics.dlq, lambda record: handler(record.key, record.value)
    )


def main(settings: CategorizerSettings | None = None) -> None:
    settings = settings or CategorizerSettings()
    run_stage(build(settings))
