"""A staged batch gives the same tables and views as committing after every message, with
each key written once and each compacted view sent once per batch."""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import partial

import msgspec

from services.core.codec import encode
from services.core.kafka.partitioner import hash_partition
from services.core.streaming.stage import Output, run_handler
from services.related import handlers as related
from services.sink import handlers
from services.sink.agents import write_plan
from services.sink.batch import StagedBatch
from services.sink.handlers import LATEST, RELATED, Here, Send, SinkError, Step
from services.sink.offline import ARTICLES, TABLE_OF
from tests.integration.sink.articles import synthetic
from tests.unit.sink.memory import MemorySink

COMPACTED = frozenset({LATEST, RELATED})


def test_reads_see_the_batch_own_writes_first() -> None:
    committed = {b"a": b"old", b"b": b"kept"}
    batch: StagedBatch[str] = StagedBatch(COMPACTED)
    read = batch.reader(committed.get)
    batch.writer("m1")[b"a"] = b"new"
    assert read(b"a") == b"new" and read(b"b") == b"kept" and read(b"c") is None
    batch.writer("m2")[b"a"] = b"newer"
    assert list(batch.writes()) == [(b"a", b"newer", "m2")]  # once, last value, its writer


def test_readers_of_two_stores_share_the_batch_writes() -> None:
    batch: StagedBatch[str] = StagedBatch(COMPACTED)
    p0, p1 = batch.reader({b"a": b"p0-old"}.get), batch.reader({b"a": b"p1-old", b"b": b"p1"}.get)
    assert p0(b"a") == b"p0-old" and p1(b"a") == b"p1-old" and p0(b"b") is None
    batch.writer("m1")[b"a"] = b"new"
    assert p0(b"a") == b"new" and p1(b"a") == b"new" and p1(b"b") == b"p1"


def test_compacted_topics_keep_the_last_value_per_key_and_events_keep_every_message() -> None:
    batch: StagedBatch[str] = StagedBatch(COMPACTED)
    batch.add([Output("views", b"p0", b"e1", "t1", 0), Output(LATEST, b"all", b"v1")])
    batch.add([Output(LATEST, b"all", b"v2", "t2"), Output("views", b"p0", b"e2", None, 0)])
    batch.add([Output(RELATED, b"x", b"r1"), Output(LATEST, b"src", b"s1")])
    assert [(o.topic, o.key, o.value) for o in batch.outputs()] == [
        ("views", b"p0", b"e1"),
        ("views", b"p0", b"e2"),
        (LATEST, b"all", b"v2"),
        (RELATED, b"x", b"r1"),
        (LATEST, b"src", b"s1"),
    ]
    assert batch.received == ["t1", "t2"]  # every message's ingest time, dropped sends too


def test_a_failing_message_stages_nothing_and_becomes_one_dlq_output() -> None:
    batch: StagedBatch[str] = StagedBatch(COMPACTED)
    good: list[Step] = [Step(stores=[(b"k", b"v")], sends=[Send(LATEST, b"all", b"v")])]
    for name, plan in (("ok", good), ("bad", SinkError("boom", "broken message"))):
        write = partial(write_plan, plan, batch.writer(name), lambda role: role)
        batch.add(run_handler("sink", write, "dlq", b"key", b"value"))
    assert list(batch.writes()) == [(b"k", b"v", "ok")]
    assert [o.topic for o in batch.outputs()] == ["dlq", LATEST]
    assert msgspec.json.decode(batch.outputs()[0].value or b"")["error"]["type"] == "boom"


def _breadth_first(sink: MemorySink, first: list[Send], batched: bool) -> Counter[str]:
    """Every message of one role and partition handled together, hop after hop (as faust
    agents see a backlog); batched stages the writes, otherwise each message commits.
    Returns the table writes counted per table."""
    writes: Counter[str] = Counter()
    queue = first
    while queue:
        groups: dict[tuple[str, int], list[Send]] = defaultdict(list)
        for send in queue:
            if send.role in sink.published:
                sink.published[send.role][send.key] = send.value
                continue
            partition = (
                send.partition if send.partition is not None else hash_partition(send.key, sink.partitions)
            )
            groups[(send.role, partition)].append(send)
        queue = []
        for (role, partition), sends in groups.items():
            table = sink.tables[TABLE_OF[role]]
            here = Here(partition, sink.partitions)
            batch: StagedBatch[int] = StagedBatch(frozenset({LATEST, RELATED}))
            for send in sends:
                read = batch.reader(table.get) if batched else table.get
                step = handlers.combined(_steps(sink, send, read, here))
                outs = write_plan([step], batch.writer(partition), lambda r: r)
                if not batched:
                    for key, value, _ in batch.writes():
                        table[key] = value
                        writes[TABLE_OF[role]] += 1
                    batch.staged.clear()
                    queue += [Send(o.topic, o.key or b"", o.value or b"", o.partition) for o in outs]
                else:
                    batch.add(outs)
            if batched:
                for key, value, owner in batch.writes():
                    assert hash_partition(key, sink.partitions) == owner == partition
                    table[key] = value
                    writes[TABLE_OF[role]] += 1
                queue += [Send(o.topic, o.key or b"", o.value or b"", o.partition) for o in batch.outputs()]
    return writes


def _steps(sink: MemorySink, send: Send, read: handlers.Read, here: Here) -> list[Step]:
    """MemorySink's dispatch, with the read function given (the batch's or the table's)."""
    if send.role == ARTICLES:
        return [
            handlers.on_article(send.key, send.value, read(send.key), sink.partitions),
            related.on_article_index(send.key, send.value, sink.partitions),
        ]
    if send.role == handlers.STORIES:
        return [handlers.on_story(send.key, send.value, read(send.key))]
    if send.role == handlers.VIEWS:
        return list(
            handlers.on_views(send.key, send.value, read, here, sink.size, "2026-03-01T12:00:00.000Z")
        )
    if send.role == handlers.INDEX:
        return list(related.on_index(send.key, send.value, read, here, sink.k))
    return list(related.on_offers(send.key, send.value, read, here, sink.k, "2026-03-01T12:00:00.000Z"))


def test_a_staged_batch_ends_where_committing_every_message_ends_with_fewer_writes() -> None:
    articles = synthetic(120)
    first = [Send(ARTICLES, a.id.encode(), encode(a)) for a in articles]
    one_by_one, batched = MemorySink(partitions=3), MemorySink(partitions=3)
    writes_each = _breadth_first(one_by_one, first, batched=False)
    writes_batched = _breadth_first(batched, first, batched=True)
    assert batched.snapshot() == one_by_one.snapshot()
    assert len(batched.tables["latest"]) > 5 and len(batched.tables["related"]) > 50
    # the `all` view alone was written once per article before; now once per batch
    assert writes_batched["latest"] < writes_each["latest"] / 5
    assert writes_batched["pool"] < writes_each["pool"]
