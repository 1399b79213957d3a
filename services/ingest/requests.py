"""Turn ingest requests into RawArticles: pure validation, no I/O.

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
from services.core.models import IngestMeta, InputFormat, RawArticle
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
    """A bare text/html or text/plain body; the URL comes from `?url=`."""
    try:
        content = body.decode(charset or "utf-8")
    except (UnicodeDecodeError, LookupError):
        content = body.decode("utf-8", "replace")
    fmt = "html" if content_type == "text/html" else "text"
    return from_fields({"content": content, "format": fmt, "url": url}, limits, source)


def from_ndjson(
    body: bytes, limits: Limits, source: str = "batch"
) -> tuple[list[tuple[int, RawArticle]], list[dict[str, Any]]]:
    """Per-line results: accepted (line number, article) and errors `{line, reason, error}`."""
    accepted: list[tuple[int, RawArticle]] = []
    errors: list[dict[str, Any]] = []
    lines = [line for line in body.splitlines()]
    if sum(1 for line in lines if line.strip()) > limits.max_batch_lines:
        raise TooLarge("too_many_lines", f"batch exceeds {limits.max_batch_lines} lines")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            accepted.append((number, from_json(line, limits, source=source)))
        except (BadRequest, TooLarge) as exc:
            errors.append({"line": number, "reason": exc.reason, "error": str(exc)})
    if not accepted and not errors:
        raise BadRequest("empty_batch", "batch has no lines")
    return accepted, errors
