"""The JSON log handler: one object per line, and library floods thinned out."""

from __future__ import annotations

import io
import logging

import orjson
import pytest

from services.core.jsonlog import JsonFormatter, RepeatFilter


def _logger(name: str, stream: io.StringIO, window_s: float = 60.0) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    handler.addFilter(RepeatFilter(window_s=window_s))
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel("INFO")
    return logger


def test_a_library_message_repeated_in_a_burst_is_logged_once() -> None:
    stream = io.StringIO()
    logger = _logger("aiokafka.test", stream)
    for _ in range(500):
        logger.error("Unable connect to node with id %s: %s", 1, "refused")
    logger.error("another message")
    lines = [orjson.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["msg"] for line in lines] == ["Unable connect to node with id 1: refused", "another message"]
    assert lines[0]["service"] == "test" and lines[0]["level"] == "error"


def test_the_next_line_after_the_window_says_how_many_were_dropped() -> None:
    stream = io.StringIO()
    logger = _logger("aiokafka.window", stream, window_s=0.0)
    logger.warning("same")
    logger.warning("same")
    assert len(stream.getvalue().splitlines()) == 2  # window 0: nothing dropped
    stream2 = io.StringIO()
    logger = _logger("aiokafka.window2", stream2, window_s=3600)
    flt = logger.handlers[0].filters[0]
    assert isinstance(flt, RepeatFilter)
    logger.warning("same")
    logger.warning("same")
    logger.warning("same")
    flt._seen[("aiokafka.window2", "same")] = (-1e9, 2)  # the window has passed
    logger.warning("same")
    lines = [orjson.loads(line) for line in stream2.getvalue().splitlines()]
    assert len(lines) == 2 and lines[1]["repeated"] == 2


def test_our_own_lines_are_never_thinned() -> None:
    stream = io.StringIO()
    logger = _logger("services.ingest.app", stream)
    for n in range(5):
        logger.warning("produce failed", extra={"ingest_id": str(n)})
    ids = [orjson.loads(line)["ingest_id"] for line in stream.getvalue().splitlines()]
    assert ids == ["0", "1", "2", "3", "4"]


def test_the_first_line_passes_however_young_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: an unseen message counted as last seen at monotonic() == 0, so on a
    machine up for less than the window the first copy of every library line was dropped."""
    monkeypatch.setattr("services.core.jsonlog.time.monotonic", lambda: 12.0)  # 12 s after boot
    stream = io.StringIO()
    logger = _logger("aiokafka.young", stream, window_s=3600)
    logger.warning("first")
    assert [orjson.loads(line)["msg"] for line in stream.getvalue().splitlines()] == ["first"]
