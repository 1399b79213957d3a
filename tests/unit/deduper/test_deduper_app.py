"""The deduper's three handlers, wired in-process: a tiny router stands in for the
internal topics (messages go to the partition a keyed send would pick, or the explicit
one), tables are the real ChangelogTables on disk. The broker-level behaviour
(transactions, two workers, kill and restart) is in tests/integration/deduper."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import msgspec
import pytest

from services.core.codec import encode
from services.core.kafka.partitioner import hash_partition
from services.core.models import Article
from services.core.settings import DeduperSettings
from services.core.streaming.stage import Output
from services.core.streaming.txn import InRecord
from services.deduper import wire
from services.deduper.app import DeduperApp
from services.deduper.references import is_reference
from tests.unit.deduper.deduper_helpers import FLOODS, MARKETS, article, later, seed_body

PARTITIONS = 6


class Router:
    """Delivers every output to the handler that consumes its topic, in order."""

    def __init__(self, tmp_path: Path) -> None:
        settings = DeduperSettings(data_dir=tmp_path, topics={"partitions": PARTITIONS})  # type: ignore[arg-type]
        self.app = DeduperApp(settings)
        self.internal = {self.app.index_topic, self.app.gather_topic}
        self.emitted: list[Output] = []
        self.delivered: dict[str, int] = {self.app.index_topic: 0, self.app.gather_topic: 0}

    def run(self, *first: InRecord) -> None:
        """Deliver `first` and everything it causes, breadth first: records given together
        are in flight together (all phase 0s, then all lookups, ...)."""
        queue = deque(first)
        while queue:
            record = queue.popleft()
            for table in self.app.tables.values():
                table.begin_record()
            outputs = self.app.handle(record)
            for table in self.app.tables.values():
                table.commit({})
            for out in outputs:
                if out.topic in self.internal:
                    self.delivered[out.topic] += 1
                    queue.append(self._record(out))
                else:
                    self.emitted.append(out)

    def _record(self, out: Output) -> InRecord:
        assert out.value is not None
        partition = out.partition
        if partition is None:
            assert out.key is not None
            partition = hash_partition(out.key, PARTITIONS)
        return InRecord(out.topic, partition, 0, out.key, out.value)

    def send(self, item: Article) -> dict[str, object]:
        before = len(self.emitted)
        self.run(InRecord(self.app.topics.categorized, 0, 0, item.id.encode(), encode(item)))
        verdicts = [msgspec.json.decode(o.value or b"") for o in self.emitted[before:]]
        assert len(verdicts) == 1, verdicts
        return verdicts[0]["dedupe"]  # type: ignore[no-any-return]


@pytest.fixture
def router(tmp_path: Path) -> Router:
    return Router(tmp_path)


def test_one_lookup_and_one_reply_per_index_partition_not_per_key(router: Router) -> None:
    item = article("a1", MARKETS, url="https://wire.example/markets")
    outputs = router.app.on_article(InRecord(router.app.topics.categorized, 0, 0, b"a1", encode(item)))
    gather, *lookups = outputs
    assert gather.topic == router.app.gather_topic
    expected = wire.gather_decoder.decode(gather.value or b"").expected  # type: ignore[union-attr]
    assert expected == len(lookups) <= PARTITIONS
    keys = [key for out in lookups for _, key in wire.index_decoder.decode(out.value or b"").keys]  # type: ignore[union-attr]
    assert len(keys) > PARTITIONS  # ~30 keys travel in at most 6 messages
    for out in lookups:
        batch = wire.index_decoder.decode(out.value or b"")
        assert {hash_partition(key.encode(), PARTITIONS) for _, key in batch.keys} == {out.partition}  # type: ignore[union-attr]


def test_verdicts_across_partitions(router: Router) -> None:
    assert router.send(article("a1", MARKETS, url="https://wire.example/markets"))["status"] == "unique"
    assert (
        router.send(article("f1", FLOODS, url="https://wire.example/floods", at=later(minutes=5)))["status"]
        == "unique"
    )
    copy = router.send(article("a2", MARKETS, url="https://other.example/oil", at=later(hours=1)))
    assert (copy["status"], copy["duplicate_of"]) == ("duplicate", "a1")
    again = router.send(article("a1", MARKETS, url="https://wire.example/markets", at=later(hours=2)))
    assert again["status"] == "duplicate"
    edited = MARKETS.replace("Vienna", "Vienna on Monday evening").replace("December", "November")
    update = router.send(article("a1", edited + "\n\n" + seed_body(), url="https://wire.example/markets"))
    assert update["status"] == "update"
    # per article: <= 6 lookups + <= 6 replies + <= 6 update batches, never one per key
    assert router.delivered[router.app.index_topic] <= 5 * 2 * PARTITIONS


def test_single_key_messages_of_earlier_versions_are_still_answered(router: Router) -> None:
    """In-flight Lookup/Update/Reply from before the upgrade keep working."""
    router.send(article("a1", MARKETS, url="https://wire.example/markets"))
    key = "i1:a1"
    partition = hash_partition(key.encode(), PARTITIONS)
    lookup = wire.Lookup("urls", key, "x|y", "2024-05-06T10:00:00Z")
    (reply,) = router.app.on_index(
        InRecord(router.app.index_topic, partition, 0, key.encode(), wire.encode(lookup))
    )
    decoded = wire.gather_decoder.decode(reply.value or b"")
    assert isinstance(decoded, wire.Replies)
    [(table, got_key, entries)] = decoded.items
    assert (table, got_key) == ("urls", key) and entries and entries[0][0] == "a1"
    update = wire.Update("urls", "i1:zz", ["zz", "h", 1, "", 1715000000, ""], "2024-05-06T10:00:00Z")
    zz = hash_partition(b"i1:zz", PARTITIONS)
    router.run(InRecord(router.app.index_topic, zz, 0, b"i1:zz", wire.encode(update)))
    assert router.app.tables["urls"].get(zz, b"i1:zz") is not None


def test_the_article_is_stored_once_and_the_gather_state_is_gone_after_the_verdict(router: Router) -> None:
    item = article("a1", MARKETS, url="https://wire.example/markets")
    gather = router.app.tables["gather"]
    record = InRecord(router.app.topics.categorized, 0, 0, b"a1", encode(item))
    article_in, *_ = router.app.on_article(record)
    partition = hash_partition(article_in.key or b"", PARTITIONS)
    assert router.app.on_gather(router._record(article_in)) == []
    writes = gather.changelog_records()
    raw_copies = [w for w in writes if w.value and encode(item) in w.value]
    assert [w.key for w in raw_copies] == [wire.article_key(article_in.key or b"")]
    gather.rollback()
    router.send(item)
    assert list(gather.items(partition)) == []


def test_a_pending_value_of_earlier_versions_with_the_article_inside_still_completes(router: Router) -> None:
    item = article("a1", MARKETS, url="https://wire.example/markets")
    key = b"a1|ingest-a1"
    partition = hash_partition(key, PARTITIONS)
    old = wire.Pending(article=msgspec.Raw(encode(item)), expected=1, now="2024-05-06T09:00:00Z")
    router.app.tables["gather"].put(partition, key, wire.encode(old))
    router.app.tables["gather"].commit({})
    outputs = router.app.on_gather(
        InRecord(router.app.gather_topic, partition, 0, key, wire.encode(wire.Replies([])))
    )
    verdicts = [o for o in outputs if o.topic == router.app.topics.articles]
    assert len(verdicts) == 1 and msgspec.json.decode(verdicts[0].value or b"")["id"] == "a1"


def test_an_article_gathered_in_one_transaction_leaves_two_tombstones(router: Router) -> None:
    """The gather key is written on arrival and on every reply, then deleted: the stage
    sends each key's final value once per transaction (table.py), not every write."""
    item = article("a1", MARKETS, url="https://wire.example/markets")
    article_in, *lookups = router.app.on_article(
        InRecord(router.app.topics.categorized, 0, 0, b"a1", encode(item))
    )
    replies = [out for lookup in lookups for out in router.app.on_index(router._record(lookup))]
    for table in router.app.tables.values():
        table.commit({})
    gather = router.app.tables["gather"]
    outputs = [out for out in (article_in, *replies) for out in router.app.on_gather(router._record(out))]
    assert [o.topic for o in outputs].count(router.app.topics.articles) == 1
    key = article_in.key or b""
    partition = hash_partition(key, PARTITIONS)
    records = gather.changelog_records()
    assert len(records) == 2 and set(records) == {
        Output(gather.changelog_topic, key, None, partition=partition),
        Output(gather.changelog_topic, wire.article_key(key), None, partition=partition),
    }


class OldPhase0Router(Router):
    """Delivers ArticleIn as versions before `Prepared` sent it: phase 2 recomputes."""

    def _record(self, out: Output) -> InRecord:
        record = super()._record(out)
        if record.topic != self.app.gather_topic:
            return record
        message = wire.gather_decoder.decode(record.value)
        if isinstance(message, wire.ArticleIn):
            old = wire.ArticleIn(message.article, message.expected, message.now)
            record = InRecord(record.topic, record.partition, record.offset, record.key, wire.encode(old))
        return record


def test_shipped_fingerprints_give_the_verdicts_a_recomputation_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services.deduper.app as app_module

    calls = {"n": 0}
    real = app_module.fingerprint

    def counting(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app_module, "fingerprint", counting)
    new, old = Router(tmp_path / "new"), OldPhase0Router(tmp_path / "old")
    edited = MARKETS.replace("Vienna", "Vienna on Monday evening").replace("December", "November")
    stream = [
        article("a1", MARKETS, url="https://wire.example/markets"),
        article("f1", FLOODS, url="https://wire.example/floods", at=later(minutes=5)),
        article("a2", MARKETS, url="https://other.example/oil", at=later(hours=1)),
        article("a1", edited + "\n\n" + seed_body(), url="https://wire.example/markets", at=later(hours=2)),
        article("e1", "", url="https://wire.example/empty", at=later(hours=3)),
    ]
    for item in stream:
        new.send(item)
    assert calls["n"] == len(stream)  # once per article: phase 0 only
    for item in stream:
        old.send(item)
    assert calls["n"] == 3 * len(stream)  # the old path fingerprints in phase 0 and 2
    assert [(o.topic, o.key, o.value) for o in new.emitted] == [
        (o.topic, o.key, o.value) for o in old.emitted
    ]


def test_exact_copies_in_flight_together_give_one_unique(router: Router) -> None:
    """Both copies' lookups run before either verdict: the first to reach the partition of
    the exact-hash key holds it, the other reads the hold and becomes its duplicate."""
    a = article("a1", MARKETS, url="https://wire.example/markets")
    b = article("b1", MARKETS, url="https://paper.example/oil", at=later(minutes=-1))
    topic = router.app.topics.categorized
    router.run(*(InRecord(topic, 0, 0, x.id.encode(), encode(x)) for x in (a, b)))
    verdicts = {d["id"]: d["dedupe"] for d in (msgspec.json.decode(o.value or b"") for o in router.emitted)}
    assert verdicts["a1"]["status"] == "unique"  # first in, though ingested a minute later
    assert (verdicts["b1"]["status"], verdicts["b1"]["duplicate_of"]) == ("duplicate", "a1")
    held = [
        entry
        for table in [router.app.tables["bands"]]
        for partition in range(PARTITIONS)
        for _, value in table.items(partition)
        for entry in msgspec.json.decode(value)
        if not is_reference(entry) and entry[8] == 0  # BandEntry.version: HELD
    ]
    assert held == []  # a1's hold became its real entry; b1 held nothing


def test_the_hold_rides_on_the_exact_keys_lookup_only(router: Router) -> None:
    item = article("a1", MARKETS, url="https://wire.example/markets")
    _, *lookups = router.app.on_article(InRecord(router.app.topics.categorized, 0, 0, b"a1", encode(item)))
    batches = [wire.index_decoder.decode(out.value or b"") for out in lookups]
    holds = [(key, value) for batch in batches for key, value in batch.hold]  # type: ignore[union-attr]
    assert len(holds) == 1 and holds[0][0].startswith("x") and holds[0][1][0] == "a1"
    (carrier,) = [b for b in batches if b.hold]  # type: ignore[union-attr]
    assert ("bands", holds[0][0]) in carrier.keys  # type: ignore[union-attr]


def test_band_entries_are_stored_once_per_partition_and_referenced(router: Router) -> None:
    router.send(article("a1", MARKETS, url="https://wire.example/markets"))
    bands = router.app.tables["bands"]
    entries_per_partition, references = [], 0
    for partition in range(PARTITIONS):
        stored = {key: msgspec.json.decode(value) for key, value in bands.items(partition)}
        whole = [
            key for key, value in stored.items() if not key.startswith(b"e") and not is_reference(value[0])
        ]
        assert whole == []  # no band key holds the entry itself
        references += sum(1 for value in stored.values() if is_reference(value[0]))
        entries_per_partition.append(sum(1 for key in stored if key.startswith(b"e1:a1:")))
    assert references > PARTITIONS  # ~23 band keys
    assert set(entries_per_partition) <= {0, 1} and sum(entries_per_partition) >= 2


def test_a_copy_of_the_text_before_an_update_still_finds_the_original(router: Router) -> None:
    router.send(article("a1", MARKETS, url="https://wire.example/markets"))
    edited = MARKETS.replace("Vienna", "Vienna on Monday evening").replace("December", "November")
    update = router.send(article("a1", edited + "\n\n" + seed_body(), url="https://wire.example/markets"))
    assert update["status"] == "update"
    copy = router.send(article("c1", MARKETS, url="https://other.example/oil", at=later(hours=1)))
    assert (copy["status"], copy["duplicate_of"]) == ("duplicate", "a1")
