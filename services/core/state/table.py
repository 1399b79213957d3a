"""A changelog-backed key-value table whose writes commit atomically with the outputs.

Why not faust tables: faust writes a table's changelog outside the transaction that
carries the stage's outputs and input offsets, so a worker killed between the two
replays its input against state that already contains it (an article would come out
as a duplicate of itself). Here the table's writes become records on its compacted
changelog topic, sent by the stage's transactional producer: state, outputs and
offsets commit or abort together, as in Kafka Streams.

Layout: one RocksDB (rocksdict) per partition under `<data_dir>/<table>/p<n>`. Writes of
the open transaction stay in an overlay until the transaction commits; then they are
written to RocksDB with the changelog offset reached (a checkpoint). On assignment a
partition is caught up from its checkpoint to the end of the changelog (read_committed),
so a lost or stale local store is rebuilt from Kafka.

Why one changelog record per key and transaction, not per write: a compacted changelog
only needs each key's last value, and the transaction is all-or-nothing, so the
intermediate values of a key inside one transaction are never read back. The overlay
already holds exactly those last values; the stage sends them once, just before it
commits (`changelog_records`). A key the deduper's gather table writes, rewrites on
every reply and deletes within one batch costs one tombstone instead of a record per
write, and the broker less work for the same state.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from rocksdict import Options, Rdict, WriteBatch

from services.core.state import budget
from services.core.streaming.stage import Output

log = logging.getLogger(__name__)

_CHECKPOINT = b"\x00newsflow:changelog-offset"
_TOMBSTONE = None
_ABSENT = object()


class ChangelogTable:
    def __init__(
        self, name: str, changelog_topic: str, data_dir: Path, options: Callable[[], Options] | None = None
    ) -> None:
        self.name = name
        # a fresh Options per partition store (budget.rocksdict_options); RocksDB's defaults
        # when None
        self._options = options or (lambda: Options(raw_mode=True))
        self.changelog_topic = changelog_topic
        self.dir = data_dir / name
        self._stores: dict[int, Rdict] = {}
        self._overlay: dict[int, dict[bytes, bytes | None]] = {}
        # committed values read in the open transaction: the deduper reads a key to look
        # it up, then again to update it, and RocksDB's get was ~14% of its CPU
        self._reads: dict[int, dict[bytes, bytes | None]] = {}
        self._journal: list[tuple[int, bytes, object]] = []  # undo log of the current record

    # -- reads and writes inside a transaction -------------------------------------
    def get(self, partition: int, key: bytes) -> bytes | None:
        overlay = self._overlay.get(partition)
        if overlay is not None and key in overlay:
            return overlay[key]
        reads = self._reads.get(partition)
        if reads is None:
            reads = self._reads[partition] = {}
        elif key in reads:
            return reads[key]
        value = self._store(partition).get(key)
        reads[key] = value = value if isinstance(value, bytes) else None
        return value

    def put(self, partition: int, key: bytes, value: bytes | None) -> None:
        """Stage a write (None deletes); its changelog record goes out at commit time."""
        overlay = self._overlay.setdefault(partition, {})
        self._journal.append((partition, key, overlay.get(key, _ABSENT)))
        overlay[key] = value

    def delete(self, partition: int, key: bytes) -> None:
        self.put(partition, key, _TOMBSTONE)

    def begin_record(self) -> None:
        """Start the undo log for one input record."""
        self._journal.clear()

    def undo_record(self) -> None:
        """The record failed (it goes to the DLQ): forget the writes it staged."""
        for partition, key, previous in reversed(self._journal):
            overlay = self._overlay[partition]
            if previous is _ABSENT:
                overlay.pop(key, None)
            else:
                overlay[key] = previous  # type: ignore[assignment]
        self._journal.clear()

    def items(self, partition: int) -> Iterator[tuple[bytes, bytes]]:
        """Committed entries of one partition (the overlay is not included)."""
        for key, value in self._store(partition).items():
            if key != _CHECKPOINT and isinstance(key, bytes) and isinstance(value, bytes):
                yield key, value

    def approx_len(self) -> int:
        """RocksDB's own key estimate over the partitions held (cheap, for metrics)."""
        return budget.property_total(self._stores.values(), "rocksdb.estimate-num-keys")

    def approx_bytes(self) -> int:
        """On-disk size (SST files) over the partitions held, for the state-growth alert."""
        return budget.property_total(self._stores.values(), "rocksdb.total-sst-files-size")

    def memory_bytes(self) -> dict[str, int]:
        """Memory held by the partitions' RocksDBs, by kind (services.core.state.budget)."""
        return budget.memory_bytes(self._stores.values())

    # -- transaction outcome --------------------------------------------------------
    def changelog_records(self) -> list[Output]:
        """One changelog record per (partition, key) written in the open transaction.

        Each carries the key's final value (None: a tombstone); writes of records that
        went to the DLQ were undone and are not among them. The stage sends these last,
        before the input offsets, and passes the offsets they reached to `commit`.
        """
        return [
            Output(self.changelog_topic, key, value, partition=partition)
            for partition, writes in self._overlay.items()
            for key, value in writes.items()
        ]

    def commit(self, changelog_offsets: dict[int, int]) -> None:
        """The transaction committed: persist the overlay and the changelog position."""
        for partition, writes in self._overlay.items():
            batch = WriteBatch(raw_mode=True)
            for key, value in writes.items():
                if value is None:
                    batch.delete(key)
                else:
                    batch.put(key, value)
            if partition in changelog_offsets:
                batch.put(_CHECKPOINT, changelog_offsets[partition].to_bytes(8, "big"))
            self._store(partition).write(batch)
        self._end_transaction()

    def rollback(self) -> None:
        self._end_transaction()

    def _end_transaction(self) -> None:
        """Forget the transaction's writes and reads (a read may be stale after it)."""
        self._overlay.clear()
        self._reads.clear()
        self._journal.clear()

    # -- partitions -----------------------------------------------------------------
    def checkpoint(self, partition: int) -> int | None:
        """The last changelog offset the local store of `partition` holds, if any."""
        raw = self._store(partition).get(_CHECKPOINT)
        return int.from_bytes(raw, "big") if isinstance(raw, bytes) else None

    def _store(self, partition: int) -> Rdict:
        store = self._stores.get(partition)
        if store is None:
            path = self.dir / f"p{partition}"
            path.mkdir(parents=True, exist_ok=True)
            store = Rdict(str(path), self._options())
            self._stores[partition] = store
        return store

    def release(self, partitions: set[int]) -> None:
        for partition in partitions:
            store = self._stores.pop(partition, None)
            if store is not None:
                store.close()
            self._overlay.pop(partition, None)
            self._reads.pop(partition, None)

    def close(self) -> None:
        self.release(set(self._stores))

    def wipe(self, partition: int) -> None:
        """Drop the local copy (it is rebuilt from the changelog on the next restore)."""
        self.release({partition})
        shutil.rmtree(self.dir / f"p{partition}", ignore_errors=True)

    async def restore(self, partition: int, consumer: AIOKafkaConsumer, warn_every_s: float = 40.0) -> int:
        """`_restore`, then forget what was read of the partition before or during it: the
        store changed under those reads (also when the restore was cut short)."""
        try:
            return await self._restore(partition, consumer, warn_every_s)
        finally:
            self._reads.pop(partition, None)

    async def _restore(self, partition: int, consumer: AIOKafkaConsumer, warn_every_s: float) -> int:
        """Catch a partition up from its checkpoint to the changelog's end; returns records read.

        `consumer` is a started, group-less, read_committed consumer the caller shares
        between all the partitions it restores (starting one per partition is slow, and
        a rebalance callback must finish within the group's rebalance timeout).

        "The end" is the high watermark, not the last stable offset: the broker answers a
        commit before it writes the commit markers, so right after the previous owner's
        last commit the stable end still lags behind records that are committed. Reading
        on until our position passes the high watermark waits for those markers (and for
        a dead worker's open transaction to be aborted by the broker's transaction
        timeout).

        It never gives up early: a partly restored table loses state without an error
        (a deduper gather entry missing its article holds that article back forever).
        A restore still short of the end after `warn_every_s` says so, and again each
        time that much longer passes (a dead worker's transaction lasts at most the
        broker's transaction timeout).
        """
        checkpoint = self.checkpoint(partition)
        start = checkpoint + 1 if checkpoint is not None else 0
        tp = TopicPartition(self.changelog_topic, partition)
        consumer.assign([tp])
        beginning = (await consumer.beginning_offsets([tp]))[tp]
        if start < beginning:  # the checkpoint predates compaction/retention: rebuild
            self.wipe(partition)
            start = beginning
        store = self._store(partition)
        consumer.seek(tp, start)
        applied, last = 0, start - 1
        started = time.monotonic()
        warn_at = started + warn_every_s
        while True:
            batch = await consumer.getmany(tp, timeout_ms=200)
            wb = WriteBatch(raw_mode=True)
            for message in batch.get(tp, []):
                if message.value:
                    wb.put(message.key, message.value)
                else:
                    wb.delete(message.key)
                last = message.offset
                applied += 1
            if last >= start:
                wb.put(_CHECKPOINT, last.to_bytes(8, "big"))
            store.write(wb)
            highwater = consumer.highwater(tp)
            if highwater is not None and await consumer.position(tp) >= highwater:
                break
            if time.monotonic() > warn_at:
                warn_at = time.monotonic() + warn_every_s
                log.warning(
                    "table partition restore still short of the changelog end",
                    extra={
                        "table": self.name,
                        "partition": partition,
                        "highwater": highwater,
                        "position": await consumer.position(tp),
                        "seconds": round(time.monotonic() - started, 1),
                    },
                )
        log.info(
            "table partition restored",
            extra={
                "table": self.name,
                "partition": partition,
                "records": applied,
                "checkpoint": checkpoint,
                "end": await consumer.position(tp),
            },
        )
        return applied
