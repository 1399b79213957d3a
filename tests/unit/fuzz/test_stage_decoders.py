"""Fuzz every stage's decoder: random bytes, invalid UTF-8, wrong JSON types.

The only acceptable outcomes are a valid output or a DLQ record with a reason; the
handler wrapper (run_handler) must never raise.
"""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.core import schemas
from services.core.codec import decode
from services.core.exceptions import DecodeError
from services.core.models import Article, RawArticle
from services.core.settings import NormalizerSettings, TopicSettings
from services.core.streaming.stage import run_handler
from services.core.topics import Topics
from services.normalizer.app import make_handler

TOPICS = Topics(TopicSettings())
NORMALIZE = make_handler(NormalizerSettings(), TOPICS)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
raw_like = st.fixed_dictionaries(
    {"schema_version": st.just(1), "ingest": st.just({"id": "x", "received_at": "2026-01-01T00:00:00Z"})},
    optional={
        "content": json_values,
        "format": st.sampled_from(["auto", "html", "text", "feed", "json", "x", 3]),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000) | json_values.map(orjson.dumps) | raw_like.map(orjson.dumps))
def test_codec_decode_raises_only_decode_errors(data: bytes) -> None:
    for cls in (RawArticle, Article):
        try:
            decode(data, cls)
        except DecodeError as exc:
            assert exc.reason in {"empty_value", "json", "schema"}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.binary(max_size=3000)
    | raw_like.map(orjson.dumps)
    | st.text(max_size=3000).map(
        lambda t: orjson.dumps(
            {"schema_version": 1, "ingest": {"id": "f", "received_at": "2026-01-01T00:00:00Z"}, "content": t}
        )
    )
)
def test_normalizer_stage_gives_an_article_or_a_dlq_record(data: bytes) -> None:
    outputs = run_handler("normalizer", NORMALIZE, TOPICS.dlq, b"k", data)
    assert len(outputs) == 1
    out = outputs[0]
    assert out.topic in (TOPICS.normalized, TOPICS.dlq)
    schemas.validate(
        "article" if out.topic == TOPICS.normalized else "dlq_record", orjson.loads(out.value or b"")
    )
