"""Synthetic news.articles records for sink tests and the read benchmark.

Articles are built from a handful of themes (topic, country, people, vocabulary), so
articles of one theme share names, places and words and the related lists mean
something. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from services.core.codec import encode
from services.core.models import (
    Article,
    Dedupe,
    Extraction,
    IngestMeta,
    LinkItem,
    Links,
    Source,
    Topic,
)

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

THEMES = [
    (
        "medtop:11000000",
        "politics",
        "AZ",
        ["Ilham Aliyev", "Valery Gerasimov"],
        "summit talks minister defence",
    ),
    ("medtop:15000000", "sport", "GB", ["Harry Kane", "Arsenal"], "match goal league striker season"),
    (
        "medtop:04000000",
        "economy, business and finance",
        "DE",
        ["Bundesbank", "Joachim Nagel"],
        "inflation rates bank",
    ),
    (
        "medtop:13000000",
        "science and technology",
        "US",
        ["NASA", "SpaceX"],
        "rocket launch orbit mission crew",
    ),
    (
        "medtop:06000000",
        "environment",
        "BR",
        ["Marina Silva", "IBAMA"],
        "amazon deforestation rainforest fires",
    ),
    ("medtop:07000000", "health", "IN", ["WHO", "Mansukh Mandaviya"], "vaccine hospital outbreak patients"),
]
SOURCES = ["Trend", "Reuters", "Evening Standard", "DW"]


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def make_article(
    article_id: str,
    title: str,
    *,
    published: datetime = BASE,
    topic: tuple[str, str] | None = None,
    country: str | None = None,
    people: list[str] | None = None,
    source: str = "Trend",
    section: str | None = None,
    story_id: str | None = None,
    version: int = 1,
    body: str = "",
    related_titles: list[str] | None = None,
) -> Article:
    return Article(
        id=article_id,
        ingest=IngestMeta(id=f"ing-{article_id}-{version}", received_at=iso(published).replace("Z", ".000Z")),
        url=f"https://news.example/{article_id}",
        source=Source(name=source, domain="news.example"),
        title=title,
        published_at=iso(published),
        section=section,
        body=body,
        word_count=len(body.split()),
        links=Links(related=[LinkItem(title=t) for t in related_titles or []]),
        extraction=Extraction(format="text"),
        topics=[Topic(code=topic[0], label=topic[1], score=0.9)] if topic else [],
        countries=[country] if country else [],
        people=people or [],
        organizations=[],
        places=[],
        keywords=[],
        dedupe=Dedupe(
            status="unique" if version == 1 else "update",
            fingerprint=f"fp-{article_id}",
            story_id=story_id or article_id,
            version=version,
        ),
    )


def synthetic(n: int, seed: int = 7, start: int = 0) -> list[Article]:
    """`n` articles over the themes, one minute apart, some in shared stories."""
    rng = random.Random(seed)
    out = []
    for i in range(start, start + n):
        code, label, country, people, words = THEMES[i % len(THEMES)]
        vocab = words.split()
        story = f"story-{i % 17}" if i % 3 == 0 else None
        title = f"{label.split(',')[0].title()} report {i}: {' '.join(rng.sample(vocab, 3))}"
        body = " ".join(rng.choice(vocab) for _ in range(60))
        out.append(
            make_article(
                f"a{i:06d}",
                title,
                published=BASE + timedelta(minutes=i),
                topic=(code, label),
                country=country,
                people=rng.sample(people, 1),
                source=SOURCES[i % len(SOURCES)],
                section=label.split(",")[0],
                story_id=story,
                body=body,
            )
        )
    return out


def records(articles: list[Article]) -> list[tuple[bytes | None, bytes]]:
    """(key, value) pairs as the deduper writes them to news.articles."""
    return [(a.id.encode(), encode(a)) for a in articles]
