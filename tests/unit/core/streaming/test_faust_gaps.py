"""faust's offset bookkeeping on a topic written in transactions (commit markers).

The sink and the related worker read news.articles, which the deduper writes in
transactions: every transaction leaves a marker offset no consumer sees. faust's fetch
loop records such skipped offsets as gaps; the premise test shows the pinned faust's
own bookkeeping stops each commit one transaction further, the second that ours passes
every marker at once. The real-broker check is tests/integration/sink/test_sink_commits.py.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from faust.transport.consumer import Consumer as FaustConsumer
from faust.types import TP
from intervaltree import IntervalTree

from services.core.streaming.app import _ReadCommittedConsumer

TRANSACTIONS = [[0, 1, 2], [4, 5, 6], [8, 9, 10]]  # markers at 3, 7 and 11
TPART = TP("news.articles", 0)


class _Plain(_ReadCommittedConsumer):
    """Our consumer with faust's own gap bookkeeping (the premise)."""

    _add_gap = FaustConsumer._add_gap


def consumer(cls: type) -> Any:
    """The consumer's offset bookkeeping alone (no app, no broker)."""
    c = cls.__new__(cls)
    c._acked, c._acked_index = defaultdict(list), defaultdict(set)
    c._gap, c._committed_offset = defaultdict(IntervalTree), defaultdict(lambda: None)
    return c


async def read_and_ack(c: Any) -> None:
    """As faust's fetch loop and acks do: a gap for each jump, then the record acked."""
    last = None
    for offset in (o for t in TRANSACTIONS for o in t):
        if last is not None and offset - last > 1:
            await c._add_gap(TPART, last + 1, offset)  # the call in Consumer._drain_messages
        last = offset
        c._acked[TPART].append(offset)
        c._acked_index[TPART].add(offset)


async def test_premise_faust_commits_stop_at_each_transaction() -> None:
    c = consumer(_Plain)
    await read_and_ack(c)
    assert [c._new_offset(TPART) for _ in range(3)] == [5, 9, 11]  # one transaction a commit


async def test_our_consumer_commits_past_every_marker_at_once() -> None:
    c = consumer(_ReadCommittedConsumer)
    await read_and_ack(c)
    assert c._new_offset(TPART) == 11  # everything read, up to the last marker
    assert sorted(c._gap[TPART]) == []  # the gaps were used up
