"""The agents of the sink and the related worker without Kafka: handlers on dict tables,
messages routed like faust would. `related` is the related worker's table (the sink's
copy of news.related is `published[RELATED]`).

Each message is handled on the partition Kafka would deliver it to (its explicit
partition, else the default partitioner's for its key), and every table write is
checked to belong to that partition: the invariant faust's changelogs rely on.
`single_key=True` re-sends every batch as the per-key messages of earlier versions
(one view, one index key, one offer each), which the handlers still accept, so tests
can compare the batched flow with the per-key one.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

import msgspec

from services.core.codec import encode
from services.core.kafka.partitioner import hash_partition
from services.core.models import Article
from services.related import handlers as related
from services.related.candidates import decode_state
from services.sink import handlers, wire
from services.sink.handlers import INDEX, LATEST, OFFERS, RELATED, STORIES, VIEWS, Here, Send, Step

NOW = "2026-03-01T12:00:00.000Z"
ARTICLES = "articles"
TABLE_OF = {ARTICLES: "articles", VIEWS: "latest", STORIES: "stories", INDEX: "pool", OFFERS: "related"}


@dataclass
class MemorySink:
    partitions: int = 3
    k: int = 10
    size: int = 50
    single_key: bool = False
    tables: dict[str, dict[bytes, bytes]] = field(default_factory=lambda: {t: {} for t in TABLE_OF.values()})
    published: dict[str, dict[bytes, bytes]] = field(default_factory=lambda: {LATEST: {}, RELATED: {}})
    events: Counter[str] = field(default_factory=Counter)

    def feed(self, *articles: Article) -> None:
        """Each article and everything it causes, to the end, before the next one."""
        for article in articles:
            self._drain(Send(ARTICLES, article.id.encode(), encode(article)))

    def _drain(self, first: Send) -> None:
        queue = deque([first])
        while queue:
            send = queue.popleft()
            if send.role in self.published:
                self.published[send.role][send.key] = send.value
                continue
            self.events[send.role] += 1
            queue.extend(s for out in self.handle(send) for s in self._explode(out))

    def handle(self, send: Send) -> list[Send]:
        """One message on its partition: the handler's Steps, their writes checked, their sends."""
        table = self.tables[TABLE_OF[send.role]]
        partition = (
            send.partition if send.partition is not None else hash_partition(send.key, self.partitions)
        )
        here = Here(partition, self.partitions)
        step = handlers.combined(self._steps(send, table, here))
        for key, value in step.stores:
            assert hash_partition(key, self.partitions) == partition, f"{key!r} written off its partition"
            table[key] = value
        return step.sends

    def _steps(self, send: Send, table: dict[bytes, bytes], here: Here) -> list[Step]:
        key, value = send.key, send.value
        if send.role == ARTICLES:  # the sink's articles agent and the related worker's
            return [
                handlers.on_article(key, value, table.get(key), self.partitions),
                related.on_article_index(key, value, self.partitions),
            ]
        if send.role == STORIES:
            return [handlers.on_story(key, value, table.get(key))]
        if send.role == VIEWS:
            return list(handlers.on_views(key, value, table.get, here, self.size, NOW))
        if send.role == INDEX:
            return list(related.on_index(key, value, table.get, here, self.k))
        return list(related.on_offers(key, value, table.get, here, self.k, NOW))

    def _explode(self, send: Send) -> list[Send]:
        """The per-key messages of earlier versions for one batch (single_key mode)."""
        if not self.single_key or send.partition is None:
            return [send]
        if send.role == VIEWS:
            views = wire.decode_views(send.key, send.value)
            return [Send(VIEWS, v.encode(), encode(views.summary)) for v in views.views]
        if send.role == INDEX:
            index = wire.decode_index(send.key, send.value)
            return [Send(INDEX, k.encode(), encode(index.features)) for k in index.keys]
        offers = wire.decode_offers(send.key, send.value)
        return [Send(OFFERS, o.target.encode(), encode(o)) for o in offers.offers]

    def related(self, article_id: str) -> list[tuple[str, float, str]]:
        state = decode_state(self.tables["related"].get(article_id.encode()))
        return [(i.id, i.score, i.reason) for i in state.related] if state else []

    def latest(self, view: str) -> list[str]:
        return [a.id for a in handlers.decode_summaries(self.tables["latest"].get(view.encode()))]

    def snapshot(self) -> dict[str, object]:
        """Every table and the last value published per key, decoded (comparable)."""
        decoded = {name: {k: msgspec.json.decode(v) for k, v in t.items()} for name, t in self.tables.items()}
        last = {name: {k: msgspec.json.decode(v) for k, v in t.items()} for name, t in self.published.items()}
        return {"tables": decoded, "published": last}
