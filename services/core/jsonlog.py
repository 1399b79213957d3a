"""Structured logs: one JSON object per line on stderr.

Log shippers (Loki, Vector, Fluent Bit) parse these without regexes. Every record has
`ts`, `level`, `logger`, `msg`, `service`; `extra={...}` fields are merged in.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from datetime import UTC, datetime
from typing import Any

import orjson

_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "service": self.service,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class RepeatFilter(logging.Filter):
    """Let the same library message from the same logger through once per `window_s`.

    Why: while the broker is away aiokafka logs "Unable connect to node" about a
    thousand times a second per client; that buries the useful lines and burns the
    CPU the broker needs to come back. The next line that passes says how many
    copies were dropped (`repeated`).
    """

    def __init__(self, window_s: float = 5.0, max_keys: int = 1024) -> None:
        super().__init__()
        self.window_s = window_s
        self.max_keys = max_keys
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("services."):
            return True  # our own lines carry distinct fields (ids, stages): keep them all
        key = (record.name, str(record.msg))
        now = time.monotonic()
        last, dropped = self._seen.get(key, (-math.inf, 0))  # monotonic() may start near 0 at boot
        if now - last < self.window_s:
            self._seen[key] = (last, dropped + 1)
            return False
        if len(self._seen) >= self.max_keys:
            self._seen.clear()
        self._seen[key] = (now, 0)
        if dropped:
            record.repeated = dropped
        return True


def json_handler(service: str, level: str | int = "INFO") -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    handler.setLevel(level)
    handler.addFilter(RepeatFilter())
    return handler


def setup(service: str, level: str = "INFO") -> None:
    """Route all logging (ours, aiohttp's, faust's, aiokafka's) through one JSON handler."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(json_handler(service, level))
    root.setLevel(level)
