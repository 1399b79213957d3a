"""Shared helpers for the normalizer tests (not a conftest: the repo's conftest is not ours)."""

from __future__ import annotations

from pathlib import Path

from services.core.models import Article, IngestMeta, RawArticle
from services.normalizer import normalize

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
INGEST = IngestMeta(id="test-ingest", received_at="2026-01-01T00:00:00Z", source="test")

# two ordinary news paragraphs, for inputs built around them
P1 = (
    "Officials said on Monday that the talks would resume next week after a pause of "
    "several months, according to people familiar with the matter."
)
P2 = (
    "The two delegations are expected to discuss trade, energy and the security of shipping "
    "routes, the officials said, adding that no date had been fixed."
)


def raw(content: str, fmt: str = "auto", **kw: object) -> RawArticle:
    return RawArticle(ingest=INGEST, content=content, format=fmt, **kw)  # type: ignore[arg-type]


def norm(content: str, fmt: str = "auto", **kw: object) -> Article:
    return normalize(raw(content, fmt, **kw))
