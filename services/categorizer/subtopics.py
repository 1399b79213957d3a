"""Level-2 IPTC subtopics from literal evidence: IPTC concept names found in the text.

The labelled corpora have no level-2 labels for most topics, so a learned level-2
model would mostly learn the training vocabulary's quirks. Instead a subtopic is given
only when the text names it or one of its descendants ("soccer" -> competition
discipline; "central bank" -> economy; "defence" -> government) *and* its top-level
parent is already among the article's topics: "strong evidence" made explicit and
explainable.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import compress, count

from .taxonomy import Taxonomy

_PAREN = re.compile(r"\s*\([^)]*\)")
_TOK = re.compile(r"[a-z0-9]+")

# US spellings are written the British way in IPTC names.
_SPELLING = {
    "defense": "defence",
    "labor": "labour",
    "organization": "organisation",
    "organizations": "organisations",
    "center": "centre",
    "program": "programme",
    "theater": "theatre",
    "favor": "favour",
    "honor": "honour",
}

# One-word concept names that are too generic to be evidence on their own.
_WEAK_NAMES = frozenset(
    {
        "law",
        "government",
        "economy",
        "culture",
        "values",
        "family",
        "nature",
        "school",
        "students",
        "teachers",
        "party",
        "business",
        "market",
        "products",
        "services",
        "communities",
        "leisure",
        "lifestyle",
        "health",
        "sport",
        "religion",
        "society",
        "weather",
        "crime",
        "science",
        "environment",
        "education",
        "media",
        "mankind",
        "employment",
        "court",
        "election",
        "retail",
        "transport",
        "currency",
        "insurance",
        "banking",
        "agriculture",
    }
)


#: A trie node: the (level-2 code, weight) of the phrase so far if it is a name, and the
#: tokens that can follow it.
_Node = tuple[tuple[str, float] | None, dict[str, "_Node"]]


def _norm(tokens: list[str]) -> list[str]:
    return [_SPELLING.get(t, t) for t in tokens]


def _plural(word: str) -> str:
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy")):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


@dataclass(frozen=True, slots=True)
class SubtopicMatch:
    code: str  # level-2 code
    evidence: float


class SubtopicMatcher:
    """Phrase index: concept names (and simple plurals) -> their level-2 ancestor."""

    def __init__(self, tax: Taxonomy) -> None:
        self.tax = tax
        self.index: dict[tuple[str, ...], tuple[str, float]] = {}
        for c in tax.concepts.values():
            if c.level < 2:
                continue
            l2 = tax.ancestor(c.code, 2)
            if l2 is None:
                continue
            name = _PAREN.sub("", c.name.lower())
            for variant in {name, *(_plural_phrase(name),)}:
                toks = tuple(_norm(_TOK.findall(variant)))
                if not toks:
                    continue
                weight = (
                    0.5 if (len(toks) == 1 and toks[0] in _WEAK_NAMES) else (1.0 if len(toks) == 1 else 1.5)
                )
                # Ambiguous phrases (two level-2 parents) are dropped: no strong evidence.
                prev = self.index.get(toks)
                if prev is not None and prev[0] != l2:
                    self.index[toks] = ("", 0.0)
                else:
                    self.index[toks] = (l2, weight)
        self.max_len = max(len(k) for k in self.index)
        self.first = {k[0] for k in self.index}
        # First tokens as written in the text (before US -> British spelling).
        self.first_raw = self.first | {us for us, gb in _SPELLING.items() if gb in self.first}
        # The names as a trie of tokens: node = (what the phrase so far matches, or None;
        # the next tokens that keep it a name or a name's prefix). A phrase is grown only
        # while it can still become a name, one dict lookup per token (no phrase strings).
        self.trie: dict[str, _Node] = {}
        for toks, hit in self.index.items():
            level = self.trie
            for depth, tok in enumerate(toks, 1):
                node = level.get(tok)
                if node is None:
                    node = level[tok] = (None, {})
                if depth == len(toks):
                    node = level[tok] = (hit, node[1])
                level = node[1]

    def match(self, tokens: list[str]) -> dict[str, float]:
        """Level-2 code -> evidence (weighted count of concept-name mentions).

        Only positions whose token can start a concept name are visited (found by C-level
        `map`/`compress`); most tokens of a long article start none. At each, the
        phrase grows along the trie while it is a proper prefix of a name, and the longest
        name on the way wins: the same answer as trying every window length.
        """
        starts = compress(count(), map(self.first_raw.__contains__, tokens))
        ev: dict[str, float] = {}
        n = len(tokens)
        spelling, trie = _SPELLING, self.trie
        nxt = 0  # a matched phrase consumes its tokens
        for i in starts:
            if i < nxt:
                continue
            tok = tokens[i]
            node = trie.get(spelling.get(tok, tok))
            best: tuple[str, float] | None = None
            j = i
            while node is not None:
                hit, children = node
                j += 1
                if hit is not None:
                    best, nxt = hit, j
                if not children or j >= n:
                    break
                tok = tokens[j]
                node = children.get(spelling.get(tok, tok))
            if best is not None and best[0]:
                ev[best[0]] = ev.get(best[0], 0.0) + best[1]
        return ev


def _plural_phrase(name: str) -> str:
    words = name.split()
    if not words:
        return name
    return " ".join([*words[:-1], _plural(words[-1])])


def subtopic_scores(
    evidence: dict[str, float], parent_scores: dict[str, float], tax: Taxonomy
) -> dict[str, float]:
    """Score = parent score x (1 - exp(-evidence / 2)): two clear mentions ~ 0.63."""
    out = {}
    for code, ev in evidence.items():
        parent = tax.ancestor(code, 1)
        p = parent_scores.get(parent or "", 0.0)
        if p > 0:
            out[code] = p * (1.0 - math.exp(-ev / 2.0))
    return out
