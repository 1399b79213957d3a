"""Turn ingest requests into RawArticles (and Records, as news.raw stores them): pure
validation, no I/O.

The API accepts a JSON object `{content, format?, url?, source?, fetched_at?, hints?, fetch?}`, a raw
`text/html` / `text/plain` body, or NDJSON batches of JSON objects. Anything else is a
400 with a reason a client can act on; nothing is guessed silently.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any, cast, get_args

import orjson

from services.core.clock import utc_iso
from services.core.codec import encode
from services.core.models import IngestMeta, InputFormat, RawArticle
from services.ingest.decode import text_codec
from services.ingest.exceptions import BadRequest, TooLarge

FORMATS = frozenset(get_args(InputFormat))
_FIELDS = {"content", "format", "url", "source", "fetched_at", "hints", "fetch"}
MAX_FETCH_KEYS = 32
MAX_FETCH_VALUE = 2048


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    max_batch_lines: int


def new_ingest(content: str, source: str, fetch: dict[str, str] | None = None) -> IngestMeta:
    data = content.encode("utf-8", "surrogatepass")
    return IngestMeta(
        id=uuid.uuid4().hex,
        received_at=utc_iso(),
        source=source,
        content_sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        fetch=fetch,
    )


def from_fields(fields: Any, limits: Limits, source: str) -> RawArticle:
    """Validate one decoded JSON object into a RawArticle."""
    if not isinstance(fields, dict):
        raise BadRequest("not_an_object", "expected a JSON object with a 'content' field")
    unknown = set(fields) - _FIELDS
    if unknown:
        raise BadRequest("unknown_field", f"unknown field(s): {', '.join(sorted(unknown))}")
    content = fields.get("content")
    if not isinstance(content, str):
        raise BadRequest("missing_content", "'content' must be a string")
    if not content.strip():
        raise BadRequest("empty_content", "'content' is empty")
    if len(content) > limits.max_body_bytes:
        raise TooLarge("too_large", f"content exceeds {limits.max_body_bytes} bytes")
    fmt = fields.get("format", "auto")
    if not isinstance(fmt, str) or fmt not in FORMATS:  # a list is unhashable: 400, not 500
        raise BadRequest("unknown_format", f"format must be one of {', '.join(sorted(FORMATS))}")
    for name in ("url", "source", "fetched_at"):
        if fields.get(name) is not None and not isinstance(fields[name], str):
            raise BadRequest("bad_field", f"'{name}' must be a string")
    hints = fields.get("hints")
    if hints is not None and not (
        isinstance(hints, dict) and all(isinstance(v, str) for v in hints.values())
    ):
        raise BadRequest("bad_field", "'hints' must be an object of strings")
    fetch = _fetch_meta(fields.get("fetch"))
    return RawArticle(
        ingest=new_ingest(content, source, fetch),
        content=content,
        format=cast(InputFormat, fmt),
        url=fields.get("url"),
        source=fields.get("source"),
        fetched_at=fields.get("fetched_at"),
        hints=hints,
    )


def _fetch_meta(value: Any) -> dict[str, str] | None:
    """Optional `fetch`: how the client got the document (path, WARC record, HTTP status)."""
    if value is None:
        return None
    if not (
        isinstance(value, dict)
        and len(value) <= MAX_FETCH_KEYS
        and all(isinstance(v, str) and len(v) <= MAX_FETCH_VALUE for v in value.values())
    ):
        raise BadRequest(
            "bad_field",
            f"'fetch' must be an object of at most {MAX_FETCH_KEYS} strings (<= {MAX_FETCH_VALUE} chars)",
        )
    return {str(k): v for k, v in value.items()}


def from_json(body: bytes, limits: Limits, source: str = "api") -> RawArticle:
    try:
        fields = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("bad_json", f"body is not valid JSON: {exc}") from exc
    return from_fields(fields, limits, source)


def from_raw_body(
    body: bytes,
    content_type: str,
    limits: Limits,
    url: str | None,
    charset: str | None,
    source: str = "api",
) -> RawArticle:
    """A bare text/html or text/plain body; the URL comes from `?url=`.

    A wrong or unknown charset is not refused: the body is read as UTF-8 with U+FFFD for
    what does not decode (the normalizer repairs mojibake). A label that names no
    charset (`punycode`, `base64`, ...) counts as unknown (decode.text_codec).
    """
    try:
        content = body.decode(text_codec(charset) or "utf-8")
    except (UnicodeError, LookupError):  # UnicodeError: some codecs raise it, not UnicodeDecodeError
        content = body.decode("utf-8", "replace")
    fmt = "html" if content_type == "text/html" else "text"
    return from_fields({"content": content, "format": fmt, "url": url}, limits, source)


@dataclass(frozen=True, slots=True)
class Record:
    """An accepted article as news.raw stores it: encoded once, its decoded text dropped.

    Why (issue 9): a decoded page is a str of 1, 2 or 4 bytes per character, and most HTML
    pages hold a curly quote or an emoji, so the str costs 2-4x the page's UTF-8 size. A
    batch keeps only these values between reading its last line and its produce, so it
    costs about its own body size once.
    """

    id: str
    source: str
    value: bytes

    @property
    def key(self) -> bytes:
        return self.id.encode()


def to_record(article: RawArticle) -> Record:
    """Encode `article` for news.raw into a value no larger than its length."""
    encoded = encode(article)
    # msgspec trims its growth buffer in length only (up to ~2.4x the value stays
    # allocated); a copy gives the slack back, which matters while a batch waits
    return Record(article.ingest.id, article.ingest.source, bytes(memoryview(encoded)))


class NdjsonBatch:
    """An NDJSON batch decoded as its body arrives, chunk by chunk.

    Why (issue 9): reading the whole body, splitting it into lines and decoding every
    line kept three to four copies of each page alive at once (760 MB RSS for four
    concurrent 100-page HTML batches). Here each line is validated and encoded into a
    Record as soon as its newline arrives; only the unfinished line and the Records are
    held. Nothing is produced before the whole body is read, so a 413 (too large, too
    many lines) still means nothing was stored. Line numbers follow `bytes.splitlines`.
    """

    def __init__(self, limits: Limits, source: str, max_bytes: int) -> None:
        self._limits = limits
        self._source = source
        self._max_bytes = max_bytes
        self._buffer = bytearray()
        self._scanned = 0  # bytes of the buffer known to hold no newline
        self._size = 0
        self._line = 0  # last line number given out
        self._lines = 0  # non-blank lines seen
        self.accepted: list[tuple[int, Record]] = []
        self.errors: list[dict[str, Any]] = []

    @property
    def pending_bytes(self) -> int:
        """Bytes of the unfinished line held (what streaming keeps besides the Records)."""
        return len(self._buffer)

    def feed(self, chunk: bytes) -> None:
        """Take the next chunk of the body; raises TooLarge over the size or line limit."""
        self._size += len(chunk)
        if self._size > self._max_bytes:
            raise TooLarge("too_large", f"request body exceeds {self._max_bytes} bytes")
        self._buffer += chunk
        while (end := self._buffer.find(b"\n", self._scanned)) >= 0:
            segment = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            self._scanned = 0
            self._take(segment)
        self._scanned = len(self._buffer)

    def close(self) -> tuple[list[tuple[int, Record]], list[dict[str, Any]]]:
        """The body ended: per-line results, accepted (line, Record) and errors `{line, reason, error}`."""
        if self._buffer:
            segment = bytes(self._buffer)
            self._buffer.clear()
            self._take(segment)
        if not self.accepted and not self.errors:
            raise BadRequest("empty_batch", "batch has no lines")
        return self.accepted, self.errors

    def _take(self, segment: bytes) -> None:
        """One newline-terminated segment; a lone CR inside it also ends a line, as in splitlines."""
        for line in segment.splitlines() or [b""]:
            self._line += 1
            if not line.strip():
                continue
            self._lines += 1
            if self._lines > self._limits.max_batch_lines:
                raise TooLarge("too_many_lines", f"batch exceeds {self._limits.max_batch_lines} lines")
            try:
                record = to_record(from_json(line, self._limits, source=self._source))
            except (BadRequest, TooLarge) as exc:
                self.errors.append({"line": self._line, "reason": exc.reason, "error": str(exc)})
            else:
                self.accepted.append((self._line, record))


def from_ndjson(
    body: bytes, limits: Limits, source: str = "batch"
) -> tuple[list[tuple[int, Record]], list[dict[str, Any]]]:
    """A whole NDJSON body at once (see NdjsonBatch, which the API feeds as it reads)."""
    batch = NdjsonBatch(limits, source, max_bytes=len(body))
    batch.feed(body)
    return batch.close()
