"""Stories: reports of the same event by different outlets share a `story_id`.

Different outlets write different text, so stories cannot come from shingle sketches.
They come from what such reports share: the names (people, organisations, places) and
the content words, within a few days. The index keys are *pairs* of the article's most
mentioned names (a single name such as a country is far too common to be a key; a pair
is specific), so a candidate already shares two names; it is then verified on time
distance and content-word Jaccard. Text-level relatives found by the LSH bands that are
similar but not duplicates (a heavily rewritten version, a longer version of a cut
copy) join the story too; see decide.py.

A story id is the id of the article that started it and never changes, so consumers can
key on it. Stories do not merge: a late bridge article joins the best-matching one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from itertools import combinations

import numpy as np

from services.deduper.fingerprint import Fingerprint
from services.deduper.index import StoryEntry, unpack_sigs
from services.deduper.params import DedupeParams


def story_keys(names: Sequence[str], params: DedupeParams | None = None) -> list[str]:
    """Keys of the `names` index: pairs of the top `story_names` names. An article with
    fewer than two names gets none: one name (a country, a company) is shared by far too
    many unrelated reports, e.g. every earnings table of the day."""
    p = params or DedupeParams()
    top = sorted(set(names[: p.story_names]))
    keys = []
    for pair in combinations(top, 2):
        digest = hashlib.blake2b("\x00".join(pair).encode(), digest_size=8).hexdigest()
        keys.append(f"s{p.layout_version}:{digest}")
    return keys


def story_candidates(
    fp: Fingerprint, entries: Iterable[StoryEntry], params: DedupeParams
) -> list[StoryEntry]:
    """Earlier reports within `story_window` sharing enough names, one per article."""
    window = params.story_window.total_seconds()
    names = set(fp.names)
    seen: set[str] = set()
    pool = []
    for entry in sorted(entries, key=lambda e: (-e.seen, e.id)):  # newest version of each
        if entry.id in seen:
            continue
        seen.add(entry.id)
        if abs(fp.time - entry.time) > window:
            continue
        if len(names.intersection(entry.names)) >= params.story_min_shared:
            pool.append(entry)
    return pool


def best_story(
    fp: Fingerprint, terms: np.ndarray, entries: Iterable[StoryEntry], params: DedupeParams
) -> tuple[str, float] | None:
    """(story id, content-word Jaccard) of the best-matching earlier report that reaches
    `story_terms`; ties go to the oldest report. Scored in one vectorized pass."""
    pool = story_candidates(fp, entries, params)
    if not pool:
        return None
    bits = params.sig_bits
    stacked = unpack_sigs([e.terms for e in pool], bits)
    chance = 2.0**-bits
    agree = np.count_nonzero(stacked == terms, axis=1) / max(terms.size, 1)
    scores = np.clip((agree - chance) / (1.0 - chance), 0.0, 1.0)
    ranked = sorted(range(len(pool)), key=lambda i: (-scores[i], pool[i].time, pool[i].story))
    best = ranked[0]
    if scores[best] < params.story_terms:
        return None
    return pool[best].story, float(scores[best])
