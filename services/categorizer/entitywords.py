"""Word lists of the entity heuristics (entities.py): titles, speech verbs, organisation
cues, connectors, known organisations. Kept apart so the heuristics read on one screen."""

from __future__ import annotations

from collections.abc import Iterable

# Word lists are written as text (one source line per ~80 chars), split at import.
_split = str.split


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
# Connectors that split a run into name parts ("of", "the", "and", ...).
SPLITTERS = CONNECTORS - NAME_PARTICLES

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

MULTIWORD_ORGS = [(k, v) for k, v in KNOWN_ORGS.items() if " " in k]

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


# Title words that are also parts of organisation names ("Ministry of Foreign Trade").
PORTFOLIO = frozenset(
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


def case_variants(words: Iterable[str]) -> frozenset[str]:
    """Every upper/lower-case spelling of ASCII words: `t in case_variants(W)` is
    `t.lower() in W` without a call (only ASCII letters lower-case to ASCII letters,
    besides the Kelvin sign, which lower-cases to "k": no connector has a "k")."""
    out: set[str] = set()
    for w in words:
        variants = [""]
        for ch in w:
            variants = [v + c for v in variants for c in {ch.lower(), ch.upper()}]
        out.update(variants)
    return frozenset(out)


CONNECTOR_CASES = case_variants(CONNECTORS)
