"""Models and JSON Schemas agree: every message kind a service builds validates."""

import base64

import orjson
import pytest

from services.core import schemas, topics
from services.core.codec import decode, encode
from services.core.dlq import dlq_record
from services.core.exceptions import DecodeError
from services.core.models import (
    Article,
    ArticleSummary,
    Dateline,
    Dedupe,
    Extraction,
    IngestMeta,
    LatestView,
    LinkItem,
    Links,
    Place,
    RawArticle,
    RelatedItem,
    RelatedList,
    Topic,
)
from services.core.settings import KafkaSettings, TopicSettings

INGEST = IngestMeta(id="abc", received_at="2026-11-28T09:00:00.000Z")


def full_article() -> Article:
    return Article(
        id="a1",
        ingest=INGEST,
        url="https://x.example/a",
        title="T",
        published_at="2019-11-26T14:49:00Z",
        published_offset="+04:00",
        dateline=Dateline(text="BAKU, Azerbaijan, Nov. 26", place="Baku", country="AZ"),
        language="en",
        body="p1\n\np2",
        word_count=2,
        links=Links(related=[LinkItem(title="x", section="Politics", published_at="2019-11-26T14:50:00Z")]),
        extraction=Extraction(format="text", warnings=["w"]),
        topics=[Topic(code="medtop:11000000", label="politics", score=0.8)],
        countries=["AZ"],
        places=[Place(name="Baku", country="AZ")],
        dedupe=Dedupe(status="unique", fingerprint="f", story_id="a1", similarity=1.0),
    )


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ("raw_article", RawArticle(ingest=INGEST, content="x")),
        ("article", Article(id="a", ingest=INGEST, extraction=Extraction(format="html"))),
        ("article", full_article()),
        ("dlq_record", dlq_record("normalizer", ValueError("boom"), b'{"ingest": {"id": "abc"}}')),
        (
            "latest",
            LatestView(view="all", updated_at="2026-11-28T09:00:00.000Z", articles=[ArticleSummary(id="a")]),
        ),
        (
            "related",
            RelatedList(
                id="a", updated_at="2026-11-28T09:00:00.000Z", related=[RelatedItem(id="b", score=0.5)]
            ),
        ),
    ],
)
def test_messages_validate_against_their_schema(schema: str, message: object) -> None:
    schemas.validate(schema, orjson.loads(encode(message)))  # type: ignore[arg-type]


def test_schema_rejects_what_the_contract_forbids() -> None:
    bad = orjson.loads(encode(full_article()))
    bad["published_at"] = "2019-11-26 14:49"
    bad["countries"] = ["Azerbaijan"]
    found = schemas.errors("article", bad)
    assert any("published_at" in e for e in found) and any("countries" in e for e in found)


def test_every_schema_has_a_schema_version_and_draft_2020_12() -> None:
    for name in schemas.SCHEMA_NAMES:
        schema = orjson.loads((schemas.schema_dir() / f"{name}.json").read_bytes())
        assert schema["$schema"].endswith("2020-12/schema")
        assert "schema_version" in schema["required"]
    assert set(topics.SCHEMA_OF.values()) == set(schemas.SCHEMA_NAMES)


def test_dlq_record_keeps_original_bytes_and_ingest_id() -> None:
    original = b'{"schema_version":1,"ingest":{"id":"ing-7","received_at":"x"},"content":"\xff"}'
    record = dlq_record("normalizer", DecodeError("json", "bad"), original, key=b"k", partition=2, offset=9)
    assert base64.b64decode(record.original_b64) == original
    assert (record.ingest_id, record.error.type, record.partition, record.key) == ("ing-7", "json", 2, "k")


@pytest.mark.parametrize(("data", "reason"), [(b"", "empty_value"), (b"{x", "json"), (b'{"a": 1}', "schema")])
def test_decode_errors_name_their_cause(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(data, RawArticle)
    assert caught.value.reason == reason


def test_topic_specs_compact_views_and_allow_large_values() -> None:
    specs = {s.name: s for s in topics.Topics(TopicSettings(prefix="p.")).specs(KafkaSettings())}
    assert set(specs) == {f"p.{t}" for t in topics.ALL}
    assert specs["p.news.latest"].config["cleanup.policy"] == "compact"
    assert specs["p.news.related"].config["cleanup.policy"] == "compact"
    assert specs["p.news.raw"].config["cleanup.policy"] == "delete"
    assert int(specs["p.news.raw"].config["max.message.bytes"]) >= 16 * 1024 * 1024


def test_a_contract_topic_serving_as_a_changelog_keeps_its_config_with_exact_partitions() -> None:
    named = topics.Topics(TopicSettings(prefix="p.", partitions=4))
    latest = named.changelog_spec("p.news.latest", KafkaSettings())
    assert latest.exact and latest.partitions == 4
    assert latest.config["cleanup.policy"] == "compact" and "min.compaction.lag.ms" in latest.config
    own = named.changelog_spec("p.newsflow-sink-stories-changelog", KafkaSettings())
    assert own.exact and own.config == {
        "cleanup.policy": "compact",
        "max.message.bytes": str(KafkaSettings().max_message_bytes),
    }
