"""Inline fan-out: an internal topic's messages handled in the batch that sends them.

An article reaches the sink's latest views (and the related worker's pools and lists)
through internal topics only so that each key is written by the worker owning its
partition (services.sink.app). While one worker owns every partition of such a topic,
that trip through the broker is all cost: a hop of latency (views topic to
news.latest: ~100-140 ms p50 at 50 articles/s, probed in session 12), a produce and a
fetch per message, and a second batch. So while it owns them all, a batch hands its
messages for that topic straight to the handler of the topic's agent, and only what
that handler sends to other topics (news.related, the DLQ, or a topic it does not own)
and the changelogs of the rows it writes (news.latest is the latest table's) are
produced.

Why the result is the same as through the topic:
* Same code and order: the messages go through the target agent's handler in the order
  they were sent, in one staged batch, as a batch of the target agent would.
* Same rows: each row is written under a stand-in event of the target message's
  partition, so faust stores it in that partition's RocksDB and changelog, exactly
  where the target agent would, and a worker that later takes the partition over
  restores it.
* Ownership holds for the whole batch: faust acks a `take_events` batch only after the
  agent's body ran, and a revocation waits for every ack (stream_wait_empty), so the
  partitions a batch saw at its start stay this worker's until it ends. A rebalance in
  progress counts as not owning.
* One writer per key at a time: the target agent still runs (it drains messages sent
  before the switch, or by another worker), so both take the target table's lock for
  the whole read-merge-write of a batch.
* At least once, as before: rows and sends happen before the source offsets commit; a
  crash replays the source messages, and the handlers merge idempotently, as they do
  for a redelivered topic message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from services.core.kafka.partitioner import hash_partition
from services.core.streaming.stage import Output


@dataclass(frozen=True, slots=True)
class Item:
    """One message for a handler: from Kafka (an event) or handed over inline."""

    key: bytes | None
    value: bytes
    topic: str
    partition: int
    offset: int | None  # None: handed over inline, never on the topic
    owner: Any  # what faust's table needs as the current event (the event, or a StandIn)


class StandIn:
    """What faust's table and RocksDB store read of the current event: the message's topic
    (to check co-partitioning) and partition (where the row and its changelog record go).
    A plain class: the shell holds it through a weak reference, as faust does events."""

    def __init__(self, topic: str, partition: int) -> None:
        self.message = SimpleNamespace(topic=topic, partition=partition)


@dataclass
class Target:
    """An agent's own table and handler, so a batch elsewhere can hand it messages."""

    name: str  # the agent's (and its table's) name
    topic: str  # its source topic
    table: Any  # a faust table, or None for a stateless agent
    steps: Any  # services.sink.agents.Steps
    publishes: str | None = None  # the published topic that is its table's changelog
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def handed_over(out: Output, partitions: int) -> Item:
    """The Item a target's handler gets for an output it would have consumed."""
    partition = out.partition if out.partition is not None else hash_partition(out.key or b"", partitions)
    return Item(out.key, out.value or b"", out.topic, partition, None, StandIn(out.topic, partition))


def split(
    outputs: Iterable[Output], local: Callable[[str], bool]
) -> tuple[list[Output], dict[str, list[Output]]]:
    """Outputs to produce, and those to hand over inline by target topic (in send order)."""
    produce: list[Output] = []
    inline: dict[str, list[Output]] = {}
    for out in outputs:
        if local(out.topic):
            inline.setdefault(out.topic, []).append(out)
        else:
            produce.append(out)
    return produce, inline


def owns_every_partition(actives: Iterable[tuple[str, int]], topic: str, partitions: int) -> bool:
    """True when the active assignment holds partitions 0..partitions-1 of `topic`."""
    held = {p for t, p in actives if t == topic}
    return held >= set(range(partitions))
