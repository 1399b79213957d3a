"""Tunable parameters of the deduper, in one frozen value passed to every function.

Why one object: the fingerprint (shingle size, permutations, bands) and the stored index
must agree across every worker and across restarts. Changing anything marked *layout*
changes band keys or stored signatures, so an index written with other values stops
matching: bump `layout_version` (it is part of every key) and let the old keys expire.
The defaults were measured with `newsflow eval dedupe` (see evaluate.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.deduper.exceptions import BadParams


@dataclass(frozen=True, slots=True)
class DedupeParams:
    # --- layout: fingerprint and index shape (see module docstring) ---
    layout_version: int = 1
    shingle_size: int = 4  # words per shingle
    num_perm: int = 128  # MinHash permutations of the whole body (verification)
    bands: int = 12  # LSH bands over the first bands*rows permutations
    rows: int = 5  # threshold ~ (1/bands)^(1/rows) = 0.61
    lead_tokens: int = 48  # the lead (first words) gets its own sketch: truncated copies
    lead_perm: int = 32
    lead_bands: int = 8
    lead_rows: int = 4
    sig_bits: int = 8  # b-bit MinHash: bits kept per stored permutation (8 or 16)
    story_names: int = 4  # most salient names used for story keys (pairs of them)
    story_perm: int = 32  # MinHash of content words (story similarity)
    # --- decisions ---
    near_jaccard: float = 0.75  # estimated Jaccard of shingles: near duplicate
    near_prefix: float = 0.8  # a shorter text agreeing this much with the longer one's start
    min_prefix_samples: int = 8  # ...measured on at least this many permutations
    superset_ratio: float = 1.5  # a new text this much longer than an old one it starts with
    min_tokens: int = 3  # shorter bodies are never content duplicates (only url/id)
    min_shingles: int = 6  # shorter bodies are only ever exact duplicates
    story_similarity: float = 0.5  # body similarity that is the same story, not a duplicate
    story_terms: float = 0.2  # content-word Jaccard for a story match via shared names
    story_min_shared: int = 2  # shared names needed for that
    story_window: timedelta = timedelta(days=3)
    # --- state ---
    window: timedelta = timedelta(days=7)  # entries older than this (by `now`) are evicted
    max_entries: int = 16  # entries kept per band key (newest first)
    max_story_entries: int = 16  # entries kept per story key

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise BadParams("bands * rows exceeds num_perm")
        if self.lead_bands * self.lead_rows > self.lead_perm or self.lead_perm > self.num_perm:
            raise BadParams("lead_bands * lead_rows exceeds lead_perm, or lead_perm num_perm")
        if self.sig_bits not in (8, 16):
            raise BadParams("sig_bits must be 8 or 16")
        if self.shingle_size < 1 or self.lead_tokens < self.shingle_size:
            raise BadParams("shingle_size must be >= 1 and <= lead_tokens")
        if self.window <= timedelta(0) or self.max_entries < 1:
            raise BadParams("window and max_entries must be positive")

    @classmethod
    def from_window_days(cls, days: float, **overrides: object) -> DedupeParams:
        """Build from `DeduperSettings.window_days` (the one knob operators set)."""
        return cls(window=timedelta(days=days), **overrides)  # type: ignore[arg-type]
