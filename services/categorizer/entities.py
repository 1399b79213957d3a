"""People and organisations: fast, offline, best-effort heuristics.

No NER model ships with the service (it must run thousands of articles per second on
one core without an ML framework), so names come from capitalised word runs plus cues
news style reliably provides: titles before people ("Colonel General Najmeddin
Sadikov", "President ..."), speech verbs after them ("..., Smith said"), surnames
repeated alone later, organisation words ("Ministry", "Committee", "Bank") and
acronyms ("NATO"). Words the training corpora mostly write in lower case
(`common_words` from the model) are never name parts, which removes sentence-initial
words and most false positives.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, count
from operator import itemgetter

from .entitywords import (
    ACRONYM_EXCLUDE,
    CONNECTOR_CASES,
    CONNECTORS,
    GENERIC_ORG_WORDS,
    KNOWN_ORGS,
    MONTHS_DAYS,
    MULTIWORD_ORGS,
    NAME_PARTICLES,
    NON_PERSON,
    ORG_CUES,
    PORTFOLIO,
    SPEECH,
    SPLITTERS,
    TITLES,
)
from .wordtokens import ENTITY_TOKEN_RE

#: Text beyond this many characters per field is not scanned (bounds the worst case).
MAX_CHARS = 20_000
#: Whether a lower-cased run holds any MULTIWORD_ORGS key (as a substring, like the loop).
_ANY_MULTIWORD_ORG = re.compile("|".join(re.escape(key) for key, _ in MULTIWORD_ORGS))
# Tokens: dotted acronyms, words (inner apostrophes kept), single punctuation marks.
# A possessive "'s" is matched but left out of the token (group 1): "Russia's" -> "Russia".
_TOKEN_RE = ENTITY_TOKEN_RE


@dataclass
class Entities:
    people: list[str]
    organizations: list[str]


def _runs(tokens: list[str], up: list[bool]) -> list[tuple[int, int]]:
    """(start, end) of maximal capitalised runs of two or more tokens; connectors may join
    two capitalised words. `up`: whether each token starts with a capital. Only
    capitalised tokens can start a run, so the many lower-case tokens are never visited.
    A lone capitalised word is not a run: it can be neither a person (two to four words)
    nor an organisation (a cue word alone is generic)."""
    n = len(tokens)
    done = 0
    runs = []
    for i in compress(count(), up):
        if i < done:
            continue
        j = i + 1
        while j < n:
            if up[j]:
                j += 1
            elif tokens[j] in CONNECTOR_CASES:
                k = j + 1
                while k < n and tokens[k] in CONNECTOR_CASES:
                    k += 1
                if k < n and up[k]:
                    j = k + 1
                else:
                    break
            else:
                break
        done = j
        if j - i >= 2:
            runs.append((i, j))
    return runs


def _is_acronym_org(tok: str, place_words: set[str]) -> bool:
    """A capitalised token that is reported as an organisation on its own ("NATO")."""
    return (
        2 <= len(tok) <= 6
        and tok.isupper()
        and tok.isalpha()
        and tok not in ACRONYM_EXCLUDE
        and tok.lower() not in place_words
    )


def extract_entities(
    texts: Iterable[str],
    place_words: set[str],
    common_words: frozenset[str],
    max_items: int = 20,
    tokens: Sequence[list[str]] | None = None,
) -> Entities:
    """People and organisations from the article's texts: title first (a Title Case
    title is used for acronyms only), then subtitle, lead and body.

    `tokens`: `_TOKEN_RE.findall(text[:MAX_CHARS])` of each text when the caller has
    them (the pipeline shares them with the place scan). `common_words` may already
    include MONTHS_DAYS (the pipeline passes the union, built once).
    """
    common = common_words if common_words >= MONTHS_DAYS else common_words | MONTHS_DAYS
    people: dict[str, str] = {}  # key (lower full name) -> display, in order found
    orgs: dict[str, str] = {}
    # Capitalised tokens of the texts analysed, counted once per text (C-level Counter);
    # which of them count as surname mentions is decided per distinct word at the end.
    cap_counts: Counter[str] = Counter()
    candidates: list[tuple[list[str], bool]] = []  # name tokens, has cue
    seen: set[tuple[str, ...]] = set()  # runs analysed, with their neighbours

    def add_org(name: str) -> None:
        key = name.lower()
        if key in place_words:
            return  # "Russian Federation" is a country, not an organisation
        if key not in orgs:
            orgs[key] = name

    texts = list(texts)
    if tokens is None:
        tokens = [_TOKEN_RE.findall(t[:MAX_CHARS]) if t else [] for t in texts]
    for n_text, (text, toks) in enumerate(zip(texts, tokens, strict=True)):
        if not text:
            continue
        # Per-token flags by C-level `map`s over the first characters (no Python loop).
        firsts = list(map(itemgetter(0), toks))
        alpha = list(map(str.isalpha, firsts))
        n_letters = sum(alpha)
        if n_letters and sum(map(str.isupper, compress(toks, alpha))) > 0.6 * n_letters:
            continue  # all-caps headlines carry no capitalisation signal
        if n_text == 0:
            long_words = [t for t in compress(toks, alpha) if len(t) > 3]
            if len(long_words) >= 4 and sum(t[0].isupper() for t in long_words) > 0.8 * len(long_words):
                # Title Case headline: every word is capitalised, so only acronyms count.
                for tok in toks:
                    if _is_acronym_org(tok, place_words):
                        add_org(KNOWN_ORGS.get(tok.lower(), tok))
                continue
        up = list(map(str.isupper, firsts))
        cap_toks = list(compress(toks, up))
        cap_counts.update(cap_toks)
        # Acronyms, each distinct one once, in order of first occurrence.
        for tok in filter(str.isupper, dict.fromkeys(cap_toks)):
            if _is_acronym_org(tok, place_words):
                add_org(KNOWN_ORGS.get(tok.lower(), tok))
        for start, end in _runs(toks, up):
            span = toks[start:end]
            prev = toks[start - 1] if start > 0 else ""
            nxt = toks[end] if end < len(toks) else ""
            nxt2 = toks[end + 1] if end + 1 < len(toks) else ""
            # A run seen before with the same neighbours adds nothing new (organisations
            # are kept once, a repeated candidate is accepted or not as the first was).
            seen_key = (prev, nxt, nxt2, *span)
            if seen_key in seen:
                continue
            seen.add(seen_key)
            low = list(map(str.lower, span))
            joined = " ".join(low)
            if _ANY_MULTIWORD_ORG.search(joined):  # one C-level scan; most runs have none
                for key, name in MULTIWORD_ORGS:
                    if key in joined:
                        add_org(name)
            _organisation(span, low, add_org, common)
            _people_in_run(span, low, prev, nxt, nxt2, candidates, common, place_words)

    # Accept candidates: a cue, or the surname repeated alone elsewhere (a capitalised
    # token of > 2 letters, not a common word and not reported as an acronym).
    for toks, cue in candidates:
        surname = toks[-1]
        if not cue and not (
            cap_counts[surname] >= 2
            and len(surname) > 2
            and surname.lower() not in common
            and not _is_acronym_org(surname, place_words)
        ):
            continue
        key = " ".join(t.lower() for t in toks)
        if key in orgs:
            continue
        if key not in people:
            people[key] = " ".join(toks)
    # Drop a person that is the tail of a longer one ("Sadikov" vs "Najmeddin Sadikov").
    full = list(people.values())
    keep = [p for p in full if not any(o != p and o.endswith(" " + p) for o in full)]
    org_list = list(orgs.values())
    # Drop an organisation that is one word of a person's name: a person has two to four
    # words, so such an organisation is never the person itself (one set, not O(n*m) splits).
    person_words = {w for p in keep for w in p.split()}
    org_list = [o for o in org_list if o not in person_words]
    return Entities(people=keep[:max_items], organizations=org_list[:max_items])


def _organisation(
    span: list[str], low: list[str], add_org: Callable[[str], None], common: frozenset[str]
) -> None:
    """Organisation names in a run: each ends at an organisation cue word
    ("NATO Military Committee", "Ministry of Defense", "Bank of Georgia")."""
    if ORG_CUES.isdisjoint(low):
        return  # most runs hold no cue word
    n = len(low)
    for c in range(n):
        if low[c] not in ORG_CUES:
            continue
        if c + 1 < n and low[c + 1] not in CONNECTORS:
            continue  # the name goes on ("Defense Ministry Press Office")
        end = c + 1
        if end < n and low[end] in ("of", "for"):
            k = end
            while k < n and (low[k] in CONNECTORS or span[k][:1].isupper()):
                if low[k] == "and" or (low[k] in TITLES and low[k] not in PORTFOLIO):
                    break
                k += 1
            while k > end and low[k - 1] in CONNECTORS:
                k -= 1
            end = k
        start = c
        while (
            start > 0
            and low[start - 1] not in CONNECTORS
            and (low[start - 1] not in TITLES or low[start - 1] in ORG_CUES or low[start - 1] in PORTFOLIO)
        ):
            start -= 1
        while start < c and (low[start] == "the" or low[start] in ("first", "deputy")):
            start += 1
        if GENERIC_ORG_WORDS.issuperset(low[start:end]):
            continue  # "Armed Forces", "the Ministry": says nothing on its own
        if end - start == 1 and low[start] in common:
            continue
        add_org(" ".join(span[start:end]))


def _people_in_run(
    span: list[str],
    low: list[str],
    prev: str,
    nxt: str,
    nxt2: str,
    candidates: list[tuple[list[str], bool]],
    common: frozenset[str],
    place_words: set[str],
) -> None:
    """Split a run at connectors; each part may be '<titles> Given [Middle] Surname'."""
    parts: list[tuple[int, int]] = []
    s = 0
    if not SPLITTERS.isdisjoint(low):
        for i, t in enumerate(low):
            if t in SPLITTERS:
                if i > s:
                    parts.append((s, i))
                s = i + 1
    if s < len(span):
        parts.append((s, len(span)))
    for a, b in parts:
        if b - a < 2:
            continue  # one word is never a name of two to four (titles only shorten it)
        cue = False
        # A title before the run ("... General of the Army Valery Gerasimov").
        if a == 0 and prev.lower() in TITLES:
            cue = True
        if a > 0 and not TITLES.isdisjoint(low[:a]):
            cue = True
        i = a
        while i < b and (low[i] in TITLES or low[i] in place_words or low[i] in common):
            if low[i] in TITLES:
                cue = True
            i += 1
        if not 2 <= b - i <= 4:
            continue
        if (
            low[i] in common
            or low[b - 1] in NON_PERSON
            or any(
                lo in place_words
                or t.isupper()
                or lo in ORG_CUES
                or lo in TITLES
                or (not cue and lo in common)
                or (not t[:1].isupper() and lo not in NAME_PARTICLES)
                for t, lo in zip(span[i:b], low[i:b], strict=True)
            )
        ):
            continue
        if b == len(span) and (nxt.lower() in SPEECH or (nxt == "," and nxt2.lower() in SPEECH)):
            cue = True
        candidates.append((span[i:b], cue))
