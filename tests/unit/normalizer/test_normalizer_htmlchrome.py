"""Chrome removal keeps the wrappers a page's text lives in (htmlchrome.py), prose divs
split at blank lines (htmlbody.py), and a published-time meta tag variant (htmlmeta.py)."""

from __future__ import annotations

from tests.unit.normalizer.normalizer_helpers import P1, P2, norm

P3 = (
    "Analysts said the resumption was a sign that both sides wanted to avoid a new escalation "
    "before the end of the year, and that more meetings were likely."
)


def _page(body: str, head: str = "") -> str:
    return f"<html><head><title>Talks to resume</title>{head}</head><body>{body}</body></html>"


def test_aspnet_form_wrapping_the_page_is_not_chrome() -> None:
    search = "<form action='/search'><p>Search the whole archive of this site by keyword here</p></form>"
    article = f"<h1>Talks to resume</h1><div class='text'><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>"
    # (forms do not nest: a search box is a sibling of the page's form)
    art = norm(_page(f"{search}<form id='aspnetForm' method='post'>{article}</form>"))
    assert art.body == "\n\n".join([P1, P2, P3])
    assert art.extraction.extractor == "newsflow-html"
    # a form without a headline or article in it is still a search/login box: dropped
    assert "Search the whole archive" not in art.body


def test_react_streaming_boundary_is_not_hidden_chrome() -> None:
    body = (
        "<main><h1>Talks to resume</h1><div id='B:1'></div></main>"
        "<div hidden><p>A hidden teaser that readers never see on the page at all.</p></div>"
        f"<div hidden id='S:1'><article><p>{P1}</p><p>{P2}</p><p>{P3}</p></article></div>"
        "<script>$RC('B:1','S:1')</script>"
    )
    art = norm(_page(body))
    assert art.body == "\n\n".join([P1, P2, P3])
    assert art.extraction.extractor == "newsflow-html"  # not the trafilatura fallback
    assert "hidden teaser" not in art.body


def test_prose_div_split_at_blank_lines() -> None:
    div = f"<div>{P1}<br><br>\n{P2}<br /><span class='ad'></span><br>{P3}<br>Still the same paragraph.</div>"
    art = norm(_page(f"<div class='LongDesc'>{div}</div>"))
    assert art.body == "\n\n".join([P1, P2, f"{P3} Still the same paragraph."])
    assert art.lead == P1


def test_published_time_meta_with_colons() -> None:
    head = (
        '<meta name="article:published:time" content="2024-10-23T15:48:15+00:00">'
        '<meta name="article:modified:time" content="2024-10-23T15:48:17+00:00">'
    )
    art = norm(_page(f"<article><p>{P1}</p><p>{P2}</p></article>", head))
    assert (art.published_at, art.published_offset) == ("2024-10-23T15:48:15Z", "+00:00")
    assert art.updated_at == "2024-10-23T15:48:17Z"
