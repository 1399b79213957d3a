"""SSE event ids are Kafka positions: format, parse, and the frame of one record."""

import msgspec

from services.core.codec import encode
from services.sink.stream import event, format_position, parse_position, summary_event
from tests.integration.sink.articles import synthetic


def test_positions_round_trip_and_must_match_the_partition_count() -> None:
    assert parse_position(format_position([12, 0, 57]), 3) == [12, 0, 57]
    assert parse_position("12.0", 3) is None
    assert parse_position("1.x.3", 3) is None
    assert parse_position("", 1) is None


def test_article_frame_carries_the_summary_and_position() -> None:
    article = synthetic(1)[0]
    frame = summary_event(encode(article), "3.4.5")
    assert frame is not None
    lines = frame.decode().split("\n")
    assert lines[0] == "event: article" and lines[1] == "id: 3.4.5" and frame.endswith(b"\n\n")
    assert msgspec.json.decode(lines[2].removeprefix("data: "))["id"] == article.id
    assert summary_event(b"not json", "1") is None
    assert event("ready", "0", b"{}") == b"event: ready\nid: 0\ndata: {}\n\n"
