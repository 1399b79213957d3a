"""Exactly-once consume-transform-produce: the loop every transform stage runs.

Per batch of input records: begin a Kafka transaction, run the pure handler on each
record and send its outputs, send the state tables' changelog records (one per key
written in the batch, with its final value: table.py), add the input offsets to the
transaction, commit. A crash anywhere before the commit leaves nothing visible to
`read_committed` consumers and the offsets where they were, so the batch is replayed;
the transactional id is stable per worker (`<group>-<instance id>`), so a restarted
worker fences and aborts its dead predecessor's open transaction at once. Messages to
the stage's own internal topics (`coalesce`) are held until the batch's end and sent as
one envelope per partition (envelope.py); the reader unpacks them.

Why not faust's `processing_guarantee="exactly_once"`: on this broker (Kafka 4.4,
faust-streaming 0.15.3) three SIGKILLs during 5,000 messages gave 317 doubled ids to a
read_committed consumer (faust-streaming issue #517), so the loop is driven here with
aiokafka's transactional producer. Rebalances wait for the batch in flight: partitions
are only given up between transactions, and no batch is handled while the tables of
newly assigned partitions are being restored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import msgspec
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.errors import KafkaError, ProducerFenced
from aiokafka.structs import TopicPartition

from services.core import metrics
from services.core.kafka.clients import consumer_kwargs, producer_kwargs
from services.core.kafka.partitioner import hash_partition
from services.core.kafka.producer import RenewableProducer, transaction_ready
from services.core.memory import Trimmer
from services.core.settings import _StageBase
from services.core.state.table import ChangelogTable
from services.core.streaming import envelope
from services.core.streaming.envelope import Envelopes
from services.core.streaming.stage import Output, observe_outputs, run_handler

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


RecordHandler = Callable[[InRecord], list[Output]]
LAG_SAMPLE_S = 5.0
# how long a revoked partition's owner waits for its last committed offsets to become
# readable (the broker answers a commit before it writes the transaction's markers)
SETTLE_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 30.0
MAX_FENCES, FENCE_WINDOW_S = 3, 60.0


def group_id(settings: _StageBase, service: str) -> str:
    return f"{settings.topics.prefix}{settings.app_id_prefix}-{service}"


def instance_id(settings: _StageBase) -> str:
    return settings.instance_id or f"{socket.gethostname()}-{settings.http.port}"


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, stage: TransactionalStage) -> None:
        self.stage = stage

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.stage.batch_lock:  # never give a partition up mid-transaction
            self.stage.generation += 1
            await self.stage.settle(revoked)
            self.stage.release(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        # aiokafka fetches the new assignment while this callback runs: no batch may be
        # handled against half-restored tables (a deduper gather entry read before its
        # article was restored held that article back forever). A batch fetched before
        # now is stale; one fetched during the restore waits for the lock.
        async with self.stage.batch_lock:
            self.stage.generation += 1
            await self.stage.restore(assigned)


class TransactionalStage:
    """One stage worker: a consumer group member with a transactional producer."""

    def __init__(
        self,
        service: str,
        settings: _StageBase,
        sources: list[str],
        dlq_topic: str,
        handler: RecordHandler,
        tables: dict[str, ChangelogTable] | None = None,
        table_sources: dict[str, str] | None = None,
        coalesce: frozenset[str] = frozenset(),
    ) -> None:
        self.service = service
        self.settings = settings
        self.sources = sources
        self.dlq_topic = dlq_topic
        self.handler = handler
        self.tables = tables or {}
        # table name -> the source topic whose partitions it follows
        self.table_sources = table_sources or {}
        # internal topics whose messages of a batch go out as one envelope per partition
        self.coalesce = coalesce
        self.group = group_id(settings, service)
        self.batch_lock = asyncio.Lock()
        self.restoring = False
        self.stopping = asyncio.Event()
        self.assigned: set[TopicPartition] = set()
        self.consumer: AIOKafkaConsumer | None = None
        self.producers = RenewableProducer(service, self._new_producer)
        # input offsets this worker committed, per partition (see `settle`)
        self.committed: dict[TopicPartition, int] = {}
        # partitions of a batch whose commit failed: their position is re-read from the
        # group before the next fetch (the commit may have gone through after all)
        self.resync: set[TopicPartition] = set()
        # ... and their tables caught up from the changelogs: the rollback dropped the
        # batch's writes, which that commit may have made part of the state
        self.recheck: set[TopicPartition] = set()
        self.fatal: BaseException | None = None
        self.crashed = False
        # bumped on every rebalance: a batch fetched before one is stale (its partitions
        # may have moved; positions were reset to the committed offsets) and is dropped
        self.generation = 0
        self._turn = 0  # see _fair_order
        # fetched records a batch left for the next (batch_size reached), and the
        # generation they were fetched in: a rebalance since makes them stale
        self._carry: dict[TopicPartition, list] = {}  # type: ignore[type-arg]
        self._carry_generation = 0
        self.trimmer = Trimmer()  # freed batch memory back to the OS (services.core.memory)

    # -- lifecycle ------------------------------------------------------------------
    def _new_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **producer_kwargs(self.settings.kafka),
            transactional_id=f"{self.group}-{instance_id(self.settings)}",
            transaction_timeout_ms=self.settings.transaction_timeout_ms,
            client_id=f"{self.group}-producer",
        )

    @property
    def producer(self) -> AIOKafkaProducer | None:
        return self.producers.current

    async def start(self) -> None:
        kafka = self.settings.kafka
        await self.producers.start()
        self.consumer = AIOKafkaConsumer(
            **consumer_kwargs(kafka),
            group_id=self.group,
            client_id=f"{self.group}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            session_timeout_ms=10_000,
            heartbeat_interval_ms=2_000,
            # a member finishes its batch and restores its tables inside the rebalance;
            # aiokafka's default (= the session timeout) kicks slow members out forever
            rebalance_timeout_ms=120_000,
            max_poll_interval_ms=300_000,
        )
        self.consumer.subscribe(self.sources, listener=_Rebalance(self))
        await self.consumer.start()

    async def stop(self) -> None:
        self.stopping.set()
        async with self.batch_lock:
            pass  # the batch in flight commits; the loop sees `stopping` and returns
        # not under the lock: leaving the group may run a rebalance callback, which
        # takes the lock itself
        if self.consumer is not None:
            with contextlib.suppress(Exception, asyncio.TimeoutError):
                await asyncio.wait_for(self.consumer.stop(), STOP_TIMEOUT_S)
        await self.producers.stop()
        for table in self.tables.values():
            table.close()

    def ready(self) -> tuple[bool, str]:
        if self.fatal is not None:
            return False, f"failed: {self.fatal!r}"
        if self.consumer is None or self.producer is None:
            return False, "starting"
        if self.restoring:
            return False, "restoring state"
        return True, "ok"

    # -- partitions and state -------------------------------------------------------
    def owned(self, topic: str) -> set[int]:
        """This worker's partitions of `topic` (stable within a batch: rebalances wait)."""
        return {tp.partition for tp in self.assigned if tp.topic == topic}

    def _table_partitions(self, tps: set[TopicPartition]) -> dict[str, set[int]]:
        return {
            name: {tp.partition for tp in tps if tp.topic == source}
            for name, source in self.table_sources.items()
        }

    async def settle(self, revoked: set[TopicPartition]) -> None:
        """Before giving partitions up, wait until our last commits on them are readable.

        The broker acknowledges a transaction's commit before it has written the commit
        markers, and aiokafka fetches committed offsets without `require_stable`
        (KIP-447), so the next owner could still read the previous offset and process the
        last batch a second time. Waiting here until the group coordinator returns our
        offsets closes that window; it costs one offset fetch per rebalance.
        """
        assert self.consumer is not None
        pending = {tp: off for tp, off in self.committed.items() if tp in revoked}
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while pending and time.monotonic() < deadline:
            for tp, offset in list(pending.items()):
                with contextlib.suppress(KafkaError, OSError, asyncio.TimeoutError):
                    if (await asyncio.wait_for(self.consumer.committed(tp), 1.0) or -1) >= offset:
                        del pending[tp]
            if pending:
                await asyncio.sleep(0.02)
        if pending:
            log.warning(
                "committed offsets not readable before handing partitions over",
                extra={"stage": self.service, "partitions": sorted(str(tp) for tp in pending)},
            )

    def release(self, revoked: set[TopicPartition]) -> None:
        for name, partitions in self._table_partitions(revoked).items():
            self.tables[name].release(partitions)
        for tp in revoked:  # a partition that moved away must not keep reporting lag here
            with contextlib.suppress(KeyError):
                metrics.CONSUMER_LAG.remove(self.service, tp.topic, str(tp.partition))
        self.assigned -= revoked
        for tp in revoked:
            self.committed.pop(tp, None)
        self.resync -= revoked
        self.recheck -= revoked

    async def restore(self, assigned: set[TopicPartition]) -> None:
        await self._catch_up(self._table_partitions(assigned))
        self.assigned = set(assigned)

    async def _catch_up(self, todo: dict[str, set[int]]) -> None:
        """Bring the local stores of these table partitions up to their changelogs
        (readiness says "restoring state" meanwhile)."""
        if not any(todo.values()):
            return
        self.restoring = True
        try:
            await self._read_changelogs(todo)
        finally:
            self.restoring = False

    async def _read_changelogs(self, todo: dict[str, set[int]]) -> None:
        # empty changelog partitions answer fast
        reader = AIOKafkaConsumer(
            **(consumer_kwargs(self.settings.kafka) | {"fetch_max_wait_ms": 50}),
            isolation_level="read_committed",
            enable_auto_commit=False,
        )
        await reader.start()
        # a dead worker's open transaction blocks the changelog until the broker aborts
        # it (transaction timeout) or its restarted self fences it: warn past that
        warn_every_s = self.settings.transaction_timeout_ms / 1000 + 10
        try:
            for name, partitions in todo.items():
                for partition in sorted(partitions):
                    await self.tables[name].restore(partition, reader, warn_every_s=warn_every_s)
        finally:
            await reader.stop()

    # -- the loop -------------------------------------------------------------------
    async def run(self) -> None:
        try:
            await self._loop()
        except asyncio.CancelledError:
            raise
        except BaseException:
            self.crashed = True
            raise

    async def _loop(self) -> None:
        assert self.consumer is not None
        backoff = 0.5
        sampled = 0.0
        fences: list[float] = []
        while not self.stopping.is_set():
            try:
                if self.resync:
                    await self._resync_positions()
                generation = self.generation
                if self._carry:  # the rest of a batch cut at batch_size messages (_process)
                    batch, generation, self._carry = self._carry, self._carry_generation, {}
                else:
                    batch = await self.consumer.getmany(timeout_ms=500, max_records=self.settings.batch_size)
                if time.monotonic() - sampled > LAG_SAMPLE_S:
                    sampled = time.monotonic()
                    await self._sample_lag()
                if not batch:
                    continue
                async with self.batch_lock:
                    if self.stopping.is_set():
                        return
                    if generation != self.generation:
                        # a rebalance ran while this batch was fetched: drop it, and put
                        # every partition of it that is ours now back at its committed
                        # offset. The batch may have been fetched after the rebalance
                        # reset the positions (getmany waited across it): returning it
                        # moved those positions past records nobody processed, which
                        # would be skipped for good (found by tests/bench/scaling.py: two
                        # normalizers starting together left partitions stalled)
                        self.resync |= {tp for tp, messages in batch.items() if messages}
                        continue
                    await self._process(batch)
                if self.trimmer.maybe():  # the batch's large values are gone: RSS follows
                    self._gauge_memory()
                backoff = 0.5
            except ProducerFenced as exc:
                # the broker gave our transactional id a newer epoch: it expired our
                # transaction (a long outage) or another worker uses the same id. Renew;
                # fenced again and again means a second worker with our id: stop here
                fences = [t for t in fences if time.monotonic() - t < FENCE_WINDOW_S] + [time.monotonic()]
                if len(fences) >= MAX_FENCES:
                    self.fatal = exc
                    log.error("producer fenced repeatedly; stopping", extra={"stage": self.service})
                    raise
                log.warning("producer fenced; renewing", extra={"stage": self.service})
                await asyncio.sleep(backoff)
            except (KafkaError, OSError, AssertionError) as exc:
                # AssertionError: aiokafka's transaction state machine refuses a transition
                # (a producer left mid-abort by a broker outage); the producer is renewed
                metrics.PRODUCER_ERRORS.labels(self.service).inc()
                log.warning("batch failed, retrying", extra={"stage": self.service, "error": repr(exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def _process(self, batch: dict[TopicPartition, list]) -> None:  # type: ignore[type-arg]
        assert self.consumer is not None
        producer = await self._ready_producer()
        started = time.perf_counter()
        try:
            await producer.begin_transaction()
        except BaseException:
            self._rewind(batch)
            raise
        offsets: dict[TopicPartition, int] = {}
        observed: list[Output] = []
        held = Envelopes(self._envelope_bytes())
        counts: dict[str, int] = {}  # partitions per coalesced topic, looked up once a batch
        handled = 0  # messages: an envelope counts what it carries
        rest: dict[TopicPartition, list] = {}  # type: ignore[type-arg]
        try:
            for tp, messages in self._fair_order(batch):
                for n, message in enumerate(messages):
                    if handled >= self.settings.batch_size:  # the rest is the next batch
                        rest[tp] = messages[n:]
                        break
                    records = self._records(message)
                    handled += len(records)
                    outputs = [out for record in records for out in self._handle(record)]
                    for out in outputs:
                        if out.topic in self.coalesce and out.value is not None:
                            held.add(out, await self._partition_of(producer, out, counts))
                        else:
                            await producer.send(out.topic, out.value, key=out.key, partition=out.partition)
                    observed.extend(outputs)
                    offsets[tp] = message.offset + 1
            for out in held.outputs():
                await producer.send(out.topic, out.value, partition=out.partition, headers=envelope.HEADERS)
            changelog_sends = await self._send_changelogs(producer)
            await producer.send_offsets_to_transaction(offsets, self.group)
            await producer.commit_transaction()
        except BaseException:
            await self._abort(producer, batch)
            raise
        # fetched already, in this generation: handled next without a fetch (a seek back
        # would make the consumer fetch them again)
        self._carry, self._carry_generation = rest, self.generation
        metrics.TRANSACTION_SECONDS.labels(self.service).observe(time.perf_counter() - started)
        metrics.BATCH_RECORDS.labels(self.service).observe(handled)
        self.committed.update(offsets)
        self._commit_tables(changelog_sends)
        observe_outputs(self.service, observed)

    async def _send_changelogs(self, producer: AIOKafkaProducer) -> list[tuple[str, int, asyncio.Future]]:  # type: ignore[type-arg]
        """Send every table's changelog records of this transaction: one per key written.

        After the batch's outputs, so each key's final value of the batch is known (see
        table.py); returns (topic, partition, send future) for the checkpoints.
        """
        sends: list[tuple[str, int, asyncio.Future]] = []  # type: ignore[type-arg]
        for table in self.tables.values():
            for out in table.changelog_records():
                assert out.partition is not None  # a table's records name their partition
                future = await producer.send(out.topic, out.value, key=out.key, partition=out.partition)
                sends.append((out.topic, out.partition, future))
        return sends

    def _fair_order(self, batch: dict[TopicPartition, list]) -> list[tuple[TopicPartition, list]]:  # type: ignore[type-arg]
        """The batch's partitions, starting one further each time: a batch cut short
        (`batch_size` messages, envelopes counted by content) must not always leave the
        same partitions for later."""
        items = list(batch.items())
        self._turn = (self._turn + 1) % max(1, len(items))
        return items[self._turn :] + items[: self._turn]

    def _envelope_bytes(self) -> int:
        return min(envelope.MAX_BYTES, self.settings.kafka.max_message_bytes // 2)

    @staticmethod
    async def _partition_of(producer: AIOKafkaProducer, out: Output, counts: dict[str, int]) -> int:
        """Where a send of `out` would go: its explicit partition, else its key's
        (the producer's partitioner, services.core.kafka.partitioner)."""
        if out.partition is not None:
            return out.partition
        if out.key is None:
            raise ValueError(f"a message to {out.topic} needs a key or a partition to be coalesced")
        if out.topic not in counts:
            counts[out.topic] = len(await producer.partitions_for(out.topic))
        return hash_partition(out.key, counts[out.topic])

    def _records(self, message: object) -> list[InRecord]:
        """The messages a fetched record carries: itself, or an envelope's contents."""
        topic, partition, offset = message.topic, message.partition, message.offset  # type: ignore[attr-defined]
        value: bytes = message.value or b""  # type: ignore[attr-defined]
        if envelope.is_envelope(message.headers):  # type: ignore[attr-defined]
            with contextlib.suppress(msgspec.DecodeError):  # not unpackable: the handler's DLQ says why
                return [
                    InRecord(topic, partition, offset, key, inner) for key, inner in envelope.unpack(value)
                ]
        return [InRecord(topic, partition, offset, message.key, value)]  # type: ignore[attr-defined]

    def _handle(self, record: InRecord) -> list[Output]:
        metrics.child(metrics.MESSAGES_IN, self.service, record.topic).inc()
        metrics.child(metrics.ARTICLE_BYTES, self.service).observe(len(record.value))
        started = time.perf_counter()
        for table in self.tables.values():
            table.begin_record()
        outputs = run_handler(
            self.service,
            lambda _key, _value: self.handler(record),
            self.dlq_topic,
            record.key,
            record.value,
            on_error=self._undo_record,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )
        metrics.child(metrics.PROCESSING, self.service).observe(time.perf_counter() - started)
        return outputs

    def _undo_record(self) -> None:
        for table in self.tables.values():
            table.undo_record()

    def _commit_tables(self, sends: list[tuple[str, int, asyncio.Future]]) -> None:  # type: ignore[type-arg]
        by_topic: dict[str, dict[int, int]] = {}
        for topic, partition, future in sends:
            if future.done() and not future.exception():
                offset = future.result().offset
                slot = by_topic.setdefault(topic, {})
                slot[partition] = max(offset, slot.get(partition, -1))
        for table in self.tables.values():
            table.commit(by_topic.get(table.changelog_topic, {}))
            metrics.TABLE_KEYS.labels(table.name).set(table.approx_len())
            metrics.STATE_BYTES.labels(table.name).set(table.approx_bytes())

    def _gauge_memory(self) -> None:
        for table in self.tables.values():
            for kind, held in table.memory_bytes().items():
                metrics.ROCKSDB_MEMORY.labels(table.name, kind).set(held)

    async def _ready_producer(self) -> AIOKafkaProducer:
        """The producer, renewed first if it can no longer run a transaction."""
        producer = self.producers.current
        if producer is None or not transaction_ready(producer):
            producer = await self.producers.renew("transaction state not ready")
        return producer

    async def _abort(self, producer: AIOKafkaProducer, batch: dict[TopicPartition, list]) -> None:  # type: ignore[type-arg]
        """Undo the batch: drop staged state, rewind the inputs, abort the transaction.

        The rewind comes first and needs no broker: a failed abort (broker away) must
        never leave the consumer past records whose outputs were not committed.
        """
        for table in self.tables.values():
            table.rollback()
        self._carry = {}  # the rewind puts the consumer before it
        self._rewind(batch)
        touched = {tp for tp, messages in batch.items() if messages}
        self.resync |= touched
        self.recheck |= touched
        with contextlib.suppress(Exception):
            await asyncio.wait_for(producer.abort_transaction(), self._abort_timeout_s())

    async def _resync_positions(self) -> None:
        """After a failed or dropped batch, continue from what the group really committed.

        A commit whose answer was lost (broker stopped) may have gone through. A renewed
        producer has fenced the old one, and the broker answers its init only once the
        old transaction is settled, so the committed offsets read after it are final, and
        so are the changelogs the tables catch up from: a commit that went through
        brings back the writes the rollback dropped, and the state matches the offsets. A
        partition without a committed offset starts from the beginning, as a fresh
        assignment would (auto_offset_reset="earliest").
        """
        assert self.consumer is not None
        await self._ready_producer()
        async with self.batch_lock:
            assignment = self.consumer.assignment()
            recheck = self.recheck & assignment
            # before the seeks: a failed catch-up leaves them all to retry
            await self._catch_up(self._table_partitions(recheck))
            self.recheck.clear()
            for tp in sorted(self.resync):
                if tp in assignment:
                    committed = await self.consumer.committed(tp)
                    if committed is not None:
                        self.consumer.seek(tp, committed)
                    else:
                        await self.consumer.seek_to_beginning(tp)
                self.resync.discard(tp)

    def _abort_timeout_s(self) -> float:
        return self.settings.kafka.request_timeout_ms / 1000

    def _rewind(self, batch: dict[TopicPartition, list]) -> None:  # type: ignore[type-arg]
        """Put still-assigned partitions back at the batch's first records.

        The batch began at the committed offset (every earlier batch committed or was
        rewound, and a rebalance resets positions to the committed offsets), so its
        first record is where the next attempt starts: nothing skipped, nothing repeated.
        """
        assert self.consumer is not None
        assignment = self.consumer.assignment()
        for tp, messages in batch.items():
            if messages and tp in assignment:
                self.consumer.seek(tp, messages[0].offset)

    async def _sample_lag(self) -> None:
        """Lag of every assigned partition: end of the log minus our position."""
        assert self.consumer is not None
        for tp in self.consumer.assignment():
            highwater = self.consumer.highwater(tp)
            if highwater is None:
                continue
            position = await self.consumer.position(tp)
            lag = max(0, highwater - position)
            metrics.CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(lag)
