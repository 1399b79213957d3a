"""Text dumps: an article page saved as plain text, with its chrome still in it.

A dump reads top to bottom as: maybe navigation, the headline, header lines (date,
dateline, agency attribution, byline, maybe a dek), the body paragraphs, then page
furniture (share/follow lines, photo caption bullets, the publisher's link lists). The
parser follows that order with general rules:

* header lines are recognised by shape (a date line, an agency dateline, `Trend:` /
  `(AP)` attribution, `By ...`), the first headline-shaped line is the title;
* link lists (headline + "Section 18:50" pairs under "Related"/"Latest") become LinkItems;
* bullet lines that repeat the title or each other are photo captions (kept once, counted);
* share/follow/cookie/subscribe lines and lines the page repeats are dropped;
* hard-wrapped paragraphs are joined, so the body is one paragraph per block.
Everything is one pass over the lines with bounded regexes: thousands of dumps a second.
"""

from __future__ import annotations

import re
from itertools import compress, groupby

from .boilerplate import (
    CHROME_LEAD,
    MAX_CHROME_WORDS,
    MAX_CREDIT_SPACES,
    is_boilerplate,
    is_media_credit,
    repeated_lines,
)
from .datelines import DatelineMatch, find_dateline
from .dates import Stamp, parse_date
from .linklists import find_link_blocks, strip_media_mark
from .parts import Parts

__all__ = ["parse_text", "split_authors"]

_DATE_PREFIX = re.compile(
    r"^(?:(?:date|published|posted|updated|datum|fecha)\s*:?\s*)?"
    r"(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?)\s+(?=\S)",
    re.I,
)
_ATTRIBUTION = re.compile(r"^[(/]?(?P<name>[A-Z][\w&.\-]{0,20}(?: [A-Z][\w&.\-]{0,20}){0,2})[)/]?\s*:$")
_BYLINE = re.compile(
    r"^(?:by|von|par|por|di|da|av|door|af|autor(?:in)?:?|author:?)\s+(?P<names>.{2,120})$", re.I
)
_UPDATED = re.compile(r"^(?:updated|last updated|aktualisiert|mis à jour|actualizado)\b\s*:?\s*", re.I)
_PUBLISHED = re.compile(r"^(?:published|posted|veröffentlicht|publié le|publicado)\b\s*:?\s*", re.I)
_BULLET = re.compile(r"^\s*[•·*▪◦‣]\s+|^\s*[–—-]\s+(?=\S)")
_LABEL_FIRST = frozenset("pvulamPVULAM")  # first letters of _PUBLISHED and _UPDATED
_BULLET_MARKS = frozenset("•·*▪◦‣–—-")  # what _BULLET can match first in a stripped line
_CHROME_MARKS = frozenset(CHROME_LEAD)
# a stripped line with this many spaces and no CHROME_LEAD mark first is neither chrome
# (is_boilerplate) nor a media credit (is_media_credit)
_PROSE_SPACES = max(MAX_CHROME_WORDS, MAX_CREDIT_SPACES)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&|\bund\b|\bet\b|\by\b|\be\b|\boch\b|\bog\b)\s*")
_SENTENCE_END = re.compile(r"[.!?…\"”»)]$")
_DIGIT = re.compile(r"\d")

MAX_HEADER_LINES = 14
MIN_BODY_WORDS = 12


def split_authors(names: str) -> list[str]:
    """`John Smith and Jane Doe, Reuters` -> names; drops empties and role words."""
    out: list[str] = []
    names = " ".join(names.split())[:500]  # single spaces: the split regex stays linear
    for part in _AUTHOR_SPLIT.split(names.strip("."))[:50]:
        part = part.strip(" .|")
        if part and len(part) <= 60 and part not in out:
            out.append(part)
    return out


def _words(line: str) -> int:
    """Words of a line whose whitespace is already collapsed (see _blocks)."""
    return line.count(" ") + 1 if line else 0


def _is_date_line(line: str) -> Stamp | None:
    """A line that is (nearly) only a date, e.g. `26 November 2019 18:49 (UTC+04:00)`."""
    if len(line) > 80 or not _DIGIT.search(line):  # parse_date needs a `\d` digit
        return None
    # both labels start with one of these letters (no other character case-folds to them)
    body = _UPDATED.sub("", _PUBLISHED.sub("", line)) if line[:1] in _LABEL_FIRST else line
    stamp = parse_date(body, fallback=False)
    if stamp is None:
        return None
    letters = sum(map(str.isalpha, body))
    return stamp if letters <= 40 else None


def _title_from(line: str, parts: Parts) -> str:
    m = _DATE_PREFIX.match(line)
    if m and _words(line[m.end() :]) >= 2:
        stamp = parse_date(m.group(1), fallback=False)
        if stamp is not None and parts.published is None:
            parts.published = stamp
        line = line[m.end() :]
    title, media = strip_media_mark(line.strip())
    if media == "video":
        parts.video = True
    elif media == "photo":
        parts.photo_count = max(parts.photo_count, 1)
    return title


def _parse_header(
    lines: list[str], parts: Parts, title_hint: str | None, datelines: dict[str, DatelineMatch | None]
) -> int:
    """Fill title/date/dateline/byline from the top; return the index where the body starts."""
    i, n = 0, len(lines)
    pending: list[str] = []  # unknown lines after the title: a dek if header lines follow
    limit = min(n, MAX_HEADER_LINES)
    top = lines[:200]
    while i < limit:
        line = lines[i]
        if parts.title is None and (_repeated_label(line, top) or is_boilerplate(line)):
            i += 1  # navigation labels repeat; page furniture is never the headline
            continue
        if parts.title is None:
            stamp = _is_date_line(line)
            if stamp is not None:
                parts.published = _better(parts.published, stamp)
            elif title_hint is None and (
                _words(line) > 40 or (_words(line) >= MIN_BODY_WORDS and line.endswith("."))
            ):
                break  # prose before any headline: no title, the body starts here
            elif title_hint is None and _words(line) >= 2:
                parts.title = _title_from(line, parts)
            elif title_hint is not None:
                parts.title = title_hint
                continue  # re-read this line as a header/body line
            i += 1
            continue
        stamp = _is_date_line(line)
        if stamp is not None:
            if _UPDATED.match(line):
                parts.updated = stamp
            else:
                parts.published = _better(parts.published, stamp)
        elif (dl := _dateline(line, datelines)) is not None and not line[dl.end :].strip(" :"):
            parts.dateline = dl.dateline
            parts.agency = parts.agency or dl.agency
        elif (m := _ATTRIBUTION.match(line)) is not None:
            parts.agency = parts.agency or m.group("name")
        elif (m := _BYLINE.match(line)) is not None and _words(line) <= 14:
            parts.authors = split_authors(m.group("names"))
        elif is_boilerplate(line) or strip_media_mark(line)[0] == parts.title:
            pass
        elif _words(line) >= MIN_BODY_WORDS or pending:
            break
        else:
            pending.append(line)
        if pending and line is not pending[-1]:
            parts.subtitle = parts.subtitle or pending[0]
            pending.clear()
        i += 1
    return i - len(pending)


def _dateline(line: str, seen: dict[str, DatelineMatch | None]) -> DatelineMatch | None:
    """find_dateline once per distinct line of a dump: the header loop stops at the first
    body line after probing it, and that line is usually the first paragraph, probed
    again at the end."""
    if line not in seen:
        seen[line] = find_dateline(line)
    return seen[line]


def _repeated_label(line: str, top: list[str]) -> bool:
    """A short line (under three spaces) said twice or more in `top`: a navigation label.

    Asked only while no headline is found (a line or three), so counting this one line
    beats building the set of all repeated short lines."""
    return bool(line) and line.count(" ") < 3 and top.count(line) >= 2


def _better(old: Stamp | None, new: Stamp) -> Stamp:
    """Prefer a stamp with a time and an offset over a bare date."""
    if old is None:
        return new
    score = lambda s: (s.has_time, s.offset is not None)  # noqa: E731
    return new if score(new) > score(old) else old


def _blocks(text: str) -> list[list[str]]:
    """Blank-line separated blocks of stripped, non-empty lines.

    Comprehensions and groupby rather than a loop with appends: the per-line work runs
    in C. Whitespace runs, tabs and NBSPs are collapsed, and only looked for line by line
    when the stripped lines have one at all (a dump's indentation is stripped away)."""
    lines = [raw.strip() for raw in text.split("\n")]
    if "  " in text or "\t" in text or "\xa0" in text:
        inner = "\n".join(lines)
        if "  " in inner or "\t" in inner or "\xa0" in inner:
            lines = [
                _collapse(line) if "  " in line or "\t" in line or "\xa0" in line else line for line in lines
            ]
    # a stripped non-empty line stays non-empty when collapsed: bool() groups the same
    return [list(group) for nonblank, group in groupby(lines, bool) if nonblank]


def _collapse(line: str) -> str:
    return " ".join(line.split())


def _is_wrapped(block: list[str]) -> bool:
    """Hard-wrapped prose: every line but the last is long, none is a bullet."""
    if len(block) < 2:
        return False
    if len(block) == 2:  # a headline over a date line is not a wrapped paragraph
        shaped = len(block[0]) >= 50 and block[1][:1].islower()
    else:
        widths = [len(b) for b in block[:-1]]
        shaped = min(widths) >= 35 and max(widths) <= 110 and max(widths) - min(widths) <= 25
    # the widths first: they reject most blocks without a regex per line
    return shaped and not any(_BULLET.match(b) for b in block)


def parse_text(text: str, *, title_hint: str | None = None) -> Parts:
    """Split a text dump into article parts (see the module docstring for the rules)."""
    parts = Parts(format="text", extractor="newsflow-text")
    blocks = [[" ".join(b)] if _is_wrapped(b) else b for b in _blocks(text)]
    lines: list[str] = []
    block_of: list[int] = []
    for bi, block in enumerate(blocks):
        lines.extend(block)
        block_of.extend([bi] * len(block))
    if not lines:
        return parts
    datelines: dict[str, DatelineMatch | None] = {}
    start = _parse_header(lines, parts, title_hint, datelines)
    body_lines = lines[start:]
    body_blocks = block_of[start:]
    keep = [True] * len(body_lines)

    for found in find_link_blocks(body_lines, parts.published):
        (parts.related if found.kind == "related" else parts.latest).extend(found.items)
        for k in range(found.start, found.end):
            keep[k] = False

    title = parts.title or ""
    # lines are stripped, so a bullet starts with its mark: one `in` test skips the regex
    bullets = [
        k for k, ln in enumerate(body_lines) if ln[0] in _BULLET_MARKS and keep[k] and _BULLET.match(ln)
    ]
    # caption bullets repeat (a gallery says its title once per photo): each distinct
    # bullet line is unbulleted once. _BULLET is anchored at the start (no MULTILINE), so
    # its sub() removes exactly the match() prefix.
    unbulleted: dict[str, str] = {}
    for k in bullets:
        ln = body_lines[k]
        if ln not in unbulleted:
            unbulleted[ln] = strip_media_mark(ln[_BULLET.match(ln).end() :])[0]  # type: ignore[union-attr]
    bullet_text = {k: unbulleted[body_lines[k]] for k in bullets}
    repeats = repeated_lines(bullet_text.values())
    photos = 0
    for k in bullets:
        caption = bullet_text[k]
        if caption == title or caption in repeats:
            photos += 1
            if caption not in parts.captions:
                parts.captions.append(caption)
            keep[k] = False
    parts.photo_count = max(parts.photo_count, photos)

    repeated = repeated_lines(compress(body_lines, keep))
    paragraphs: list[str] = []
    last_block = -1
    for k, line in enumerate(body_lines):
        if not keep[k]:
            continue
        # strip_media_mark keeps a prefix of the line: only a line starting with the title
        # can be the title again
        # lines are stripped here, so only a leading CHROME_LEAD mark could change the
        # text those two look at: a long line without one answers both without the calls
        prose = line[0] not in _CHROME_MARKS and line.count(" ") >= _PROSE_SPACES
        if (not prose and is_boilerplate(line)) or (
            line.startswith(title) and strip_media_mark(line)[0] == title
        ):
            continue
        if not prose and is_media_credit(line):
            parts.photo_count = max(parts.photo_count, 1)
            continue
        if line in repeated and (_words(line) < MIN_BODY_WORDS or line in paragraphs):
            continue
        if (
            paragraphs
            and body_blocks[k] == last_block
            and not _SENTENCE_END.search(paragraphs[-1])
            and _words(line) > 3
            and line[:1].islower()
        ):
            paragraphs[-1] = f"{paragraphs[-1]} {line}"  # a sentence broken over two lines
        else:
            paragraphs.append(line)
        last_block = body_blocks[k]
    while paragraphs and _words(paragraphs[-1]) <= 3 and not _SENTENCE_END.search(paragraphs[-1]):
        paragraphs.pop()  # trailing menu words ("Home", "Contact us")

    if paragraphs and parts.dateline is None:
        dl = _dateline(paragraphs[0], datelines)
        if dl is not None:
            parts.dateline = dl.dateline
            parts.agency = parts.agency or dl.agency
    parts.paragraphs = paragraphs
    return parts
