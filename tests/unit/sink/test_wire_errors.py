"""The sink's wire decoders raise DecodeError and nothing else, whatever the bytes.

Regressions found by fuzzing (tests/fixtures/fuzz/sink--*.bin):
* sink-wire-fallback: when the batch form failed validation, the single-key fallback
  parsed the value again and its msgspec.DecodeError (malformed JSON after the first
  schema error, `{"keys": 1, x`) escaped.
* msgspec-utf8: invalid UTF-8 inside a JSON string is msgspec's UnicodeDecodeError, not
  its DecodeError; it escaped both forms, and summary_event (the SSE stream) raised.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from services.core.codec import encode
from services.core.exceptions import DecodeError
from services.sink import wire
from services.sink.stream import summary_event
from tests.integration.sink.articles import synthetic

DECODERS: list[Callable[[bytes | None, bytes], object]] = [
    wire.decode_views,
    wire.decode_index,
    wire.decode_offers,
]


MALFORMED_AFTER_A_SCHEMA_ERROR = [
    b'{"keys": 1, x',  # sink--sink-wire-fallback--index.bin
    b'{"views": 1, x',
    b'{"offers": "a", ',
    b'{"id": "a", "title": "t", x}',  # the single form reads on and finds it
]
BAD_UTF8 = [
    b'{"views":["\x8d"]}',  # sink--msgspec-utf8--views.bin
    b'{"keys": ["\xff"], "features": {}}',
    b'{"offers": [{"target": "\xc3"}]}',
    b'{"id": "\xed\xa0\x80", "title": "t"}',
]


@pytest.mark.parametrize("decode", DECODERS)
@pytest.mark.parametrize("value", MALFORMED_AFTER_A_SCHEMA_ERROR)
def test_malformed_json_behind_a_schema_error_is_a_json_error(
    decode: Callable[[bytes | None, bytes], object], value: bytes
) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(b"k", value)
    assert caught.value.reason == "json"


@pytest.mark.parametrize("decode", DECODERS)
@pytest.mark.parametrize("value", BAD_UTF8)
def test_invalid_utf8_is_a_decode_error(
    decode: Callable[[bytes | None, bytes], object], value: bytes
) -> None:
    """A json error where a form reads the string, a schema error where no form knows the field."""
    with pytest.raises(DecodeError) as caught:
        decode(b"k", value)
    assert caught.value.reason in {"json", "schema"}


@pytest.mark.parametrize(
    ("decode", "value"),
    [
        (wire.decode_views, BAD_UTF8[0]),  # the batch form reads it
        (wire.decode_index, BAD_UTF8[1]),
        (wire.decode_offers, BAD_UTF8[2]),
        (wire.decode_views, BAD_UTF8[3]),  # the single form (an ArticleSummary) reads it
        (wire.decode_index, b'{"id": "x", "title": "\xff"}'),
    ],
)
def test_invalid_utf8_in_a_field_read_is_a_json_error(
    decode: Callable[[bytes | None, bytes], object], value: bytes
) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(b"k", value)
    assert caught.value.reason == "json"
    assert isinstance(caught.value.__cause__, UnicodeDecodeError)


def test_valid_json_of_neither_form_is_still_a_schema_error() -> None:
    with pytest.raises(DecodeError) as caught:
        wire.decode_index(b"k", b'{"keys": 1}')
    assert caught.value.reason == "schema"


def test_msgspec_itself_raises_what_the_wrappers_convert() -> None:
    """The premise of the fix: without it these exceptions escaped as they are."""
    with pytest.raises(UnicodeDecodeError):
        msgspec.json.decode(b'["\x8d"]')
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"keys": 1, x', type=wire.IndexBatch)  # stops at the first error
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(b'{"keys": 1, x')


def test_summary_event_skips_undecodable_records() -> None:
    article = encode(synthetic(1)[0])
    assert summary_event(article, "1") is not None
    assert summary_event(article.replace(b'"title":"', b'"title":"\xff', 1), "1") is None
    assert summary_event(b'{"url":"\x8d"}', "1") is None
    assert summary_event(None, "1") is None
