"""Distinct, realistic test articles built from the shipped fixtures (no corpus needed)."""

from __future__ import annotations

import random
from pathlib import Path

FIXTURES = Path(__file__).parents[1] / "fixtures"
PLACES = ["BAKU, Azerbaijan", "LONDON", "PARIS", "NAIROBI, Kenya", "LIMA, Peru", "OSLO, Norway"]


def text_articles(count: int, seed: int = 7) -> list[dict[str, str]]:
    """`count` distinct text dumps: a headline, a date, a dateline, shuffled paragraphs."""
    paragraphs = [
        p.strip()
        for p in (FIXTURES / "seed-article.txt").read_text().split("\n\n")
        if len(p.split()) > 12 and not p.lstrip().startswith("•")
    ]
    rng = random.Random(seed)
    out = []
    for n in range(count):
        body = rng.sample(paragraphs, k=min(5, len(paragraphs)))
        place = rng.choice(PLACES)
        text = (
            f"Officials meet for talks round {n} in {place.split(',')[0].title()}\n\n"
            f"26 November 2019 {10 + n % 10}:{n % 60:02d} (UTC+04:00)\n\n"
            f"{place}, Nov. 26\n\n"
            f"Report number {n}: delegations met on the {n}th day of the talks. " + "\n\n".join(body)
        )
        out.append({"content": text, "format": "text", "source": "Fixture Wire"})
    return out
