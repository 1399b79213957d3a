"""DLQ records are built for any failed message, whatever bytes it holds.

Regression (fuzz bug dlq-ingest-id): the best-effort ingest id was decoded strictly, so a
message with `"ingest":{"id":"<invalid UTF-8>"}` made dlq_record raise, and with it
run_handler, which must never raise (a poison pill that stops the partition).
"""

from __future__ import annotations

import base64

import orjson
import pytest

from services.core import schemas
from services.core.codec import encode
from services.core.dlq import dlq_record
from services.core.streaming.stage import Output, run_handler

POISON = b'{"ingest":{"id":"\xff"}}'  # tests/fixtures/fuzz/normalizer--dlq-ingest-id--poison.bin


@pytest.mark.parametrize(
    ("original", "ingest_id"),
    [
        (POISON, "\ufffd"),
        (b'{"ingest": {"source": "api", "id": "ab\xc3\xa9\xffcd"}}', "ab\u00e9\ufffdcd"),
        (b'{"ingest":{"id":"plain-id"}}', "plain-id"),
        (b"\xff\xfe not json", None),
    ],
)
def test_ingest_id_is_read_from_any_bytes(original: bytes, ingest_id: str | None) -> None:
    record = dlq_record("normalizer", ValueError("boom"), original)
    assert record.ingest_id == ingest_id
    assert base64.b64decode(record.original_b64) == original  # the bytes themselves are kept as they were
    schemas.validate("dlq_record", orjson.loads(encode(record)))


def test_run_handler_never_raises_on_a_poison_message() -> None:
    def failing(_key: bytes | None, _value: bytes) -> list[Output]:
        raise ValueError("cannot handle it")

    (out,) = run_handler("normalizer", failing, "news.dlq", b"k", POISON)
    assert out.topic == "news.dlq" and out.key == b"k"
    record = orjson.loads(out.value or b"")
    schemas.validate("dlq_record", record)
    assert (record["ingest_id"], record["error"]["type"]) == ("\ufffd", "ValueError")
