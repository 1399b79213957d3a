"""What the deduper knows about one article's text: normalized body, exact hash, sketches.

Everything is computed from the normalized *body* only. Title, source, links, captions,
URL (the page chrome that survives extraction) never enter a fingerprint, so the same
text on two sites matches and two texts under one site's heavy chrome do not.

- `normalize_body`: house-style-proof text: the body's words, case-folded, one space
  apart: NFKC, punctuation and quote/dash styles gone, "per cent"/"percent"/"pct" ->
  "%", "U.S." -> "us", "1,000" -> "1000", paragraphs joined (so re-flowed text is
  identical), and the few short chrome lines a normalizer can let through
  (share/follow/ad/cookie/nav/byline) dropped.
- `content_hash`: 64-bit BLAKE2b of that text: exact duplicates and re-ingestion (so
  "exact" means the same words in the same order, whatever the punctuation).
- word `shingle_size`-grams hashed to 64 bits (stable across processes and versions:
  BLAKE2b per token, never Python's salted `hash`), then MinHash signatures:
  `sig` over all shingles (verification and LSH bands), with the text position of
  each permutation's minimum (verifies truncated copies), and `lead` over the shingles
  of the first `lead_tokens` words (a truncated copy shares its original's lead
  exactly, while its whole-body Jaccard can be low); exact hashes of the first 12 and
  24 words find even shorter cuts.
- `prose`: when the body has list-like rows (table rows, subheads) next to enough prose,
  the same sketch of the body without them (prose.py): extractors disagree on such
  lines, and the prose lets a copy that lost them still match (similarity.py).
- `terms`: MinHash of content words (stop words removed), for same-story similarity.
- `band_keys`: LSH keys, the partitioning keys of the index (see index.py).
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from services.core.clock import parse_utc
from services.core.models import Article
from services.deduper.chrome import strip_chrome, strip_lead
from services.deduper.params import DedupeParams
from services.deduper.prose import drop_rows

_U64 = np.uint64
_DELETE = ".,'‘’‚‛′`´\u00ad\u200b\u200c\u200d\u2060\ufeff"  # inside words: "U.S.", "1,000"
_SPACES = '!"#$&()*+-/:;<=>?@[\\]^_{|}~“”„‟″«»‹›‐‑‒–—―−…•·¿¡©®™§¶†‡'
_TABLE = str.maketrans(
    {
        **dict.fromkeys(_DELETE, None),
        **dict.fromkeys(_SPACES, " "),
        **{chr(c): " " for c in range(32)},
        "%": " % ",
    }
)
_PERCENT = re.compile(r"\b(?:per\s*cent|pct)\b")
_PARAGRAPHS = re.compile(r"\n\s*\n")
_NAME = re.compile(r"\b([A-Z][a-z][\w-]*(?:\s+[A-Z][a-z][\w-]*){0,3})(?:'s?)?")
_MID = frozenset("abcdefghijklmnopqrstuvwxyz0123456789,;:")  # before "X Name": mid-sentence
_CALENDAR_WORDS = """monday tuesday wednesday thursday friday saturday sunday january february
    march april may june july august september october november december"""
_CALENDAR = frozenset(_CALENDAR_WORDS.split())
_STOPWORDS = """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers him his how i if in into is it its
    itself just last may me might more most mr mrs ms much must my new no nor not now of off
    on once one only or other our out over own said same says she should so some such than
    that the their them then there these they this those through to too two under until up
    very was we were what when where which while who whom why will with would year years you
    your reuter reuters mln bln dlrs pct cts vs inc corp co ltd told"""
_STOP = frozenset(_STOPWORDS.split())


def normalize_body(body: str, title: str | None = None) -> str:
    """The body as the deduper compares it: its words, one space apart.

    Entities decoded, NFKC, case-folded, punctuation inside words dropped ("U.S." = "US",
    "1,000" = "1000", "don't" = "dont"), other punctuation and all quote and dash styles
    gone, "per cent"/"percent"/"pct" = "%", line and paragraph breaks gone (re-flowed
    text is identical), residual chrome cut (chrome.py; `title` is the headline, cut if
    repeated at the start). All whole-text C-speed passes but the paragraph filter.
    """
    return normalize_parts(body, title)[0]


def normalize_parts(body: str, title: str | None = None) -> tuple[str, str | None]:
    """(`normalize_body`, the same without its list-like rows) or (text, None) when the
    body has no rows to drop or too little prose without them (prose.py)."""
    if "&" in body:
        body = html.unescape(body)
    if not body.isascii():
        body = unicodedata.normalize("NFKC", body)
    paragraphs = strip_chrome(_PARAGRAPHS.split(body))
    prose = drop_rows(paragraphs)
    head = normalize_body(title) if title else None
    full = _words(" ".join(paragraphs), head)
    return full, (_words(" ".join(prose), head) if prose is not paragraphs else None)


def _words(body: str, head: str | None) -> str:
    text = body.casefold().translate(_TABLE)
    if "cent" in text or "pct" in text:
        text = _PERCENT.sub(" % ", text)
    text = " ".join(text.split())
    return strip_lead(text, head)


def tokens(normalized: str) -> list[str]:
    return normalized.split()


def content_hash(normalized: str) -> str:
    return hashlib.blake2b(normalized.encode(), digest_size=8).hexdigest()


def _stable_u64(label: str, count: int) -> np.ndarray:
    """Constants from BLAKE2b of a label: identical on every worker, version and platform
    (numpy's RNG streams are not promised to stay the same across releases)."""
    return np.array(
        [
            int.from_bytes(hashlib.blake2b(f"{label}:{i}".encode(), digest_size=8).digest(), "little")
            for i in range(count)
        ],
        dtype=np.uint64,
    )


_TOKEN_IDS: dict[str, int] = {}
_MAX_TOKEN_IDS = 1 << 20  # vocabulary cache bound (~100 MB worst case); cleared when full


def _token_hash(token: str) -> int:
    digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
    value = _TOKEN_IDS[token] = int.from_bytes(digest, "little")
    return value


def token_ids(toks: list[str]) -> np.ndarray:
    """64-bit id per token (BLAKE2b, cached): C-speed dict lookups for known words."""
    ids = list(map(_TOKEN_IDS.get, toks))
    if None in ids:
        if len(_TOKEN_IDS) >= _MAX_TOKEN_IDS:
            _TOKEN_IDS.clear()
        ids = [i if i is not None else _token_hash(t) for i, t in zip(ids, toks, strict=True)]
    return np.array(ids, dtype=np.uint64)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer: turns a linear combination into well-spread 64-bit hashes."""
    x = x ^ (x >> _U64(30))
    x = x * _U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U64(27))
    x = x * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


_ORDER = _stable_u64("order", 64) | _U64(1)


def shingle_hashes(toks: list[str], k: int) -> np.ndarray:
    """64-bit hash of every k-word window, in text order (one hash if fewer than k words)."""
    if not toks:
        return np.zeros(0, dtype=np.uint64)
    ids = token_ids(toks)
    k = min(k, len(ids))
    n = len(ids) - k + 1
    acc = ids[:n] * _ORDER[0]
    for j in range(1, k):
        acc = acc + ids[j : j + n] * _ORDER[j]
    return _mix(acc)


@lru_cache(maxsize=8)
def _perms(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    a = _stable_u64(f"perm-a-{seed}", num_perm) | _U64(1)
    b = _stable_u64(f"perm-b-{seed}", num_perm)
    return a[:, None], b[:, None]


def minhash(hashes: np.ndarray, num_perm: int, seed: int = 1) -> np.ndarray:
    """MinHash signature (uint32 per permutation) of a set of 64-bit hashes.

    Permutations are multiply-add-shift on already mixed 64-bit values: one vectorized
    (num_perm x n) pass, chunked so very long bodies do not allocate gigabytes.
    """
    sig = np.full(num_perm, np.iinfo(np.uint32).max, dtype=np.uint64)
    if hashes.size == 0:
        return sig.astype(np.uint32)
    a, b = _perms(num_perm, seed)
    for start in range(0, hashes.size, 4096):
        chunk = hashes[None, start : start + 4096]
        sig = np.minimum(sig, ((a * chunk + b) >> _U64(32)).min(axis=1))
    return sig.astype(np.uint32)


def body_sketch(
    hashes: np.ndarray, num_perm: int, lead: int, lead_perm: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sig, positions, lead sig) of the shingles in text order, in one pass.

    `positions[i]` is where permutation i's minimum first occurs: it makes truncation
    checkable, as a copy cut after m shingles must agree on every permutation whose
    minimum lies in the first m shingles of the original. The lead signature uses the
    first `lead_perm` permutations over the first `lead` shingles.
    """
    sig = np.full(num_perm, np.iinfo(np.uint32).max, dtype=np.uint64)
    pos = np.zeros(num_perm, dtype=np.int64)
    if hashes.size == 0:
        return sig.astype(np.uint32), pos, sig[:lead_perm].astype(np.uint32)
    a, b = _perms(num_perm, 1)
    rows = np.arange(num_perm)
    lead_sig = sig[:lead_perm]
    for start in range(0, hashes.size, 4096):
        values = (a * hashes[None, start : start + 4096] + b) >> _U64(32)
        if start == 0:
            lead_sig = values[:lead_perm, :lead].min(axis=1)
        where = values.argmin(axis=1)
        best = values[rows, where]
        better = best < sig
        sig = np.where(better, best, sig)
        pos = np.where(better, where + start, pos)
    return sig.astype(np.uint32), pos, lead_sig.astype(np.uint32)


@dataclass(frozen=True, slots=True)
class Sketch:
    sig: np.ndarray  # uint32[num_perm], whole body
    lead: np.ndarray  # uint32[lead_perm], first lead_tokens words
    prefixes: tuple[str, ...] = ()  # exact hashes of the first 12, 24 words (if that long)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """All the deduper needs from one article; computed once, stateless, on any worker."""

    content_hash: str
    n_tokens: int
    n_shingles: int  # shingles in text order (a truncated copy has a prefix of them)
    sketch: Sketch
    positions: np.ndarray  # int[num_perm]: shingle index of each permutation's minimum
    terms: np.ndarray  # uint32[story_perm]: content words, for story similarity
    names: tuple[str, ...]  # salient names, most mentioned first
    time: int  # article time, epoch s (published_at, else received_at)
    prose: Prose | None = None  # the body without its list-like rows, if it has any


@dataclass(frozen=True, slots=True)
class Prose:
    """The body without its table rows / subheads (prose.py), sketched like the body.

    Only matched against texts that had no rows (an extractor dropped them): two texts
    that both have rows are compared in full, so different tables under the same
    boilerplate paragraph never meet on that paragraph alone.
    """

    content_hash: str
    n_shingles: int
    sketch: Sketch
    positions: np.ndarray


def band_keys(sketch: Sketch, params: DedupeParams | None = None) -> list[str]:
    """LSH keys: one per band of `rows` permutations of the body sketch and of the lead,
    plus the exact prefix keys.

    Two articles share a band key with probability 1-(1-J^rows)^bands: ~1 for near
    copies, ~0 for unrelated texts. The lead bands find a cut copy of at least
    `lead_tokens` words; the prefix keys a shorter cut. Keys carry their kind, band and
    the layout version, so one table holds all of them.
    """
    p = params or DedupeParams()
    keys = []
    for prefix, sig, bands, rows in (
        ("b", sketch.sig, p.bands, p.rows),
        ("l", sketch.lead, p.lead_bands, p.lead_rows),
    ):
        block = sig[: bands * rows].astype(np.uint64).reshape(bands, rows)
        digests = _mix((block * _ORDER[:rows]).sum(axis=1, dtype=np.uint64) + _ORDER[rows])
        keys += [f"{prefix}{p.layout_version}:{i}:{int(d):016x}" for i, d in enumerate(digests)]
    keys += [f"p{p.layout_version}:{h}" for h in sketch.prefixes]
    return keys


def exact_key(fp: Fingerprint, params: DedupeParams | None = None) -> str:
    return f"x{(params or DedupeParams()).layout_version}:{fp.content_hash}"


def content_terms(toks: list[str]) -> np.ndarray:
    """Ids of the distinct content words: no stop words, numbers or 1-2 letter words."""
    words = [t for t in set(toks) - _STOP if len(t) > 2 and not t.isdigit()]
    return token_ids(words)


def salient_names(article: Article, limit: int) -> tuple[str, ...]:
    """Names the article is about, most mentioned in the body first.

    The categorizer's people/organizations/places when present; otherwise capitalized
    phrases of the body that occur at least once inside a sentence (a capital after a
    full stop says nothing), without weekdays and months, so stories still group for
    uncategorized input.
    """
    body = article.body or ""
    listed = [*(article.people or []), *(article.organizations or [])]
    listed += [p.name for p in article.places or []]
    if listed:
        low = body.casefold()
        names = {n.strip().casefold() for n in listed if n.strip()}
        counts = Counter({n: low.count(n) for n in names})
    else:
        found = [
            (m.group(1).casefold(), m.start() > 1 and body[m.start() - 2] in _MID)
            for m in _NAME.finditer(body)
        ]
        inside = {name for name, mid in found if mid} - _CALENDAR
        counts = Counter(name for name, _ in found if name in inside)
    ranked = sorted(counts, key=lambda n: (-counts[n], n))
    return tuple(ranked[:limit])


def article_time(article: Article) -> int:
    for text in (article.published_at, article.ingest.received_at):
        if text:
            try:
                return int(parse_utc(text).timestamp())
            except ValueError:
                continue
    return 0


PREFIX_LEVELS = (12, 24)


def _sketch(toks: list[str], p: DedupeParams) -> tuple[int, Sketch, np.ndarray]:
    """(shingle count, sketch, positions) of a token list."""
    shingles = shingle_hashes(toks, p.shingle_size)
    lead_shingles = max(1, p.lead_tokens - p.shingle_size + 1)
    sig, positions, lead = body_sketch(shingles, p.num_perm, lead_shingles, p.lead_perm)
    prefixes = tuple(
        f"{level}:{content_hash(' '.join(toks[:level]))}" for level in PREFIX_LEVELS if len(toks) >= level
    )
    return int(shingles.size), Sketch(sig=sig, lead=lead, prefixes=prefixes), positions


def fingerprint(article: Article, params: DedupeParams | None = None) -> Fingerprint:
    p = params or DedupeParams()
    normalized, prose_text = normalize_parts(article.body or "", article.title)
    toks = tokens(normalized)
    n_shingles, sketch, positions = _sketch(toks, p)
    prose = None
    if prose_text:
        n_prose, prose_sketch, prose_positions = _sketch(tokens(prose_text), p)
        prose = Prose(content_hash(prose_text), n_prose, prose_sketch, prose_positions)
    return Fingerprint(
        content_hash=content_hash(normalized),
        n_tokens=len(toks),
        n_shingles=n_shingles,
        sketch=sketch,
        positions=positions,
        terms=minhash(content_terms(toks), p.story_perm, 3),
        names=salient_names(article, max(p.story_names, 8)),
        time=article_time(article),
        prose=prose,
    )
