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
from collections.abc import Iterable
from dataclasses import dataclass

# Word lists are written as text (one source line per ~80 chars), split at import.
_split = str.split

#: Text beyond this many characters per field is not scanned (bounds the worst case).
MAX_CHARS = 20_000
# Tokens: dotted acronyms, words (inner apostrophes kept), single punctuation marks.
# A possessive "'s" is matched but left out of the token (group 1): "Russia's" -> "Russia".
_TOKEN_RE = re.compile(r"((?:[A-Z]\.){2,}|[^\W\d_]+(?:['’](?!s\b)[^\W\d_]+)*|[^\w\s])(?:['’]s\b)?")

TITLES = frozenset(
    _split(
        """
president vice prime minister ministers deputy secretary general colonel lieutenant
major captain admiral marshal commander chief chairman chairwoman chair ceo director
head senator sen rep representative congressman congresswoman governor mayor king queen
prince princess sheikh emir sultan pope cardinal bishop archbishop rabbi imam ayatollah
mr mrs ms dr prof professor judge justice ambassador envoy spokesman spokeswoman
spokesperson chancellor premier speaker leader coach manager striker midfielder defender
goalkeeper quarterback pitcher champion founder executive officer analyst economist
first lady lord sir dame sergeant corporal private inspector detective superintendent
commissioner president-elect foreign defence defense interior finance economy energy
health trade justice army navy staff armed forces of the federation
"""
    )
)

SPEECH = frozenset(
    {
        "said",
        "says",
        "told",
        "added",
        "noted",
        "stressed",
        "emphasized",
        "emphasised",
        "explained",
        "announced",
        "declared",
        "wrote",
        "argued",
        "insisted",
        "warned",
        "asked",
        "replied",
        "according",
    }
)

ORG_CUES = frozenset(
    _split(
        """
co cos gmbh ag nv bv spa plc kk bhd pty sa lp
ministry ministries committee council bank banks company companies corp corporation inc
ltd llc plc group university party agency association federation union commission
parliament court forces army navy department office organization organisation institute
fund exchange airlines airways motors reserve assembly congress senate police service
authority board foundation society club bureau administration cabinet government embassy
alliance league network systems technologies holdings partners securities petroleum
airline school college hospital academy centre center coalition movement front brigade
corps guard council's times post journal news agency's industries
"""
    )
)

GENERIC_ORG_WORDS = ORG_CUES | frozenset(
    _split(
        """
the of and for national state general central federal supreme armed military defense
defence foreign internal interior security joint high first public general's staff
"""
    )
)

CONNECTORS = frozenset(
    {
        "of",
        "the",
        "and",
        "for",
        "de",
        "du",
        "van",
        "von",
        "der",
        "bin",
        "ibn",
        "al",
        "la",
        "le",
        "da",
        "del",
        "on",
    }
)
NAME_PARTICLES = frozenset({"van", "von", "der", "de", "bin", "ibn", "al", "da", "del", "la"})

ACRONYM_EXCLUDE = frozenset(
    """
US USA UK UAE REUTER REUTERS PHOTO VIDEO UPDATE UPDATED PM AM GMT UTC TV CEO CFO COO OK ID PC AP AFP
UPI RSS FAQ PDF HTML USD EUR GBP JPY RUB AZN NB PS II III IV VI VII VIII IX XI XII DIY
LIVE BREAKING NEWS EXCLUSIVE WATCH READ MORE CNN? Q A I
""".replace("?", "").split()
)

KNOWN_ORGS = {
    "united nations": "United Nations",
    "red cross": "Red Cross",
    "red crescent": "Red Crescent",
    "white house": "White House",
    "pentagon": "Pentagon",
    "kremlin": "Kremlin",
    "hamas": "Hamas",
    "hezbollah": "Hezbollah",
    "taliban": "Taliban",
    "al qaeda": "al-Qaeda",
    "al-qaeda": "al-Qaeda",
    "wall street": "Wall Street",
    "european union": "European Union",
    "world bank": "World Bank",
    "interpol": "Interpol",
    "opec": "OPEC",
    "nato": "NATO",
}

_MULTIWORD_ORGS = [(k, v) for k, v in KNOWN_ORGS.items() if " " in k]

MONTHS_DAYS = frozenset(
    _split(
        """
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday
friday saturday sunday
"""
    )
)


#: Words that end a "name" that is not a person ("Glass-Steagall Act", "Wall Street").
NON_PERSON = frozenset(
    _split(
        """
act law bill treaty accord agreement street road avenue square river sea ocean mountain
island islands airport station bridge hotel stadium cup league prize award awards day
week war summit games olympics index festival church cathedral palace house hospital
program programme project plan report crisis zone region province state county city
"""
    )
)


@dataclass
class Entities:
    people: list[str]
    organizations: list[str]


def _runs(tokens: list[str], caps: list[int]) -> Iterable[tuple[int, int]]:
    """(start, end) of maximal capitalised runs of two or more tokens; connectors may join
    two capitalised words. `caps`: indices of the capitalised tokens (only they can start
    a run, so the many lower-case tokens are never visited). A lone capitalised word is
    not a run: it can be neither a person (two to four words) nor an organisation (a cue
    word alone is generic)."""
    n = len(tokens)
    done = 0
    for i in caps:
        if i < done:
            continue
        j = i + 1
        while j < n:
            if tokens[j][0].isupper():
                j += 1
            elif tokens[j].lower() in CONNECTORS:
                k = j
                while k < n and tokens[k].lower() in CONNECTORS:
                    k += 1
                if k < n and tokens[k][0].isupper():
                    j = k + 1
                else:
                    break
            else:
                break
        done = j
        if j - i >= 2:
            yield i, j


def extract_entities(
    texts: Iterable[str],
    place_words: set[str],
    common_words: frozenset[str],
    max_items: int = 20,
) -> Entities:
    """People and organisations from the article's texts: title first (a Title Case
    title is used for acronyms only), then subtitle, lead and body."""
    people: dict[str, str] = {}  # key (lower full name) -> display
    people_order: list[str] = []
    orgs: dict[str, str] = {}
    orgs_order: list[str] = []
    single_mentions: dict[str, int] = {}
    candidates: list[tuple[list[str], bool]] = []  # name tokens, has cue

    def is_common(tok: str) -> bool:
        low = tok.lower()
        return low in common_words or low in MONTHS_DAYS

    def is_place(tok: str) -> bool:
        return tok.lower() in place_words

    def add_org(name: str) -> None:
        key = name.lower()
        if key in place_words:
            return  # "Russian Federation" is a country, not an organisation
        if key not in orgs:
            orgs[key] = name
            orgs_order.append(key)

    for n_text, text in enumerate(texts):
        if not text:
            continue
        tokens: list[str] = _TOKEN_RE.findall(text[:MAX_CHARS])
        letters = [t for t in tokens if t[0].isalpha()]
        if letters and sum(map(str.isupper, letters)) > 0.6 * len(letters):
            continue  # all-caps headlines carry no capitalisation signal
        caps = [i for i, t in enumerate(tokens) if t[0].isupper()]
        long_words = [t for t in letters if len(t) > 3]
        if (
            n_text == 0
            and len(long_words) >= 4
            and sum(t[0].isupper() for t in long_words) > 0.8 * len(long_words)
        ):
            # Title Case headline: every word is capitalised, so only acronyms count.
            for tok in tokens:
                if (
                    tok.isupper()
                    and 2 <= len(tok) <= 6
                    and tok.isalpha()
                    and tok not in ACRONYM_EXCLUDE
                    and not is_place(tok)
                ):
                    add_org(KNOWN_ORGS.get(tok.lower(), tok))
            continue
        for tok in [tokens[i] for i in caps]:
            if (
                2 <= len(tok) <= 6
                and tok.isupper()
                and tok.isalpha()
                and tok not in ACRONYM_EXCLUDE
                and not is_place(tok)
            ):
                add_org(KNOWN_ORGS.get(tok.lower(), tok))
            elif len(tok) > 2 and not is_common(tok):
                single_mentions[tok] = single_mentions.get(tok, 0) + 1
        for start, end in _runs(tokens, caps):
            span = tokens[start:end]
            low = [t.lower() for t in span]
            if end - start >= 2:
                joined = " ".join(low)
                for key, name in _MULTIWORD_ORGS:
                    if key in joined:
                        add_org(name)
            _organisation(span, low, add_org, is_common, is_place)
            prev = tokens[start - 1] if start > 0 else ""
            nxt = tokens[end] if end < len(tokens) else ""
            nxt2 = tokens[end + 1] if end + 1 < len(tokens) else ""
            _people_in_run(span, low, prev, nxt, nxt2, candidates, is_common, is_place)

    # Accept candidates: a cue, or the surname repeated alone elsewhere.
    for toks, cue in candidates:
        surname = toks[-1]
        repeated = single_mentions.get(surname, 0) >= 2
        if not (cue or repeated):
            continue
        key = " ".join(t.lower() for t in toks)
        if key in orgs:
            continue
        if key not in people:
            people[key] = " ".join(toks)
            people_order.append(key)
    # Drop a person that is the tail of a longer one ("Sadikov" vs "Najmeddin Sadikov").
    full = [people[k] for k in people_order]
    keep = [p for p in full if not any(o != p and o.endswith(" " + p) for o in full)]
    org_list = [orgs[k] for k in orgs_order]
    org_list = [o for o in org_list if not any(o != p and o in p.split() for p in keep)]
    return Entities(people=keep[:max_items], organizations=org_list[:max_items])


# Title words that are also parts of organisation names ("Ministry of Foreign Trade").
_PORTFOLIO = frozenset(
    {
        "of",
        "the",
        "federation",
        "forces",
        "armed",
        "defense",
        "defence",
        "foreign",
        "interior",
        "finance",
        "trade",
        "health",
        "energy",
        "economy",
        "justice",
        "army",
        "navy",
        "staff",
    }
)


def _organisation(span, low, add_org, is_common, is_place) -> None:
    """Organisation names in a run: each ends at an organisation cue word
    ("NATO Military Committee", "Ministry of Defense", "Bank of Georgia")."""
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
                if low[k] == "and" or (low[k] in TITLES and low[k] not in _PORTFOLIO):
                    break
                k += 1
            while k > end and low[k - 1] in CONNECTORS:
                k -= 1
            end = k
        start = c
        while (
            start > 0
            and low[start - 1] not in CONNECTORS
            and (low[start - 1] not in TITLES or low[start - 1] in ORG_CUES or low[start - 1] in _PORTFOLIO)
        ):
            start -= 1
        while start < c and (low[start] == "the" or low[start] in ("first", "deputy")):
            start += 1
        words = span[start:end]
        distinctive = [w for w in words if w.lower() not in GENERIC_ORG_WORDS]
        if not distinctive:
            continue  # "Armed Forces", "the Ministry": says nothing on its own
        if len(words) == 1 and is_common(words[0]):
            continue
        add_org(" ".join(words))


def _people_in_run(span, low, prev, nxt, nxt2, candidates, is_common, is_place) -> None:
    """Split a run at connectors; each part may be '<titles> Given [Middle] Surname'."""
    parts: list[tuple[int, int]] = []
    s = 0
    for i, t in enumerate(low):
        if t in CONNECTORS and t not in NAME_PARTICLES:
            if i > s:
                parts.append((s, i))
            s = i + 1
    if s < len(span):
        parts.append((s, len(span)))
    for a, b in parts:
        cue = False
        # A title before the run ("... General of the Army Valery Gerasimov").
        if a == 0 and prev.lower() in TITLES:
            cue = True
        if a > 0 and any(t in TITLES for t in low[:a]):
            cue = True
        i = a
        while i < b and (low[i] in TITLES or is_place(span[i]) or is_common(span[i])):
            if low[i] in TITLES:
                cue = True
            i += 1
        name = span[i:b]
        if not 2 <= len(name) <= 4:
            continue
        if (
            is_common(name[0])
            or name[-1].lower() in NON_PERSON
            or any(
                is_place(t)
                or t.isupper()
                or t.lower() in ORG_CUES
                or t.lower() in TITLES
                or (not cue and is_common(t))
                or (not t[:1].isupper() and t.lower() not in NAME_PARTICLES)
                for t in name
            )
        ):
            continue
        if b == len(span) and (nxt.lower() in SPEECH or (nxt == "," and nxt2.lower() in SPEECH)):
            cue = True
        candidates.append((name, cue))
