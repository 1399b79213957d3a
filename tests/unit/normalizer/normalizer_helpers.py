"""Shared helpers for the normalizer tests (not a conftest: the repo's conftest is not ours)."""

from __future__ import annotations

from pathlib import Path

from services.core.models import Article, IngestMeta, RawArticle
from services.normalizer import normalize

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
INGEST = IngestMeta(id="test-ingest", received_at="2026-01-01T00:00:00Z", source="test")


def raw(content: str, fmt: str = "auto", **kw: object) -> RawArticle:
    return RawArticle(ingest=INGEST, content=content, format=fmt, **kw)  # type: ignore[arg-type]


def norm(content: str, fmt: str = "auto", **kw: object) -> Article:
    return normalize(raw(content, fmt, **kw))
