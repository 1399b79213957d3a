"""The ingest API's Content-Encoding handling: decoded, or refused with a JSON reason.

Regression (fuzz bug ingest-corrupt-encoding,
tests/fixtures/fuzz/ingest_http--ingest-corrupt-encoding--http-500.bin): with aiohttp
decompressing, a corrupt gzip/deflate body raised RequestPayloadError out of the
handlers (HTTP 500), `br` got aiohttp's plain-text 400 and an unknown coding was read as
identity. The app now undoes the coding itself (services.ingest.app._body_chunks).

The app runs without Kafka (its producer context removed), so a body that decodes and
validates reaches produce and is answered 503 `kafka_unavailable`: that status is the
proof the body got through.
"""

from __future__ import annotations

import gzip
import itertools
import zlib
from collections.abc import AsyncIterator

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.settings import IngestSettings
from services.ingest import app as ingest_app

ARTICLE = orjson.dumps({"content": "words " * 200, "format": "text"})
BATCH = b"\n".join([ARTICLE, b"not json", ARTICLE])
THROUGH = (503, "kafka_unavailable")


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    settings = IngestSettings(
        max_body_bytes=64 * 1024,
        max_batch_bytes=256 * 1024,
        rate_limit_per_s=0.0,
        backfill_rate_per_s=0.0,
        auth_tokens=[],
        feeds_file=None,
    )
    app = ingest_app.build(settings)
    app.cleanup_ctx.remove(ingest_app._kafka_producer)  # no broker: produce answers 503
    async with TestClient(TestServer(app), auto_decompress=False) as test_client:
        yield test_client


async def post(
    client: TestClient,  # type: ignore[type-arg]
    body: bytes,
    encoding: str | None,
    path: str = "/v1/articles",
) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    response = await client.post(path, data=body, headers=headers)
    assert response.content_type == "application/json", await response.text()
    answer = await response.json()
    return response.status, answer["error"]


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        (None, ARTICLE),
        ("identity", ARTICLE),
        ("gzip", gzip.compress(ARTICLE)),
        ("GZIP", gzip.compress(ARTICLE)),
        ("x-gzip", gzip.compress(ARTICLE)),
        ("deflate", zlib.compress(ARTICLE)),
        ("deflate", raw_deflate(ARTICLE)),  # what some clients send as deflate
        ("gzip", gzip.compress(ARTICLE[:100]) + gzip.compress(ARTICLE[100:])),  # two members
    ],
)
async def test_supported_codings_are_decoded(
    client: TestClient,  # type: ignore[type-arg]
    encoding: str | None,
    body: bytes,
) -> None:
    assert await post(client, body, encoding) == THROUGH


async def test_the_decoded_body_is_what_gets_validated(client: TestClient) -> None:  # type: ignore[type-arg]
    assert await post(client, gzip.compress(b'{"content": 5}'), "gzip") == (400, "missing_content")


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage"),  # the fuzz reproducer's body
        ("gzip", ARTICLE),  # not compressed at all
        ("gzip", gzip.compress(ARTICLE)[:-12]),  # truncated
        ("gzip", gzip.compress(ARTICLE) + b"trailing"),
        ("deflate", b"\x78\x9cgarbage"),
        ("deflate", zlib.compress(ARTICLE) + b"trailing"),
        ("deflate", zlib.compress(ARTICLE)[:-3]),
    ],
)
async def test_a_corrupt_body_is_400_bad_encoding(
    client: TestClient,  # type: ignore[type-arg]
    encoding: str,
    body: bytes,
) -> None:
    assert await post(client, body, encoding) == (400, "bad_encoding")
    assert await post(client, body, encoding, "/v1/articles/batch") == (400, "bad_encoding")


@pytest.mark.parametrize("encoding", ["x-bogus", "br", "zstd", "compress", "gzip, deflate", "gzip;q=1"])
async def test_an_unsupported_coding_is_415(client: TestClient, encoding: str) -> None:  # type: ignore[type-arg]
    assert await post(client, ARTICLE, encoding) == (415, "unsupported_encoding")
    assert await post(client, ARTICLE, encoding, "/v1/articles/batch") == (415, "unsupported_encoding")


async def test_a_gzip_bomb_is_413(client: TestClient) -> None:  # type: ignore[type-arg]
    bomb = gzip.compress(b'{"content": "' + b"a" * 20_000_000 + b'"}', compresslevel=9)
    assert len(bomb) < 64 * 1024
    assert await post(client, bomb, "gzip") == (413, "too_large")
    assert await post(client, bomb, "gzip", "/v1/articles/batch") == (413, "too_large")


async def test_a_compressed_batch_is_decoded_line_by_line(client: TestClient) -> None:  # type: ignore[type-arg]
    response = await client.post(
        "/v1/articles/batch",
        data=gzip.compress(BATCH),
        headers={"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"},
    )
    answer = await response.json()
    assert response.status == 503 and answer["ids"] == []
    assert [(e["line"], e["reason"]) for e in answer["errors"]] == [
        (1, "kafka_unavailable"),
        (2, "bad_json"),
        (3, "kafka_unavailable"),
    ]


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=300_000) | st.text(max_size=2000).map(lambda t: (t * 50).encode()),
    coding=st.sampled_from(["gzip", "deflate", "raw-deflate"]),
    cuts=st.lists(st.integers(0, 300_000), max_size=6),
    step=st.sampled_from([1, 7, 4096, 1 << 16]),
)
def test_the_inflater_gives_back_the_bytes_whatever_the_chunks(
    data: bytes, coding: str, cuts: list[int], step: int
) -> None:
    """Any chunking of the body and any output step (small ones force the pending-output
    path) decode to the original bytes, with no piece longer than the step."""
    if coding == "gzip":
        body = gzip.compress(data, compresslevel=1)
    elif coding == "deflate":
        body = zlib.compress(data, 1)
    else:
        body = raw_deflate(data)
    bounds = [0, *sorted(c % (len(body) + 1) for c in cuts), len(body)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest_app, "_INFLATE_STEP", step)
        inflater = ingest_app._Inflater("gzip" if coding == "gzip" else "deflate")
        pieces = [p for a, b in itertools.pairwise(bounds) if b > a for p in inflater.feed(body[a:b])]
        inflater.close()
    assert b"".join(pieces) == data
    assert all(0 < len(p) <= step for p in pieces)
