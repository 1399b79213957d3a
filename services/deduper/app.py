"""deduper stream app: news.categorized -> news.articles | news.duplicates (or news.dlq).

The partitioned design of decide.py on the exactly-once loop (txn.py):
  0. news.categorized (key = article id): fingerprint, lookup keys; the article (with
     both: phase 2 needs them, wire.Prepared) goes to the gather topic, and its keys,
     grouped by index partition, go to the index topic: one Lookups per partition that
     holds any of them (explicit partition).
  1. index topic (one partition's keys): Lookups -> read this partition's tables, one
     Replies to the gather topic, then hold the exact-hash key if the Lookups carries
     its entry (decide.py "Consistency"); Updates -> apply_update, and release what a
     duplicate held (phase 3 writes land here too).
  2. gather topic (key = article id|ingest id): collect the article and its replies in
     the `gather` table; when complete, decide, emit the verdict and the index Updates
     (releases included), again one message per partition, which carries the article's
     band entry once and references to it from its band keys (references.py).
Index tables (bands, names, urls, stories) follow the index topic's partitions, the
`gather` table the gather topic's: any number of workers, every key on one partition
(the one a keyed send would pick: state written by older, one-key-per-message versions
keeps its place). Every state change rides in the same transaction as the outputs that
depend on it.
A worker that owns every index partition skips phases 1-3 and decides in phase 0's
handler against its own tables (inline.py, NEWSFLOW_INLINE_DEDUPE).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from datetime import datetime
from functools import partial
from typing import Any

import msgspec

from services.core import metrics
from services.core.clock import parse_utc
from services.core.codec import decode
from services.core.codec import encode as encode_message
from services.core.exceptions import DecodeError
from services.core.kafka.partitioner import group_by_partition
from services.core.models import Article, Dedupe
from services.core.settings import DeduperSettings
from services.core.state.budget import rocksdict_options
from services.core.state.table import ChangelogTable
from services.core.streaming.host import run_stage
from services.core.streaming.stage import Output
from services.core.streaming.txn import InRecord, TransactionalStage, group_id
from services.core.topics import Topics
from services.deduper import wire
from services.deduper.decide import (
    Candidates,
    LookupKeys,
    decide,
    hold_requests,
    index_releases,
    index_updates,
    lookup_keys,
)
from services.deduper.fingerprint import Fingerprint, fingerprint
from services.deduper.index import (
    IndexUpdate,
    Release,
    TableName,
    UrlState,
    apply_update,
    decode_value,
    hold,
    read_entries,
    read_url,
    release,
    sweep,
)
from services.deduper.inline import apply_inline, inline_lookups
from services.deduper.params import DedupeParams
from services.deduper.references import by_reference
from services.deduper.tables import PartitionStore

log = logging.getLogger(__name__)
STAGE = "deduper"
INDEX_TABLES = ("bands", "names", "urls", "stories")
SWEEP_EVERY_S = 600.0


class DeduperApp:
    """The three handlers and their tables; one instance per worker process."""

    def __init__(self, settings: DeduperSettings) -> None:
        self.topics = Topics(settings.topics)
        group = group_id(settings, STAGE)
        self.index_topic = f"{group}-index"
        self.gather_topic = f"{group}-gather"
        self.params = DedupeParams.from_window_days(settings.window_days)
        # the index topic is created with (and checked against) this count: admin.py
        self.partitions = settings.topics.partitions
        data = settings.data_dir / STAGE
        options = partial(rocksdict_options, settings.rocksdb)
        self.tables = {
            name: ChangelogTable(name, f"{group}-{name}-changelog", data, options)
            for name in (*INDEX_TABLES, "gather")
        }
        self._last_sweep: dict[int, float] = {}
        # inline.py: one step per article while this worker owns every index partition;
        # `owned` (set by `build`) lists the index partitions it owns now
        self.inline = settings.inline_dedupe
        self.owned: Callable[[], Collection[int]] = tuple
        self._inline_now = False

    def handle(self, record: InRecord) -> list[Output]:
        try:
            if record.topic == self.index_topic:
                return self.on_index(record)
            if record.topic == self.gather_topic:
                return self.on_gather(record)
            return self.on_article(record)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            # wire's msgspec decoders: not JSON, or invalid UTF-8 inside a string (msgspec
            # raises UnicodeDecodeError for that); the DLQ record names a decode reason
            reason = "schema" if isinstance(exc, msgspec.ValidationError) else "json"
            raise DecodeError(reason, f"{record.topic} message: {exc}") from exc

    # phase 0 ------------------------------------------------------------------------
    def on_article(self, record: InRecord) -> list[Output]:
        article = decode(record.value, Article)
        now = article.ingest.received_at
        fp = fingerprint(article, self.params)
        keys = lookup_keys(article, fp, self.params)
        if self._owns_index():
            return self._judge_inline(article, fp, keys, now)
        reply_to = f"{article.id}|{article.ingest.id}"
        keyed = [(key, (table, key)) for table, names in keys.by_table() for key in names]
        groups = group_by_partition(keyed, self.partitions)
        held = hold_requests(article, fp, keys, now=parse_utc(now), params=self.params)
        holds = group_by_partition(((h.key, (h.key, h.value)) for h in held), self.partitions)
        outputs = [
            Output(
                self.gather_topic,
                reply_to.encode(),
                wire.encode(
                    wire.ArticleIn(
                        msgspec.Raw(record.value),
                        len(groups),
                        now,
                        prepared=msgspec.Raw(wire.encode(wire.Prepared.of(fp, keys))),
                    )
                ),
            )
        ]
        outputs += [
            Output(
                self.index_topic,
                reply_to.encode(),
                wire.encode(wire.Lookups(batch, reply_to, now, holds.get(partition, []))),
                partition=partition,
            )
            for partition, batch in sorted(groups.items())
        ]
        return outputs

    def _owns_index(self) -> bool:
        inline = self.inline and len(self.owned()) == self.partitions
        if inline != self._inline_now:
            self._inline_now = inline
            log.info("deduper mode", extra={"stage": STAGE, "mode": "inline" if inline else "phases"})
        return inline

    def _judge_inline(self, article: Article, fp: Fingerprint, keys: LookupKeys, now: str) -> list[Output]:
        """Phases 1 to 3 against this worker's own tables (inline.py)."""
        moment = parse_utc(now)
        stores = {p: PartitionStore.of(self.tables, p) for p in range(self.partitions)}
        candidates, url_state = inline_lookups(stores, keys, now=moment, params=self.params)
        outputs, updates, _ = self._judge(article, fp, keys, candidates, url_state, moment)
        apply_inline(stores, updates, now=moment, params=self.params)
        for partition in stores:
            self._maybe_sweep(partition, moment)
        return outputs

    # phase 1 and 3 --------------------------------------------------------------------
    def on_index(self, record: InRecord) -> list[Output]:
        message = wire.index_decoder.decode(record.value)
        store = PartitionStore.of(self.tables, record.partition)
        now = parse_utc(message.now)
        if isinstance(message, wire.Update):
            message = wire.Updates([(message.table, message.key, message.value)], message.now)
        elif isinstance(message, wire.Lookup):
            message = wire.Lookups([(message.table, message.key)], message.reply_to, message.now)
        outputs: list[Output] = []
        if isinstance(message, wire.Updates):
            for table, key, value in message.items:
                apply_update(store, IndexUpdate(table, key, value), now=now, params=self.params)
            for key, article_id in message.release:
                release(store, Release(key, article_id))
        else:
            items = [(table, key, self._read(store, table, key, now)) for table, key in message.keys]
            for key, value in message.hold:  # after the reads: the reply is what was there
                hold(store, IndexUpdate("bands", key, value), now=now, params=self.params)
            reply = wire.Replies(items)
            outputs.append(Output(self.gather_topic, message.reply_to.encode(), wire.encode(reply)))
        self._maybe_sweep(record.partition, now)
        return outputs

    def _read(self, store: PartitionStore, table: TableName, key: str, now: datetime) -> list[Any]:
        if table == "urls":
            state = read_url(store.urls, key, now=now, params=self.params)
            return [msgspec.to_builtins(state)] if state is not None else []
        mapping = getattr(store, table)
        return [
            msgspec.to_builtins(e) for e in read_entries(table, mapping, key, now=now, params=self.params)
        ]  # type: ignore[arg-type]

    def _maybe_sweep(self, partition: int, now: datetime) -> None:
        """Expire old keys of this partition now and then (reads skip them meanwhile)."""
        last = self._last_sweep.get(partition)
        self._last_sweep[partition] = last or time.monotonic()
        if last is None or time.monotonic() - last < SWEEP_EVERY_S:
            return
        self._last_sweep[partition] = time.monotonic()
        sweep(PartitionStore.of(self.tables, partition), now=now, params=self.params)

    # phase 2 ------------------------------------------------------------------------
    def on_gather(self, record: InRecord) -> list[Output]:
        message = wire.gather_decoder.decode(record.value)
        gather = self.tables["gather"]
        key = record.key or b""
        stored = gather.get(record.partition, key)
        pending = wire.pending_decoder.decode(stored) if stored else wire.Pending()
        if isinstance(message, wire.ArticleIn):
            pending.expected, pending.now, pending.prepared = message.expected, message.now, message.prepared
            gather.put(record.partition, wire.article_key(key), bytes(message.article))
        else:
            pending.received += 1
            items = message.items if isinstance(message, wire.Replies) else [_one(message)]
            for table, index_key, entries in items:
                pending.replies.setdefault(table, {})[index_key] = entries
        if not pending.complete():
            gather.put(record.partition, key, wire.encode(pending))
            return []
        article = bytes(pending.article)
        if article == b"null":  # stored apart (see Pending): staged or committed
            article = gather.get(record.partition, wire.article_key(key)) or b"null"
        gather.delete(record.partition, key)
        gather.delete(record.partition, wire.article_key(key))
        return self._decide(pending, article)

    def _decide(self, pending: wire.Pending, raw_article: bytes) -> list[Output]:
        article = decode(raw_article, Article)
        now = parse_utc(pending.now)
        prepared = wire.prepared_of(pending.prepared)
        if prepared is not None:  # phase 0's own: decoding is >10x cheaper than computing
            fp, keys = prepared.unpack()
        else:  # an ArticleIn of an earlier version
            fp = fingerprint(article, self.params)
            keys = lookup_keys(article, fp, self.params)
        replies = pending.replies
        candidates = Candidates(
            bands={k: decode_value("bands", replies.get("bands", {}).get(k, [])) for k in keys.bands},
            names={k: decode_value("names", replies.get("names", {}).get(k, [])) for k in keys.names},
        )
        url_state = next(
            (decode_value("urls", e[0]) for k in keys.urls if (e := replies.get("urls", {}).get(k))), None
        )
        outputs, groups, releases = self._judge(article, fp, keys, candidates, url_state, now)
        outputs += [
            Output(
                self.index_topic,
                article.id.encode(),
                wire.encode(
                    wire.Updates(
                        groups.get(partition, []),  # type: ignore[arg-type]
                        pending.now,
                        releases.get(partition, []),  # type: ignore[arg-type]
                    )
                ),
                partition=partition,
            )
            for partition in sorted(groups.keys() | releases.keys())
        ]
        return outputs

    def _judge(
        self,
        article: Article,
        fp: Fingerprint,
        keys: LookupKeys,
        candidates: Candidates,
        url_state: UrlState | None,
        now: datetime,
    ) -> tuple[list[Output], dict[int, list[Any]], dict[int, list[Any]]]:
        """The verdict's output, and the index writes per partition: updates (each band
        entry once per partition, references.py) and releases."""
        verdict: Dedupe = decide(article, fp, candidates, url_state, params=self.params)
        metrics.DEDUPE_VERDICTS.labels(verdict.status, verdict.kind or "none").inc()
        judged = msgspec.structs.replace(article, dedupe=verdict)
        target = self.topics.duplicates if verdict.status == "duplicate" else self.topics.articles
        outputs = [Output(target, judged.id.encode(), encode_message(judged), judged.ingest.received_at)]
        updates = index_updates(article, fp, verdict, now=now, params=self.params, keys=keys)
        groups = {
            partition: by_reference(items, self.params)
            for partition, items in group_by_partition(
                ((u.key, tuple(u)) for u in updates), self.partitions
            ).items()
        }
        releases = group_by_partition(
            ((r.key, tuple(r)) for r in index_releases(article, fp, verdict, candidates, keys, self.params)),
            self.partitions,
        )
        return outputs, groups, releases  # type: ignore[return-value]


def _one(reply: wire.Reply) -> tuple[str, str, list[Any]]:
    return reply.table, reply.key, reply.entries


def build(settings: DeduperSettings) -> tuple[TransactionalStage, list[str]]:
    app = DeduperApp(settings)
    topics = app.topics
    stage = TransactionalStage(
        STAGE,
        settings,
        [topics.categorized, app.index_topic, app.gather_topic],
        topics.dlq,
        app.handle,
        tables=app.tables,
        table_sources={**dict.fromkeys(INDEX_TABLES, app.index_topic), "gather": app.gather_topic},
        coalesce=frozenset({app.index_topic, app.gather_topic}),
    )
    app.owned = partial(stage.owned, app.index_topic)
    return stage, [app.index_topic, app.gather_topic]


def main(settings: DeduperSettings | None = None) -> None:
    settings = settings or DeduperSettings()
    stage, internal = build(settings)
    run_stage(stage, internal)
