"""Ingest request validation: every refusal has a status and a reason."""

import orjson
import pytest

from services.core import schemas
from services.core.codec import encode
from services.ingest import requests
from services.ingest.exceptions import BadRequest, TooLarge

LIMITS = requests.Limits(max_body_bytes=1000, max_batch_lines=3)


def test_json_article_becomes_raw_article_with_ingest_metadata() -> None:
    body = orjson.dumps({"content": "<html>x</html>", "format": "html", "url": "https://a.example/x"})
    raw = requests.from_json(body, LIMITS)
    assert raw.content == "<html>x</html>"
    assert raw.format == "html"
    assert raw.url == "https://a.example/x"
    assert len(raw.ingest.id) == 32
    assert raw.ingest.received_at.endswith("Z")
    assert raw.ingest.size == len("<html>x</html>")
    schemas.validate("raw_article", orjson.loads(encode(raw)))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "bad_json"),
        (b"[1, 2]", "not_an_object"),
        (b'{"format": "html"}', "missing_content"),
        (b'{"content": 5}', "missing_content"),
        (b'{"content": "   "}', "empty_content"),
        (b'{"content": "x", "format": "pdf"}', "unknown_format"),
        (b'{"content": "x", "format": []}', "unknown_format"),
        (b'{"content": "x", "format": {"a": 1}}', "unknown_format"),
        (b'{"content": "x", "url": 7}', "bad_field"),
        (b'{"content": "x", "colour": "red"}', "unknown_field"),
        (b'{"content": "x", "hints": {"section": 1}}', "bad_field"),
    ],
)
def test_bad_requests_have_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(BadRequest) as caught:
        requests.from_json(body, LIMITS)
    assert caught.value.reason == reason
    assert caught.value.status == 400


def test_oversized_content_is_413() -> None:
    with pytest.raises(TooLarge) as caught:
        requests.from_json(orjson.dumps({"content": "x" * 1001}), LIMITS)
    assert caught.value.status == 413


def test_raw_html_body_keeps_url_and_format() -> None:
    raw = requests.from_raw_body(b"<p>hi</p>", "text/html", LIMITS, "https://x.example/a", None)
    assert (raw.format, raw.url, raw.content) == ("html", "https://x.example/a", "<p>hi</p>")


def test_raw_body_with_wrong_charset_is_decoded_not_refused() -> None:
    raw = requests.from_raw_body("café".encode("latin-1"), "text/plain", LIMITS, None, "utf-8")
    assert raw.format == "text" and raw.content.startswith("caf")


def test_ndjson_batch_gives_per_line_results() -> None:
    body = b'{"content": "a"}\n\nnot json\n{"content": "b", "format": "nope"}\n{"content": "c"}\n'
    accepted, errors = requests.from_ndjson(body, requests.Limits(1000, 10))
    assert [line for line, _ in accepted] == [1, 5]
    assert [(e["line"], e["reason"]) for e in errors] == [(3, "bad_json"), (4, "unknown_format")]
    assert all(r.source == "batch" for _, r in accepted)


def test_batch_line_limit_is_413() -> None:
    with pytest.raises(TooLarge):
        requests.from_ndjson(b'{"content": "a"}\n' * 4, LIMITS)


def test_empty_batch_is_400() -> None:
    with pytest.raises(BadRequest):
        requests.from_ndjson(b"\n\n", LIMITS)


def test_fetch_metadata_is_carried_into_ingest_meta() -> None:
    body = orjson.dumps({"content": "<p>x</p>", "fetch": {"origin": "a/b.warc.gz#r1", "status": "200"}})
    raw = requests.from_json(body, LIMITS, source="files")
    assert raw.ingest.fetch == {"origin": "a/b.warc.gz#r1", "status": "200"}
    assert raw.ingest.source == "files"
    schemas.validate("raw_article", orjson.loads(encode(raw)))


@pytest.mark.parametrize(
    "fetch",
    [{"status": 200}, ["x"], "x", {f"k{n}": "v" for n in range(40)}, {"long": "x" * 3000}],
)
def test_bad_fetch_metadata_is_400(fetch: object) -> None:
    with pytest.raises(BadRequest) as caught:
        requests.from_json(orjson.dumps({"content": "x", "fetch": fetch}), LIMITS)
    assert caught.value.reason == "bad_field"
