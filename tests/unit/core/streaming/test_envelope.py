"""Envelopes: grouping by (topic, partition), send order, splitting, the header."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.streaming import envelope
from services.core.streaming.envelope import Envelopes
from services.core.streaming.stage import Output


def test_messages_are_grouped_per_topic_and_partition_in_send_order() -> None:
    held = Envelopes()
    held.add(Output("a", b"k1", b"1"), 0)
    held.add(Output("b", b"k2", b"2"), 0)
    held.add(Output("a", None, b"3"), 1)
    held.add(Output("a", b"k4", b"4"), 0)
    outs = held.outputs()
    assert [(o.topic, o.partition, o.key) for o in outs] == [("a", 0, None), ("b", 0, None), ("a", 1, None)]
    assert envelope.unpack(outs[0].value or b"") == [(b"k1", b"1"), (b"k4", b"4")]
    assert envelope.unpack(outs[2].value or b"") == [(None, b"3")]
    assert len(held) == 4


def test_a_partition_over_the_size_limit_is_split_in_order() -> None:
    held = Envelopes(max_bytes=120)  # two of these messages per envelope
    for n in range(10):
        held.add(Output("a", b"k", bytes([n]) * 40), 2)
    outs = held.outputs()
    assert len(outs) == 5 and all(len(o.value or b"") <= 120 for o in outs)
    inner = [v for o in outs for _, v in envelope.unpack(o.value or b"")]
    assert inner == [bytes([n]) * 40 for n in range(10)]


def test_one_message_larger_than_the_limit_travels_alone() -> None:
    held = Envelopes(max_bytes=100)
    held.add(Output("a", b"k", b"small"), 0)
    held.add(Output("a", b"k", b"x" * 500), 0)
    held.add(Output("a", b"k", b"after"), 0)
    assert [len(envelope.unpack(o.value or b"")) for o in held.outputs()] == [1, 1, 1]


def test_tombstones_are_refused() -> None:
    with pytest.raises(AssertionError):
        Envelopes().add(Output("a", b"k", None), 0)


def test_the_header_marks_an_envelope() -> None:
    assert envelope.is_envelope(envelope.HEADERS)
    assert envelope.is_envelope([("other", b"x"), (envelope.HEADER, envelope.VERSION)])
    assert (
        not envelope.is_envelope(None)
        and not envelope.is_envelope([])
        and not envelope.is_envelope([("x", b"1")])
    )


def test_a_value_that_is_no_envelope_raises_a_decode_error() -> None:
    for bad in (b"", b'{"json": 1}', msgspec.msgpack.encode([[1, 2]]), msgspec.msgpack.encode({"a": b"b"})):
        with pytest.raises(msgspec.DecodeError):
            envelope.unpack(bad)


@given(st.lists(st.tuples(st.none() | st.binary(max_size=20), st.binary(max_size=300)), max_size=40))
def test_unpack_gives_back_what_was_added(pairs: list[tuple[bytes | None, bytes]]) -> None:
    held = Envelopes(max_bytes=1000)
    for key, value in pairs:
        held.add(Output("t", key, value), 0)
    assert [p for o in held.outputs() for p in envelope.unpack(o.value or b"")] == pairs
