"""The sink's and the related worker's agents without Kafka, for tests: the offline twin
(services.sink.offline) with a fixed clock, three partitions, and helpers to read it.

`single_key=True` re-sends every batch as the per-key messages of earlier versions
(one view, one index key, one offer each), which the handlers still accept, so tests
can compare the batched flow with the per-key one.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from services.core.codec import encode
from services.related.candidates import decode_state
from services.sink import handlers, wire
from services.sink.handlers import INDEX, VIEWS, Send
from services.sink.offline import OfflineViews

NOW = "2026-03-01T12:00:00.000Z"


@dataclass
class MemorySink(OfflineViews):
    partitions: int = 3
    now: str | None = NOW
    single_key: bool = False

    def route(self, send: Send) -> list[Send]:
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
        return [Send(send.role, o.target.encode(), encode(o)) for o in offers.offers]

    def related(self, article_id: str) -> list[tuple[str, float, str]]:
        state = decode_state(self.tables["related"].get(article_id.encode()))
        return [(i.id, i.score, i.reason) for i in state.related] if state else []

    def latest(self, view: str) -> list[str]:
        return [a.id for a in handlers.decode_view(self.tables["latest"].get(view.encode()))]

    def snapshot(self) -> dict[str, object]:
        """Every table and the last value published per key, decoded (comparable)."""
        decoded = {name: {k: msgspec.json.decode(v) for k, v in t.items()} for name, t in self.tables.items()}
        last = {name: {k: msgspec.json.decode(v) for k, v in t.items()} for name, t in self.published.items()}
        return {"tables": decoded, "published": last}
