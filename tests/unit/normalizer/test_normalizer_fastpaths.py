"""The speed-ups are exact: each fast helper agrees with the slow form it replaced."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.normalizer import boilerplate, datelines, dates, detect, language, linklists, textdump
from services.normalizer.boilerplate import repeated_lines
from services.normalizer.datelines import DatelineMatch, find_dateline
from services.normalizer.htmlchrome import _NEGATIVE_PHRASES, _NEGATIVE_WORDS, _is_negative_label, _negative
from services.normalizer.htmlmeta import contains_collapsed, ws
from services.normalizer.linklists import _CLOCK_END, _HAS_WHEN, strip_media_mark
from services.normalizer.mojibake import _CONTROL, _SIGNATURE, count_garbage, looks_mojibaked
from services.normalizer.pipeline import _CJK, _PUNCT_TOKEN, count_words, may_have_cjk, punct_tokens
from services.normalizer.textdump import _repeated_label
from tests.unit.normalizer.normalizer_helpers import FIXTURES, P1, P2

# characters that make the edge cases: controls, non-characters, surrogates, the UTF-8
# byte patterns of U+FFFD..U+FFFF inside other characters, odd whitespace, CJK, digits
_PIECES = [
    *"ab _-:./\t\n\r\x0b\x0c\x1c\x85\xa0 \u2009\u3000",
    *("\x00", "\x1f", "\x7f", "\x80", "é", "\ufffd", "\ufffe", "\uffff", "\uefbf", "\ufeff"),
    *("\ud800", "中", "あ", "😀", "0", "7", "٣", "share", "nav", "ad", "read-more"),
]
_TRICKY = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)
_OLD_HAS_WHEN = re.compile(r"\d:\d\d|\d{4}|\d[./]\d|\d\s+[^\W\d]{3}")
_OLD_LABEL_SPLIT = re.compile(r"[\s_-]+")


@given(_TRICKY)
def test_count_garbage_matches_the_control_class(text: str) -> None:
    assert count_garbage(text) == len(_CONTROL.findall(text))


def test_count_garbage_examples() -> None:
    assert count_garbage("") == 0
    assert count_garbage("\x00a\ufffd\n\t\uefbf") == 2  # \n, \t are text; U+EFBF is no U+FFFD


@given(_TRICKY, _TRICKY)
def test_contains_collapsed_is_in_after_ws(text: str, phrase: str) -> None:
    phrase = ws(phrase)
    assert contains_collapsed(text, phrase) == (phrase in ws(text))


def test_contains_collapsed_examples() -> None:
    assert contains_collapsed("A  short\n dek here", "short dek")
    assert not contains_collapsed("A short deck", "short dek")


@given(_TRICKY)
def test_negative_label_matches_the_regex_split(label: str) -> None:
    expected = not _NEGATIVE_WORDS.isdisjoint(_OLD_LABEL_SPLIT.split(label)) or (
        "-" in label and any(k in label for k in _NEGATIVE_PHRASES)
    )
    assert _is_negative_label(label) == _negative(label) == expected


@given(_TRICKY)
def test_has_when_matches_the_unfactored_regex(text: str) -> None:
    assert bool(_HAS_WHEN.search(text)) == bool(_OLD_HAS_WHEN.search(text))


def _old_count_words(text: str) -> int:
    cjk = len(_CJK.findall(text))
    if cjk:
        text = _CJK.sub(" ", text)
    return cjk + len(text.split()) - len(_PUNCT_TOKEN.findall(f" {text} "))


@given(_TRICKY)
def test_ascii_and_cjk_prechecks(text: str) -> None:
    assert looks_mojibaked(text) == (_SIGNATURE.search(text) is not None)
    assert looks_mojibaked(text + " CafÃ©")
    assert count_words(text) == _old_count_words(text)
    # the pipeline hands over the token count of the paragraphs it joined into the body
    paragraphs = [text, text[::-1], "", " \n"]
    words = [p.split() for p in paragraphs]
    body = "\n\n".join(" ".join(w) for w in words if w)
    assert count_words(body, [t for w in words for t in w]) == _old_count_words(body)


@given(_TRICKY)
def test_token_punct_count_and_cjk_precheck(text: str) -> None:
    # punct_tokens counts from the split tokens what _PUNCT_TOKEN finds in the padded text
    assert punct_tokens(text.split()) == len(_PUNCT_TOKEN.findall(f" {text} "))
    # the UTF-8 lead-byte pre-check never says "no CJK" when there is some
    assert may_have_cjk(text) or _CJK.search(text) is None
    assert may_have_cjk(text + "東") and may_have_cjk("\uac00") and not may_have_cjk("Köln’s — café")


def test_count_words_examples() -> None:
    assert count_words("Grüße aus Köln — 3 Tage") == 5
    assert count_words("東京 Köln") == 3


# --- text dumps: each fast path against the form it replaced --------------------------

_DATE_PIECES = [*"0123456789 -/.:,TZ+−_aéx(", "2019", "11", "26", "Nov", "November", "Nov.", "de "]
_DATEISH = st.lists(
    st.sampled_from(
        [
            *_DATE_PIECES,
            "th",
            "pm",
            "a.m.",
            "18:49",
            "2019-11-26",
            "UTC",
            "GMT+4",
            "\xa0",
            "٣",
            "ſ",
            "Uhr",
            "at ",
        ]
    ),
    max_size=16,
).map("".join)
# the date searches as they were: each led by its lookbehind
_OLD_DATE_RES = {
    "_ISO": re.compile(
        r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})"
        r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?)?"
        r"\s?(Z(?![a-z])|[+\-−]\d{2}(?::?\d{2})?(?!\d))?",
        re.I,
    ),
    "_DMY_NAME": re.compile(
        r"(?<!\d)(\d{1,2})(?:st|nd|rd|th|er|º)?\.?\s+(?:de\s+)?([^\W\d_]{3,10})\.?,?\s+(?:de\s+)?(\d{4})(?!\d)"
    ),
    "_NUMERIC": re.compile(r"(?<![\d.])(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?![\d.])"),
    "_YMD_SLASH": re.compile(r"(?<!\d)(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)"),
    "_TIME_BEFORE": re.compile(r"(\d{1,2})[:h](\d{2})\s*([ap]\.?m\.?)?[\s,|-]*$"),
}


def _spans(rx: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), m.groups()) for m in rx.finditer(text)]


@given(_DATEISH)
def test_digit_led_date_regexes_match_the_lookbehind_led_ones(text: str) -> None:
    for name, old in _OLD_DATE_RES.items():
        new = getattr(dates, name)
        assert _spans(new, text) == _spans(old, text), name
        assert bool(new.match(text)) == bool(old.match(text)), name
    old_clock = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?:\s?[ap]\.?m\.?)?$")
    for pos in range(len(text) + 1):
        a, b = _CLOCK_END.search(text, pos), old_clock.search(text, pos)
        assert (a and a.span()) == (b and b.span())


@given(_DATEISH)
def test_parse_date_shortcuts_are_exact(text: str) -> None:
    text = text.strip()[:400]
    if dates._YEAR.search(text) is None:  # the early exit: no shape can match
        shapes = (dates._ISO, dates._DMY_NAME, dates._MDY_NAME, dates._NUMERIC, dates._YMD_SLASH)
        assert not any(rx.search(text) for rx in shapes)
        assert dates._fallback(text) is None
    if len(text) <= 120:  # the ISO search handed on to _find_date
        m, full = dates._ISO.match(text) or dates._ISO.search(text[:120]), dates._ISO.search(text)
        assert (m and (m.span(), m.groups())) == (full and (full.span(), full.groups()))
    assert dates._find_date(text, dates._ISO.search(text)) == _old_find_date(text)


def _old_find_date(text: str) -> tuple[date, int, int] | None:
    """dates._find_date as it was: every shape searched, the earliest start kept."""
    best: tuple[int, date, int] | None = None
    found: list[tuple[int, date, int]] = []
    m = dates._ISO.search(text)
    if m:
        with contextlib.suppress(ValueError):
            found.append((m.start(), date(int(m[1]), int(m[2]), int(m[3])), m.end(3)))
    for rx, dmy in ((dates._DMY_NAME, True), (dates._MDY_NAME, False)):
        m = next((x for x in rx.finditer(text) if x[2 if dmy else 1].lower() in dates.MONTHS), None)
        if m:
            day, month = (
                (int(m[1]), dates.MONTHS[m[2].lower()]) if dmy else (int(m[2]), dates.MONTHS[m[1].lower()])
            )
            with contextlib.suppress(ValueError):
                found.append((m.start(), date(int(m[3]), month, day), m.end()))
    m = dates._NUMERIC.search(text)
    if m:
        a, b, year = int(m[1]), int(m[3]), int(m[4])
        with contextlib.suppress(ValueError):
            found.append((m.start(), date(year, a, b) if (b > 12 and a <= 12) else date(year, b, a), m.end()))
    m = dates._YMD_SLASH.search(text)
    if m:
        with contextlib.suppress(ValueError):
            found.append((m.start(), date(int(m[1]), int(m[2]), int(m[3])), m.end()))
    for cand in found:  # in search order, a later shape wins only by starting earlier
        if best is None or cand[0] < best[0]:
            best = cand
    if best is None or not 1990 <= best[1].year <= 2100:
        return None
    return best[1], best[0], best[2]


_OLD_MEDIA_MARK = re.compile(r"\s*[(\[](?:photos?|videos?|foto|fotos|video|audio|infographic)[)\]]\s*$", re.I)
_MARKED = st.lists(
    st.sampled_from(
        [
            "a",
            " ",
            "\xa0",
            "\t",
            "(",
            ")",
            "[",
            "]",
            "photo",
            "PHOTOS",
            "Video",
            "vid",
            "Infographic",
            "x(foto)",
        ]
    ),
    max_size=10,
).map("".join)


def _old_strip_media_mark(title: str) -> tuple[str, str | None]:
    if not title.endswith((")", "]")):
        return title, None
    m = _OLD_MEDIA_MARK.search(title)
    if not m:
        return title, None
    kind = m.group(0).strip(" ()[]").lower()
    return title[: m.start()].rstrip(), ("video" if kind.startswith("vid") else "photo")


@given(_MARKED)
def test_media_mark_tail_search_matches_the_whole_line_search(title: str) -> None:
    assert strip_media_mark(title) == _old_strip_media_mark(title)


def test_media_mark_on_the_seed_lines() -> None:
    assert strip_media_mark("Map of the region \t(Infographic)") == ("Map of the region", "photo")
    lines = (FIXTURES / "seed-article.txt").read_text("utf-8").splitlines()
    assert sum(strip_media_mark(ln.strip())[1] == "photo" for ln in lines) >= 6
    assert all(strip_media_mark(ln.strip()) == _old_strip_media_mark(ln.strip()) for ln in lines)


_LINES = st.lists(
    st.sampled_from(["", "Home", "Home", "a b", "a b c d", " x ", "•  y", "- z", "w" * 60]), max_size=12
)


@given(_LINES)
def test_repeated_lines_and_the_header_label_check(lines: list[str]) -> None:
    counts = Counter(ln for ln in lines if len(ln) >= 1)
    assert repeated_lines(lines) == {ln for ln, n in counts.items() if n >= 2}
    short = repeated_lines(ln for ln in lines[:200] if ln.count(" ") < 3)
    assert all(_repeated_label(ln, lines[:200]) == (ln in short) for ln in lines)


def _old_is_wrapped(block: list[str]) -> bool:
    if len(block) < 2 or any(textdump._BULLET.match(b) for b in block):
        return False
    if len(block) == 2:
        return len(block[0]) >= 50 and block[1][:1].islower()
    widths = [len(b) for b in block[:-1]]
    return min(widths) >= 35 and max(widths) <= 110 and max(widths) - min(widths) <= 25


@given(
    st.lists(
        st.sampled_from(["x" * 50, "y" * 40, "z" * 36 + " w", "• " + "b" * 40, "lower", "Upper", "- c"]),
        max_size=5,
    )
)
def test_is_wrapped_checks_widths_before_bullets(block: list[str]) -> None:
    assert textdump._is_wrapped(block) == _old_is_wrapped(block)


@given(_TRICKY)
def test_cheap_prechecks_on_unstripped_lines(text: str) -> None:
    # find_link_blocks tests _HAS_WHEN before parse_meta strips; _guard asks isspace()
    assert bool(_HAS_WHEN.search(text)) == bool(_HAS_WHEN.search(text.strip()))
    assert (not text or text.isspace()) == (not text.strip())
    assert (len(text.split(maxsplit=1)) >= 2) == (len(text.split()) >= 2)  # _is_headline


@given(_MARKED)
def test_media_mark_keeps_a_prefix(title: str) -> None:
    # the body loop asks line.startswith(title) before stripping a marker off the line
    assert title.startswith(strip_media_mark(title)[0])


def test_dateline_probed_once_per_line(monkeypatch: pytest.MonkeyPatch) -> None:
    probed: list[str] = []

    def counting(line: str) -> DatelineMatch | None:
        probed.append(line)
        return find_dateline(line)

    monkeypatch.setattr(textdump, "find_dateline", counting)
    first = f"LONDON (Reuters) - {P1}"
    parts = textdump.parse_text(
        f"Talks to resume next week\n\nMarch 2, 2019 10:25 AM EST\n\n{first}\n\n{P2}\n"
    )
    assert parts.dateline is not None and parts.dateline.place == "London"
    assert probed.count(first) == 1  # the header's probe of the first body line is reused


# --- this round's pre-checks: each says "cannot match" only when the regex cannot ---------

_CHROME_PIECES = [
    *("a", "all", " ", "  ", "\t", "|", "»", "/", ">", "x", "é", "\xa0", "rights", "reserved", "all rights"),
    *(" reserved", "alle rechte vorbehalten", "tous droits réservés", "todos", " los derechos reservados"),
    *("cookie policy", "privacy", " policy", "terms of use", "terms", " of service", "newsletter"),
    *(" for the latest", " for latest news", "for latest", "Published", "updated:", "- ", "• ", "—"),
]
_CHROME = st.lists(st.sampled_from(_CHROME_PIECES), max_size=12).map("".join)


@given(_CHROME)
def test_anywhere_phrases_in_one_search(line: str) -> None:
    low = line.lower()
    expected = any(k in low for k in boilerplate._ANYWHERE)
    assert ("newsletter" in low or boilerplate._ANYWHERE_AT_SPACE.search(low) is not None) == expected
    # and the nav pre-check: every separator match holds a separator character
    if boilerplate._NAV_SEPARATORS.search(line):
        assert boilerplate._NAV_CHAR.search(line)


@given(st.one_of(_CHROME, _TRICKY))
def test_first_character_prechecks(text: str) -> None:
    line = text.strip()
    if line and textdump._BULLET.match(line):
        assert line[0] in textdump._BULLET_MARKS
    if textdump._PUBLISHED.match(line) or textdump._UPDATED.match(line):
        assert line[:1] in textdump._LABEL_FIRST
    if "<" not in text:  # detect_format's early "text": none of its markup patterns can hit
        assert not (detect._FEED.search(text) or detect._HTML.search(text) or detect._BLOCK_TAGS.search(text))


def _old_blocks(text: str) -> list[list[str]]:
    """textdump._blocks as it was: one loop, whitespace collapsed line by line."""
    out: list[list[str]] = []
    cur: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line:
            if "  " in line or "\t" in line or "\xa0" in line:
                line = " ".join(line.split())
            cur.append(line)
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


@given(
    st.lists(st.sampled_from([*_PIECES, "\n", "\n\n", " \n ", "  x  y ", "\t\n"]), max_size=30).map("".join)
)
def test_blocks_match_the_line_loop(text: str) -> None:
    assert textdump._blocks(text) == _old_blocks(text)


def test_blocks_and_link_lists_on_the_seed() -> None:
    text = (FIXTURES / "seed-article.txt").read_text("utf-8")
    assert textdump._blocks(text) == _old_blocks(text)
    lines = [ln for block in textdump._blocks(text) for ln in block]
    page = dates.parse_date("26 November 2019 18:49 (UTC+04:00)")
    blocks = linklists.find_link_blocks(lines, page)
    # each meta line parsed once per call gives what parse_meta gives line by line
    for block in blocks:
        metas = [linklists.parse_meta(ln, page) for ln in lines[block.start : block.end]]
        assert [(i.section, i.published_at) for i in block.items] == [m for m in metas if m is not None]


@given(_DATEISH)
def test_date_prechecks(text: str) -> None:
    if "-" not in text:  # parse_date skips the ISO searches
        assert dates._ISO.search(text) is None
    assert dates._TIME.match("") is None and dates._TIME_BEFORE.search("") is None
    part = text.strip()
    if part.isalpha():  # datelines._is_date_part's early no
        assert not datelines._DAY_MONTH.match(part)


def _old_find_link_blocks(lines: list[str], page: dates.Stamp | None) -> list[linklists.LinkBlock]:
    """linklists.find_link_blocks as it was: every line parsed and tried as a list start."""
    blocks: list[linklists.LinkBlock] = []
    metas = [linklists.parse_meta(ln, page) for ln in lines]
    i, n = 0, len(lines)
    while i < n:
        kind = linklists.classify_heading(lines[i])
        items = []
        j = i + 1 if kind else i
        while (
            j + 1 < n and metas[j] is None and metas[j + 1] is not None and linklists._is_headline(lines[j])
        ):
            section, published = metas[j + 1]  # type: ignore[misc]
            title, _ = strip_media_mark(linklists._BULLET.sub("", lines[j].strip()))
            items.append(linklists.LinkItem(title=title, section=section, published_at=published))
            j += 2
        if len(items) >= 2 or (items and kind):
            heading = lines[i].strip().rstrip(":") if kind else None
            blocks.append(linklists.LinkBlock(kind or "latest", i, j, heading, items))
            i = j
            continue
        if kind and not items:
            j = i + 1
            while (
                j < n
                and linklists._BULLET.match(lines[j].strip() or "x")
                and linklists._is_headline(lines[j])
            ):
                title, _ = strip_media_mark(linklists._BULLET.sub("", lines[j].strip()))
                items.append(linklists.LinkItem(title=title))
                j += 1
            if items:
                blocks.append(linklists.LinkBlock(kind, i, j, lines[i].strip().rstrip(":"), items))
                i = j
                continue
        i += 1
    return blocks


_LIST_LINES = st.lists(
    st.sampled_from(
        [
            "Related news",
            "Latest:",
            "Read also:",
            "Politics 18:50",
            "18:07 | Economy",
            "Economy, 26 Nov 2019 18:07",
            "Iran to export medicine to Russia",
            "• Gas prices fall again (PHOTO)",
            "- Short teaser headline here",
            "A long paragraph line " * 4,
            "A long headline that runs past sixty characters, then some more",
            "x",
        ]
    ),
    max_size=14,
)


@given(_LIST_LINES)
def test_link_blocks_match_the_line_by_line_form(lines: list[str]) -> None:
    page = dates.parse_date("26 November 2019 18:49 (UTC+04:00)")
    assert linklists.find_link_blocks(lines, page) == _old_find_link_blocks(lines, page)
    assert linklists.find_link_blocks(lines, None) == _old_find_link_blocks(lines, None)


_LANG_SAMPLES = [
    "",
    "x",
    "HELLO WORLD, THIS HEADLINE IS IN CAPITALS",
    "東京都で 3 people met on Tuesday",
    "Ünïcödé NFC e\u0301 und ein deutscher Satz über das Wetter in Köln",
    "Le gouvernement a annoncé mardi de nouvelles mesures pour le pouvoir d'achat.",
    "\ud800 lone surrogate and some English words after it",
    P1,
    P2,
]


@given(_TRICKY)
def test_classify_takes_odd_strings(text: str) -> None:
    found = language.classify(text)
    assert found.code is None or re.fullmatch(r"[a-z]{2}", found.code)
    assert 0 <= found.percent <= 100


def test_classify_the_samples() -> None:
    codes = [language.classify(text).code for text in _LANG_SAMPLES]
    # "", "x", capitals, mixed script, NFC, French, a lone surrogate (dropped, not fatal), P1, P2
    assert codes == [None, None, "en", "en", "de", "fr", "en", "en", "en"]
