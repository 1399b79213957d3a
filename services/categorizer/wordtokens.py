"""Case-preserving word tokens for the entity and place scans: one regex pass, shared.

The entity extractor and the place scanner read the same texts with two regexes that
differ only in punctuation: the entity tokens keep single punctuation marks (they end
name runs), the place tokens do not. Dropping the punctuation tokens from the entity
tokens gives exactly the place tokens, except in two rare shapes that `Tokenizer`
detects (then the place regex runs as before):
  * a punctuation mark directly before a possessive ("Yahoo!'s"): the entity regex
    swallows the "'s" after the mark, the place regex leaves an "s" token;
  * a word with two inner apostrophes ("rock'n'roll"): one entity token, two place tokens.

Speed: `[^\\W\\d_]` and `[^\\w\\s]` make the regex engine look up Unicode categories
for every character (several table lookups each). The same classes written out as
explicit ranges over the Basic Multilingual Plane compile to a bitmap, about twice as
fast. They are computed from the category classes themselves when the Tokenizer is
built, so they agree on every character below U+10000; texts with a character above
(emoji, rare CJK) use the category regexes, as before. And the regex runs only on the
whitespace-separated chunks that are not plain words (`Tokenizer._words`).
"""

from __future__ import annotations

import re
from itertools import compress, count, filterfalse
from operator import not_

#: The reference token regexes (Unicode category classes). Entities: dotted acronyms,
#: words with inner apostrophes, single punctuation marks; a possessive "'s" is matched
#: but left out of the token (group 1): "Russia's" -> "Russia".
ENTITY_TOKEN_RE = re.compile(r"((?:[A-Z]\.){2,}|[^\W\d_]+(?:['’](?!s\b)[^\W\d_]+)*|[^\w\s])(?:['’]s\b)?")
#: Places: the same without punctuation marks and with at most one inner apostrophe.
PLACE_TOKEN_RE = re.compile(r"((?:[A-Z]\.){2,}|[^\W\d_]+(?:['’](?!s\b)[^\W\d_]+)?)(?:['’]s\b)?")


def _bmp_class(category_class: str) -> str:
    """The characters below U+10000 that `category_class` matches, as an explicit class."""
    bmp = "".join(map(chr, range(0x10000)))
    parts = []
    for m in re.finditer(category_class + "+", bmp):
        a, b = m.start(), m.end() - 1
        parts.append(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}")
    return "".join(parts)


class Tokenizer:
    """Entity tokens of a text and, when they are provably the same, the place tokens
    derived from them. Build once per process (the Categorizer holds one): ~50-100 ms."""

    def __init__(self) -> None:
        letter = _bmp_class(r"[^\W\d_]")
        punct = _bmp_class(r"[^\w\s]")
        # Also unrolled ("[A-Z]\.[A-Z]\." fails at once on a word) and possessive (what
        # follows each repeat always matches, so giving back never changes the match).
        self.fast_re = re.compile(
            rf"([A-Z]\.[A-Z]\.(?:[A-Z]\.)*+|[{letter}]++(?:['’](?!s\b)[{letter}]++)*+|[{punct}])(?:['’]s\b)?+"
        )
        # The two shapes where dropping punctuation tokens is not the place tokenization
        # (a mark before a possessive; a second inner apostrophe), found from the
        # apostrophes, the only characters both shapes need. One pattern per apostrophe
        # so that each starts with a literal (the engine then scans for it like `find`).
        self.split_risks = [
            re.compile(rf"{q}(?:(?<=[{punct}]{q})s\b|[{letter}]+['’](?!s\b)[{letter}])") for q in "'’"
        ]
        # Punctuation tokens are single characters of this set; nothing else is in it.
        self.punct = frozenset(re.findall(f"[{punct}]", "".join(map(chr, range(0x10000)))))

    def tokens(self, text: str) -> tuple[list[str], list[str] | None]:
        """`ENTITY_TOKEN_RE.findall(text)` and `PLACE_TOKEN_RE.findall(text)`, the latter
        derived from the former (None in the rare shapes where that would differ)."""
        if not text.isascii() and _has_astral(text):
            return ENTITY_TOKEN_RE.findall(text), None
        words = self._words(text)
        if any(q in text and r.search(text) for q, r in zip("'’", self.split_risks, strict=True)):
            return words, None
        return words, list(filterfalse(self.punct.__contains__, words))

    def _words(self, text: str) -> list[str]:
        """`fast_re.findall(text)`, chunk by chunk: a whitespace-separated chunk of letters
        only is one token as it stands (every alphabetic character is in the letter class;
        no acronym dot, no apostrophe, no mark), and most
        chunks are such words, so the regex runs only on the rest ("Forces,", "U.S.").
        Those are found by C-level `map`/`compress`; the words between them are copied
        as slices, so the Python loop visits only the other chunks."""
        chunks = text.split()
        out: list[str] = []
        findall = self.fast_re.findall
        done = 0
        for i in compress(count(), map(not_, map(str.isalpha, chunks))):
            out += chunks[done:i]
            out += findall(chunks[i])
            done = i + 1
        if not done:
            return chunks
        out += chunks[done:]
        return out


def _has_astral(text: str) -> bool:
    """Whether `text` has a character above U+FFFF (it then needs 4 UTF-16 bytes, not 2);
    the encoding runs at memory speed, about 4x faster than a regex search."""
    return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)
