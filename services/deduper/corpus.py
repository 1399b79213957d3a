"""Labelled evaluation stream for the deduper, built from Reuters-21578.

Reuters bodies are real news text with their own exact duplicates. Around them this
module makes what the deduper must survive and what it must not be fooled by:

- near-duplicate variants of a base article, each a new URL on another (fictional but
  real-looking) site, so each in other page chrome (nav menus, share lines, cookie
  notice, related-links block, footer): `chrome` (the same text), `truncated` (syndicated
  and cut short: the first 40-80 % of the text), `reflow` (re-wrapped lines, merged or
  split paragraphs), `house_style` (curly quotes, "pct" / "per cent" / "%", "U.S." /
  "US", thousands separators), and `combined` (all of these at once);
- `reingest`: the base URL scraped again in new chrome; `update`: the base URL with
  changed content;
- hard negatives: `same_chrome`, held-out articles that only ever appear inside one
  site's identical heavy chrome (which holds as many words as a short article), and
  every base article next to its same-topic neighbours (Reuters is full of formulaic
  earnings and trade reports).

Each item says what the verdict should be; pages are HTML or text dumps for the real
normalizer, and `body` is the text itself for runs without it. Deterministic: item i is
generated from its own seeded RNG, whatever the limit.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.deduper.exceptions import CorpusError

VARIANT_KINDS = ("chrome", "truncated", "reflow", "house_style", "combined")
UNCUT_KINDS = ("chrome", "reflow", "house_style")
MIN_CUT_WORDS = 25  # a syndicated cut keeps paragraphs, not a few words
MIN_CUT_SOURCE = 60  # bases shorter than this are not cut
_SITES = (
    ("Daily Market Wire", "dailymarketwire.example"),
    ("The Global Ledger", "globalledger.example"),
    ("Northern Courier", "northerncourier.example"),
    ("Metro Business Post", "metrobusinesspost.example"),
    ("Pacific Times Online", "pacifictimes.example"),
    ("Capital Observer", "capitalobserver.example"),
)
_NAVS = (
    "Home World Business Markets Politics Technology Opinion Sport Video Podcasts",
    "News UK US Europe Asia Economy Climate Culture Travel",
    "Latest Markets Companies Commodities Currencies Energy Lifestyle",
)
_COOKIE = (
    "We use cookies and similar technologies to give you the best online experience, to "
    "analyse our traffic and to personalise content and advertising. By continuing to use "
    "this site you agree to our use of cookies. You can change your cookie settings at any "
    "time in our privacy policy, where you will also find details of our partners."
)
_NEWSLETTER = (
    "Sign up for our morning briefing: the day's top stories from around the world, "
    "markets data and analysis from our correspondents, delivered to your inbox every weekday."
)
_SHARE = ("Share this article", "Share on Facebook | Share on Twitter | Email", "Share:")
_FOOTER = "About us | Contact | Careers | Advertise | Terms of use | Privacy policy"


@dataclass(frozen=True, slots=True)
class Base:
    index: int
    id: str
    title: str
    paragraphs: list[str]
    time: datetime
    topics: list[str]
    places: list[str]
    organizations: list[str]
    people: list[str]


@dataclass(slots=True)
class Item:
    """One article of the stream with its label."""

    kind: str  # base, exact, chrome..combined, reingest, update, same_chrome
    base: int  # index of the Reuters article whose text it carries
    id: str
    url: str
    site: str
    title: str
    body: str  # the text itself (what a perfect normalizer would return)
    time: datetime
    page: str = ""  # what the normalizer gets
    format: str = "text"
    meta: dict[str, list[str]] = field(default_factory=dict)


def load_reuters(corpus_dir: Path, limit: int | None = None) -> list[Base]:
    files = sorted((corpus_dir / "reuters21578" / "json-data").glob("*.json"))
    if not files:
        raise CorpusError(f"no Reuters JSON under {corpus_dir}/reuters21578/json-data")
    bases: list[Base] = []
    for path in files:
        for record in json.loads(path.read_text(encoding="utf-8", errors="replace")):
            paragraphs = _paragraphs(record.get("body") or "")
            when = _when(record.get("date") or "")
            if not paragraphs or when is None:
                continue
            index = len(bases)
            bases.append(
                Base(
                    index=index,
                    id=f"reuters-{record['attrs'].get('newid', index)}",
                    title=html.unescape(record.get("title") or "").strip().title(),
                    paragraphs=paragraphs,
                    time=when,
                    topics=record.get("topics") or [],
                    places=record.get("places") or [],
                    organizations=record.get("orgs") or [],
                    people=record.get("people") or [],
                )
            )
            if limit is not None and len(bases) >= limit:
                return bases
    return bases


def _paragraphs(body: str) -> list[str]:
    body = html.unescape(body).replace("\x03", "").replace("\r", "")
    paras = (" ".join(p.split()) for p in re.split(r"\n {2,}|\n\s*\n", body))
    return [p for p in paras if p]


def _when(text: str) -> datetime | None:
    try:  # "26-FEB-1987 15:01:01.79", "5-MAR-1987 09:26:47.53"
        stamp = text.strip().split(".")[0]
        return datetime.strptime(stamp, "%d-%b-%Y %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def url_id(url: str) -> str:
    """Ids the way the contract makes them: stable, derived from the canonical URL."""
    return hashlib.blake2b(url.encode(), digest_size=12).hexdigest()


def _slug(title: str, index: int) -> str:
    return (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "story") + f"-{index}"


def build_stream(bases: list[Base]) -> list[Item]:
    """All items in arrival order (by time; variants arrive minutes to days later)."""
    titles = [b.title for b in bases if b.title]
    teasers = [b.paragraphs[0] for b in bases if len(b.paragraphs[0].split()) > 12][:50]
    heavy = _heavy_chrome(titles[:8], teasers[:6])
    items: list[Item] = []
    for base in bases:
        rng = random.Random(base.index)
        if base.index % 10 == 9:
            items.append(_same_chrome(base, heavy))
            continue
        url = f"https://wire.example/{_slug(base.title, base.index)}"
        item = Item(
            "base",
            base.index,
            url_id(url),
            url,
            "Wire",
            base.title,
            "\n\n".join(base.paragraphs),
            base.time,
            meta=_meta(base),
        )
        item.page, item.format = _page(item, base.paragraphs, rng, titles), "html"
        items.append(item)
        words = sum(len(p.split()) for p in base.paragraphs)
        if base.index % 3 == 0 and words >= 40:
            kind = rng.choice(VARIANT_KINDS if words >= MIN_CUT_SOURCE else UNCUT_KINDS)
            items.append(_variant(kind, base, rng, titles))
        if base.index % 9 == 1 and words >= 40:
            again = rng.choice(("reingest", "update"))
            items.append(_identity(again, base, url, rng, titles))
    items.sort(key=lambda item: item.time)
    return items


def _meta(base: Base) -> dict[str, list[str]]:
    return {
        "places": base.places,
        "organizations": base.organizations,
        "people": base.people,
        "topics": base.topics,
    }


def _variant(kind: str, base: Base, rng: random.Random, titles: list[str]) -> Item:
    paragraphs = list(base.paragraphs)
    if kind in ("truncated", "combined"):
        paragraphs = _truncate(paragraphs, rng)
    if kind in ("house_style", "combined"):
        paragraphs = [_house_style(p, rng) for p in paragraphs]
    site, domain = rng.choice(_SITES)
    url = f"https://{domain}/{rng.choice(('news', 'markets', 'world'))}/{_slug(base.title, base.index)}"
    body = _reflow(paragraphs, rng) if kind in ("reflow", "combined") else "\n\n".join(paragraphs)
    when = base.time + timedelta(minutes=rng.randint(5, 3 * 24 * 60))
    item = Item(kind, base.index, url_id(url), url, site, base.title, body, when, meta=_meta(base))
    if kind == "reflow":  # line breaks only matter in a text dump
        item.page = f"{base.title}\n\n{body}\n"
    else:
        item.page, item.format = _page(item, paragraphs, rng, titles), "html"
    return item


def _identity(kind: str, base: Base, url: str, rng: random.Random, titles: list[str]) -> Item:
    paragraphs = list(base.paragraphs)
    if kind == "update":
        paragraphs.insert(
            min(1, len(paragraphs)),
            rng.choice(
                (
                    "The company later confirmed the figures in a statement and said it expected "
                    "further details to be published next week.",
                    "Officials declined to comment on the report when contacted on Friday, citing "
                    "continuing negotiations with the parties involved.",
                )
            ),
        )
    when = base.time + timedelta(minutes=rng.randint(30, 2 * 24 * 60))
    item = Item(
        kind,
        base.index,
        url_id(url),
        url,
        "Wire",
        base.title,
        "\n\n".join(paragraphs),
        when,
        meta=_meta(base),
    )
    item.page, item.format = _page(item, paragraphs, rng, titles), "html"
    return item


def _same_chrome(base: Base, heavy: dict[str, str]) -> Item:
    url = f"https://heavychrome.example/story/{_slug(base.title, base.index)}"
    body = "\n\n".join(base.paragraphs)
    item = Item(
        "same_chrome",
        base.index,
        url_id(url),
        url,
        "Heavy Chrome Daily",
        base.title,
        body,
        base.time,
        meta=_meta(base),
    )
    inner = "".join(f"<p>{html.escape(p)}</p>" for p in base.paragraphs)
    item.page, item.format = (
        heavy["page"]
        .replace("@@TITLE@@", html.escape(base.title))
        .replace("@@URL@@", url)
        .replace("@@BODY@@", inner),
        "html",
    )
    return item


def _truncate(paragraphs: list[str], rng: random.Random) -> list[str]:
    """The first 40-80 % of the words (at least `MIN_CUT_WORDS`), cut at a paragraph or,
    for texts of few paragraphs, at a sentence boundary; never the whole text."""
    total = sum(len(p.split()) for p in paragraphs)
    goal = max(total * rng.uniform(0.4, 0.8), MIN_CUT_WORDS)
    sentences = [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", p)]
    units = paragraphs if len(paragraphs) >= 4 else sentences
    kept: list[str] = []
    count = 0
    for unit in units[:-1]:  # the last unit always goes: a cut, not the same text
        kept.append(unit)
        count += len(unit.split())
        if count >= goal:
            break
    return kept if units is paragraphs else [" ".join(kept)]


def _house_style(text: str, rng: random.Random) -> str:
    text = re.sub(r'"([^"]*)"', "“\\1”", text)
    text = re.sub(r"(?<=\w)'(?=\w)", "’", text)
    text = re.sub(r"\bpct\b", rng.choice(("per cent", "percent", "%")), text)
    text = text.replace("U.S.", "US").replace(" -- ", " — ")
    return re.sub(r"\b(\d{1,3})(\d{3})\b", r"\1,\2", text) if rng.random() < 0.5 else text


def _reflow(paragraphs: list[str], rng: random.Random) -> str:
    width = rng.randint(45, 90)
    wrapped = ["\n".join(textwrap.wrap(p, width)) for p in paragraphs]
    if len(wrapped) > 2 and rng.random() < 0.5:  # two paragraphs run together
        wrapped[0:2] = [wrapped[0] + "\n" + wrapped[1]]
    return "\n\n".join(wrapped)


def _chrome_parts(rng: random.Random, titles: list[str]) -> dict[str, str]:
    nav = rng.choice(_NAVS).split()
    related = rng.sample(titles, min(6, len(titles)))
    return {
        "nav": "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in nav),
        "related": "".join(f'<li><a href="/s/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(related)),
        "share": rng.choice(_SHARE),
    }


def _page(item: Item, paragraphs: list[str], rng: random.Random, titles: list[str]) -> str:
    parts = _chrome_parts(rng, titles)
    inner = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    cookie = f'<div class="cookie-notice"><p>{_COOKIE}</p></div>' if rng.random() < 0.7 else ""
    return (
        f"<!doctype html><html><head><title>{html.escape(item.title)} | {item.site}</title>"
        f'<link rel="canonical" href="{item.url}"><meta property="og:site_name" '
        f'content="{item.site}"><meta property="article:published_time" '
        f'content="{item.time.isoformat()}"></head><body><header><nav><ul>{parts["nav"]}'
        f"</ul></nav></header>{cookie}<main><article><h1>{html.escape(item.title)}</h1>"
        f'<div class="share">{parts["share"]}</div><div class="article-body">{inner}</div>'
        f'<aside class="related"><h2>Related stories</h2><ul>{parts["related"]}</ul></aside>'
        f"</article></main><footer><p>{_FOOTER}</p><p>© 2024 {item.site}. All rights "
        "reserved.</p></footer></body></html>"
    )


def _heavy_chrome(titles: list[str], teasers: list[str]) -> dict[str, str]:
    """One site's page furniture, identical on every page and as long as a short story."""
    nav = "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in _NAVS[0].split())
    related = "".join(f'<li><a href="/r/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(titles))
    most = "".join(
        f"<li><h3>{html.escape(t)}</h3><p>{html.escape(x)}</p></li>"
        for t, x in zip(titles[::-1], teasers, strict=False)
    )
    page = (
        "<!doctype html><html><head><title>@@TITLE@@ | Heavy Chrome Daily</title>"
        '<link rel="canonical" href="@@URL@@"></head><body><header><nav><ul>'
        f'{nav}</ul></nav></header><div class="cookie-notice"><p>{_COOKIE}</p></div>'
        f'<main><article><h1>@@TITLE@@</h1><div class="share">{_SHARE[1]}</div>'
        '<div class="article-body">@@BODY@@</div>'
        f'<div class="newsletter"><p>{_NEWSLETTER}</p></div>'
        f'<aside class="related"><h2>Related stories</h2><ul>{related}</ul></aside>'
        f'<aside class="most-read"><h2>Most read</h2><ol>{most}</ol></aside></article></main>'
        f"<footer><p>{_FOOTER}</p><p>© 2024 Heavy Chrome Daily. All rights reserved.</p>"
        "</footer></body></html>"
    )
    return {"page": page}


def iter_pairs_same_topic(bases: list[Base], limit: int, seed: int = 7) -> Iterator[tuple[Base, Base]]:
    """Random pairs of different articles sharing a Reuters topic (hard negatives)."""
    by_topic: dict[str, list[Base]] = {}
    for base in bases:
        for topic in base.topics[:1]:
            by_topic.setdefault(topic, []).append(base)
    groups = [g for g in by_topic.values() if len(g) > 1]
    rng = random.Random(seed)
    for _ in range(limit if groups else 0):
        group = rng.choice(groups)
        a, b = rng.sample(group, 2)
        yield a, b
