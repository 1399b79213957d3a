"""The ingest API on a real broker: 202 only for records that are on news.raw."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import orjson
import pytest

from services.core import schemas
from tests.support.kafka import read_all
from tests.support.system import System, running_system

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def ingest(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(
        kafka_broker.bootstrap,
        tmp_path_factory.mktemp("ingest"),
        ("ingest",),
        extra_env={"NEWSFLOW_MAX_BODY_BYTES": "20000", "NEWSFLOW_MAX_BATCH_LINES": "5"},
    ) as system:
        yield system


def post(system: System, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(system.url("ingest") + path, timeout=30, **kwargs)


async def raw_records(system: System) -> dict[str, dict[str, Any]]:
    records = await read_all(system.bootstrap, system.topics.raw, idle_s=1.5)
    out = {}
    for record in records:
        value = orjson.loads(record.value or b"")
        schemas.validate("raw_article", value)
        assert record.key == value["ingest"]["id"].encode()
        out[value["ingest"]["id"]] = value
    return out


async def test_accepted_articles_are_on_the_raw_topic(ingest: System, tmp_path: Path) -> None:
    seed = (Path(__file__).parents[2] / "fixtures" / "seed-article.txt").read_text()
    one = post(ingest, "/v1/articles", json={"content": seed, "format": "text", "source": "Trend"})
    html = post(
        ingest,
        "/v1/articles?url=https://x.example/a",
        content=b"<html><title>t</title></html>",
        headers={"content-type": "text/html; charset=utf-8"},
    )
    assert one.status_code == 202 and html.status_code == 202
    records = await raw_records(ingest)
    first = records[one.json()["id"]]
    assert first["content"] == seed and first["format"] == "text" and first["source"] == "Trend"
    second = records[html.json()["id"]]
    assert second["format"] == "html" and second["url"] == "https://x.example/a"


async def test_batch_answers_per_line_and_stores_the_good_lines(ingest: System) -> None:
    body = b'{"content": "a"}\n{"content": ""}\nnope\n{"content": "b", "format": "text"}\n'
    response = post(
        ingest, "/v1/articles/batch", content=body, headers={"content-type": "application/x-ndjson"}
    )
    assert response.status_code == 202
    answer = response.json()
    assert len(answer["ids"]) == 2
    assert [(e["line"], e["reason"]) for e in answer["errors"]] == [(2, "empty_content"), (3, "bad_json")]
    records = await raw_records(ingest)
    assert set(answer["ids"]) <= set(records)


async def test_compressed_bodies_are_stored_decoded(ingest: System) -> None:
    """The service undoes gzip/deflate itself (aiohttp's decompression is off): what lands
    on news.raw is the decoded article, for a single article and for a batch."""
    marker = uuid4().hex
    one = orjson.dumps({"content": f"gzipped {marker}", "format": "text"})
    single = post(
        ingest,
        "/v1/articles",
        content=gzip.compress(one),
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    lines = b"\n".join(orjson.dumps({"content": f"deflated {i} {marker}"}) for i in range(3))
    batch = post(
        ingest,
        "/v1/articles/batch",
        content=zlib.compress(lines),
        headers={"content-type": "application/x-ndjson", "content-encoding": "deflate"},
    )
    assert single.status_code == 202 and batch.status_code == 202, (single.text, batch.text)
    records = await raw_records(ingest)
    assert records[single.json()["id"]]["content"] == f"gzipped {marker}"
    assert sorted(records[i]["content"] for i in batch.json()["ids"]) == [
        f"deflated {i} {marker}" for i in range(3)
    ]


async def test_streamed_batch_is_decoded_across_chunks_and_a_413_stores_nothing(ingest: System) -> None:
    """Issue 9: batches are decoded as they arrive; still nothing is produced before the end."""
    marker = uuid4().hex
    good = orjson.dumps({"content": f"streamed {marker}", "format": "text"}) + b"\r\n"

    def chunks(body: bytes, size: int) -> Iterator[bytes]:  # no Content-Length: chunked upload
        yield from (body[i : i + size] for i in range(0, len(body), size))

    over = post(ingest, "/v1/articles/batch", content=chunks(good * 6, 7))
    assert over.status_code == 413 and over.json()["error"] == "too_many_lines"
    ok = post(ingest, "/v1/articles/batch", content=chunks(good + b"nope\r\n" + good, 5))
    assert ok.status_code == 202, ok.text
    answer = ok.json()
    assert len(answer["ids"]) == 2 and [(e["line"], e["reason"]) for e in answer["errors"]] == [
        (2, "bad_json")
    ]
    stored = [r for r in (await raw_records(ingest)).values() if marker in r["content"]]
    assert sorted(r["ingest"]["id"] for r in stored) == sorted(answer["ids"])  # none from the 413


@pytest.mark.parametrize(
    ("path", "kwargs", "status", "reason"),
    [
        (
            "/v1/articles",
            {"content": b"{nope", "headers": {"content-type": "application/json"}},
            400,
            "bad_json",
        ),
        ("/v1/articles", {"json": {"url": "https://x"}}, 400, "missing_content"),
        ("/v1/articles", {"json": {"content": "x", "format": "docx"}}, 400, "unknown_format"),
        ("/v1/articles", {"json": ["content"]}, 400, "not_an_object"),
        (
            "/v1/articles",
            {"content": b"x", "headers": {"content-type": "image/png"}},
            415,
            "unsupported_media_type",
        ),
        ("/v1/articles", {"json": {"content": "x" * 30000}}, 413, "too_large"),
        (
            "/v1/articles",
            {"content": b"y" * 200_000, "headers": {"content-type": "text/plain"}},
            413,
            "too_large",
        ),
        ("/v1/articles/batch", {"content": b'{"content": "a"}\n' * 6}, 413, "too_many_lines"),
        ("/v1/articles/batch", {"content": b"\n"}, 400, "empty_batch"),
    ],
)
def test_bad_input_gets_a_status_and_a_reason(
    ingest: System, path: str, kwargs: dict[str, Any], status: int, reason: str
) -> None:
    response = post(ingest, path, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error"] == reason


def test_health_ready_and_metrics(ingest: System) -> None:
    base = ingest.url("ingest")
    assert httpx.get(base + "/healthz").json() == {"status": "ok"}
    assert httpx.get(base + "/readyz").status_code == 200
    post(ingest, "/v1/articles", json={"content": "counted"})
    post(ingest, "/v1/articles", content=b"{", headers={"content-type": "application/json"})
    text = httpx.get(base + "/metrics").text
    assert 'newsflow_ingest_accepted_total{source="api"}' in text
    assert 'newsflow_ingest_rejected_total{reason="bad_json",status="400"}' in text
    assert 'newsflow_http_requests_total{method="POST",route="/v1/articles",status="202"}' in text
