"""Page chrome in an HTML tree: read what is worth keeping from it, then remove it.

Runs before the body search (htmlbody.py), on the whole <body>:
1. Before anything is dropped, the publisher's related / latest link boxes are read as
   LinkItems, and figure captions, photos and video players are noted (media, not body).
2. What is never article text is removed: scripts, nav, footers, asides, forms, and
   elements whose class/id says share/social/comment/newsletter/related/cookie/ad/...
   Two wrappers that match those rules hold the page itself and stay: the <form> of an
   ASP.NET page and React's hidden streaming boundaries.
Each css() call is one walk of the whole tree in lexbor (~0.2 ms on a news page), so the
walks are few and shared; the Python passes only look at the matches.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin

from selectolax.lexbor import LexborNode

from services.core.models import LinkItem

from .htmlmeta import node_text, ws
from .parts import Parts

__all__ = ["collect_page_media"]

_DROP = (
    "script, style, noscript, template, svg, iframe, form, button, nav, footer, aside, select,"
    " textarea, input, dialog, object, embed, canvas, video, audio, picture, figure, header"
    " [class*=byline], [hidden], [aria-hidden=true]"
)
# class/id words of page furniture; labels are split on space, `_` and `-` and looked up
# in a set (a word-boundary regex over every element's label cost ~5 ms per page)
_NEGATIVE_WORDS = frozenset(
    (
        "share",
        "sharing",
        "social",
        "comment",
        "comments",
        "newsletter",
        "related",
        "recommend",
        "recommended",
        "cookie",
        "consent",
        "promo",
        "advert",
        "advertisement",
        "ad",
        "ads",
        "sponsor",
        "sponsored",
        "sidebar",
        "breadcrumb",
        "breadcrumbs",
        "footer",
        "navigation",
        "nav",
        "navbar",
        "menu",
        "subscribe",
        "signup",
        "popup",
        "modal",
        "outbrain",
        "taboola",
        "readmore",
        "tag",
        "tags",
        "keywords",
        "caption",
        "credit",
        "credits",
        "toolbar",
        "banner",
    )
)
_NEGATIVE_PHRASES = ("read-more", "more-stories", "author-bio", "teaser-list", "paywall-prompt")
_MEDIA = "figcaption, figure, video, iframe[src*=youtube], iframe[src*=vimeo], iframe[src*=player]"
_PAGE_CONTENT = "h1, article, main, [itemprop=articleBody]"
_REACT_BOUNDARY = re.compile(r"S:[0-9a-z]+")
MAX_NODES_SCANNED = 20_000
MAX_CACHED_LABEL = 200  # longer class/id labels are rare; not worth keeping alive
# The costliest walk of the page (~0.9 ms: lexbor tries all 14 substring tests on every
# element). Filtering the `[class], [id]` elements in Python instead costs more (~1 µs
# per element to read its attributes), and the words are in most pages' raw HTML anyway.
_LIST_SELECTOR = ", ".join(
    f'[{attr}*="{word}" i]'
    for word in ("related", "recommend", "latest", "popular", "most-read", "mostread", "trending")
    for attr in ("class", "id")
)
_LATEST_WORDS = ("latest", "popular", "most-read", "mostread", "trending")
MAX_LINKS = 20
_CARD_TITLE = "h2, h3, h4, h5, [class*=title i], [class*=headline i]"


def _link_lists(root: LexborNode, parts: Parts, base: str | None) -> None:
    """The publisher's related / latest-or-popular link boxes as LinkItems (url + title)."""
    seen: set[str] = set()
    for box in root.css(_LIST_SELECTOR)[:40]:
        attrs = box.attrs
        label = f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()
        target = parts.latest if any(w in label for w in _LATEST_WORDS) else parts.related
        for a in box.css("a[href]")[:60]:
            head = a.css_first(_CARD_TITLE)  # a whole card is often the link: its headline
            title = ws((head or a).text(deep=True, separator=" "))
            href = a.attrs.get("href") or ""
            if not 15 <= len(title) <= 250 or title.count(" ") < 2 or href.startswith(("#", "javascript:")):
                continue
            url = urljoin(base, href) if base else href
            if url in seen or len(target) >= MAX_LINKS:
                continue
            seen.add(url)
            target.append(LinkItem(title=title, url=url))


def _drop_chrome(root: LexborNode, parts: Parts) -> None:
    # captions, figures and players from one walk of the tree (each css() call is one),
    # split by tag; the selector's matches come in document order
    media = root.css(_MEDIA)
    for cap in [n for n in media if n.tag == "figcaption"][:200]:
        text = node_text(cap)
        if text and text not in parts.captions:
            parts.captions.append(text)
    figures = [n for n in media if n.tag == "figure"]
    parts.photo_count = max(parts.photo_count, len([f for f in figures if f.css_first("img")]))
    if any(n.tag in ("video", "iframe") for n in media):
        parts.video = True
    for node in root.css(_DROP):
        if _is_chrome_element(node):
            node.decompose()
    doomed = []
    for node in root.css("[class], [id]")[:MAX_NODES_SCANNED]:
        attrs = node.attributes  # one dict: cheaper than two lookups through node.attrs
        label = f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()
        if _negative(label) and node.tag not in ("html", "body", "main", "article"):
            doomed.append(node)
    for node in doomed:
        if len(node.css("p")) < 4:
            node.decompose()


def _is_chrome_element(node: LexborNode) -> bool:
    """Whether a `_DROP` match is chrome, not a wrapper the page's text lives in.

    ASP.NET WebForms pages wrap the whole page in one <form>: a form holding a headline
    or an article is that wrapper, not a search or login box. React's streaming render
    sends late content in `<div hidden id="S:…">`, which a script moves into place: the
    text readers see, hidden only until the page's scripts run."""
    tag = node.tag
    if tag == "form":
        return node.css_first(_PAGE_CONTENT) is None
    if tag == "div":
        attrs = node.attributes
        return not ("hidden" in attrs and _REACT_BOUNDARY.fullmatch(attrs.get("id") or ""))
    return True


def _negative(label: str) -> bool:
    """Whether a lower-cased `class id` label names page furniture.

    Asked for every element with a class or id (~300 per page); most labels repeat within
    a page and across a publisher's pages, so short ones are memoized."""
    if len(label) <= MAX_CACHED_LABEL:
        return _negative_cached(label)
    return _is_negative_label(label)


def _is_negative_label(label: str) -> bool:
    # the tokens of re.split(r"[\s_-]+") without the regex: str.split() splits on exactly
    # the whitespace `\s` matches, and drops the empty edge tokens (no furniture word)
    words = label.replace("_", " ").replace("-", " ").split()
    if not _NEGATIVE_WORDS.isdisjoint(words):
        return True
    return "-" in label and any(k in label for k in _NEGATIVE_PHRASES)


_negative_cached = lru_cache(maxsize=16_384)(_is_negative_label)


def collect_page_media(root: LexborNode, parts: Parts, base: str | None) -> None:
    """Link boxes, captions and video noted, then page chrome removed (mutates the tree)."""
    _link_lists(root, parts, base)
    _drop_chrome(root, parts)
