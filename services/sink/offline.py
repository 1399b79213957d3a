"""The sink's and the related worker's agents over dicts: both apps offline, in one process.

Why: `newsflow process --views FILE` shows what the latest views and related lists
would hold for a set of articles without a broker; `make bench` times it beside the
stream, so its streaming/offline ratio compares the same work on both sides (the
stream's six services include the sink and the related worker; the deduper is where
plain `newsflow process` stops); the related evaluation and the unit tests drive the
handlers with it.

Each message goes to the pure handler its faust agent calls (services.sink.handlers,
services.related.handlers) on the partition Kafka would deliver it to (its explicit
partition, else the default partitioner's for its key). Each table is a dict keyed as
the faust one; a message's Steps are written after its last one, as the shell does,
and every write is checked to belong to the message's partition (the invariant faust's
changelogs rely on). What a handler sends to an internal topic is handled next, in
order, as a worker owning every partition hands it over (services.sink.inline).
`related` is the related worker's table. `published` holds what news.latest and
news.related would keep: the rows written to the tables whose changelogs they are
(handlers.PUBLISHED_TABLES), as the stream publishes them.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from services.core.clock import utc_iso
from services.core.codec import encode
from services.core.kafka.partitioner import hash_partition
from services.core.models import Article
from services.related import handlers as related
from services.related.memo import ScoreMemo
from services.sink import handlers
from services.sink.handlers import INDEX, LATEST, OFFERS, RELATED, STORIES, VIEWS, Here, Send, SinkError, Step

ARTICLES = "articles"  # news.articles, read by both apps
TABLE_OF = {ARTICLES: "articles", VIEWS: "latest", STORIES: "stories", INDEX: "pool", OFFERS: "related"}


@dataclass
class OfflineViews:
    """Both apps' tables as dicts. `now` fixes the clock (tests); None reads it per message."""

    partitions: int = 1
    k: int = 10
    size: int = 50
    now: str | None = None
    tables: dict[str, dict[bytes, bytes]] = field(default_factory=lambda: {t: {} for t in TABLE_OF.values()})
    published: dict[str, dict[bytes, bytes]] = field(default_factory=lambda: {LATEST: {}, RELATED: {}})
    events: Counter[str] = field(default_factory=Counter)  # messages handled, by topic role
    memo: ScoreMemo = field(default_factory=ScoreMemo)  # as the related worker's

    def feed(self, *articles: Article) -> None:
        """Each article and everything it causes, to the end, before the next one."""
        for article in articles:
            self.add(article.id.encode(), encode(article))

    def add(self, key: bytes, value: bytes) -> None:
        """One news.articles record (key = article id) through both apps, to the end."""
        queue = deque([Send(ARTICLES, key, value)])
        while queue:
            send = queue.popleft()
            self.events[send.role] += 1
            queue.extend(s for out in self.handle(send) for s in self.route(out))

    def handle(self, send: Send) -> list[Send]:
        """One message on its partition: the handler's Steps, their writes checked, their sends."""
        table = self.tables[TABLE_OF[send.role]]
        partition = (
            send.partition if send.partition is not None else hash_partition(send.key, self.partitions)
        )
        step = handlers.combined(self._steps(send, table, Here(partition, self.partitions)))
        published = self.published.get(handlers.PUBLISHED_TABLES.get(TABLE_OF[send.role], ""))
        for key, value in step.stores:
            if hash_partition(key, self.partitions) != partition:
                raise SinkError("wrong_partition", f"{key!r} written off partition {partition}")
            table[key] = value
            if published is not None:  # the table's changelog is that topic
                published[key] = value
        return step.sends

    def route(self, send: Send) -> list[Send]:
        """The messages one send becomes on its topic (itself; tests re-split batches)."""
        return [send]

    def _steps(self, send: Send, table: dict[bytes, bytes], here: Here) -> Iterable[Step]:
        key, value, now = send.key, send.value, self.now or utc_iso()
        if send.role == ARTICLES:  # the sink's articles agent, then the related worker's
            return [
                handlers.on_article(key, value, table.get(key), self.partitions),
                related.on_article_index(key, value, self.partitions),
            ]
        if send.role == STORIES:
            return [handlers.on_story(key, value, table.get(key))]
        if send.role == VIEWS:
            return handlers.on_views(key, value, table.get, here, self.size, now)
        if send.role == INDEX:
            return related.on_index(key, value, table.get, here, self.k, self.memo)
        return related.on_offers(key, value, table.get, here, self.k, now)
