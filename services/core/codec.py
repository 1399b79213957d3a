"""Bytes <-> models for every topic, with decode errors that name their cause.

Stages decode their input here so that anything not matching the contract becomes a
`DecodeError` (and so a DLQ record), never an exception that stops a partition.
"""

from __future__ import annotations

from typing import TypeVar, cast

import msgspec

from services.core.exceptions import DecodeError
from services.core.models import Article, DlqRecord, LatestView, RawArticle, RelatedList

T = TypeVar("T")

_encoder = msgspec.json.Encoder()
_decoders = {
    cls: msgspec.json.Decoder(cls) for cls in (RawArticle, Article, DlqRecord, LatestView, RelatedList)
}


def encode(message: msgspec.Struct) -> bytes:
    return _encoder.encode(message)


def decode(data: bytes | None, cls: type[T]) -> T:
    if not data:
        raise DecodeError("empty_value", "message has no value")
    try:
        return cast(T, _decoders[cls].decode(data))  # type: ignore[index]
    except msgspec.ValidationError as exc:
        raise DecodeError("schema", f"not a valid {cls.__name__}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise DecodeError("json", f"not JSON: {exc}") from exc
    except UnicodeDecodeError as exc:  # msgspec's own error for invalid UTF-8 inside a string
        raise DecodeError("json", f"not UTF-8 JSON: {exc}") from exc
