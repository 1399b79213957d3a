"""Readers and deterministic splits for the public corpora used to train and evaluate.

Kept apart from train/evaluate so both use exactly the same split: a text is in the
AG News training share iff sha1(title + description) mod 10 < 7 (70 %, row order
independent); Reuters-21578 uses its own standard Lewis split (TRAIN / TEST); IPTC
concepts below the top level are held out iff sha1(code) mod 5 == 0 (20 %).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .exceptions import CorpusError
from .taxonomy import Taxonomy

POLITICS = "medtop:11000000"
CONFLICT = "medtop:16000000"
SPORT = "medtop:15000000"
ECONOMY = "medtop:04000000"
SCITECH = "medtop:13000000"

#: AG News class name -> IPTC top-level codes that count as correct (first = default label).
AG_TO_IPTC: dict[str, tuple[str, ...]] = {
    "World": (POLITICS, CONFLICT),
    "Sports": (SPORT,),
    "Business": (ECONOMY,),
    "Sci/Tech": (SCITECH,),
}

#: Reuters-21578 topics are all economic; all map to economy, business and finance.
#: Level-2 subtopics consistent with each Reuters topic (to evaluate subtopics):
#: company news -> business information / products and services (the industry);
#: money and rates -> economy / market and exchange; commodities -> market and exchange /
#: products and services (the producing industry) / economy; macro data -> economy.
_BUSINESS_INFO = "medtop:20000170"
_ECONOMY_L2 = "medtop:20000344"
_MARKETS = "medtop:20000385"
_PRODUCTS = "medtop:20000209"
REUTERS_LEVEL2: dict[str, frozenset[str]] = {
    **dict.fromkeys(["earn", "acq"], frozenset({_BUSINESS_INFO, _PRODUCTS})),
    **dict.fromkeys(
        ["money-fx", "interest", "dlr", "yen", "stg", "dmk", "money-supply", "reserves"],
        frozenset({_ECONOMY_L2, _MARKETS}),
    ),
    **dict.fromkeys(
        [
            "crude",
            "grain",
            "wheat",
            "corn",
            "oilseed",
            "sugar",
            "coffee",
            "cocoa",
            "veg-oil",
            "gold",
            "soybean",
            "copper",
            "cotton",
            "rice",
            "barley",
            "rubber",
            "zinc",
            "palm-oil",
            "silver",
            "sorghum",
            "rapeseed",
            "lead",
            "tin",
            "orange",
            "nat-gas",
            "livestock",
            "carcass",
            "alum",
            "iron-steel",
            "strategic-metal",
            "ship",
            "gas",
            "fuel",
            "heat",
            "pet-chem",
        ],
        frozenset({_MARKETS, _PRODUCTS, _ECONOMY_L2}),
    ),
    **dict.fromkeys(
        [
            "gnp",
            "trade",
            "bop",
            "cpi",
            "jobs",
            "ipi",
            "wpi",
            "retail",
            "housing",
            "income",
            "lei",
            "instal-debt",
        ],
        frozenset({_ECONOMY_L2}),
    ),
}

#: Reuters 'places' values that differ from current country names.
REUTERS_PLACE_ALIASES: dict[str, str] = {
    "usa": "US",
    "uk": "GB",
    "ussr": "RU",
    "west-germany": "DE",
    "east-germany": "DE",
    "czechoslovakia": "CZ",
    "yugoslavia": "RS",
    "uae": "AE",
    "south-korea": "KR",
    "north-korea": "KP",
    "ivory-coast": "CI",
    "burma": "MM",
    "zaire": "CD",
    "hong-kong": "HK",
    "taiwan": "TW",
    "vatican": "VA",
    "netherlands-antilles": "CW",
    "macau": "MO",
    "kampuchea": "KH",
    "upper-volta": "BF",
}


def _h(s: str, mod: int) -> int:
    return int(hashlib.sha1(s.encode("utf-8")).hexdigest(), 16) % mod


def ag_share(title: str, description: str) -> str:
    """'train' (70 %) or 'test' (30 %), from a hash of the text alone."""
    return "train" if _h(title + "\n" + description, 10) < 7 else "test"


def ag_is_calibration(title: str, description: str) -> bool:
    """A tenth of the training share, kept aside to fit the temperature and pick C."""
    return _h(title + "\n" + description, 10) == 6


def iptc_share(code: str) -> str:
    return "test" if _h(code, 5) == 0 else "train"


@dataclass
class AgRow:
    label: str
    title: str
    description: str


@dataclass
class ReutersDoc:
    split: str  # TRAIN / TEST / NOT-USED
    title: str
    body: str
    topics: list[str]
    places: list[str] = field(default_factory=list)
    dateline: str = ""


def read_ag(corpus_dir: Path) -> list[AgRow]:
    """AG News test file: class index (1-based into ag_news_classes.txt), title, description."""
    csv_path = corpus_dir / "ag_news_test.csv"
    classes_path = corpus_dir / "ag_news_classes.txt"
    if not csv_path.is_file() or not classes_path.is_file():
        raise CorpusError(f"AG News not found in {corpus_dir} (ag_news_test.csv, classes)")
    classes = [c.strip() for c in classes_path.read_text(encoding="utf-8").splitlines() if c.strip()]
    rows = []
    with csv_path.open(encoding="utf-8", newline="") as f:
        for rec in csv.reader(f):
            if len(rec) != 3:
                continue
            # The file escapes newlines as a backslash; "#36;" is an HTML-escaped "$".
            desc = rec[2].replace("\\", " ").replace(" #36;", " $").replace("#39;", "'")
            title = rec[1].replace("#36;", "$").replace("#39;", "'")
            rows.append(AgRow(classes[int(rec[0]) - 1], title, desc))
    return rows


def iter_reuters(corpus_dir: Path) -> Iterator[ReutersDoc]:
    """Reuters-21578 JSON dump: lists of {attrs{lewissplit, topics}, title, body, topics...}."""
    folder = corpus_dir / "reuters21578" / "json-data"
    files = sorted(folder.glob("*.json"))
    if not files:
        raise CorpusError(f"Reuters-21578 JSON not found in {folder}")
    for path in files:
        for d in json.loads(path.read_text(encoding="utf-8")):
            attrs = d.get("attrs") or {}
            yield ReutersDoc(
                split=attrs.get("lewissplit", ""),
                title=(d.get("title") or "").strip(),
                body=" ".join((d.get("body") or "").split()),
                topics=list(d.get("topics") or []),
                places=list(d.get("places") or []),
                dateline=(d.get("dateline") or "").strip(),
            )


def iptc_documents(tax: Taxonomy) -> list[tuple[str, str, str]]:
    """(code, text, top-level code) for every concept: its name and definition."""
    out = []
    for c in tax.concepts.values():
        top = tax.ancestor(c.code, 1)
        if top is None:
            continue
        out.append((c.code, f"{c.name}. {c.definition}", top))
    return out
