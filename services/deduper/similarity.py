"""Verifying an LSH candidate from stored b-bit MinHash: Jaccard, and prefix agreement.

A band collision is only a hint. Before anything is called a duplicate the candidate is
verified on the whole body:
- estimated Jaccard of the shingle sets, for copies of about the same length;
- prefix agreement, for a truncated copy (the syndicated "first five paragraphs"),
  whose Jaccard with its original is low. Each permutation remembers where in the text
  its minimum lies; a copy that is the first m shingles of the original must agree on
  every permutation whose minimum lies before m, and an unrelated text agrees on none.
  This is exact in expectation whatever the length ratio, where containment estimated
  from Jaccard and set sizes is too noisy once the copy is short.
When exactly one of the two texts has list-like rows (table rows, subheads: prose.py),
its prose is also compared with the other's full text, and the better match counts: one
extractor kept the rows, another dropped them. Two texts with rows are compared in full
only, so a shared paragraph under different tables is never enough.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.deduper.fingerprint import Fingerprint
from services.deduper.index import BandEntry, pack_sig, unpack_positions, unpack_sig
from services.deduper.params import DedupeParams


def estimate_jaccard(a: np.ndarray, b: np.ndarray, bits: int) -> float:
    """Jaccard from two b-bit signatures, corrected for 2^-bits chance agreement."""
    if a.size == 0 or a.size != b.size:
        return 0.0
    chance = 2.0**-bits
    agree = float(np.count_nonzero(a == b)) / a.size
    return min(1.0, max(0.0, (agree - chance) / (1.0 - chance)))


def prefix_agreement(
    short: np.ndarray, long: np.ndarray, long_positions: np.ndarray, short_n: int
) -> tuple[float, int]:
    """(agreement, samples) on the permutations whose minimum in `long` lies within the
    first `short_n` shingles: ~1 when `short` is a cut of `long`."""
    inside = long_positions <= short_n
    samples = int(np.count_nonzero(inside))
    if samples == 0:
        return 0.0, 0
    return float(np.count_nonzero(short[inside] == long[inside])) / samples, samples


def overlap(jaccard: float, n_a: int, n_b: int) -> tuple[float, float]:
    """(|A∩B|/|A|, |A∩B|/|B|) from Jaccard and set sizes (inclusion-exclusion)."""
    if n_a <= 0 or n_b <= 0:
        return 0.0, 0.0
    inter = jaccard * (n_a + n_b) / (1.0 + jaccard)
    return min(1.0, inter / n_a), min(1.0, inter / n_b)


@dataclass(frozen=True, slots=True)
class Packed:
    """The new article's signatures in stored (b-bit) form, computed once per article."""

    sig: np.ndarray
    terms: np.ndarray
    prose: np.ndarray | None = None

    @classmethod
    def of(cls, fp: Fingerprint, params: DedupeParams) -> Packed:
        bits = params.sig_bits
        return cls(
            sig=unpack_sig(pack_sig(fp.sketch.sig, bits), bits),
            terms=unpack_sig(pack_sig(fp.terms, bits), bits),
            prose=unpack_sig(pack_sig(fp.prose.sketch.sig, bits), bits) if fp.prose else None,
        )


@dataclass(frozen=True, slots=True)
class Match:
    """How the new article relates to one earlier candidate."""

    entry: BandEntry
    jaccard: float
    prefix: float  # agreement of the shorter text with the longer one's same-length start
    samples: int  # permutations that agreement is measured on
    new_is_shorter: bool
    n_new: int  # shingles of the two texts compared (the prose of one, if used)
    n_old: int

    def similarity(self, params: DedupeParams) -> float:
        """Jaccard, or the prefix agreement when it is measured on enough permutations."""
        cut = self.prefix if self.samples >= params.min_prefix_samples else 0.0
        return max(self.jaccard, cut)


def compare(fp: Fingerprint, packed: Packed, entry: BandEntry, params: DedupeParams) -> Match:
    """The full texts' match; if exactly one side has rows, the better of that and its
    prose against the other's full text (see module docstring)."""
    bits = params.sig_bits
    old = unpack_sig(entry.sig, bits)
    full = _match(entry, packed.sig, fp.positions, fp.n_shingles, old, entry.pos, entry.n, bits)
    if fp.prose is not None and packed.prose is not None and not entry.prose_sig:
        other = _match(
            entry, packed.prose, fp.prose.positions, fp.prose.n_shingles, old, entry.pos, entry.n, bits
        )
    elif entry.prose_sig and fp.prose is None:
        other = _match(
            entry,
            packed.sig,
            fp.positions,
            fp.n_shingles,
            unpack_sig(entry.prose_sig, bits),
            entry.prose_pos,
            entry.prose_n,
            bits,
        )
    else:
        return full
    return max(full, other, key=lambda m: m.similarity(params))


def _match(
    entry: BandEntry,
    new: np.ndarray,
    new_positions: np.ndarray,
    new_n: int,
    old: np.ndarray,
    old_pos: str,
    old_n: int,
    bits: int,
) -> Match:
    jaccard = estimate_jaccard(new, old, bits)
    if new_n <= old_n:
        prefix, samples = prefix_agreement(new, old, unpack_positions(old_pos, old_n), new_n)
    else:
        prefix, samples = prefix_agreement(old, new, new_positions + 1, old_n)
    return Match(entry, jaccard, prefix, samples, new_n <= old_n, new_n, old_n)


def is_near_duplicate(match: Match, fp: Fingerprint, params: DedupeParams) -> bool:
    """Same text: near-equal bodies, or one is a cut of the other and the new one adds
    little (a new text much longer than the old one it starts with is `is_superset`)."""
    if match.n_new < params.min_shingles or match.n_old < params.min_shingles:
        return False
    if match.jaccard >= params.near_jaccard:
        return True
    if match.samples < params.min_prefix_samples or match.prefix < params.near_prefix:
        return False
    return match.new_is_shorter or match.n_new < params.superset_ratio * match.n_old


def is_superset(match: Match, fp: Fingerprint, params: DedupeParams) -> bool:
    """The new text starts with the old one and adds a lot: the full story after a cut
    copy. Not a duplicate (it carries text consumers have not seen): the same story."""
    return (
        not match.new_is_shorter
        and match.samples >= params.min_prefix_samples
        and match.prefix >= params.near_prefix
        and match.n_new >= params.superset_ratio * match.n_old
    )
