"""deduper stream app: news.categorized -> news.articles | news.duplicates (or news.dlq).

Two steps keep every state write on the partition owning its key, each step's state
in a changelog table committed in the same transaction as its outputs:
  1. by article id (news.categorized): `versions` table -> same id with the same body
     is a re-ingest (duplicate), with a changed body an update (version + 1);
  2. by body hash (internal `by-hash` topic): `hashes` table -> the first article id
     seen with that body; a later different id with the same body is a duplicate.
"""

from __future__ import annotations

import hashlib
import re

import msgspec

from services.core import metrics
from services.core.codec import decode, encode
from services.core.models import Article, Dedupe
from services.core.settings import DeduperSettings
from services.core.state.table import ChangelogTable
from services.core.streaming.host import run_stage
from services.core.streaming.stage import Output
from services.core.streaming.txn import InRecord, TransactionalStage, group_id
from services.core.topics import Topics

STAGE = "deduper"
_SPACE = re.compile(r"\s+")


def body_hash(article: Article) -> str:
    text = _SPACE.sub(" ", (article.body or article.title or "").strip().lower())
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _verdict(article: Article, topic: str, verdict: Dedupe) -> Output:
    metrics.DEDUPE_VERDICTS.labels(verdict.status, verdict.kind or "none").inc()
    article = msgspec.structs.replace(article, dedupe=verdict)
    return Output(topic, article.id.encode(), encode(article), article.ingest.received_at)


def build(settings: DeduperSettings) -> tuple[TransactionalStage, list[str]]:
    topics = Topics(settings.topics)
    group = group_id(settings, STAGE)
    by_hash_topic = f"{group}-by-hash"
    data = settings.data_dir / STAGE
    versions = ChangelogTable("versions", f"{group}-versions-changelog", data)
    hashes = ChangelogTable("hashes", f"{group}-hashes-changelog", data)

    def by_id(record: InRecord) -> list[Output]:
        article = decode(record.value, Article)
        digest = body_hash(article)
        key = article.id.encode()
        previous = versions.get(record.partition, key)
        if previous is None:
            return [
                versions.put(record.partition, key, f"{digest}:1".encode()),
                Output(by_hash_topic, digest.encode(), record.value),
            ]
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
            return [_verdict(article, topics.duplicates, verdict)]
        version = int(old_version) + 1
        verdict = Dedupe(
            status="update", fingerprint=digest, version=version, kind="update", story_id=article.id
        )
        return [
            versions.put(record.partition, key, f"{digest}:{version}".encode()),
            _verdict(article, topics.articles, verdict),
        ]

    def by_body(record: InRecord) -> list[Output]:
        article = decode(record.value, Article)
        digest = (record.key or b"").decode()
        first = hashes.get(record.partition, digest.encode())
        if first is None or first.decode() == article.id:
            verdict = Dedupe(status="unique", fingerprint=digest, story_id=article.id)
            return [
                hashes.put(record.partition, digest.encode(), article.id.encode()),
                _verdict(article, topics.articles, verdict),
            ]
        original = first.decode()
        verdict = Dedupe(
            status="duplicate",
            fingerprint=digest,
            duplicate_of=original,
            similarity=1.0,
            story_id=original,
            kind="exact",
        )
        return [_verdict(article, topics.duplicates, verdict)]

    def handle(record: InRecord) -> list[Output]:
        return by_body(record) if record.topic == by_hash_topic else by_id(record)

    stage = TransactionalStage(
        STAGE,
        settings,
        [topics.categorized, by_hash_topic],
        topics.dlq,
        handle,
        tables={"versions": versions, "hashes": hashes},
        table_sources={"versions": topics.categorized, "hashes": by_hash_topic},
    )
    return stage, [by_hash_topic]


def main(settings: DeduperSettings | None = None) -> None:
    settings = settings or DeduperSettings()
    stage, internal = build(settings)
    run_stage(stage, internal)
