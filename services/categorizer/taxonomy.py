"""IPTC Media Topics: the vocabulary the categorizer speaks.

The full IPTC file (../shared/taxonomy/iptc-mediatopic.json, ~900 KB) is not needed at
run time; a compact copy of the live (non-retired) concepts with just code, name,
definition, parent and level ships in `data/iptc-mediatopic.json.gz`
(rebuild it with `build_compact`).

IPTC Media Topics (c) IPTC, International Press Telecommunications Council,
licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/);
source: https://iptc.org/standards/media-topics/ . The compact copy is a subset with
fields dropped; names and definitions are unchanged.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .exceptions import TaxonomyError

DATA_DIR = Path(__file__).parent / "data"
COMPACT_PATH = DATA_DIR / "iptc-mediatopic.json.gz"
CREDIT = (
    "IPTC Media Topics (c) International Press Telecommunications Council (IPTC), "
    "CC BY 4.0, https://iptc.org/standards/media-topics/ - subset: live concepts, "
    "fields code/name/definition/parent/level only"
)


@dataclass(frozen=True, slots=True)
class Concept:
    code: str
    name: str
    definition: str
    parent: str | None
    level: int


class Taxonomy:
    """Concepts by code, with the level-1 and level-2 ancestor of each."""

    def __init__(self, concepts: list[Concept]) -> None:
        self.concepts: dict[str, Concept] = {c.code: c for c in concepts}
        self.top_level: list[str] = sorted(c.code for c in concepts if c.level == 1)

    def get(self, code: str) -> Concept:
        try:
            return self.concepts[code]
        except KeyError:
            raise TaxonomyError(f"unknown IPTC media topic {code!r}") from None

    def label(self, code: str) -> str:
        return self.get(code).name

    def ancestor(self, code: str, level: int) -> str | None:
        """The ancestor of `code` at `level` (the code itself if it is at that level)."""
        c = self.get(code)
        while c.level > level:
            if c.parent is None:
                return None
            c = self.get(c.parent)
        return c.code if c.level == level else None

    def descendants(self, code: str) -> list[Concept]:
        out = []
        for c in self.concepts.values():
            p = c.parent
            while p is not None:
                if p == code:
                    out.append(c)
                    break
                p = self.concepts[p].parent if p in self.concepts else None
        return out


def build_compact(src: Path, out: Path = COMPACT_PATH) -> int:
    """Write the compact copy from the full IPTC JSON; returns the number of concepts."""
    raw = json.loads(src.read_text(encoding="utf-8"))
    rows = []
    for code, v in raw.items():
        if v.get("RetiredDate"):
            continue
        chain = [v.get(f"Level{i}/NewsCode") for i in range(1, 7)]
        chain = [c for c in chain if c]
        level = len(chain)
        parent = chain[-2] if level >= 2 else None
        rows.append([code, v["Name (en-GB)"], v.get("Definition (en-GB)") or "", parent, level])
    rows.sort(key=lambda r: (r[4], r[0]))
    payload = {
        "credit": CREDIT,
        "fields": ["code", "name", "definition", "parent", "level"],
        "concepts": rows,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8") as f:
        json.dump(payload, f, ensure_ascii=False, separators=(",", ":"))
    return len(rows)


@lru_cache(maxsize=4)
def load_taxonomy(path: Path = COMPACT_PATH) -> Taxonomy:
    """Load (once) the compact taxonomy shipped in the package."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            payload = json.load(f)
    except FileNotFoundError:
        raise TaxonomyError(f"IPTC taxonomy file not found: {path}") from None
    concepts = [Concept(*row) for row in payload["concepts"]]
    # Parents of live concepts are live in practice; guard anyway so ancestor() never loops.
    codes = {c.code for c in concepts}
    concepts = [
        c if c.parent in codes or c.parent is None else Concept(c.code, c.name, c.definition, None, c.level)
        for c in concepts
    ]
    return Taxonomy(concepts)
