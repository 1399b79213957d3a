"""Dates and times as news pages write them, turned into UTC plus the page's own offset.

Why not dateparser for everything: it costs about a millisecond per call (and a second
to load), which alone would blow the text-dump budget. The shapes news pages actually
use (ISO 8601, `26 November 2019 18:49 (UTC+04:00)`, `Nov. 26, 2019 2:49 PM EST`,
`26.11.2019 18:49`, RFC 2822) are parsed here with small linear regexes; dateparser is
the bounded fallback for the rest (short strings only, never in a loop over a page).

Offsets: an explicit offset (`+04:00`, `UTC+4`, `GMT-0500`) or a named zone (`EST`,
`CET`, ...) is kept as the page's offset. A time without any zone is taken as UTC and
the caller records a warning, because guessing the publisher's zone would be wrong in
half the cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

__all__ = [
    "Stamp",
    "format_offset",
    "parse_date",
    "parse_offset",
    "resolve_clock",
    "to_rfc3339",
]

MONTHS: dict[str, int] = {}
_MONTH_NAMES = {
    1: "january jan janvier janv januar jän jänner enero ene gennaio genn gen janeiro januari",
    2: "february feb febr février févr fevrier februar febrero gennaio_ febbraio febb fevereiro fev februari",
    3: "march mar mars märz maerz marzo março marco maart",
    4: "april apr avril abril aprile",
    5: "may mai mayo maggio mag maio mei",
    6: "june jun juin juni junio giugno giu junho",
    7: "july jul juillet juil juli julio luglio lug julho",
    8: "august aug août aout agosto ago augustus",
    9: "september sep sept septembre setiembre septiembre settembre sett set setembro",
    10: "october oct octobre oktober okt octubre ottobre ott outubro out",
    11: "november nov novembre noviembre novembro",
    12: "december dec décembre decembre dezember dez diciembre dic dicembre dezembro",
}
for _num, _names in _MONTH_NAMES.items():
    for _name in _names.split():
        if not _name.endswith("_"):
            MONTHS.setdefault(_name, _num)

# Named zones news pages print. Ambiguous ones (IST, CST) take their most common news
# meaning; the offset is what we keep, so a wrong guess is at worst visible.
ZONES: dict[str, int] = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "WET": 0, "WEST": 60, "BST": 60, "IST": 330,
    "CET": 60, "CEST": 120, "MEZ": 60, "MESZ": 120, "EET": 120, "EEST": 180, "MSK": 180,
    "AZT": 240, "GST": 240, "PKT": 300, "ICT": 420, "WIB": 420, "HKT": 480, "SGT": 480,
    "AWST": 480, "JST": 540, "KST": 540, "ACST": 570, "AEST": 600, "AEDT": 660,
    "NZST": 720, "NZDT": 780, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300,
    "MST": -420, "MDT": -360, "PST": -480, "PDT": -420, "AKST": -540, "HST": -600,
    "AST": -240, "ADT": -180, "NST": -210, "BRT": -180, "ART": -180,
}  # fmt: skip
_ZONE_RE = "|".join(sorted(ZONES, key=len, reverse=True))

# Numeric searches lead with a digit class, not with the lookbehind that keeps a match
# from starting inside a number: the engine then skips in C to the next digit instead
# of entering the matcher at every position (~3x faster on a line). The lookbehind
# follows the first digit and says the same: `\d(?<!\d\d)` has no digit before it.
_ISO = re.compile(
    r"(\d(?<!\d\d)\d{3})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?)?"
    r"\s?(Z(?![a-z])|[+\-−]\d{2}(?::?\d{2})?(?!\d))?",
    re.I,
)
# month names are matched as any word and looked up in MONTHS afterwards: one big
# alternation tried at every position would cost more than the rest of the parse
_DMY_NAME = re.compile(
    r"(\d(?<!\d\d)\d?)(?:st|nd|rd|th|er|º)?\.?\s+(?:de\s+)?([^\W\d_]{3,10})\.?,?\s+(?:de\s+)?"
    r"(\d{4})(?!\d)"
)
# (letter-led with the lookbehind first: nearly every position is a letter, and the
# lookbehind rejects the inner ones before the matcher does any work)
_MDY_NAME = re.compile(r"(?<![\w])([^\W\d_]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?!\d),?\s+(\d{4})(?!\d)")
_NUMERIC = re.compile(r"(\d(?<![\d.]\d)\d?)([./-])(\d{1,2})\2(\d{4})(?![\d.])")
_YMD_SLASH = re.compile(r"(\d(?<!\d\d)\d{3})/(\d{1,2})/(\d{1,2})(?!\d)")
_TIME = re.compile(
    r"^[\s,|·•–—-]{0,4}(?:at\s+|à\s+|a\s+las\s+|um\s+|alle\s+|às\s+|om\s+|kl\.?\s+)?"
    r"(\d{1,2})[:h.](\d{2})(?::(\d{2}))?(?:\s*Uhr)?\s*([ap]\.?\s?m\.?(?![a-z]))?",
    re.I,
)
_OFFSET = re.compile(
    r"^[\s,(\[]{0,3}(?:(?:UTC|GMT)\s*([+\-−])\s*(\d{1,2})(?::?(\d{2}))?"
    rf"|([+\-−])(\d{{2}}):?(\d{{2}})(?!\d)|({_ZONE_RE})(?![A-Za-z]))",
)
_OFFSET_ANY = re.compile(
    r"(?:UTC|GMT)\s*([+\-−])\s*(\d{1,2})(?::?(\d{2}))?|(?<![\w:])([+\-−])(\d{2}):?(\d{2})(?!\d)"
)
_YEAR = re.compile(r"\d\d\d\d")
_TIME_BEFORE = re.compile(r"(\d\d?)[:h](\d{2})\s*([ap]\.?m\.?)?[\s,|-]*$")
_CLOCK = re.compile(r"^(\d{1,2})[:h.](\d{2})(?:\s*([ap])\.?\s?m\.?)?$", re.I)
_RELATIVE_WORDS = re.compile(r"\b(ago|yesterday|today|hours?|minutes?)\b", re.I)

MAX_FALLBACK_CHARS = 80
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Stamp:
    """A point in time as a page gave it.

    `value` is aware (UTC) when the page gave a time; `offset` is the page's own offset
    when it said one; `has_time` is False for a bare date (midnight is then a guess).
    """

    value: datetime
    offset: timedelta | None
    has_time: bool

    @property
    def local(self) -> datetime:
        """The stamp in the page's own offset (UTC when none was given)."""
        return self.value.astimezone(timezone(self.offset or timedelta(0)))

    @property
    def utc(self) -> str:
        return to_rfc3339(self.value)

    @property
    def offset_text(self) -> str | None:
        return format_offset(self.offset) if self.offset is not None else None


@lru_cache(maxsize=8192)
def to_rfc3339(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, second precision: the contract's published_at form."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _minus(sign: str) -> bool:
    return sign in "-−"


def parse_offset(text: str) -> timedelta | None:
    """Find an explicit offset or a named zone at the start of `text` (after spaces/brackets)."""
    m = _OFFSET.match(text)
    if not m:
        return None
    if m.group(2) is not None:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return timedelta(minutes=-minutes if _minus(m.group(1)) else minutes)
    if m.group(5) is not None:
        minutes = int(m.group(5)) * 60 + int(m.group(6))
        return timedelta(minutes=-minutes if _minus(m.group(4)) else minutes)
    return timedelta(minutes=ZONES[m.group(7)])


def _year_ok(year: int) -> bool:
    return 1990 <= year <= 2100


def _first_month_match(rx: re.Pattern[str], text: str, group: int) -> re.Match[str] | None:
    for m in rx.finditer(text):
        if m.group(group).lower() in MONTHS:
            return m
    return None


def _find_date(text: str, m: re.Match[str] | None) -> tuple[date, int, int] | None:
    """First calendar date in text, with where it starts and ends; `m` is
    `_ISO.search(text)`, which the caller has at hand."""
    best: tuple[int, date, int] | None = None
    if m:
        try:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            best = (m.start(), d, m.end(3))
        except ValueError:
            pass
    for rx, order in ((_DMY_NAME, "dmy"), (_MDY_NAME, "mdy")):
        if best and best[0] == 0:
            break  # a date at the very start: no later shape can start earlier
        m = _first_month_match(rx, text, 2 if order == "dmy" else 1)
        if not m or (best and m.start() >= best[0]):
            continue
        if order == "dmy":
            day, month, year = int(m.group(1)), MONTHS[m.group(2).lower()], int(m.group(3))
        else:
            month, day, year = MONTHS[m.group(1).lower()], int(m.group(2)), int(m.group(3))
        try:
            best = (m.start(), date(year, month, day), m.end())
        except ValueError:
            continue
    for rx in (_NUMERIC, _YMD_SLASH):
        if best and best[0] == 0:
            break
        m = rx.search(text)
        if not m or (best and m.start() >= best[0]):
            continue
        try:
            if rx is _YMD_SLASH:
                d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            else:
                a, b, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
                # day first unless impossible: most of the world writes 26.11.2019 / 26/11/2019
                d = date(year, a, b) if (b > 12 and a <= 12) else date(year, b, a)
        except ValueError:
            continue
        best = (m.start(), d, m.end())
    if best is None or not _year_ok(best[1].year):
        return None
    return best[1], best[0], best[2]


def parse_date(text: str | None, *, fallback: bool = True) -> Stamp | None:
    """Parse the first date (and time, and zone) in `text`; None when there is none.

    ISO strings keep their own offset; other shapes look right after the date for a time
    and then for a zone. `fallback` lets dateparser try short strings the regexes missed.
    """
    if not text:
        return None
    text = text.strip()[:400]
    if _YEAR.search(text) is None:
        return None  # every shape here and the fallback's need a four-digit year
    # an ISO date has its `-`: a date line without one ("26 November 2019 18:49") skips
    # both ISO searches
    dashed = "-" in text
    m = (_ISO.match(text) or _ISO.search(text[:120])) if dashed else None
    if m and m.group(4) is not None:
        try:
            naive = datetime(
                int(m.group(1)), int(m.group(2)), int(m.group(3)),
                int(m.group(4)), int(m.group(5)), int(m.group(6) or 0),
            )  # fmt: skip
        except ValueError:
            naive = None
        if naive is not None and _year_ok(naive.year):
            offset = None
            zone = m.group(7)
            if zone:
                offset = timedelta(0) if zone.upper() == "Z" else parse_offset(zone)
            else:
                offset = parse_offset(text[m.end() :])
            return _stamp(naive, offset, True)
    # on a short text the search above already was the full one _find_date would repeat
    found = _find_date(text, m if len(text) <= 120 or not dashed else _ISO.search(text))
    if found is None:
        return _fallback(text) if fallback else None
    day, start, end = found
    rest = text[end : end + 60]
    tm = _TIME.match(rest) if rest else None  # (both time patterns need a digit)
    if tm is None:
        # "18:49, 26 November 2019": a time just before the date, looked for in short texts
        before = _TIME_BEFORE.search(text[:start]) if start and len(text) < 120 else None
        hour = minute = second = 0
        has_time = False
        if before:
            hour, minute = int(before.group(1)), int(before.group(2))
            hour = _ampm(hour, before.group(3))
            has_time = True
        offset = parse_offset(rest) if has_time else None
    else:
        hour, minute, second = int(tm.group(1)), int(tm.group(2)), int(tm.group(3) or 0)
        hour = _ampm(hour, tm.group(4))
        has_time = True
        offset = parse_offset(rest[tm.end() :])
        if offset is None:
            near = _OFFSET_ANY.search(rest[tm.end() : tm.end() + 24])
            if near:
                offset = parse_offset(near.group(0))
    if hour > 23 or minute > 59 or second > 59:
        hour = minute = second = 0
        has_time = False
    naive = datetime(day.year, day.month, day.day, hour, minute, second)
    return _stamp(naive, offset, has_time)


def _ampm(hour: int, marker: str | None) -> int:
    if not marker:
        return hour
    pm = marker.lower().startswith("p")
    if pm and hour < 12:
        return hour + 12
    if not pm and hour == 12:
        return 0
    return hour


def _stamp(naive: datetime, offset: timedelta | None, has_time: bool) -> Stamp:
    """The naive local time in `offset` (UTC when None) as an aware UTC datetime.

    `(naive - offset).replace(tzinfo=UTC)` is what `naive.replace(tzinfo=timezone(offset))
    .astimezone(UTC)` computes for a fixed offset, without the two intermediate objects."""
    if offset is None:
        return Stamp(naive.replace(tzinfo=UTC), None, has_time)
    if not -_DAY < offset < _DAY:
        timezone(offset)  # raises the ValueError it always raised for such an offset
    return Stamp((naive - offset).replace(tzinfo=UTC), offset, has_time)


def _fallback(text: str) -> Stamp | None:
    """dateparser for what the regexes missed: short strings only, never relative dates."""
    if len(text) > MAX_FALLBACK_CHARS or not re.search(r"\d", text):
        return None
    if _RELATIVE_WORDS.search(text) or not re.search(r"\d{4}", text):
        return None  # relative or year-less dates need a reference we do not have
    try:
        import dateparser

        parsed = dateparser.parse(
            text,
            settings={"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False},
        )
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    if parsed is None or not _year_ok(parsed.year):
        return None
    offset = parsed.utcoffset() if parsed.tzinfo else None
    naive = parsed.replace(tzinfo=None)
    has_time = (naive.hour, naive.minute, naive.second) != (0, 0, 0)
    return _stamp(naive, offset, has_time)


@lru_cache(maxsize=4096)
def resolve_clock(clock: str, page: Stamp | None) -> Stamp | None:
    """A bare `18:50` on a page: that time on the page's own local date and offset."""
    if page is None:
        return None
    m = _CLOCK.match(clock.strip())
    if not m:
        return None
    hour, minute = _ampm(int(m.group(1)), m.group(3)), int(m.group(2))
    if hour > 23 or minute > 59:
        return None
    local = page.local
    naive = datetime(local.year, local.month, local.day, hour, minute)
    return _stamp(naive, page.offset, True)
