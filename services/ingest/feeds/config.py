"""The feeds file (`NEWSFLOW_FEEDS_FILE`): which feeds to poll, how often, under what name.

YAML or JSON; a list of `{url, interval_s?, source?, section?}` or `{"feeds": [...]}`.
Validated once at start-up, so a typo stops the service with a message naming the entry
instead of a feed silently never being polled. `source` is the publisher name put on
every item and the feed's metric label (bounded: one value per configured feed, never
the URL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class FeedConfigError(ValueError):
    """The feeds file cannot be used; the message says which entry and why."""


class FeedSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    interval_s: float | None = Field(None, gt=0)
    source: str | None = None
    section: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be an absolute http(s) URL")
        return value

    @property
    def name(self) -> str:
        """Label for logs and metrics: the configured source, else the feed's host."""
        return self.source or urlsplit(self.url).hostname or "feed"


def parse_feeds(text: str, suffix: str = ".json") -> list[FeedSpec]:
    """Feed specs from the file's text; `suffix` picks YAML (.yaml/.yml) or JSON."""
    data: Any
    try:
        if suffix.lower() in (".yaml", ".yml"):
            try:
                import yaml  # PyYAML: only needed when the operator chose YAML
            except ImportError as exc:
                raise FeedConfigError("a YAML feeds file needs PyYAML; or write it as JSON") from exc
            data = yaml.safe_load(text)
        else:
            data = orjson.loads(text)
    except FeedConfigError:
        raise
    except Exception as exc:  # yaml.YAMLError, orjson.JSONDecodeError
        raise FeedConfigError(f"feeds file is not valid {suffix.lstrip('.') or 'JSON'}: {exc}") from exc
    if isinstance(data, dict) and "feeds" in data:
        data = data["feeds"]
    if not isinstance(data, list):
        raise FeedConfigError("feeds file must hold a list of feeds (or {'feeds': [...]})")
    specs: list[FeedSpec] = []
    for index, entry in enumerate(data):
        try:
            specs.append(FeedSpec.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "entry"
            raise FeedConfigError(f"feed #{index + 1} ({where}): {first['msg']}") from exc
    urls = [s.url for s in specs]
    duplicated = sorted({u for u in urls if urls.count(u) > 1})
    if duplicated:
        raise FeedConfigError(f"feed listed twice: {', '.join(duplicated)}")
    return specs


def load_feeds(path: Path) -> list[FeedSpec]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FeedConfigError(f"cannot read feeds file {path}: {exc}") from exc
    return parse_feeds(text, path.suffix)
