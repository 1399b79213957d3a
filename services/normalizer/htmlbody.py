"""Where the article text is in an HTML tree, and which of its blocks are body.

1. Before anything is dropped, the publisher's related / latest link boxes are read as
   LinkItems and figure captions are noted (media, not body).
2. What is never article text is removed: scripts, nav, footers, asides, forms, and
   elements whose class/id says share/social/comment/newsletter/related/cookie/ad/...
3. "Good" paragraphs are <p> elements with prose (length, few links, not boilerplate).
   The container starts at the parent holding the most good text directly and climbs
   while each step adds at least as much good text as other text, stopping at semantic
   boundaries (<article>, <main>, itemprop=articleBody): wrappers and bodies split by ads
   are joined; menus, teaser rails and login dialogs stop the climb. Same-class siblings
   of the container (a body cut into chunks) are taken too.
4. The container's paragraphs, sub-headings, list items and quotes, in order, minus teaser
   cards and widget furniture before the first / after the last prose paragraph.
Everything is CSS selection in lexbor (C) plus a few Python passes over candidates.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from services.core.models import LinkItem

from .boilerplate import is_boilerplate
from .htmlmeta import ws
from .parts import Parts

__all__ = ["body_blocks", "collect_page_media", "paragraphs_from_fragment"]

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
_BLOCKS = "p, h2, h3, h4, h5, li, blockquote, pre, dd"
_SENTENCE_END_CHARS = frozenset('.!?…:;"”»“’)]。！？」』')
_INNER_BLOCKS = "p, div, li, blockquote, section, article, table, ul, ol"
_INNER_SET = frozenset(_INNER_BLOCKS.split(", "))
_LEAF_MARK = "data-nf-leaf"
_BLOCK_CHILD = frozenset(
    (
        "div",
        "p",
        "section",
        "article",
        "ul",
        "ol",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "figure",
        "header",
    )
)
WEAK_BODY_CHARS = 600
MAX_CANDIDATES = 5_000  # paragraphs scored per page: real articles have a few hundred
MIN_GOOD_CHARS = 40
MIN_BODY_CHARS = 200  # a container with this much good text never climbs into <body>
MAX_LINK_DENSITY = 0.35
CLIMB_RATIO = 1.0
MAX_DEPTH = 8
MAX_NODES_SCANNED = 20_000
MAX_CACHED_LABEL = 200  # longer class/id labels are rare; not worth keeping alive


def _text(node: LexborNode) -> str:
    return ws(node.text(deep=True, separator=" "))


def _link_chars(node: LexborNode) -> int:
    return sum(len(ws(a.text(deep=True))) for a in node.css("a"))


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
    for cap in root.css("figcaption")[:200]:
        text = _text(cap)
        if text and text not in parts.captions:
            parts.captions.append(text)
    figures = root.css("figure")
    parts.photo_count = max(parts.photo_count, len([f for f in figures if f.css_first("img")]))
    if root.css_first("video, iframe[src*=youtube], iframe[src*=vimeo], iframe[src*=player]"):
        parts.video = True
    for node in root.css(_DROP):
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


def _good(node: LexborNode, text: str) -> bool:
    if len(text) < MIN_GOOD_CHARS:
        return False
    return _link_chars(node) <= MAX_LINK_DENSITY * len(text) and not is_boilerplate(text)


def _container(root: LexborNode, selector: str = "p") -> list[LexborNode] | None:
    """The element holding the article's paragraphs.

    Start from the parent with the most good paragraph text among its own children (the
    article body, or one wrapper of it), then climb while each step up adds at least as
    much good text as other text: wrappers and split bodies are joined, while menus,
    teaser rails and login dialogs, which bring more chrome than prose, stop the climb.
    """
    good: dict[int, int] = {}
    direct: dict[int, int] = {}
    nodes: dict[int, LexborNode] = {}
    for p in root.css(selector)[:MAX_CANDIDATES]:
        text = _text(p)
        if not _good(p, text):
            continue
        node = p.parent
        if node is None:
            continue
        direct[node.mem_id] = direct.get(node.mem_id, 0) + len(text)
        depth = 0
        while node is not None and depth < MAX_DEPTH:
            key = node.mem_id
            good[key] = good.get(key, 0) + len(text)
            nodes[key] = node
            if node.tag in ("body", "html"):
                break
            node = node.parent
            depth += 1
    if not direct:
        return None
    best = nodes[max(direct, key=direct.__getitem__)]
    best_good = good[best.mem_id]
    best_total = len(_text(best))
    node = best.parent
    while node is not None and node.mem_id in nodes and not _boundary(best):
        if node.tag in ("body", "html") and best_good >= MIN_BODY_CHARS:
            break  # never the whole page when a real body was found
        up_good = good[node.mem_id]
        up_total = len(_text(node))
        added_good = up_good - best_good
        added_other = (up_total - up_good) - (best_total - best_good)
        worse = added_good <= 0 or added_good < CLIMB_RATIO * max(0, added_other)
        if worse and (added_good > 0 or up_total > best_total * 1.5):
            break
        best, best_good, best_total = node, up_good, up_total
        node = node.parent
    return _with_siblings(best, good)


def _boundary(node: LexborNode) -> bool:
    """Semantic article containers: the climb stops there."""
    attrs = node.attributes
    return node.tag in ("article", "main") or attrs.get("itemprop") == "articleBody"


def _with_siblings(best: LexborNode, good: dict[int, int]) -> list[LexborNode]:
    """The container plus its same-tag, same-class siblings holding good text: CMSs cut a
    body into repeated chunks (`<div class="text-description">`) between ads and embeds."""
    label = best.attributes.get("class")
    parent = best.parent
    if not label or parent is None or best.tag in ("body", "html"):
        return [best]
    out = [
        child
        for child in parent.iter()
        if child.mem_id == best.mem_id
        or (
            child.tag == best.tag and child.attributes.get("class") == label and good.get(child.mem_id, 0) > 0
        )
    ]
    return out or [best]


def _is_card_box(node: LexborNode) -> bool:
    """A small box whose heading is a link: headline + excerpt of another story."""
    linked_heading = node.css_first("h2 a, h3 a, h4 a, a h2, a h3, a h4") is not None
    return linked_heading and len(node.text(deep=True)) < 600


def _in_card(node: LexborNode, tops: set[int], nested_articles: bool, boxes: dict[int, bool]) -> bool:
    """Inside a teaser card: an <article> nested in the article, or a card box as parent
    or grandparent. `boxes` memoizes the box test per element for one block pass: sibling
    paragraphs share their parent, and the test searches the parent's whole subtree."""
    parent = node.parent
    depth = 0
    while parent is not None and parent.mem_id not in tops and depth < 6:
        if nested_articles and parent.tag == "article":
            return True
        if depth < 2:
            key = parent.mem_id
            box = boxes.get(key)
            if box is None:
                box = boxes[key] = _is_card_box(parent)
            if box:
                return True
        parent = parent.parent
        depth += 1
    return False


def _inside_article(node: LexborNode) -> bool:
    current: LexborNode | None = node
    depth = 0
    while current is not None and depth < 12:
        if current.tag == "article":
            return True
        current = current.parent
        depth += 1
    return False


def _prose(text: str) -> bool:
    """A real paragraph: long, or a sentence of some length."""
    return len(text) >= 120 or (len(text) >= MIN_GOOD_CHARS and text[-1:] in _SENTENCE_END_CHARS)


def _trim(blocks: list[str]) -> list[str]:
    """Drop widget headings and short furniture before the first and after the last
    prose paragraph ("Most read", "Top Stories", "4 minute read")."""
    flags = [_prose(b) for b in blocks]
    if not any(flags):
        return blocks
    first = flags.index(True)
    last = len(flags) - 1 - flags[::-1].index(True)
    return blocks[first : last + 1]


def _blocks(containers: list[LexborNode], title: str | None, selector: str = "") -> list[str]:
    out: list[str] = []
    nodes = [n for c in containers for n in c.css(selector or _BLOCKS)]
    tops = {c.mem_id for c in containers}
    nested = any(_inside_article(c) for c in containers)
    boxes: dict[int, bool] = {}
    for node in nodes:
        tag = node.tag
        if _in_card(node, tops, nested, boxes):
            continue
        if len(node.css(_INNER_BLOCKS)) > (1 if tag in _INNER_SET else 0):
            continue  # a wrapper of other blocks (li > p, p mis-nested around divs): take those
        if (
            tag != "p"
            and node.parent is not None
            and node.parent.tag in ("li", "blockquote")
            and tag in ("li",)
        ):
            continue
        text = _text(node)
        if not text or text == title:
            continue
        links = _link_chars(node)
        if tag in ("h2", "h3", "h4", "h5"):
            if len(text) > 200 or links > 0.5 * len(text) or is_boilerplate(text):
                continue
        elif links > (0.3 if tag == "li" else 0.5) * len(text) or is_boilerplate(text):
            continue
        if out and out[-1] == text:
            continue
        out.append(text)
    return _trim(out)


def _mark_text_divs(root: LexborNode) -> int:
    """Mark divs/spans that hold prose directly (no block children); returns how many."""
    marked = 0
    for node in root.css("div, section"):
        if marked >= 2000:
            break
        if any(child.tag in _BLOCK_CHILD for child in node.iter()):
            continue
        text = _text(node)
        if len(text) >= MIN_GOOD_CHARS:
            node.attrs[_LEAF_MARK] = "1"
            marked += 1
    return marked


def collect_page_media(root: LexborNode, parts: Parts, base: str | None) -> None:
    """Link boxes, captions and video noted, then page chrome removed (mutates the tree)."""
    _link_lists(root, parts, base)
    _drop_chrome(root, parts)


def body_blocks(root: LexborNode, title: str | None) -> list[str]:
    """The article's body blocks from a chrome-free tree (see the module docstring)."""
    container = _container(root)
    paragraphs = _blocks(container, title) if container else []
    if sum(len(p) for p in paragraphs) < WEAK_BODY_CHARS and _mark_text_divs(root):
        # pages that write paragraphs as <div>s: treat text-only divs as paragraphs
        container = _container(root, f"p, [{_LEAF_MARK}]")
        if container:
            retry = _blocks(container, title, f"{_BLOCKS}, [{_LEAF_MARK}]")
            if sum(len(p) for p in retry) > sum(len(p) for p in paragraphs):
                paragraphs = retry
    return paragraphs


def paragraphs_from_fragment(fragment: str) -> list[str]:
    """Paragraph texts of a small HTML fragment (feed item content, JSON `body` HTML)."""
    tree = LexborHTMLParser(f"<html><body>{fragment}</body></html>")
    root = tree.body
    if root is None:
        return []
    for node in root.css("script, style, noscript, iframe, form, button, svg"):
        node.decompose()
    blocks = _blocks([root], None)
    if blocks:
        return blocks
    text = root.text(deep=True, separator="\n")
    return [ws(line) for line in text.split("\n") if ws(line)]
