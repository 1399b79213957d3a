"""Many small messages to one partition of an internal topic, sent as one Kafka record.

Why: the deduper's phases talk over internal topics, ~19 small messages per article (a
Lookups, a Replies and an Updates per index partition, and the ArticleIn). Every record
costs the stage's producer a send, the broker a record to validate and index, the
reader's fetcher a record object, whatever its size. A transaction sends nothing visible
before its commit anyway, so the stage holds a batch's messages to such a topic and sends
each partition's as one record, an envelope: the messages in send order, each with its
key. The reader unpacks an envelope and handles each message as if it had come alone
(its own DLQ record, its own undo), in the same order: one producer's records to one
partition arrive in send order, and an envelope keeps that order inside it.

An envelope is marked by its header (`newsflow-envelope: 1`); its value is a msgpack
array of [key, value] pairs. A record without the header is one message, as records
of earlier versions are, so an upgraded reader needs no drained topics. An earlier
version cannot read envelopes: stop it before starting this one on the same group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec

from services.core.streaming.stage import Output

HEADER = "newsflow-envelope"
VERSION = b"1"
HEADERS = [(HEADER, VERSION)]
MAX_BYTES = 512 * 1024  # an envelope larger than this is split (one message may exceed it)
_PAIR_OVERHEAD = 12  # msgpack array and bin headers of one [key, value] pair, at most

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(list[tuple[bytes | None, bytes]]).decode


def is_envelope(headers: Sequence[tuple[str, bytes]] | None) -> bool:
    return bool(headers) and any(name == HEADER for name, _ in headers)  # type: ignore[union-attr]


def unpack(value: bytes) -> list[tuple[bytes | None, bytes]]:
    """The (key, value) messages of an envelope, in send order.

    Raises msgspec.DecodeError (a msgspec.ValidationError for a wrong shape) when the
    value is not an envelope.
    """
    return _decode(value)


@dataclass
class Envelopes:
    """One transaction's messages to coalesced topics, grouped by (topic, partition)."""

    max_bytes: int = MAX_BYTES
    _groups: dict[tuple[str, int], list[list[tuple[bytes | None, bytes]]]] = field(default_factory=dict)
    _sizes: dict[tuple[str, int], int] = field(default_factory=dict)

    def add(self, out: Output, partition: int) -> None:
        """Hold `out` (a message with a value) for its topic's partition `partition`."""
        assert out.value is not None, "an envelope carries messages, not tombstones"
        slot = (out.topic, partition)
        size = len(out.value) + len(out.key or b"") + _PAIR_OVERHEAD
        chunks = self._groups.setdefault(slot, [[]])
        if chunks[-1] and self._sizes[slot] + size > self.max_bytes:
            chunks.append([])
            self._sizes[slot] = 0
        chunks[-1].append((out.key, out.value))
        self._sizes[slot] = self._sizes.get(slot, 0) + size

    def outputs(self) -> list[Output]:
        """One envelope per (topic, partition) and chunk, in the order the slots filled."""
        return [
            Output(topic, None, _encode(chunk), partition=partition)
            for (topic, partition), chunks in self._groups.items()
            for chunk in chunks
        ]

    def __len__(self) -> int:
        return sum(len(chunk) for chunks in self._groups.values() for chunk in chunks)
