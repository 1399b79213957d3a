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
# \b(?:per\s*cent|pct)\b, opening with its literal "p" (the look-behind is the leading
# \b) so the regex engine jumps from "p" to "p" instead of trying every position
_PERCENT = re.compile(r"p(?<!\wp)(?:er\s*cent|ct)\b")
_PARAGRAPHS = re.compile(r"\n\s*\n")
# A capitalized phrase of up to 4 words at a word start, and (group 2) the character two
# before it when that one says mid-sentence ("said Helen Marsh", "in 2023, Ankara"). The
# pattern opens with its first letter so the regex engine can skip to capitals; the
# zero-width look-behinds after it stand for the leading \b and for the tag, never
# moving a match, so the matches are those of \b([A-Z][a-z][\w-]*(?:\s+[A-Z][a-z][\w-]*){0,3}).
_NAME = re.compile(
    r"([A-Z](?<!\w[A-Z])(?:(?<=([a-z0-9,;:])[\s\S][A-Z]))?[a-z][\w-]*(?:\s+[A-Z][a-z][\w-]*){0,3})"
    r"(?:'s?)?"
)
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
_DEFAULTS = DedupeParams()  # frozen: shared by every call without params


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
    full, prose = _normalized_parts(body, title)
    return full[0], (prose[0] if prose else None)


_Words = tuple[str, list[str]]  # a normalized text and its tokens (text.split())


def _normalized_parts(body: str, title: str | None) -> tuple[_Words, _Words | None]:
    """`normalize_parts` with the tokens of each text: `fingerprint` needs both, and
    splitting a text again costs as much as the normalizing split that made it."""
    if "&" in body:
        body = html.unescape(body)
    if not body.isascii():
        body = unicodedata.normalize("NFKC", body)
    paragraphs = strip_chrome(_PARAGRAPHS.split(body))
    prose = drop_rows(paragraphs)
    head = normalize_body(title) if title else None
    full = _words(" ".join(paragraphs), head)
    return full, (_words(" ".join(prose), head) if prose is not paragraphs else None)


def _words(body: str, head: str | None) -> _Words:
    text = body.casefold().translate(_TABLE)
    if "cent" in text or "pct" in text:
        text = _PERCENT.sub(" % ", text)
    words = text.split()
    text = " ".join(words)
    kept = strip_lead(text, head)
    return kept, _suffix_words(text, words, kept)


def _suffix_words(text: str, words: list[str], kept: str) -> list[str]:
    """`kept.split()` for `kept` a suffix of `text` = " ".join(words): when the cut
    prefix ends with a space it is whole words (one space after each), so the tokens
    are a slice; anything else is split again."""
    cut = len(text) - len(kept)
    if cut == 0:
        return words
    if text.endswith(kept) and text[cut - 1] == " ":
        return words[text.count(" ", 0, cut) :]
    return kept.split()


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


def _frozen(array: np.ndarray) -> np.ndarray:
    """A shared constant array, made read-only so no caller can change it for the others."""
    array.flags.writeable = False
    return array


_MAX_TOKEN_IDS = 1 << 20  # vocabulary cache bound (~100 MB worst case); cleared when full
_ENTRY = np.dtype([("id", "<u8"), ("content", "?")])  # one cached token, packed (9 bytes)


def _is_content(token: str) -> bool:
    """A content word: no stop word, number or 1-2 letter word (story similarity)."""
    return token not in _STOP and len(token) > 2 and not token.isdigit()


def _entry(token: str) -> bytes:
    """The token's `_ENTRY`: its 64-bit BLAKE2b id (little-endian) and content flag."""
    digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
    return digest + (b"\x01" if _is_content(token) else b"\x00")


class _TokenEntries(dict[str, bytes]):
    """token -> its `_ENTRY` bytes, filled on first lookup.

    A bounded memo of a pure function: its contents never change a result. Raw bytes
    make a token list's ids one C-speed lookup per token plus one join (numpy converts a
    list of Python ints one by one), and the content flag rides along, so the content
    words need no second pass over the tokens.
    """

    def __missing__(self, token: str) -> bytes:
        if len(self) >= _MAX_TOKEN_IDS:
            self.clear()
        entry = self[token] = _entry(token)
        return entry


_TOKENS = _TokenEntries()


def token_table(toks: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit id, is a content word) per token, from the cache."""
    table = np.frombuffer(bytearray().join(map(_TOKENS.__getitem__, toks)), dtype=_ENTRY)
    return table["id"].astype(np.uint64), table["content"]


def token_ids(toks: list[str]) -> np.ndarray:
    """64-bit id per token (BLAKE2b, cached): C-speed dict lookups for known words."""
    return token_table(toks)[0]


_S27, _S30, _S31, _S32 = _U64(27), _U64(30), _U64(31), _U64(32)
_M1, _M2 = _U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer: turns a linear combination into well-spread 64-bit hashes.

    Works in one new array (in-place steps), the input is left as it is."""
    y = x >> _S30
    y ^= x
    y *= _M1
    y ^= y >> _S27
    y *= _M2
    y ^= y >> _S31
    return y


_ORDER = _frozen(_stable_u64("order", 64) | _U64(1))


def shingle_hashes(toks: list[str], k: int) -> np.ndarray:
    """64-bit hash of every k-word window, in text order (one hash if fewer than k words)."""
    return window_hashes(token_ids(toks), k)


def window_hashes(ids: np.ndarray, k: int) -> np.ndarray:
    """`shingle_hashes` of token ids.

    The hash is sum(id[i + j] * order[j]) mod 2**64, mixed: one integer matrix-vector
    product over a strided (n, k) view of the ids (no copy) instead of k passes.
    """
    if not ids.size:
        return np.zeros(0, dtype=np.uint64)
    ids = np.ascontiguousarray(ids, dtype=np.uint64)  # the view below needs it (no-op here)
    k = min(k, ids.size)
    step = ids.itemsize
    windows = np.ndarray((ids.size - k + 1, k), dtype=np.uint64, buffer=ids, strides=(step, step))
    return _mix(windows @ _ORDER[:k])


@lru_cache(maxsize=8)
def _perms(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    a = _stable_u64(f"perm-a-{seed}", num_perm) | _U64(1)
    b = _stable_u64(f"perm-b-{seed}", num_perm)
    return _frozen(a[:, None]), _frozen(b[:, None])


@lru_cache(maxsize=8)
def _rows(num_perm: int) -> np.ndarray:
    return _frozen(np.arange(num_perm))


_CHUNK = 4096  # hashes per pass: bounds the (num_perm x chunk) matrix to 4 MB
_EMPTY = np.iinfo(np.uint32).max  # the signature of no hashes at all


def _permuted(hashes: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """(a * h + b) >> 32 for every permutation (row) and hash (column), written into `out`.

    In place: fresh temporaries of this size are fresh mmaps, and their page faults cost
    more than the arithmetic."""
    np.multiply(a, hashes, out=out)
    out += b
    out >>= _S32
    return out


def _buffer(num_perm: int, n: int) -> np.ndarray:
    return np.empty((num_perm, min(n, _CHUNK)), dtype=np.uint64)


def minhash(hashes: np.ndarray, num_perm: int, seed: int = 1) -> np.ndarray:
    """MinHash signature (uint32 per permutation) of a set of 64-bit hashes.

    Permutations are multiply-add-shift on already mixed 64-bit values: one vectorized
    (num_perm x n) pass, chunked so very long bodies do not allocate gigabytes. Permuted
    values are below 2**32, so the minimum needs no uint32-max starting value.
    """
    if hashes.size == 0:
        return np.full(num_perm, _EMPTY, dtype=np.uint32)
    a, b = _perms(num_perm, seed)
    buf = _buffer(num_perm, hashes.size)
    sig = np.minimum.reduce(_permuted(hashes[:_CHUNK], a, b, buf), axis=1)
    for start in range(_CHUNK, hashes.size, _CHUNK):
        chunk = hashes[start : start + _CHUNK]
        sig = np.minimum(sig, np.minimum.reduce(_permuted(chunk, a, b, buf[:, : chunk.size]), axis=1))
    return sig.astype(np.uint32)


def body_sketch(
    hashes: np.ndarray, num_perm: int, lead: int, lead_perm: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sig, positions, lead sig) of the shingles in text order, in one pass.

    `positions[i]` is where permutation i's minimum first occurs: it makes truncation
    checkable, as a copy cut after m shingles must agree on every permutation whose
    minimum lies in the first m shingles of the original. The lead signature uses the
    first `lead_perm` permutations over the first `lead` shingles (of the first chunk).
    Later chunks replace a minimum only when strictly lower: the first occurrence wins.
    """
    if hashes.size == 0:
        empty = np.full(num_perm, _EMPTY, dtype=np.uint32)
        return empty, np.zeros(num_perm, dtype=np.int64), empty[:lead_perm].copy()
    a, b = _perms(num_perm, 1)
    rows = _rows(num_perm)
    buf = _buffer(num_perm, hashes.size)
    values = _permuted(hashes[:_CHUNK], a, b, buf)
    lead_sig = np.minimum.reduce(values[:lead_perm, :lead], axis=1)
    pos = values.argmin(axis=1)
    sig = values[rows, pos]
    for start in range(_CHUNK, hashes.size, _CHUNK):
        chunk = hashes[start : start + _CHUNK]
        values = _permuted(chunk, a, b, buf[:, : chunk.size])
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
    p = params or _DEFAULTS
    layout = _band_layout(p.layout_version, p.bands, p.rows, p.lead_bands, p.lead_rows)
    values = np.concatenate((sketch.sig[: p.bands * p.rows], sketch.lead[: p.lead_bands * p.lead_rows]))
    digests = _mix((values[layout.index] * layout.weight).sum(axis=1, dtype=np.uint64) + layout.offset)
    hexes = digests.astype(">u8").tobytes().hex(" ", 8).split()
    keys = list(map(str.__add__, layout.heads, hexes))
    keys += [f"p{p.layout_version}:{h}" for h in sketch.prefixes]
    return keys


@dataclass(frozen=True, slots=True)
class _BandLayout:
    """Both kinds of band as one gather: band i's digest is
    mix(sum_j values[index[i, j]] * weight[i, j] + offset[i]) over the concatenated body
    and lead signatures, padding columns (the lead's rows are fewer) weighing 0."""

    index: np.ndarray  # int[n_bands, max rows]
    weight: np.ndarray  # uint64[n_bands, max rows]: _ORDER[j], or 0 past the band's rows
    offset: np.ndarray  # uint64[n_bands]: _ORDER[rows] of the band's kind
    heads: tuple[str, ...]  # "b{layout}:{i}:" / "l{layout}:{i}:", then the digest in hex


@lru_cache(maxsize=8)
def _band_layout(layout_version: int, bands: int, rows: int, lead_bands: int, lead_rows: int) -> _BandLayout:
    width = max(rows, lead_rows)
    index, weight, offset, heads = [], [], [], []
    for prefix, first, n_bands, n_rows in (("b", 0, bands, rows), ("l", bands * rows, lead_bands, lead_rows)):
        for i in range(n_bands):
            start = first + i * n_rows
            index.append([start + j if j < n_rows else 0 for j in range(width)])
            weight.append([int(_ORDER[j]) if j < n_rows else 0 for j in range(width)])
            offset.append(int(_ORDER[n_rows]))
            heads.append(f"{prefix}{layout_version}:{i}:")
    return _BandLayout(
        index=_frozen(np.array(index, dtype=np.intp).reshape(-1, width)),
        weight=_frozen(np.array(weight, dtype=np.uint64).reshape(-1, width)),
        offset=_frozen(np.array(offset, dtype=np.uint64)),
        heads=tuple(heads),
    )


def exact_key(fp: Fingerprint, params: DedupeParams | None = None) -> str:
    return f"x{(params or _DEFAULTS).layout_version}:{fp.content_hash}"


def content_terms(toks: list[str]) -> np.ndarray:
    """Ids of the distinct content words (sorted): no stop words, numbers or 1-2 letter
    words. `fingerprint` takes its MinHash over the ids of all content-word occurrences
    instead: the minimum of a multiset is that of its set, and no dedup pass is needed."""
    ids, content = token_table(toks)
    return np.unique(ids[content])


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
        candidates = {n.strip().casefold() for n in listed if n.strip()}
        counts = Counter({n: low.count(n) for n in candidates})
    else:
        found = _NAME.findall(body)  # [(name, mid-sentence mark or "")]
        names = [name.casefold() for name, _ in found]
        counts = Counter(names)
        candidates = {name for name, (_, mid) in zip(names, found, strict=True) if mid} - _CALENDAR
    ranked = sorted(candidates, key=lambda n: (-counts[n], n))
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


def _sketch(toks: list[str], ids: np.ndarray, p: DedupeParams) -> tuple[int, Sketch, np.ndarray]:
    """(shingle count, sketch, positions) of a token list and its ids."""
    shingles = window_hashes(ids, p.shingle_size)
    lead_shingles = max(1, p.lead_tokens - p.shingle_size + 1)
    sig, positions, lead = body_sketch(shingles, p.num_perm, lead_shingles, p.lead_perm)
    prefixes = tuple(
        f"{level}:{content_hash(' '.join(toks[:level]))}" for level in PREFIX_LEVELS if len(toks) >= level
    )
    return int(shingles.size), Sketch(sig=sig, lead=lead, prefixes=prefixes), positions


def fingerprint(article: Article, params: DedupeParams | None = None) -> Fingerprint:
    p = params or _DEFAULTS
    (normalized, toks), prose_words = _normalized_parts(article.body or "", article.title)
    ids, content = token_table(toks)
    n_shingles, sketch, positions = _sketch(toks, ids, p)
    prose = None
    if prose_words and prose_words[0]:
        prose_text, prose_toks = prose_words
        n_prose, prose_sketch, prose_positions = _sketch(prose_toks, token_ids(prose_toks), p)
        prose = Prose(content_hash(prose_text), n_prose, prose_sketch, prose_positions)
    return Fingerprint(
        content_hash=content_hash(normalized),
        n_tokens=len(toks),
        n_shingles=n_shingles,
        sketch=sketch,
        positions=positions,
        terms=minhash(ids[content], p.story_perm, 3),
        names=salient_names(article, max(p.story_names, 8)),
        time=article_time(article),
        prose=prose,
    )
