"""normalizer stream app: news.raw -> news.normalized (or news.dlq)."""

from __future__ import annotations

from services.core.codec import decode, encode
from services.core.models import RawArticle
from services.core.settings import NormalizerSettings
from services.core.streaming.host import run_stage
from services.core.streaming.stage import Handler, Output
from services.core.streaming.txn import TransactionalStage
from services.core.topics import Topics
from services.normalizer.pipeline import normalize, warm_up

STAGE = "normalizer"


def make_handler(settings: NormalizerSettings, topics: Topics) -> Handler:
    def handle(key: bytes | None, value: bytes) -> list[Output]:
        raw = decode(value, RawArticle)
        article = normalize(raw, max_chars=settings.max_chars)
        return [Output(topics.normalized, article.id.encode(), encode(article), raw.ingest.received_at)]

    return handle


def build(settings: NormalizerSettings) -> TransactionalStage:
    topics = Topics(settings.topics)
    warm_up()  # load the language model and gazetteer before joining the group
    handler = make_handler(settings, topics)
    return TransactionalStage(
        STAGE, settings, [topics.raw], topics.dlq, lambda record: handler(record.key, record.value)
    )


def main(settings: NormalizerSettings | None = None) -> None:
    settings = settings or NormalizerSettings()
    run_stage(build(settings))
