"""The speed-ups are exact: each fast helper agrees with the slow form it replaced."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from services.normalizer.htmlbody import _NEGATIVE_PHRASES, _NEGATIVE_WORDS, _is_negative_label, _negative
from services.normalizer.htmlmeta import contains_collapsed, ws
from services.normalizer.linklists import _HAS_WHEN
from services.normalizer.mojibake import _CONTROL, _SIGNATURE, count_garbage, looks_mojibaked
from services.normalizer.pipeline import _CJK, _PUNCT_TOKEN, count_words

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


def test_count_words_examples() -> None:
    assert count_words("Grüße aus Köln — 3 Tage") == 5
    assert count_words("東京 Köln") == 3
