"""codec.decode: invalid UTF-8 is a DecodeError, and the models enforce the schemas' values.

Regressions found by fuzzing (tests/fixtures/fuzz):
* msgspec-utf8: msgspec raises UnicodeDecodeError, not its DecodeError, for invalid UTF-8
  inside a JSON string; decode let it through, so it was no DecodeError (DLQ reason
  "UnicodeDecodeError", and callers catching DecodeError crashed).
* schema-passthrough: the models were looser than schemas/*.json (`language: ""`), so a
  stage that decoded a schema-invalid article passed it on to its own output topic.
"""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import orjson
import pytest

from services.core import schemas
from services.core.codec import decode, encode
from services.core.exceptions import DecodeError
from services.core.models import Article, RawArticle
from tests.unit.core.test_contract import full_article

# The JSON Schema keywords that restrict values (the rest say what type a value is).
CONSTRAINTS = {"pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum", "const"}


def _constraints(schema: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(path, keyword, value) of every value constraint in `schema`, $refs followed."""
    defs = schema.get("$defs", {})
    found: set[tuple[str, str, str]] = set()

    def walk(node: Any, path: str) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, path)
            return
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            walk(defs[node["$ref"].rsplit("/", 1)[1]], path)
        for key, value in node.items():
            if key in CONSTRAINTS:
                found.add((path, key, orjson.dumps(value).decode()))
            elif key == "properties":
                for name, sub in value.items():
                    walk(sub, f"{path}/{name}")
            elif key == "items":
                walk(value, f"{path}/[]")
            elif key in ("anyOf", "oneOf", "allOf", "additionalProperties"):
                walk(value, path)

    walk(schema, "")
    return found


@pytest.mark.parametrize(
    ("name", "model", "sample"),
    [
        ("article", Article, ("/language", "pattern", '"^[a-z]{2}$"')),
        ("raw_article", RawArticle, ("/schema_version", "minimum", "1")),
    ],
)
def test_models_enforce_exactly_the_schema_constraints(
    name: str, model: type[msgspec.Struct], sample: tuple[str, str, str]
) -> None:
    published = orjson.loads((schemas.schema_dir() / f"{name}.json").read_bytes())
    expected = _constraints(published)
    assert sample in expected  # the walker does see the schema's constraints
    assert _constraints(msgspec.json.schema(model)) == expected


def _article() -> dict[str, Any]:
    return orjson.loads(encode(full_article()))


def test_a_full_article_decodes_and_round_trips() -> None:
    article = full_article()
    assert decode(encode(article), Article) == article


# (where in the article, a value the schema forbids); tests/fixtures/fuzz has the first two
BAD_VALUES: list[tuple[tuple[str | int, ...], Any]] = [
    (("language",), ""),
    (("language",), "zxx"),
    (("language",), "EN"),
    (("published_at",), "2019-11-26 14:49"),
    (("published_offset",), "+4"),
    (("updated_at",), "yesterday"),
    (("ingest", "received_at"), "2026-01-01"),
    (("countries", 0), "Azerbaijan"),
    (("dateline", "country"), "az"),
    (("places", 0, "country"), "AZE"),
    (("links", "related", 0, "published_at"), "2019-11-26T14:50:00+01:00"),
    (("topics", 0, "score"), 1.5),
    (("topics", 0, "score"), -0.1),
    (("dedupe", "similarity"), 2.0),
    (("schema_version",), 0),
]


@pytest.mark.parametrize(
    ("path", "bad"), BAD_VALUES, ids=[f"{'.'.join(map(str, p))}={b!r}" for p, b in BAD_VALUES]
)
def test_what_the_schema_forbids_does_not_decode(path: tuple[str | int, ...], bad: Any) -> None:
    article = copy.deepcopy(_article())
    node = article
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = bad
    assert schemas.errors("article", article)  # the contract forbids it ...
    with pytest.raises(DecodeError) as caught:  # ... so a stage decoding it sends it to the DLQ
        decode(orjson.dumps(article), Article)
    assert caught.value.reason == "schema"
    assert str(path[-1]) in str(caught.value) or "schema_version" in str(caught.value)


def test_a_raw_article_with_a_bad_received_at_does_not_decode() -> None:
    raw = orjson.loads(encode(RawArticle(ingest=full_article().ingest, content="x")))
    decode(orjson.dumps(raw), RawArticle)
    raw["ingest"]["received_at"] = "now"
    with pytest.raises(DecodeError, match="received_at") as caught:
        decode(orjson.dumps(raw), RawArticle)
    assert caught.value.reason == "schema"


def _raw() -> dict[str, Any]:
    return orjson.loads(encode(RawArticle(ingest=full_article().ingest, content="text", url="u")))


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (Article, b'{"url":"\x8d"}'),  # tests/fixtures/fuzz/codec--msgspec-utf8--url.bin
        (RawArticle, b'{"url":"\x8d"}'),
        (Article, b'{"url":"\xed\xa0\x80"}'),  # a UTF-8-encoded surrogate
        (Article, orjson.dumps(_article()).replace(b'"title":"T"', b'"title":"\xc3"')),
        (RawArticle, orjson.dumps(_raw()).replace(b'"content":"text"', b'"content":"te\xffxt"')),
    ],
)
def test_invalid_utf8_in_a_string_is_a_json_decode_error(model: type, data: bytes) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(data, model)
    assert caught.value.reason == "json"
    assert isinstance(caught.value.__cause__, UnicodeDecodeError)
