"""Test helpers: Articles built by hand, like the normalizer would produce them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from services.core.models import Article, Dateline, Extraction, IngestMeta, LinkItem, Links

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEED_TEXT = FIXTURES / "seed-article.txt"
SEED_TITLE = "Chiefs of General Staffs of Azerbaijani, Russian Armed Forces hold meeting in Baku"


def make_article(
    title: str | None = None,
    body: str = "",
    *,
    section: str | None = None,
    dateline: Dateline | None = None,
    language: str | None = "en",
    related: list[LinkItem] | None = None,
    latest: list[LinkItem] | None = None,
    article_id: str = "test-1",
) -> Article:
    return Article(
        id=article_id,
        ingest=IngestMeta(id="ing-" + article_id, received_at="2019-11-26T14:50:00Z"),
        title=title,
        body=body,
        section=section,
        dateline=dateline,
        language=language,
        links=Links(related=related or [], latest=latest or []),
        extraction=Extraction(format="text"),
    )


def _utc(clock: str) -> str:
    """'18:50' on the seed page's day at +04:00, as the contract wants it: RFC 3339 UTC."""
    local = datetime.fromisoformat(f"2019-11-26T{clock}:00+04:00")
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _link_list(lines: list[str]) -> list[LinkItem]:
    """'Title' / 'Section HH:MM' line pairs -> LinkItems."""
    items = []
    for title, meta in zip(lines[0::2], lines[1::2], strict=False):
        m = re.match(r"(.+?)\s+(\d\d:\d\d)$", meta)
        section = m.group(1) if m else None
        items.append(LinkItem(title=title, section=section, published_at=_utc(m.group(2)) if m else None))
    return items


def seed_article() -> Article:
    """The seed page (tests/fixtures/seed-article.txt) as the normalizer would emit it.

    Body: the paragraphs from "Azerbaijani First Deputy Minister of Defense..." to
    "...NATO Military Committee in Baku." (11 paragraphs in the fixture).
    """
    text = SEED_TEXT.read_text(encoding="utf-8")
    start = text.index("Azerbaijani First Deputy Minister of Defense")
    end = text.index("NATO Military Committee in Baku.") + len("NATO Military Committee in Baku.")
    paragraphs = [p.strip() for p in text[start:end].split("\n") if p.strip()]
    tail = text[text.index("Related news") :]
    related_part, latest_part = tail.split("\nLatest\n")
    related = [ln.strip() for ln in related_part.splitlines()[1:] if ln.strip()]
    latest = [ln.strip() for ln in latest_part.splitlines() if ln.strip()]
    article = make_article(
        SEED_TITLE,
        "\n\n".join(paragraphs),
        dateline=Dateline(text="BAKU, Azerbaijan, Nov. 26"),
        related=_link_list(related),
        latest=_link_list(latest),
        article_id="seed",
    )
    return article
