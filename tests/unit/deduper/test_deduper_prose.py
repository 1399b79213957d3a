"""List-like rows (table rows, subheads): one extractor keeps them, another drops them.

Real Reuters-21578 texts (Gelco Corp 2nd qtr, newid in the eval stream 492; Rohr
Industries, 171; the Santa Anita dividend notice) as the normalizer returned them.
"""

from __future__ import annotations

from services.deduper.decide import dedupe
from services.deduper.fingerprint import fingerprint
from services.deduper.index import InMemoryStore
from services.deduper.prose import drop_rows, is_row
from tests.unit.deduper.deduper_helpers import article, later

GELCO_ROWS = [
    "Shr 67 cts vs 23 cts",
    "Net 5,220,000 vs 3,143,000",
    "Revs 236.1 mln vs 256.2 mln",
    "Avg shrs 7.8 mln vs 13.7 mln",
    "Six Mths",
    "Shr 85 cts vs 59 cs",
    "Net 8,919,000 vs 8,158,000",
    "Revs 483.8 mln vs 515.5 mln",
    "Avg shrs 10.4 mln vs 13.7 mln",
]
GELCO_NOTES = [
    "NOTE: Fiscal 1987 second quarter and first half earnings include a gain of 3.4 mln dlrs "
    "and exclude preferred dividend requirements of five mln dlrs in the quarter and 5.6 mln "
    "dlrs in the first half.",
    "Fiscal 1986 net reduced by currency losses equal to six cts a share in the second quarter "
    "and equal to nine cts in the six months.",
]
NEWSLETTER = (  # page chrome that leaks into bodies (longer than any short-line filter)
    "Sign up for our morning briefing: the day's top stories from around the world, markets "
    "data and analysis from our correspondents, delivered to your inbox every weekday."
)


def test_rows_are_short_lines_that_are_no_sentence() -> None:
    assert all(is_row(row) for row in GELCO_ROWS)
    assert is_row("(Santa Anita Realty Enterprises Inc) Reuter")
    # prose, and pieces of prose a text dump broke at a line end, are not rows
    assert not is_row("Terms of the contract were not disclosed. Reuter")
    assert not is_row("Under the pact, 4,600 union members at Rohr's Chula")
    assert not is_row("Machinists and Aerospace Workers")
    assert not is_row(GELCO_NOTES[1])


def test_rows_go_only_when_enough_prose_remains() -> None:
    assert drop_rows([*GELCO_ROWS, *GELCO_NOTES]) == GELCO_NOTES
    table = ["Qtly div 51 cts vs 51 cts", "Pay April 9", "Record March 25"]
    assert drop_rows(table) is table  # a bare table is its own text
    short = [*table, "Santa Anita said the dividend is unchanged."]
    assert drop_rows(short) is short
    assert fingerprint(article("t", "\n\n".join(table))).prose is None


def test_copy_that_kept_its_table_matches_the_one_that_lost_it() -> None:
    """The html path dropped the rows of the original, a fallback extractor kept them in
    the (cut) syndicated copy: the same text, both ways round."""
    lost = article("a", "\n\n".join(GELCO_NOTES), url="https://wire.example/gelco")
    kept = article("b", "\n\n".join([*GELCO_ROWS, *GELCO_NOTES]), url="https://post.example/gelco")
    cut = article("c", "\n\n".join([*GELCO_ROWS, GELCO_NOTES[0]]), url="https://post.example/gelco")
    for first, second in ((lost, kept), (kept, lost), (lost, cut)):
        store = InMemoryStore()
        dedupe(first, store, now=later(minutes=0))
        verdict = dedupe(second, store, now=later(minutes=5)).dedupe
        assert verdict is not None and verdict.status == "duplicate", (first.id, verdict)
        assert verdict.kind == "near" and verdict.duplicate_of == first.id


def test_different_tables_under_the_same_prose_stay_different() -> None:
    """Hard negative: two dividend notices with the same leaked newsletter paragraph
    (identical chrome). Both have rows, so they are compared in full, never on the
    paragraph they share."""
    anita = ["Qtly div 51 cts vs 51 cts", "Pay April 9", "Record March 25", "(Santa Anita Realty) Reuter"]
    other = ["Qtly div 12 cts vs 10 cts", "Pay May 1", "Record April 15", "(Northern Trust Corp) Reuter"]
    first = article("a", "\n\n".join([*anita, NEWSLETTER]), url="https://heavy.example/a")
    second = article("b", "\n\n".join([*other, NEWSLETTER]), url="https://heavy.example/b")
    fp = fingerprint(first)
    assert fp.prose is not None and fp.prose.n_shingles < fp.n_shingles
    store = InMemoryStore()
    verdicts = [dedupe(a, store, now=later(minutes=i)).dedupe for i, a in enumerate((first, second))]
    assert [v.status for v in verdicts if v] == ["unique", "unique"]
