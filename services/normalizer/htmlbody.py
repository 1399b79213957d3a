"""Where the article text is in an HTML tree, and which of its blocks are body.

The tree arrives without its chrome (htmlchrome.py removed it). Then:
1. "Good" paragraphs are <p> elements with prose (length, few links, not boilerplate).
   The container starts at the parent holding the most good text directly and climbs
   while each step adds at least as much good text as other text, stopping at semantic
   boundaries (<article>, <main>, itemprop=articleBody): wrappers and bodies split by ads
   are joined; menus, teaser rails and login dialogs stop the climb. Same-class siblings
   of the container (a body cut into chunks) are taken too.
2. The container's paragraphs, sub-headings, list items and quotes, in order, minus teaser
   cards and widget furniture before the first / after the last prose paragraph.
Everything is CSS selection in lexbor (C) plus a few Python passes over candidates.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .boilerplate import is_boilerplate
from .htmlmeta import node_text, ws

__all__ = ["body_blocks", "paragraphs_from_fragment"]

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


def _link_chars(node: LexborNode) -> int:
    return sum(len(ws(a.text(deep=True))) for a in node.css("a"))


class _Texts:
    """node_text and _link_chars per element, each computed once in a body pass: the
    container search and the block pass read the same paragraphs (the tree does not
    change in between). Keyed by mem_id, the element's address, stable while it lives."""

    __slots__ = ("_links", "_texts")

    def __init__(self) -> None:
        self._texts: dict[int, str] = {}
        self._links: dict[int, int] = {}

    def text(self, node: LexborNode) -> str:
        key = node.mem_id
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = node_text(node)
        return text

    def link_chars(self, node: LexborNode) -> int:
        key = node.mem_id
        chars = self._links.get(key)
        if chars is None:
            chars = self._links[key] = _link_chars(node)
        return chars


def _good(node: LexborNode, text: str, texts: _Texts) -> bool:
    if len(text) < MIN_GOOD_CHARS:
        return False
    return texts.link_chars(node) <= MAX_LINK_DENSITY * len(text) and not is_boilerplate(text)


def _container(root: LexborNode, texts: _Texts, selector: str = "p") -> list[LexborNode] | None:
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
        text = texts.text(p)
        if not _good(p, text, texts):
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
    best_total = len(texts.text(best))
    node = best.parent
    while node is not None and node.mem_id in nodes and not _boundary(best):
        if node.tag in ("body", "html") and best_good >= MIN_BODY_CHARS:
            break  # never the whole page when a real body was found
        up_good = good[node.mem_id]
        up_total = len(texts.text(node))
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


def _blocks(
    containers: list[LexborNode], title: str | None, selector: str = "", texts: _Texts | None = None
) -> list[str]:
    if texts is None:
        texts = _Texts()
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
        text = texts.text(node)
        if not text or text == title:
            continue
        links = texts.link_chars(node)
        if tag in ("h2", "h3", "h4", "h5"):
            if len(text) > 200 or links > 0.5 * len(text) or is_boilerplate(text):
                continue
        elif links > (0.3 if tag == "li" else 0.5) * len(text) or is_boilerplate(text):
            continue
        pieces = _split_at_blank_lines(node) if tag in ("div", "section") else (text,)
        for piece in pieces:
            if not (out and out[-1] == piece):
                out.append(piece)
    return _trim(out)


def _split_at_blank_lines(node: LexborNode) -> list[str]:
    """A prose <div>'s text cut where the page leaves a blank line (`<br><br>`, maybe
    with empty ad slots between): CMSs that write the whole body as one div of
    br-separated paragraphs. One piece, the div's whole text, when there is no such line."""
    if node.css_first("br") is None:
        return [node_text(node)]
    pieces: list[str] = []
    current: list[str] = []
    breaks = 0
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "br":
            breaks += 1
            continue
        text = child.text(deep=True, separator=" ") if tag != "-comment" else ""
        if not text or text.isspace():
            continue
        if breaks >= 2 and current:
            pieces.append(ws(" ".join(current)))
            current = []
        current.append(text)
        breaks = 0
    if current:
        pieces.append(ws(" ".join(current)))
    return pieces if len(pieces) > 1 else [node_text(node)]


def _mark_text_divs(root: LexborNode, texts: _Texts) -> int:
    """Mark divs/spans that hold prose directly (no block children); returns how many."""
    marked = 0
    for node in root.css("div, section"):
        if marked >= 2000:
            break
        if any(child.tag in _BLOCK_CHILD for child in node.iter()):
            continue
        text = texts.text(node)
        if len(text) >= MIN_GOOD_CHARS:
            node.attrs[_LEAF_MARK] = "1"
            marked += 1
    return marked


def body_blocks(root: LexborNode, title: str | None) -> list[str]:
    """The article's body blocks from a chrome-free tree (see the module docstring)."""
    texts = _Texts()  # marking divs below sets an attribute: the texts stay valid
    container = _container(root, texts)
    paragraphs = _blocks(container, title, texts=texts) if container else []
    if sum(len(p) for p in paragraphs) < WEAK_BODY_CHARS and _mark_text_divs(root, texts):
        # pages that write paragraphs as <div>s: treat text-only divs as paragraphs
        container = _container(root, texts, f"p, [{_LEAF_MARK}]")
        if container:
            retry = _blocks(container, title, f"{_BLOCKS}, [{_LEAF_MARK}]", texts)
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
