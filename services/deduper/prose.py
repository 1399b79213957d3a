"""The prose of a body: short list-like lines dropped when enough prose remains.

Why: extractors disagree most on short lines that are not sentences (table rows such as
"Net 5,220,000 vs 3,143,000", subheads such as "Six mths", labels, captions). One path
drops them as link-list or menu residue, another (a text dump, a fallback extractor)
keeps them, so the same article reaches the deduper with and without them and its
copies stop matching. Fingerprinting only what every path keeps, the prose, makes the
two agree again.

A row has no sentence punctuation, no ", " and no function word ("the", "of", "said"):
a text dump can break a sentence anywhere, and such a piece is prose, not a row.

Safety: rows are dropped only when at least `MIN_PROSE_WORDS` words of prose remain, so
a body that *is* a table (a bare earnings report, a results list) keeps its rows; and
the prose is only ever matched against a text that has no rows at all (fingerprint.py
`Prose`, similarity.py), so two texts with different tables under one boilerplate
paragraph (identical chrome, a standard note) never meet on that paragraph alone.
Known gap: a text without rows that is mostly leaked boilerplate (a one-line story plus
a long sign-up prompt) can match a table whose only prose is that same boilerplate.
The rule looks at the shape of a paragraph only (length, punctuation, function words),
never at any site's wording, and is applied to both sides of every comparison alike.
"""

from __future__ import annotations

import re

ROW_WORDS = 12  # a paragraph this short that is no sentence is a row / subhead / label
MIN_PROSE_WORDS = 25  # prose left after dropping rows, else the rows are the text
_ROW_CHARS = 120  # longer paragraphs are never rows (fast path: no word count)
SENTENCE_END = (".", "!", "?", '"', "”", "’", "'", ")")
# a line holding one of these is a piece of a sentence (a text dump can break prose
# anywhere), not a row: "Under the pact, 4,600 union members at Rohr's Chula"
_PROSE_WORD = re.compile(
    r"(?:^|\s)(?:the|a|an|of|and|or|to|in|on|at|for|with|by|from|that|which|who|is|are|was"
    r"|were|be|been|has|have|had|will|would|said|says|it|its|this|as|but),?(?=\s|$)",
    re.IGNORECASE,
)


def is_row(paragraph: str) -> bool:
    """A short paragraph that does not end like a sentence (see module docstring)."""
    text = paragraph.strip()
    return (
        len(text) <= _ROW_CHARS
        and not text.endswith(SENTENCE_END)
        and ", " not in text
        and len(text.split()) <= ROW_WORDS
        and _PROSE_WORD.search(text) is None
    )


def drop_rows(paragraphs: list[str]) -> list[str]:
    """The paragraphs without rows when at least `MIN_PROSE_WORDS` words of prose
    remain; otherwise all of them, unchanged."""
    rows = [is_row(p) for p in paragraphs]
    if not any(rows):
        return paragraphs
    prose = [p for p, row in zip(paragraphs, rows, strict=True) if not row]
    words = 0
    for paragraph in prose:
        words += len(paragraph.split())
        if words >= MIN_PROSE_WORDS:
            return prose
    return paragraphs
