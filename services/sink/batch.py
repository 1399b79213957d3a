"""A batch of one sink agent's messages, staged: each table key written once, views sent once.

Why batches: per message, the sink rewrote whole values. A latest view is a list of up to
`latest_size` summaries (~15 KB), and every article touches ~5 views, so each article
cost ~70 KB of view changelog plus as much again on news.latest; at saturation the
sink's socket writes alone took a quarter of its CPU and the broker stored ~200 KB per
article. When many messages of a batch touch the same key (the `all` view, a source's
view, a busy candidate pool), only the last value matters: a compacted changelog keeps
only the last record per key, and news.latest / news.related are compacted views whose
readers want the newest value (news.latest is the latest table's changelog now:
handlers.PUBLISHED_TABLES). So a batch keeps its writes here, later messages read them
(`read`), and the shell writes each key once and sends each compacted key once.

Messages to internal topics (view, story, index and offer batches) are events, not
states: every one is sent, in order. A message that fails stages nothing (run_handler
turns it into one DLQ record). Each staged key remembers a message of the key's own
partition, because a row and its changelog record go to the partition of the event being
processed (tables.write_row, as faust's own table write does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from services.core.streaming.stage import Output

Get = Callable[[bytes], bytes | None]
Owner = TypeVar("Owner")  # what the shell needs to write a key (faust: a source event)


@dataclass
class StagedBatch(Generic[Owner]):
    """Writes and outputs of the messages handled so far in one batch."""

    compacted: frozenset[str]  # topics where only the last value of a key matters
    staged: dict[bytes, tuple[bytes, Owner]] = field(default_factory=dict)
    _events: list[Output] = field(default_factory=list)
    _latest: dict[tuple[str, bytes | None], Output] = field(default_factory=dict)
    received: list[str] = field(default_factory=list)  # ingest times, for the e2e metric

    def reader(self, get: Get) -> Get:
        """Reads as the next message must see them: this batch's own write first, then
        what `get` (the committed table, or one partition's store of it) holds."""

        def read(key: bytes) -> bytes | None:
            hit = self.staged.get(key)
            return hit[0] if hit is not None else get(key)

        return read

    def writer(self, owner: Owner) -> _Writer[Owner]:
        """A mapping for `write_plan` that stages one message's writes under `owner`."""
        return _Writer(self, owner)

    def add(self, outputs: list[Output]) -> None:
        for out in outputs:
            if out.received_at:
                self.received.append(out.received_at)
            if out.topic in self.compacted:
                self._latest.pop((out.topic, out.key), None)  # re-insert: keeps send order
                self._latest[(out.topic, out.key)] = out
            else:
                self._events.append(out)

    def outputs(self) -> list[Output]:
        """Every event output in order, then each compacted key's last value."""
        return [*self._events, *self._latest.values()]

    def writes(self) -> Iterator[tuple[bytes, bytes, Owner]]:
        for key, (value, owner) in self.staged.items():
            yield key, value, owner


@dataclass(frozen=True, slots=True)
class _Writer(Generic[Owner]):
    batch: StagedBatch[Owner]
    owner: Owner

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.batch.staged[key] = (value, self.owner)
