"""Publisher section -> IPTC topic, by a configurable table.

A publisher's own section ("Politics", "Oil&Gas") is editorial evidence written by a
person, so when the page gives one it is the strongest topic signal we have. The
mapping is a data table (`data/sections.json`) rather than code so operators can add
their publishers' section names without a release: pass `section_table=PATH` to
`Categorizer.load`.

When the article has no section of its own, the sections of its *related* links are
used if most of them agree (publishers relate articles within a section). The
*latest* list is site-wide and says nothing about this article, so it is not used.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from services.core.models import Article

from .exceptions import SectionTableError
from .taxonomy import Taxonomy

DEFAULT_TABLE = Path(__file__).parent / "data" / "sections.json"

_NON_WORD = re.compile(r"[\W_]+")


def normalize_section(name: str) -> str:
    """'Oil&Gas' -> 'oil and gas'; 'Sci/Tech' -> 'sci tech'; 'World News ' -> 'world news'."""
    s = name.lower().replace("&", " and ").replace("+", " and ")
    return " ".join(_NON_WORD.sub(" ", s).split())


@dataclass(frozen=True, slots=True)
class SectionEvidence:
    """What the section says: an IPTC code and how much to trust it (0..1)."""

    code: str
    weight: float
    source: str  # "section" (the article's own) or "related" (its related links)
    name: str


class SectionTable:
    """Normalised section name -> (IPTC code | None, weight)."""

    def __init__(self, entries: dict[str, tuple[str | None, float]]) -> None:
        self.entries = entries

    @classmethod
    def load(cls, path: Path | None = None, taxonomy: Taxonomy | None = None) -> SectionTable:
        """Load the shipped table, or `path` (which may extend the shipped one)."""
        entries = cls._read(DEFAULT_TABLE)
        if path is not None:
            try:
                raw = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise SectionTableError(f"cannot read section table {path}: {e}") from e
            own = cls._parse(raw, path)
            entries = {**entries, **own} if raw.get("extends_default") else own
        if taxonomy is not None:
            bad = sorted({c for c, _ in entries.values() if c and c not in taxonomy.concepts})
            if bad:
                raise SectionTableError(f"section table maps to unknown IPTC codes: {bad}")
        return cls(entries)

    @classmethod
    def _read(cls, path: Path) -> dict[str, tuple[str | None, float]]:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise SectionTableError(f"cannot read section table {path}: {e}") from e
        return cls._parse(raw, path)

    @staticmethod
    def _parse(raw: object, path: Path) -> dict[str, tuple[str | None, float]]:
        if not isinstance(raw, dict) or not isinstance(raw.get("sections"), dict):
            raise SectionTableError(f"{path}: expected an object with a 'sections' object")
        out: dict[str, tuple[str | None, float]] = {}
        for name, value in raw["sections"].items():
            key = normalize_section(name)
            if value is None:
                out[key] = (None, 0.0)
            elif isinstance(value, str):
                out[key] = (value, 1.0)
            elif isinstance(value, dict) and isinstance(value.get("code"), str):
                w = float(value.get("weight", 1.0))
                if not 0.0 <= w <= 1.0:
                    raise SectionTableError(f"{path}: weight of {name!r} not in [0, 1]")
                out[key] = (value["code"], w)
            else:
                raise SectionTableError(f"{path}: bad entry for section {name!r}: {value!r}")
        return out

    def lookup(self, name: str | None) -> tuple[str | None, float] | None:
        """(code, weight) for a section name; (None, 0) if known-but-topicless; None if unknown."""
        if not name:
            return None
        key = normalize_section(name)
        hit = self.entries.get(key)
        if hit is None and key.endswith(" news"):
            hit = self.entries.get(key[: -len(" news")])
        if hit is None and "/" in name:
            # "News/Politics" style paths: the most specific mapped part wins.
            for part in reversed(name.split("/")):
                hit = self.lookup(part)
                if hit is not None and hit[0]:
                    return hit
        return hit

    def evidence(self, article: Article) -> SectionEvidence | None:
        """Section evidence for `article`: its own section, else its related links' majority."""
        own = self.lookup(article.section)
        if own is not None and own[0]:
            return SectionEvidence(own[0], own[1], "section", article.section or "")
        votes: Counter[str] = Counter()
        names: dict[str, str] = {}
        mapped = 0
        for item in article.links.related:
            hit = self.lookup(item.section)
            if hit is None or hit[0] is None:
                continue
            mapped += 1
            votes[hit[0]] += 1
            names.setdefault(hit[0], item.section or "")
        if not votes:
            return None
        code, n = votes.most_common(1)[0]
        share = n / mapped
        if n >= 2 and share >= 0.5:
            weight = 0.5 * share * (self.lookup(names[code]) or (code, 1.0))[1]
            return SectionEvidence(code, weight, "related", names[code])
        return None
