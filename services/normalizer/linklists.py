"""The publisher's own "Related" / "Latest" link lists, as structured LinkItems.

In a text dump such a list is a run of (headline line, meta line) pairs, where the meta
line is a section and/or a time or date ("Politics 18:50", "18:50 | Politics",
"Economy, 26 Nov 2019 18:07"), usually after a short heading ("Related news", "Latest",
"Most read", "Lire aussi"). Two or more such pairs make a list; the heading, when there
is one, says whether it is related or latest (a list without a known heading is a news
feed: latest). Times are resolved against the page's own date and offset.
A heading that names a list ("Read also:") followed by short headline lines is a list
too, without metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from services.core.models import LinkItem

from .dates import Stamp, parse_date, resolve_clock

__all__ = ["LinkBlock", "classify_heading", "find_link_blocks", "parse_meta"]

Kind = Literal["related", "latest"]
Meta = tuple[str | None, str | None]  # (section, published_at) of a list's meta line

_RELATED = re.compile(
    r"^(?:related|see also|also read|read also|read more|more (?:on|about|from|news)|similar"
    r"|recommended|you may also like|you might also like|more stories|further reading"
    r"|(?:à )?lire aussi|voir aussi|sur le même sujet|mehr zum thema|auch interessant|lesen sie auch"
    r"|das könnte sie auch interessieren|lee también|te puede interesar|relacionad|leggi anche"
    r"|potrebbe interessarti|leia também|veja também|relacionad|читайте также|похожие|по теме"
    r"|ook interessant|lees ook|czytaj też|czytaj także)",
    re.I,
)
_LATEST = re.compile(
    r"^(?:latest|recent|most recent|news ?feed|most read|most popular|popular|top stories"
    r"|trending|breaking|just in|headlines|more news|news$|neueste|aktuell|meistgelesen"
    r"|dernières|dernière minute|les plus lus|últimas|lo más leído|ultime|ultim'ora|più lette"
    r"|mais lidas|последние|лента новостей|новости$)",
    re.I,
)
_CLOCK = r"\d{1,2}:\d{2}(?:\s?[ap]\.?m\.?)?"
_META_DATE = (
    r"(?:\d{1,2}\.?\s+[^\W\d]{3,10}\.?,?\s+\d{4}|[^\W\d]{3,10}\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}\s+[^\W\d]{3,10}\.?)"
)
_WHEN = rf"(?:{_META_DATE}(?:,?\s+(?:at\s+)?{_CLOCK})?|{_CLOCK})"
_SECTION = r"[^\W\d][\w&'’.\-/ ]{0,30}?"
_META_SECTION_FIRST = re.compile(rf"^(?:(?P<section>{_SECTION})\s*[|,·•—–-]?\s+)?(?P<when>{_WHEN})$")
_META_WHEN_FIRST = re.compile(rf"^(?P<when>{_WHEN})\s*[|,·•—–-]?\s*(?P<section>{_SECTION})$")
# `(?<![\d:])` + _CLOCK, led by a digit so that the search skips to digits in C (dates._ISO)
_CLOCK_END = re.compile(r"\d(?<![\d:]\d)\d?:\d{2}(?:\s?[ap]\.?m\.?)?$")
_SECTION_ONLY = re.compile(rf"^{_SECTION}$")
# searched from the last MAX_MEDIA_MARK characters only: a regex led by `\s*` and
# anchored at the end is otherwise tried at every position of the line
_MEDIA_MARK = re.compile(r"[(\[](?:photos?|videos?|foto|fotos|video|audio|infographic)[)\]]$", re.I)
MAX_MEDIA_MARK = len("(infographic)")
_BULLET = re.compile(r"^[•·*▪◦‣–—-]\s+")
_BULLET_MARKS = frozenset("•·*▪◦‣–—-")  # a line _BULLET can match starts with one
# one leading `\d` rather than four alternatives that each start with one: the regex
# engine then skips to the next digit in C instead of trying every position (~4x faster)
_HAS_WHEN = re.compile(r"\d(?::\d\d|\d{3}|[./]\d|\s+[^\W\d]{3})")

MAX_HEADING_WORDS = 6


@dataclass(slots=True)
class LinkBlock:
    """A link list found at lines [start, end) of the input."""

    kind: Kind
    start: int
    end: int
    heading: str | None
    items: list[LinkItem] = field(default_factory=list)


def classify_heading(line: str) -> Kind | None:
    if len(line) > 60:
        return None
    text = line.strip().rstrip(":").strip()
    if not text or len(text.split()) > MAX_HEADING_WORDS:
        return None
    if _RELATED.match(text):
        return "related"
    if _LATEST.match(text):
        return "latest"
    return None


def strip_media_mark(title: str) -> tuple[str, str | None]:
    """`Headline (PHOTO)` -> (`Headline`, `photo`): the marker is media, not headline."""
    if not title.endswith((")", "]")):
        return title, None
    m = _MEDIA_MARK.search(title, max(0, len(title) - MAX_MEDIA_MARK))
    if not m:
        return title, None
    head = title[: m.start()].rstrip()  # the whitespace before the marker goes with it
    kind = title[len(head) :].strip(" ()[]").lower()
    return head, ("video" if kind.startswith("vid") else "photo")


def parse_meta(line: str, page: Stamp | None) -> Meta | None:
    """(section, published_at) for a list meta line, or None when the line is not one."""
    text = line.strip()
    if not text or len(text) > 60 or not _HAS_WHEN.search(text):
        return None
    return _meta_of(text, page)


def _meta_of(text: str, page: Stamp | None) -> Meta | None:
    """parse_meta for a stripped line known to be short and to hold a time or date."""
    section: str | None
    fast = _CLOCK_END.search(text, max(0, len(text) - 14))
    head = text[: fast.start()].rstrip(" |,·•—–-") if fast else None
    if fast and (not head or _SECTION_ONLY.match(head)):
        section, when = head or None, fast.group(0)
    else:
        m = _META_SECTION_FIRST.match(text) or _META_WHEN_FIRST.match(text)
        if not m:
            return None
        section = (m.group("section") or "").strip(" |,·-") or None
        when = m.group("when")
    stamp = resolve_clock(when, page)
    if stamp is None:
        stamp = parse_date(when, fallback=False)
        if stamp is not None and stamp.offset is None and page is not None and page.offset:
            # same publisher, same page: its list times are in the page's offset
            stamp = Stamp(stamp.value - page.offset, page.offset, stamp.has_time)
    return section, (stamp.utc if stamp else None)


def _unbullet(line: str) -> str:
    """The stripped line without its bullet; the regex only for a line that starts with a
    bullet character (most list headlines have none)."""
    text = line.strip()
    return _BULLET.sub("", text) if text[:1] in _BULLET_MARKS else text


def _is_headline(line: str) -> bool:
    text = line.strip()
    return 2 <= len(text) <= 300 and len(text.split(maxsplit=1)) >= 2


def find_link_blocks(lines: list[str], page: Stamp | None) -> list[LinkBlock]:
    """Link lists in `lines` (blank lines already removed), in order."""
    blocks: list[LinkBlock] = []
    # parse_meta's own tests, inlined: most lines hold no time or date at all (a short
    # line stays short when stripped, and stripping never makes or breaks a _HAS_WHEN
    # hit). A page lists one story under several headings ("Related", "Latest"): each
    # distinct short line is looked at once, against the same page stamp, and every line
    # then takes its meta from that table in C (a long line is not in it: None).
    seen: dict[str, Meta | None] = {line: None for line in lines if len(line) <= 60}
    for line in seen:
        if _HAS_WHEN.search(line):
            seen[line] = _meta_of(line.strip(), page)
    metas = list(map(seen.get, lines))
    i, n = 0, len(lines)
    while i < n:
        if len(lines[i]) > 60 and (i + 1 == n or metas[i + 1] is None):
            i += 1  # too long for a heading, and no meta line follows: no list starts here
            continue
        kind = classify_heading(lines[i])
        start_items = i + 1 if kind else i
        items: list[LinkItem] = []
        j = start_items
        while j + 1 < n and metas[j] is None and metas[j + 1] is not None and _is_headline(lines[j]):
            section, published = metas[j + 1]  # type: ignore[misc]
            title, _ = strip_media_mark(_unbullet(lines[j]))
            items.append(LinkItem(title=title, section=section, published_at=published))
            j += 2
        if len(items) >= 2 or (items and kind):
            heading = lines[i].strip().rstrip(":") if kind else None
            blocks.append(LinkBlock(kind or "latest", i, j, heading, items))
            i = j
            continue
        if kind and not items:
            # "Read also:" + short headline lines without metadata
            j = i + 1
            while j < n and _BULLET.match(lines[j].strip() or "x") and _is_headline(lines[j]):
                title, _ = strip_media_mark(_unbullet(lines[j]))
                items.append(LinkItem(title=title))
                j += 1
            if items:
                blocks.append(LinkBlock(kind, i, j, lines[i].strip().rstrip(":"), items))
                i = j
                continue
        i += 1
    return blocks
