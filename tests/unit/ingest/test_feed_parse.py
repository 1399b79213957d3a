"""Feed XML -> items: the shipped RSS/Atom fixtures, relative links, dates, broken feeds."""

from pathlib import Path

import pytest

from services.ingest.feeds.parse import MalformedFeed, parse_feed

FEEDS = Path(__file__).parents[2] / "fixtures" / "feeds"
BASE = "http://news.example"


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_text().replace("{base}", BASE).encode()


def test_rss_items_have_absolute_links_titles_and_utc_dates() -> None:
    feed = parse_feed(fixture("rss.xml"), f"{BASE}/feeds/rss.xml", "application/rss+xml")
    assert feed.title == "Fixture Wire: world"
    assert [i.url for i in feed.items] == [
        f"{BASE}/pages/uk_EveningStandard_2024_05_02.html",
        f"{BASE}/pages/seed-article.txt",
        f"{BASE}/go/voa",
        f"{BASE}/pages/gone.html",
    ]
    first = feed.items[0]
    assert first.title == "Evening Standard story"
    assert first.published_at == "2024-05-02T08:30:00.000Z"  # +0100 -> UTC
    assert first.guid == "fixture-es-1"
    assert feed.items[1].published_at == "2019-11-26T14:49:00.000Z"
    assert feed.items[3].published_at is None
    assert feed.no_link == 1


def test_atom_entries_resolve_relative_links_against_the_feed_url() -> None:
    feed = parse_feed(fixture("atom.xml"), f"{BASE}/feeds/atom.xml", "application/atom+xml")
    assert [i.url for i in feed.items] == [f"{BASE}/pages/de_DW_2024_01_30.html", f"{BASE}/pages/flaky.html"]
    assert feed.items[0].published_at == "2024-01-30T07:15:00.000Z"
    assert feed.items[1].published_at == "2024-01-30T10:00:00.000Z"  # only <updated>


def test_same_link_twice_is_one_item_and_fragments_are_dropped() -> None:
    body = b"""<rss version="2.0"><channel><title>t</title>
      <item><link>http://a.example/x#top</link></item><item><link>http://a.example/x</link></item>
      <item><link>javascript:alert(1)</link></item><item><link>/relative</link></item>
    </channel></rss>"""
    feed = parse_feed(body, "http://a.example/feed")
    assert [i.url for i in feed.items] == ["http://a.example/x", "http://a.example/relative"]
    assert feed.no_link == 1


@pytest.mark.parametrize(
    "body",
    [
        (FEEDS / "malformed.xml").read_bytes(),
        b"<html><body><p>This is a web page, not a feed</p></body></html>",
        b"not xml at all {{{",
        b"",
    ],
)
def test_bodies_that_are_not_feeds_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedFeed, match="not a readable feed"):
        parse_feed(body, "http://a.example/feed")


def test_a_valid_empty_feed_is_not_malformed() -> None:
    feed = parse_feed(b'<rss version="2.0"><channel><title>quiet</title></channel></rss>', "http://a/")
    assert feed.items == [] and feed.title == "quiet"
