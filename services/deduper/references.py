"""Band entries stored once per partition, and referenced from each band key.

An indexed article puts the same BandEntry (~450 B as JSON) under ~23 band keys: its
exact hash, 12 body bands, 8 lead bands and 2-3 prefixes. Written whole under each, one
article cost ~32 KB on the index topic and ~31 KB of bands changelog (make bench, text).
The stream app (services.deduper.app) writes it once per index partition instead:

  e{v}:{id}:{hash}  [entry]               the entry, on each partition that needs it
  band key          [..., [id, seen, hash], ...]   a reference beside whole entries

The reference carries `id` and `seen` where a BandEntry has them (wire positions 0 and
1), so pruning, holding and sweeping treat both forms alike (index.py works on the wire
form there), and `hash` pins the text: an update of the article writes a new entry and
leaves the old text's keys pointing at the old one, as whole entries did. A read on a
partition resolves its references from that partition (`resolve`); an entry gone from
the window drops its references with it.

Whole entries stay valid: state and in-flight Updates of earlier versions read and
apply as before, and offline stores (`newsflow dedupe`) hold only whole entries. An
earlier version cannot read references: downgrading means deleting the deduper's state
(local stores and changelog topics), which forgets the dedupe window.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.deduper.params import DedupeParams

REF_FIELDS = 3  # [id, seen, hash]; a BandEntry in wire form has 9 or more
# where a BandEntry's wire form (array_like: fields in order) holds these; index.py
# cannot be imported here (it imports this module), a test checks them against it
HASH_AT = 4
VERSION_AT = 8  # 0: held (index.HELD)


def entry_key(article_id: str, content_hash: str, params: DedupeParams) -> str:
    return f"e{params.layout_version}:{article_id}:{content_hash}"


def is_reference(element: Any) -> bool:
    return isinstance(element, list) and len(element) == REF_FIELDS


def by_reference(items: list[tuple[str, str, Any]], params: DedupeParams) -> list[tuple[str, str, Any]]:
    """One partition's (table, key, value) updates with each whole band entry written
    once, under its entry key, and referenced from its band keys.

    Held entries (version 0) stay whole: one exact-hash key holds them, briefly.
    """
    stored: dict[str, Any] = {}
    out: list[tuple[str, str, Any]] = []
    for table, key, value in items:
        if table != "bands" or not _indexable(value):
            out.append((table, key, value))
            continue
        ekey = entry_key(value[0], value[HASH_AT], params)
        stored.setdefault(ekey, value)
        out.append((table, key, [value[0], value[1], value[HASH_AT]]))
    return [("bands", ekey, entry) for ekey, entry in stored.items()] + out


def resolve(bands: Mapping[str, Any], value: list[Any], params: DedupeParams) -> list[Any]:
    """A band key's value with each reference replaced by its entry from the same
    partition's table; references whose entry is gone (swept) are dropped."""
    if not any(is_reference(e) for e in value):
        return value
    resolved = []
    for element in value:
        if not is_reference(element):
            resolved.append(element)
            continue
        stored = bands.get(entry_key(element[0], element[2], params))
        if stored:
            resolved.append(stored[0])
    return resolved


def _indexable(value: Any) -> bool:
    return isinstance(value, list) and len(value) > VERSION_AT and value[VERSION_AT] != 0
