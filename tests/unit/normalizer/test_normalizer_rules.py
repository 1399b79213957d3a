"""Unit tests of the single rules: dates, datelines, link lists, boilerplate, ids, detection."""

from __future__ import annotations

import pytest

from services.normalizer.boilerplate import is_boilerplate, repeated_lines
from services.normalizer.datelines import find_dateline
from services.normalizer.dates import parse_date, resolve_clock
from services.normalizer.detect import detect_format
from services.normalizer.ids import article_id, canonical_url
from services.normalizer.language import detect_language, normalize_code
from services.normalizer.linklists import classify_heading, find_link_blocks, parse_meta
from services.normalizer.mojibake import fix_mojibake, garbage_ratio
from services.normalizer.pipeline import count_words


@pytest.mark.parametrize(
    ("text", "utc", "offset"),
    [
        ("26 November 2019 18:49 (UTC+04:00)", "2019-11-26T14:49:00Z", "+04:00"),
        ("2019-11-26T14:49:00+04:00", "2019-11-26T10:49:00Z", "+04:00"),
        ("2019-11-26T14:49:00.000Z", "2019-11-26T14:49:00Z", "+00:00"),
        ("Nov. 26, 2019 2:49 PM EST", "2019-11-26T19:49:00Z", "-05:00"),
        ("Tue, 26 Nov 2019 14:49:00 +0400", "2019-11-26T10:49:00Z", "+04:00"),
        ("3 mars 2019 à 18h49 CET", "2019-03-03T17:49:00Z", "+01:00"),
        ("13 de marzo de 2024 - 10:05 CEST", "2024-03-13T08:05:00Z", "+02:00"),
        ("Mittwoch, 3. März 2021, 12:00 Uhr", "2021-03-03T12:00:00Z", None),
        ("26.11.2019 18:49 GMT-3", "2019-11-26T21:49:00Z", "-03:00"),
        ("18:49, 26 November 2019", "2019-11-26T18:49:00Z", None),
    ],
)
def test_parse_date(text: str, utc: str, offset: str | None) -> None:
    stamp = parse_date(text)
    assert stamp is not None
    assert (stamp.utc, stamp.offset_text) == (utc, offset)


@pytest.mark.parametrize("text", ["", "no date here", "il y a 3 heures", "99.99.2019", "1:2:3"])
def test_parse_date_rejects(text: str) -> None:
    assert parse_date(text) is None


def test_resolve_clock_uses_page_date_and_offset() -> None:
    page = parse_date("26 November 2019 18:49 (UTC+04:00)")
    assert resolve_clock("18:50", page).utc == "2019-11-26T14:50:00Z"  # type: ignore[union-attr]
    assert resolve_clock("2:05 pm", page).utc == "2019-11-26T10:05:00Z"  # type: ignore[union-attr]
    assert resolve_clock("18:50", None) is None
    assert resolve_clock("25:70", page) is None


@pytest.mark.parametrize(
    ("line", "place", "country", "agency"),
    [
        ("BAKU, Azerbaijan, Nov. 26", "Baku", "AZ", None),
        ("MEXICO CITY (AP) — The president said", "Mexico City", "MX", "AP"),
        ("LONDON (Reuters) - Britain said", "London", "GB", "Reuters"),
        ("PARIS, 3 mars (AFP) - Le président", "Paris", "FR", "AFP"),
        ("SPRINGFIELD, Ill. (AP) — A man", "Springfield", "US", "AP"),
        ("MOSCOW, November 26. /TASS/. Russia", "Moscow", "RU", "TASS"),
        ("Washington (CNN) — The House", "Washington", "US", "CNN"),
        ("WASHINGTON — The Senate voted", "Washington", "US", None),
        ("NEW YORK (AP) — Stocks rose", "New York", "US", "AP"),
        ("BERLIN, 26. November (dpa) - Die", "Berlin", "DE", "dpa"),
        ("KYIV, Ukraine (AP) — Drones", "Kyiv", "UA", "AP"),
    ],
)
def test_datelines(line: str, place: str, country: str, agency: str | None) -> None:
    found = find_dateline(line)
    assert found is not None
    assert (found.dateline.place, found.dateline.country, found.agency) == (place, country, agency)


@pytest.mark.parametrize(
    "line", ["Related news", "BREAKING NEWS", "The president said (AP) - hi", "Trend:", "USA TODAY"]
)
def test_not_datelines(line: str) -> None:
    assert find_dateline(line) is None


def test_link_list_meta_and_headings() -> None:
    page = parse_date("26 November 2019 18:49 (UTC+04:00)")
    assert parse_meta("Politics 18:50", page) == ("Politics", "2019-11-26T14:50:00Z")
    assert parse_meta("Oil&Gas 18:45", page) == ("Oil&Gas", "2019-11-26T14:45:00Z")
    assert parse_meta("18:07 | Economy", page) == ("Economy", "2019-11-26T14:07:00Z")
    assert parse_meta("Economy, 26 Nov 2019 18:07", page) == ("Economy", "2019-11-26T14:07:00Z")
    assert parse_meta("Iran to export medicine to Russia", page) is None
    assert classify_heading("Related news") == "related"
    assert classify_heading("Lire aussi :") == "related"
    assert classify_heading("Latest") == "latest"
    assert classify_heading("Most read") == "latest"
    assert classify_heading("The minister said") is None


def test_link_blocks_need_two_pairs_or_a_heading() -> None:
    lines = ["A headline about things", "Politics 18:50", "Body text that is long enough."]
    assert find_link_blocks(lines, None) == []
    lines = ["Latest", "A headline about things", "Politics 18:50"]
    (block,) = find_link_blocks(lines, None)
    assert block.kind == "latest" and block.items[0].section == "Politics"


@pytest.mark.parametrize(
    "line",
    [
        "Follow Trend on Telegram. Only most interesting and important news",
        "Share on Facebook",
        "Share",
        "Subscribe to our newsletter",
        "Advertisement",
        "We use cookies to improve your experience",
        "© 2024 Example Media. All rights reserved.",
        "Home | World | Politics",
        "Teilen",
        "Partager",
        "Síguenos en X",
        "Tags: politics, energy",
    ],
)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "Sadikov added that these relations are developed and reached strategic partnership.",
        "The share of renewables rose to 40 percent, the agency said on Monday in its report.",
        "Related news",  # a list heading, handled by the link-list rule
        "A cookie factory in the town reopened after a long dispute over wages and hours "
        "between the owners and the union that represents most of its hundred workers.",
    ],
)
def test_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)


def test_repeated_lines() -> None:
    assert repeated_lines(["a", "b", "a", "c"]) == {"a"}


def test_ids_are_stable_and_url_normalized() -> None:
    a = article_id(
        url="https://www.example.com/news/story-1/?utm_source=x#top",
        source=None,
        title="T",
        published_at=None,
    )
    b = article_id(
        url="http://example.com/news/story-1", source="Other", title="U", published_at="2020-01-01T00:00:00Z"
    )
    assert a == b and len(a) == 32
    assert canonical_url("https://WWW.Example.com/a/?id=5&utm_medium=y") == "https://example.com/a?id=5"
    c = article_id(url=None, source="Trend", title="Same title", published_at="2019-11-26T14:49:00Z")
    d = article_id(url=None, source="trend", title="Same  title", published_at="2019-11-26T14:49:00Z")
    e = article_id(url=None, source="Trend", title="Other title", published_at="2019-11-26T14:49:00Z")
    assert c == d != e
    assert canonical_url("javascript:alert(1)") is None


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        ("<!DOCTYPE html><html><body><p>x</p></body></html>", "html"),
        ("<div><p>one</p><p>two</p><span>three</span></div>", "html"),
        (
            '<?xml version="1.0"?><rss version="2.0"><channel><item><title>x</title></item></channel></rss>',
            "feed",
        ),
        ("<item><title>x</title><link>https://e.com/a</link></item>", "feed"),
        ('<entry xmlns="http://www.w3.org/2005/Atom"><title>x</title></entry>', "feed"),
        ('{"url": "https://e.com", "html": "<p>x</p>"}', "json"),
        ("Just a headline\n\nAnd a paragraph of text.", "text"),
        ("I <3 cats and 2 < 3 is true", "text"),
    ],
)
def test_detect_format(content: str, fmt: str) -> None:
    assert detect_format(content) == fmt


def test_declared_format_is_trusted() -> None:
    assert detect_format("<p>x</p>", "text") == "text"


def test_language() -> None:
    assert (
        detect_language(
            "Die Regierung hat am Montag einen neuen Plan vorgestellt, der die Energiepreise senken soll."
        )
        == "de"
    )
    assert detect_language("short", "en-GB") == "en"
    assert normalize_code("pt_BR") == "pt" and normalize_code("not a tag") is None


def test_mojibake_and_garbage() -> None:
    fixed, changed = fix_mojibake("CafÃ© owners")
    assert (fixed, changed) == ("Café owners", True)
    assert fix_mojibake("plain text") == ("plain text", False)
    assert garbage_ratio("normal text\n") == 0.0
    assert garbage_ratio("\x00\x01\x02abc") == 0.5


def test_count_words() -> None:
    assert count_words("Azerbaijan’s military-technical — cooperation") == 3
    assert count_words("東京都で 3 people") == 6
