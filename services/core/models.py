"""Message models: the Python side of the JSON Schemas in schemas/.

Plain msgspec Structs so every stage's logic works on typed plain data and encoding
is one fast call. Optional fields default to None and are sent as null, so a consumer
always sees the same keys; schemas grow additively.
Every top-level message carries `schema_version`.

The value constraints of schemas/article.json and raw_article.json (codes, timestamps,
scores) are on the fields too (msgspec Meta, checked when a message is decoded, not
when a stage builds one): a stage that decodes an upstream article the contract forbids
(`language: ""`) then sends it to the DLQ as a `schema` DecodeError instead of passing
it on, schema-invalid, to its own output topic.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

SCHEMA_VERSION = 1

# The schemas' patterns and ranges, word for word (tests/unit/core/test_codec_strict.py
# checks the two agree).
UTC_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"
SchemaVersion = Annotated[int, msgspec.Meta(ge=1)]
UtcTime = Annotated[str, msgspec.Meta(pattern=UTC_TIME_PATTERN)]  # RFC 3339 UTC, ...Z
UtcOffset = Annotated[str, msgspec.Meta(pattern=r"^[+-]\d{2}:\d{2}$")]  # +04:00
LanguageCode = Annotated[str, msgspec.Meta(pattern="^[a-z]{2}$")]  # ISO 639-1
CountryCode = Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$")]  # ISO 3166-1 alpha-2
Score = Annotated[float, msgspec.Meta(ge=0, le=1)]

InputFormat = Literal["auto", "html", "text", "feed", "json"]
ResolvedFormat = Literal["html", "text", "feed", "json"]
DedupeStatus = Literal["unique", "duplicate", "update"]


class _Struct(msgspec.Struct, kw_only=True):
    """Base: keyword-only fields; every field is always on the wire (null when unknown)."""


class IngestMeta(_Struct, kw_only=True):
    """Set by the ingest service; carried unchanged through every stage for tracing."""

    id: str
    received_at: UtcTime
    source: str = "api"  # which ingest source accepted it: api, batch, cli, feed, ...
    content_sha256: str | None = None
    size: int | None = None
    fetch: dict[str, str] | None = None  # fetch metadata (status, etag, feed url, ...)


class RawArticle(_Struct, kw_only=True):
    """news.raw value: the input exactly as received plus ingest metadata."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    ingest: IngestMeta
    content: str
    format: InputFormat = "auto"
    url: str | None = None
    source: str | None = None  # publisher name hint
    fetched_at: str | None = None
    hints: dict[str, str] | None = None  # e.g. section from a feed


class Source(_Struct, kw_only=True):
    name: str | None = None
    domain: str | None = None


class Dateline(_Struct, kw_only=True):
    text: str
    place: str | None = None
    country: CountryCode | None = None


class Media(_Struct, kw_only=True):
    photo_count: int = 0
    captions: list[str] = msgspec.field(default_factory=list)
    video: bool = False


class LinkItem(_Struct, kw_only=True):
    """An entry of the publisher's own related/latest link lists."""

    title: str
    section: str | None = None
    published_at: UtcTime | None = None
    url: str | None = None


class Links(_Struct, kw_only=True):
    related: list[LinkItem] = msgspec.field(default_factory=list)
    latest: list[LinkItem] = msgspec.field(default_factory=list)


class Extraction(_Struct, kw_only=True):
    format: ResolvedFormat
    extractor: str | None = None
    warnings: list[str] = msgspec.field(default_factory=list)


class Topic(_Struct, kw_only=True):
    code: str  # e.g. medtop:11000000
    label: str
    score: Score
    level: int = 1


class Place(_Struct, kw_only=True):
    name: str
    country: CountryCode | None = None


class Dedupe(_Struct, kw_only=True):
    status: DedupeStatus
    fingerprint: str
    duplicate_of: str | None = None
    similarity: Score | None = None
    story_id: str | None = None
    version: int = 1
    kind: str | None = None  # exact, near, reingest, update


class Article(_Struct, kw_only=True):
    """news.normalized / news.categorized / news.articles / news.duplicates value.

    The categorizer fills topics..keywords; the deduper fills `dedupe`.
    """

    schema_version: SchemaVersion = SCHEMA_VERSION
    id: str
    ingest: IngestMeta
    url: str | None = None
    canonical_url: str | None = None
    source: Source = msgspec.field(default_factory=Source)
    title: str | None = None
    subtitle: str | None = None
    authors: list[str] = msgspec.field(default_factory=list)
    published_at: UtcTime | None = None
    published_offset: UtcOffset | None = None  # the page's own offset
    updated_at: UtcTime | None = None
    dateline: Dateline | None = None
    language: LanguageCode | None = None
    section: str | None = None
    lead: str | None = None
    body: str = ""
    word_count: int = 0
    media: Media = msgspec.field(default_factory=Media)
    links: Links = msgspec.field(default_factory=Links)
    extraction: Extraction
    # categorizer
    topics: list[Topic] | None = None
    section_topic: str | None = None
    countries: list[CountryCode] | None = None
    places: list[Place] | None = None
    people: list[str] | None = None
    organizations: list[str] | None = None
    keywords: list[str] | None = None
    # deduper
    dedupe: Dedupe | None = None


class DlqError(_Struct, kw_only=True):
    type: str
    message: str


class DlqRecord(_Struct, kw_only=True):
    """news.dlq value: why a stage could not handle a message, with the original bytes."""

    schema_version: int = SCHEMA_VERSION
    stage: str
    error: DlqError
    failed_at: str
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    ingest_id: str | None = None
    original_b64: str  # base64 of the original value bytes


class ArticleSummary(_Struct, kw_only=True):
    """What views list: enough to render a headline without fetching the article."""

    id: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: str | None = None
    section: str | None = None
    topics: list[str] = msgspec.field(default_factory=list)
    countries: list[str] = msgspec.field(default_factory=list)
    story_id: str | None = None
    version: int = 1  # dedupe version: a view never lets an older version replace a newer
    received_at: str | None = None  # when newsflow received this version (ingest time)


class LatestView(_Struct, kw_only=True):
    """news.latest value (key = view name, e.g. `all`, `topic:medtop:11000000`)."""

    schema_version: int = SCHEMA_VERSION
    view: str
    updated_at: str
    articles: list[ArticleSummary] = msgspec.field(default_factory=list)


class RelatedItem(_Struct, kw_only=True):
    id: str
    score: float
    reason: str | None = None
    title: str | None = None


class RelatedList(_Struct, kw_only=True):
    """news.related value (key = article id). `version`: the article's dedupe version the
    list was built for (null in lists of versions before 2026-11-30)."""

    schema_version: int = SCHEMA_VERSION
    id: str
    updated_at: str
    related: list[RelatedItem] = msgspec.field(default_factory=list)
    version: int | None = None
