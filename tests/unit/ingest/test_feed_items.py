"""A fetched page -> RawArticle: hints from the feed, fetch metadata, decoding, schema-valid."""

import orjson

from services.core import schemas
from services.core.codec import encode
from services.ingest.feeds.config import FeedSpec
from services.ingest.feeds.fetch import Fetched
from services.ingest.feeds.items import page_format, raw_article
from services.ingest.feeds.parse import FeedItem

SPEC = FeedSpec(url="https://news.example/rss", source="Example News", section="politics")
ITEM = FeedItem(
    url="https://news.example/a", title="A title", published_at="2024-05-02T08:30:00.000Z", guid="g1"
)


def page(body: bytes, content_type: str | None = "text/html; charset=utf-8") -> Fetched:
    headers = {"etag": '"abc"', "last-modified": "Thu, 02 May 2024 10:00:00 GMT"}
    if content_type:
        headers["content-type"] = content_type
    return Fetched(
        url=ITEM.url,
        final_url="https://news.example/a?amp=0",
        status=200,
        headers=headers,
        body=body,
        fetched_at="2024-05-02T10:00:01.000Z",
        redirects=1,
    )


def test_raw_article_carries_feed_hints_and_fetch_metadata() -> None:
    raw = raw_article(SPEC, ITEM, page("<html><p>Grüße</p></html>".encode()))
    assert raw.content == "<html><p>Grüße</p></html>" and raw.format == "html"
    assert raw.url == "https://news.example/a?amp=0" and raw.source == "Example News"
    assert raw.fetched_at == "2024-05-02T10:00:01.000Z"
    assert raw.ingest.source == "feed"
    assert raw.hints == {
        "source": "Example News",
        "section": "politics",
        "feed_url": "https://news.example/rss",
        "title": "A title",
        "published_at": "2024-05-02T08:30:00.000Z",
        "guid": "g1",
    }
    assert raw.ingest.fetch == {
        "status": "200",
        "url": "https://news.example/a",
        "final_url": "https://news.example/a?amp=0",
        "etag": '"abc"',
        "last_modified": "Thu, 02 May 2024 10:00:00 GMT",
        "content_type": "text/html; charset=utf-8",
        "feed_url": "https://news.example/rss",
        "feed": "Example News",
        "redirects": "1",
    }
    schemas.validate("raw_article", orjson.loads(encode(raw)))


def test_charset_comes_from_the_header_or_the_page_meta() -> None:
    text = "Привет, мир"
    assert (
        raw_article(SPEC, ITEM, page(text.encode("cp1251"), "text/html; charset=windows-1251")).content
        == text
    )
    meta = b'<html><head><meta charset="windows-1251"></head>' + text.encode("cp1251")
    assert text in raw_article(SPEC, ITEM, page(meta, "text/html")).content
    assert raw_article(SPEC, ITEM, page(b"plain words", "text/plain")).format == "text"


def test_only_pages_are_ingested() -> None:
    assert page_format("text/html") == "html"
    assert page_format("application/xhtml+xml; charset=utf-8") == "html"
    assert page_format(None) == "html"  # servers that send no type are mostly HTML
    assert page_format("text/plain") == "text"
    assert page_format("application/pdf") is None and page_format("image/jpeg") is None
