"""Hostile and broken input: a normalized article with warnings, or a NormalizerError with
a clear reason; never another exception, never a hang."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.core.models import Article
from services.normalizer import EmptyInput, NormalizerError, NotAnArticle, UndecodableInput
from services.normalizer.pipeline import normalize
from tests.unit.normalizer.normalizer_helpers import raw

PARA = (
    "The committee met on Tuesday to discuss the budget for the coming year, and members "
    "agreed that spending on schools and hospitals should rise by several percent. "
)


def _ok_or_normalizer_error(content: str, fmt: str = "auto") -> Article | None:
    try:
        return normalize(raw(content, fmt))
    except NormalizerError as exc:
        assert exc.reason and " " not in exc.reason
        return None


@pytest.mark.parametrize("content", ["", "   \n\t  ", "\n\n\n"])
def test_empty_input(content: str) -> None:
    with pytest.raises(EmptyInput) as info:
        normalize(raw(content))
    assert info.value.reason == "empty_input"


def test_binary_garbage_is_undecodable() -> None:
    garbage = bytes(range(256)).decode("latin-1") * 40
    with pytest.raises(UndecodableInput) as info:
        normalize(raw(garbage))
    assert info.value.reason == "undecodable_input"
    assert "binary" in str(info.value)


def test_markup_without_text_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle):
        normalize(raw("<html><head><script>var x=1;</script></head><body><div></div></body></html>"))


def test_json_without_text_fields() -> None:
    with pytest.raises(NotAnArticle):
        normalize(raw('{"foo": 1, "bar": [1, 2]}'))


def test_huge_page_is_truncated_quickly() -> None:
    count = 20_000_000 // (len(PARA) + 40)
    blocks = "".join(f"<div class='x'><p>Item {i}: {PARA}</p></div>" for i in range(count))
    page = "<html><head><title>Big page</title></head><body>" + blocks
    assert len(page) > 19_000_000
    start = time.perf_counter()
    art = normalize(raw(page))  # default max_chars: 5 million
    assert time.perf_counter() - start < 20
    assert any("truncated" in w for w in art.extraction.warnings)
    assert art.word_count > 50_000


def test_huge_text_dump_is_truncated_quickly() -> None:
    text = "A very long dump\n\n" + "".join(f"Item {i}: {PARA}\n\n" for i in range(130_000))
    start = time.perf_counter()
    art = normalize(raw(text))
    assert time.perf_counter() - start < 20
    assert any("truncated" in w for w in art.extraction.warnings)
    assert art.title == "A very long dump" and art.word_count > 500_000


def test_deeply_nested_html_does_not_recurse() -> None:
    depth = 50_000
    page = "<html><body>" + "<div>" * depth + f"<p>{PARA}</p>" + "</div>" * depth + "</body></html>"
    start = time.perf_counter()
    art = _ok_or_normalizer_error(page)
    assert time.perf_counter() - start < 20
    assert art is None or "committee" in art.body


def test_broken_html_still_yields_text() -> None:
    page = (
        "<html><head><title>Storm hits coast</title><body><p>"
        + PARA
        + "<p>"
        + PARA.upper()
        + "<div><span>unclosed <b>tags <i>everywhere</p></table></html></html>"
    )
    art = normalize(raw(page))
    assert art.title == "Storm hits coast"
    assert "committee" in art.body.lower()


def test_mojibake_is_repaired_with_a_warning() -> None:
    text = "Café owners welcome the ‘new’ rules for terraces – and the city centre"
    broken = text.encode("utf-8").decode("cp1252")  # UTF-8 read as Windows-1252
    assert broken != text
    content = f"{broken}\n\n{PARA}\n\n{broken} {PARA}"
    art = normalize(raw(content, "text"))
    assert art.title == text
    assert "mojibake repaired" in art.extraction.warnings


def test_wrong_charset_html_is_repaired() -> None:
    page = (
        "<html><head><meta charset='iso-8859-1'><title>Zürich: Bürger wählen neu</title></head>"
        f"<body><article><p>Die Bürger in Zürich wählen heute. {PARA}</p></article></body></html>"
    )
    mis = page.encode("utf-8").decode("latin-1")
    art = normalize(raw(mis))
    assert art.title == "Zürich: Bürger wählen neu"
    assert "Bürger in Zürich" in art.body


def test_no_title_no_date_gives_warnings() -> None:
    art = normalize(raw(f"<html><body><p>{PARA}</p><p>{PARA}</p></body></html>"))
    assert art.title is None
    assert "no title found" in art.extraction.warnings
    assert "no publication date found" in art.extraction.warnings
    assert art.id and art.body


def test_text_without_date_warns() -> None:
    art = normalize(raw(f"Budget talks continue\n\n{PARA}\n\n{PARA}"))
    assert art.title == "Budget talks continue"
    assert art.published_at is None
    assert "no publication date found" in art.extraction.warnings


def test_long_single_line_and_pathological_runs_are_fast() -> None:
    start = time.perf_counter()
    for content in (
        "-" * 1_000_000 + "a",
        "a " * 500_000,
        "(" * 200_000,
        "1:" * 300_000,
        "BAKU, " * 100_000,
        "<p>" * 200_000,
    ):
        _ok_or_normalizer_error(content)
    assert time.perf_counter() - start < 20


_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_LINES = st.lists(
    st.one_of(
        st.text(max_size=120),
        st.sampled_from(
            [
                "Related news",
                "Latest",
                "Politics 18:50",
                "• caption",
                "Follow us on X",
                "26 November 2019 18:49 (UTC+04:00)",
                "LONDON (Reuters) - ",
                "By Jane Doe",
                "BAKU, Azerbaijan, Nov. 26",
                "Trend:",
                PARA,
                "",
                "(PHOTO)",
                "Oil&Gas 18:45",
            ]
        ),
    ),
    max_size=40,
)


@_SETTINGS
@given(_LINES)
def test_fuzz_text_dumps(lines: list[str]) -> None:
    art = _ok_or_normalizer_error("\n".join(lines), "text")
    if art is not None:
        assert "\n\n\n" not in art.body
        assert art.extraction.format == "text"


_TAGS = st.sampled_from(
    [
        "p",
        "div",
        "article",
        "span",
        "h1",
        "li",
        "ul",
        "script",
        "a",
        "figure",
        "figcaption",
        "nav",
        "table",
        "td",
        "br",
        "title",
        "meta",
        "time",
    ]
)


@st.composite
def _html(draw: st.DrawFn) -> str:
    parts = ["<html><head>"]
    if draw(st.booleans()):
        parts.append('<script type="application/ld+json">' + draw(st.text(max_size=80)) + "</script>")
    parts.append("</head><body>")
    for _ in range(draw(st.integers(0, 30))):
        tag = draw(_TAGS)
        attrs = draw(st.sampled_from(["", " class='share'", " class='article-body'", " id='x'"]))
        parts.append(f"<{tag}{attrs}>" + draw(st.one_of(st.text(max_size=60), st.just(PARA))))
        if draw(st.booleans()):
            parts.append(f"</{tag}>")
    return "".join(parts)


@_SETTINGS
@given(_html())
def test_fuzz_html(page: str) -> None:
    art = _ok_or_normalizer_error(page, "html")
    if art is not None:
        assert art.extraction.format == "html"


@_SETTINGS
@given(st.text(max_size=300), st.sampled_from(["auto", "html", "text", "feed", "json"]))
def test_fuzz_any_format(content: str, fmt: str) -> None:
    _ok_or_normalizer_error(content, fmt)
