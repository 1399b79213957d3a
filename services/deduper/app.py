"""deduper stream app: news.categorized -> news.articles | news.duplicates (or news.dlq).

Two steps keep every table write on the partition owning its key:
  1. by article id (news.categorized): `versions` table -> same id with the same body
     is a re-ingest (duplicate), with a changed body an update (version + 1);
  2. by body hash (internal `by-hash` topic): `hashes` table -> the first article id
     seen with that body; a later different id with the same body is a duplicate.
"""

from __future__ import annotations

import hashlib
import re

import faust
import msgspec

from services.core import metrics
from services.core.codec import decode, encode
from services.core.models import Article, Dedupe
from services.core.settings import DeduperSettings
from services.core.streaming.app import StreamService, make_service
from services.core.streaming.stage import Output, observe_outputs, run_handler
from services.core.streaming.worker import run_worker
from services.core.topics import Topics

STAGE = "deduper"
_SPACE = re.compile(r"\s+")


def body_hash(article: Article) -> str:
    text = _SPACE.sub(" ", (article.body or article.title or "").strip().lower())
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def build(settings: DeduperSettings) -> StreamService:
    service = make_service(STAGE, settings)
    app = service.app
    topics = Topics(settings.topics)
    partitions = settings.topics.partitions
    source = app.topic(topics.categorized, key_type=bytes, value_type=bytes)
    by_hash = service.internal_topic("by-hash")
    out = {
        name: app.topic(name, key_type=bytes, value_type=bytes)
        for name in (topics.articles, topics.duplicates, topics.dlq)
    }
    versions = app.Table("versions", key_type=bytes, value_type=bytes, partitions=partitions)
    hashes = app.Table("hashes", key_type=bytes, value_type=bytes, partitions=partitions)

    def by_id(key: bytes | None, value: bytes) -> list[Output]:
        article = decode(value, Article)
        digest = body_hash(article)
        previous = versions.get(article.id.encode())
        if previous is not None:
            old_hash, _, old_version = previous.decode().partition(":")
            if old_hash == digest:
                verdict = Dedupe(
                    status="duplicate",
                    fingerprint=digest,
                    duplicate_of=article.id,
                    similarity=1.0,
                    kind="reingest",
                    version=int(old_version),
                )
                article = msgspec.structs.replace(article, dedupe=verdict)
                return [
                    Output(
                        topics.duplicates, article.id.encode(), encode(article), article.ingest.received_at
                    )
                ]
            version = int(old_version) + 1
            versions[article.id.encode()] = f"{digest}:{version}".encode()
            verdict = Dedupe(
                status="update", fingerprint=digest, version=version, kind="update", story_id=article.id
            )
            article = msgspec.structs.replace(article, dedupe=verdict)
            return [Output(topics.articles, article.id.encode(), encode(article), article.ingest.received_at)]
        versions[article.id.encode()] = f"{digest}:1".encode()
        return [Output(by_hash.get_topic_name(), digest.encode(), value)]

    def by_body(key: bytes | None, value: bytes) -> list[Output]:
        article = decode(value, Article)
        digest = (key or b"").decode()
        first = hashes.get(digest.encode())
        if first is None or first.decode() == article.id:
            hashes[digest.encode()] = article.id.encode()
            verdict = Dedupe(status="unique", fingerprint=digest, story_id=article.id, kind=None)
            target = topics.articles
        else:
            verdict = Dedupe(
                status="duplicate",
                fingerprint=digest,
                duplicate_of=first.decode(),
                similarity=1.0,
                story_id=first.decode(),
                kind="exact",
            )
            target = topics.duplicates
        article = msgspec.structs.replace(article, dedupe=verdict)
        return [Output(target, article.id.encode(), encode(article), article.ingest.received_at)]

    async def drive(stream: faust.StreamT, handler: object) -> None:
        async for event in stream.events():
            message = event.message
            metrics.MESSAGES_IN.labels(STAGE, message.topic).inc()
            outputs = run_handler(
                STAGE,
                handler,
                topics.dlq,
                message.key,
                event.value,  # type: ignore[arg-type]
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
            )
            for output in outputs:
                await (out.get(output.topic) or by_hash).send(key=output.key, value=output.value)
                if output.topic in (topics.articles, topics.duplicates):
                    verdict = decode(output.value, Article).dedupe
                    if verdict:
                        metrics.DEDUPE_VERDICTS.labels(verdict.status, verdict.kind or "none").inc()
            observe_outputs(STAGE, [o for o in outputs if o.topic != by_hash.get_topic_name()])

    @app.agent(source, name="deduper-by-id")
    async def route_by_id(stream: faust.StreamT) -> None:
        await drive(stream, by_id)

    @app.agent(by_hash, name="deduper-by-hash")
    async def decide_by_hash(stream: faust.StreamT) -> None:
        await drive(stream, by_body)

    return service


def main(settings: DeduperSettings | None = None) -> None:
    settings = settings or DeduperSettings()
    run_worker(build(settings))
