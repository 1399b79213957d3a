"""Abuse of the ingest API: random bodies, gzip bombs, huge bodies, auth and rate limits.

A 4xx with a reason or a 202, never a 5xx, and the service stays up and small.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.system import System, running_system

pytestmark = pytest.mark.kafka

TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def ingest(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(
        kafka_broker.bootstrap,
        tmp_path_factory.mktemp("abuse"),
        ("ingest",),
        extra_env={
            "NEWSFLOW_MAX_BODY_BYTES": "1000000",
            "NEWSFLOW_MAX_BATCH_BYTES": "2000000",
            "NEWSFLOW_AUTH_TOKENS": orjson.dumps([TOKEN, "other-token"]).decode(),
            "NEWSFLOW_RATE_LIMIT_PER_S": "1000",
            "NEWSFLOW_RATE_LIMIT_BURST": "1000",
        },
    ) as system:
        yield system


AUTH = {"Authorization": f"Bearer {TOKEN}"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=4000)
    | st.text(max_size=2000).map(str.encode)
    | st.dictionaries(
        st.sampled_from(["content", "format", "url", "source", "hints", "x"]),
        st.none() | st.integers(0, 9) | st.text(max_size=30) | st.lists(st.integers(0, 3), max_size=3),
        max_size=5,
    ).map(orjson.dumps),
    content_type=st.sampled_from(
        ["application/json", "text/html", "text/plain", "application/x-ndjson", "image/png", ""]
    ),
    path=st.sampled_from(["/v1/articles", "/v1/articles/batch"]),
)
def test_random_requests_never_get_a_5xx(ingest: System, body: bytes, content_type: str, path: str) -> None:
    response = httpx.post(
        ingest.url("ingest") + path, content=body, headers={**AUTH, "content-type": content_type}, timeout=30
    )
    assert response.status_code in (202, 400, 413, 415), response.text
    if response.status_code != 202:
        assert response.json()["error"]


def test_gzip_bomb_is_refused_with_413(ingest: System) -> None:
    bomb = gzip.compress(b'{"content": "' + b"a" * 50_000_000 + b'"}', compresslevel=9)
    assert len(bomb) < 200_000
    response = httpx.post(
        ingest.url("ingest") + "/v1/articles",
        content=bomb,
        timeout=60,
        headers={**AUTH, "content-type": "application/json", "content-encoding": "gzip"},
    )
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert httpx.get(ingest.url("ingest") + "/healthz").status_code == 200


@pytest.mark.parametrize(
    ("encoding", "body", "status", "reason"),
    [
        ("gzip", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage", 400, "bad_encoding"),
        ("deflate", gzip.compress(b'{"content": "x"}'), 400, "bad_encoding"),
        ("br", b'{"content": "x"}', 415, "unsupported_encoding"),
        ("x-bogus", b'{"content": "x"}', 415, "unsupported_encoding"),
    ],
)
def test_a_corrupt_or_unsupported_content_encoding_is_a_json_refusal(
    ingest: System, encoding: str, body: bytes, status: int, reason: str
) -> None:
    """Was a 500 (corrupt gzip), aiohttp's plain-text 400 (br) or read as identity (x-bogus)."""
    for path in ("/v1/articles", "/v1/articles/batch"):
        response = httpx.post(
            ingest.url("ingest") + path,
            content=body,
            timeout=30,
            headers={**AUTH, "content-type": "application/json", "content-encoding": encoding},
        )
        assert (response.status_code, response.json()["error"]) == (status, reason), response.text


def test_100_mb_body_is_refused_with_413(ingest: System) -> None:
    with httpx.Client(timeout=60) as client:
        try:
            response = client.post(
                ingest.url("ingest") + "/v1/articles",
                content=b"x" * 100_000_000,
                headers={**AUTH, "content-type": "text/plain"},
            )
        except httpx.HTTPError as exc:  # the server may close while the client still sends
            pytest.fail(f"no answer for a 100 MB body: {exc!r}")
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert httpx.get(ingest.url("ingest") + "/healthz").status_code == 200


def test_missing_or_wrong_token_is_401_and_reads_stay_open(ingest: System) -> None:
    base = ingest.url("ingest")
    missing = httpx.post(base + "/v1/articles", json={"content": "x"})
    wrong = httpx.post(base + "/v1/articles", json={"content": "x"}, headers={"Authorization": "Bearer nope"})
    assert (missing.status_code, missing.json()["error"]) == (401, "missing_token")
    assert (wrong.status_code, wrong.json()["error"]) == (401, "bad_token")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert httpx.get(base + "/healthz").status_code == 200 and httpx.get(base + "/metrics").status_code == 200
    ok = httpx.post(
        base + "/v1/articles", json={"content": "fine"}, headers={"Authorization": "Bearer other-token"}
    )
    assert ok.status_code == 202


def test_rate_limit_per_token_answers_429_with_retry_after(kafka_broker: Any, tmp_path: Any) -> None:
    with running_system(
        kafka_broker.bootstrap,
        tmp_path,
        ("ingest",),
        extra_env={
            "NEWSFLOW_AUTH_TOKENS": orjson.dumps(["a-token", "b-token"]).decode(),
            "NEWSFLOW_RATE_LIMIT_PER_S": "0.5",
            "NEWSFLOW_RATE_LIMIT_BURST": "3",
        },
    ) as system:
        url = system.url("ingest") + "/v1/articles"
        codes = [
            httpx.post(
                url, json={"content": f"n{i}"}, headers={"Authorization": "Bearer a-token"}
            ).status_code
            for i in range(5)
        ]
        assert codes[:3] == [202, 202, 202] and codes[3:] == [429, 429]
        limited = httpx.post(url, json={"content": "n"}, headers={"Authorization": "Bearer a-token"})
        assert limited.headers["Retry-After"] and limited.json()["error"] == "rate_limited"
        other = httpx.post(url, json={"content": "n"}, headers={"Authorization": "Bearer b-token"})
        assert other.status_code == 202
