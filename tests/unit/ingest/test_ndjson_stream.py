"""Issue 9: a batch is decoded as it arrives and holds each page once, as encoded bytes."""

from __future__ import annotations

import tracemalloc

import msgspec
import orjson
import pytest

from services.core import schemas
from services.core.models import RawArticle
from services.ingest import requests
from services.ingest.exceptions import TooLarge

LIMITS = requests.Limits(max_body_bytes=100_000, max_batch_lines=50)
PAGE = "<p>caf\u00e9 \u201cquoted\u201d \U0001f600</p>" * 2000  # a 4-byte-per-char str when decoded


def _feed(body: bytes, chunk: int, max_bytes: int = 1 << 30) -> requests.NdjsonBatch:
    batch = requests.NdjsonBatch(LIMITS, "batch", max_bytes)
    for start in range(0, len(body), chunk):
        batch.feed(body[start : start + chunk])
    return batch


def _summary(
    result: tuple[list[tuple[int, requests.Record]], list[dict[str, object]]],
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    accepted, errors = result
    contents = [(line, orjson.loads(r.value)["content"]) for line, r in accepted]
    return contents, [(int(str(e["line"])), str(e["reason"])) for e in errors]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 16])
def test_any_chunking_gives_the_same_lines_as_splitlines(chunk: int) -> None:
    body = b'{"content": "a"}\r\n\r\n{"content": "b"}\rnope\n\n{"content": ""}\r\n{"content": "c"}'
    expected = [(n, line) for n, line in enumerate(body.splitlines(), start=1) if line.strip()]
    streamed = _summary(_feed(body, chunk).close())
    assert streamed == ([(1, "a"), (3, "b"), (7, "c")], [(4, "bad_json"), (6, "empty_content")])
    assert sorted(n for n, _ in streamed[0] + streamed[1]) == [n for n, _ in expected]
    assert streamed == _summary(requests.from_ndjson(body, LIMITS))


def test_only_the_unfinished_line_is_buffered() -> None:
    line = orjson.dumps({"content": PAGE, "format": "html"}) + b"\n"
    body = line * 5
    batch = requests.NdjsonBatch(LIMITS, "batch", len(body))
    chunk, most = 4096, 0
    for start in range(0, len(body), chunk):
        batch.feed(body[start : start + chunk])
        most = max(most, batch.pending_bytes)
        done = (start + chunk) // len(line)
        assert len(batch.accepted) == min(done, 5)  # each line is decoded as soon as it ends
    assert most < len(line) + chunk
    accepted, errors = batch.close()
    assert len(accepted) == 5 and not errors


def test_records_hold_encoded_bytes_not_decoded_text() -> None:
    accepted, _ = requests.from_ndjson(orjson.dumps({"content": PAGE}) + b"\n", LIMITS)
    (_, record), *_ = accepted
    assert isinstance(record.value, bytes) and record.__slots__ == ("id", "source", "value")
    raw = msgspec.json.decode(record.value, type=RawArticle)
    assert raw.content == PAGE and raw.ingest.id == record.id and record.key == record.id.encode()
    schemas.validate("raw_article", orjson.loads(record.value))


def test_a_record_allocates_about_its_length() -> None:
    """Once its article is gone, a record costs its length: msgspec leaves its growth buffer
    allocated behind a shorter bytes (and caches UTF-8 on the str), to_record gives both back."""
    line = orjson.dumps({"content": PAGE})
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        record = requests.to_record(requests.from_json(line, LIMITS))
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < len(record.value) * 1.2 + 4096


def test_size_limit_stops_reading_before_the_body_ends() -> None:
    line = b'{"content": "aaaa"}\n'
    batch = requests.NdjsonBatch(LIMITS, "batch", max_bytes=len(line) * 2)
    batch.feed(line)
    batch.feed(line)
    with pytest.raises(TooLarge) as caught:
        batch.feed(b"{")
    assert caught.value.reason == "too_large"


def test_line_limit_is_413_while_streaming() -> None:
    batch = requests.NdjsonBatch(requests.Limits(1000, 2), "batch", 1 << 20)
    batch.feed(b'{"content": "a"}\n\n{"content": "b"}\n')
    with pytest.raises(TooLarge) as caught:
        batch.feed(b'{"content": "c"}\n')
    assert caught.value.reason == "too_many_lines"
