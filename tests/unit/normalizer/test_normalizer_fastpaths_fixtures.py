"""Fast paths that share work, checked against the plain form on the real fixture pages
(fundus, 14 publishers, 12 languages) and the seed article."""

from __future__ import annotations

import gzip
import json

import pytest
from selectolax.lexbor import LexborHTMLParser

from services.normalizer.evaluate import decode_html
from services.normalizer.htmlbody import WEAK_BODY_CHARS, _blocks, _container, _Texts, body_blocks
from services.normalizer.htmlchrome import _MEDIA, collect_page_media
from services.normalizer.htmlmeta import _META_ELEMENTS, node_text
from services.normalizer.parts import Parts
from tests.unit.normalizer.normalizer_helpers import FIXTURES

FUNDUS = FIXTURES / "normalizer" / "fundus"
PAGES = sorted(json.loads((FUNDUS / "expected.json").read_text("utf-8")))


def _tree(name: str) -> LexborHTMLParser:
    return LexborHTMLParser(decode_html(gzip.decompress((FUNDUS / name).read_bytes())))


def _ids(nodes: list) -> list[int]:  # type: ignore[type-arg]
    return [n.mem_id for n in nodes]


@pytest.mark.parametrize("name", PAGES)
def test_one_walk_split_by_tag_equals_one_walk_per_selector(name: str) -> None:
    tree = _tree(name)
    found = tree.css(_META_ELEMENTS)
    for tag, selector in (
        ("script", 'script[type="application/ld+json"]'),
        ("meta", "meta[content]"),
        ("h1", "h1"),
    ):
        assert _ids([n for n in found if n.tag == tag]) == _ids(tree.css(selector)), selector
    root = tree.body
    assert root is not None
    media = root.css(_MEDIA)
    for tag in ("figcaption", "figure"):
        assert _ids([n for n in media if n.tag == tag]) == _ids(root.css(tag)), tag
    players = "video, iframe[src*=youtube], iframe[src*=vimeo], iframe[src*=player]"
    assert any(n.tag in ("video", "iframe") for n in media) == (root.css_first(players) is not None)


@pytest.mark.parametrize("name", PAGES)
def test_shared_texts_equal_fresh_ones(name: str) -> None:
    root = _tree(name).body
    assert root is not None
    collect_page_media(root, Parts(format="html", extractor="test"), None)
    texts = _Texts()
    container = _container(root, texts)
    if container is None:
        pytest.skip("this page's body comes from its JSON-LD articleBody")
    shared = _blocks(container, None, texts=texts)  # texts filled by _container
    assert shared == _blocks(container, None)  # a fresh _Texts: every text computed anew
    if sum(map(len, shared)) >= WEAK_BODY_CHARS:  # else body_blocks retries with div paragraphs
        assert shared == body_blocks(root, None)
    for node in root.css("p")[:50]:
        assert texts.text(node) == node_text(node)
