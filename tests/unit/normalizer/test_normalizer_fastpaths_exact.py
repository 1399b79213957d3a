"""More speed-ups that must be exact: each agrees with the form it replaced."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.normalizer import boilerplate, dates, ids, textdump
from services.normalizer.boilerplate import is_boilerplate, is_media_credit, repeated_lines

_PIECES = [
    *"ab _-:./\t\n\r\x0b\x0c\x1c\x85\xa0 \u2009\u3000\u200b",
    *("•", "·", "*", "-", "–", "—", "►", "▶", ">", "|", "©", "(photo: AP)", "Photo: Reuters"),
    *("share", "Follow us on Telegram", "newsletter", "all rights reserved", "Ｆｕｌｌ", "ß", "İ"),
]
_TRICKY = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)
_OLD_WS = re.compile(r"\s+")


def _old_repeated_lines(lines: list[str]) -> set[str]:
    counts = Counter(filter(None, lines))
    return {line for line, n in counts.items() if n >= 2}


@given(st.lists(st.sampled_from(["", "a", "b", "Home", "Related news", " "]), max_size=12))
def test_repeated_lines_is_the_counter_form(lines: list[str]) -> None:
    assert repeated_lines(lines) == _old_repeated_lines(lines)
    assert repeated_lines(iter(lines)) == _old_repeated_lines(lines)  # any iterable, once
    counts = Counter(ln for ln in lines if len(ln) >= 2)
    assert repeated_lines(lines, min_chars=2) == {ln for ln, n in counts.items() if n >= 2}


def test_isspace_is_the_regex_whitespace() -> None:
    # ids._norm relies on `\s`, str.split() and str.strip() agreeing on whitespace
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        assert (_OLD_WS.fullmatch(c) is not None) == c.isspace(), hex(cp)


@given(_TRICKY)
def test_norm_is_the_regex_form(text: str) -> None:
    old = _OLD_WS.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()
    assert ids._norm(text) == old
    assert ids._norm(None) == ids._norm("") == ""


@pytest.mark.parametrize("minutes", [*range(-1441, 1442, 13), -1440, 1440, -1439, 1439, 0])
def test_stamp_is_replace_then_astimezone(minutes: int) -> None:
    naive = datetime(2019, 11, 26, 18, 49, 7)
    for offset in (timedelta(minutes=minutes), timedelta(minutes=minutes, seconds=30), None):
        try:
            tz = timezone(offset) if offset is not None else UTC
            expected: object = naive.replace(tzinfo=tz).astimezone(UTC)
        except ValueError as exc:
            expected = repr(exc)
        try:
            got: object = dates._stamp(naive, offset, True).value
        except ValueError as exc:
            got = repr(exc)
        assert got == expected and repr(got) == repr(expected)


@given(_TRICKY)
def test_long_stripped_lines_are_neither_chrome_nor_credit(text: str) -> None:
    # parse_text skips both calls for such a line
    line = text.strip()
    if line and line[0] not in textdump._CHROME_MARKS and line.count(" ") >= textdump._PROSE_SPACES:
        assert not is_boilerplate(line)
        assert not is_media_credit(line)
    words = " ".join(["word"] * (textdump._PROSE_SPACES + 1))
    for line in (words, f"Follow us on Telegram {words}", f"Photo: Reuters {words}", f"© {words}"):
        assert not is_boilerplate(line) and not is_media_credit(line)
    assert boilerplate.MAX_CHROME_WORDS <= textdump._PROSE_SPACES


def test_repeated_bullets_are_unbulleted_once_with_the_same_result() -> None:
    title = "Chiefs meet in Baku (PHOTO)"
    dump = "\n".join(
        [
            title,
            "",
            "BAKU (Reuters) - " + " ".join(["The chiefs met on Tuesday in the capital."] * 4),
            "",
            *[f"  • {title}"] * 3,
            "- Another caption (VIDEO)",
            "- Another caption (VIDEO)",
            "* single bullet line that stays",
        ]
    )
    parts = textdump.parse_text(dump)
    assert parts.captions == ["Chiefs meet in Baku", "Another caption"]
    assert parts.photo_count == 5
    assert parts.paragraphs[-1] == "* single bullet line that stays"
