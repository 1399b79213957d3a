"""HTML pages, RSS/Atom items and JSON records through normalize()."""

from __future__ import annotations

import json

import pytest

from services.normalizer import NotAnArticle
from tests.unit.normalizer.normalizer_helpers import P1, P2, norm

PAGE = f"""<!doctype html><html lang="en-GB"><head>
<title>Talks to resume next week | Example News</title>
<meta property="og:site_name" content="Example News">
<meta property="og:title" content="Talks to resume next week">
<meta name="description" content="Negotiators return after a long pause.">
<link rel="canonical" href="https://www.example.com/world/talks-resume?utm_source=rss">
<script type="application/ld+json">{
    json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": "Talks to resume next week",
            "datePublished": "2019-11-26T18:49:00+04:00",
            "dateModified": "2019-11-26T19:00:00+04:00",
            "author": [{"@type": "Person", "name": "Jane Doe"}, {"@type": "Person", "name": "John Roe"}],
            "articleSection": "World",
        }
    )
}</script>
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>
<header><h1>Talks to resume next week</h1><p class="dek">Negotiators return after a long pause.</p></header>
<article><div class="article-body">
<p>LONDON (Reuters) - {P1}</p>
<figure><img src="a.jpg"><figcaption>Delegates arrive at the venue.</figcaption></figure>
<div class="share-tools"><p>Share this article on Facebook and on Twitter with your friends</p></div>
<h2>What comes next</h2>
<p>{P2}</p>
<aside class="related"><h3>Related</h3>
<p>Another story about something else entirely, which is long.</p>
<a href="/world/other-story"><h4>Ministers meet to discuss the border</h4><span>2 days ago</span></a>
</aside>
</div></article>
<div class="comments"><p>Great article, I agree with everything that was said here today!</p></div>
<footer><p>© 2019 Example News. All rights reserved.</p></footer>
</body></html>"""


def test_html_article_with_jsonld_and_chrome() -> None:
    art = norm(PAGE, url="https://example.com/world/talks-resume")
    assert art.extraction.format == "html"
    assert art.title == "Talks to resume next week"
    assert art.subtitle == "Negotiators return after a long pause."
    assert art.authors == ["Jane Doe", "John Roe"]
    assert (art.published_at, art.published_offset) == ("2019-11-26T14:49:00Z", "+04:00")
    assert art.updated_at == "2019-11-26T15:00:00Z"
    assert art.section == "World"
    assert art.language == "en"
    assert art.source.name == "Example News" and art.source.domain == "example.com"
    assert art.canonical_url == "https://www.example.com/world/talks-resume?utm_source=rss"
    assert art.body == "\n\n".join([f"LONDON (Reuters) - {P1}", "What comes next", P2])
    assert art.dateline is not None and art.dateline.country == "GB"
    assert art.media.photo_count == 1 and art.media.captions == ["Delegates arrive at the venue."]
    (link,) = art.links.related
    assert (link.title, link.url) == (
        "Ministers meet to discuss the border",
        "https://www.example.com/world/other-story",
    )
    again = norm(
        PAGE.replace("Talks to resume", "Talks will resume"), url="http://example.com/world/talks-resume/"
    )
    assert again.id == art.id  # same canonical URL -> same id


def test_html_paragraphs_written_as_divs() -> None:
    body = "".join(f"<div class='c1'>{p}</div>" for p in (P1, P2, P1.upper(), P2.upper()))
    page = f"<html><head><title>Div page</title></head><body><main><div>{body}</div></main></body></html>"
    art = norm(page)
    assert P1 in art.body and P2 in art.body


def test_rss_item() -> None:
    item = f"""<item><title>Talks to resume</title><link>https://example.com/a</link>
    <pubDate>Tue, 26 Nov 2019 14:49:00 +0400</pubDate><author>jane@example.com (Jane Doe)</author>
    <category>World</category><description><![CDATA[<p>{P1}</p><p>{P2}</p>]]></description></item>"""
    art = norm(item)
    assert art.extraction.format == "feed"
    assert art.title == "Talks to resume"
    assert art.url == "https://example.com/a"
    assert (art.published_at, art.published_offset) == ("2019-11-26T10:49:00Z", "+04:00")
    assert art.section == "World"
    assert art.body == f"{P1}\n\n{P2}"


def test_atom_feed_with_two_entries_warns() -> None:
    entry = (
        "<entry><title>{t}</title><link href='https://example.com/{t}'/>"
        "<updated>2019-11-26T14:49:00Z</updated><content type='html'>&lt;p&gt;{p}&lt;/p&gt;"
        "</content></entry>"
    )
    feed = (
        "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>F</title>"
        + entry.format(t="one", p=P1)
        + entry.format(t="two", p=P2)
        + "</feed>"
    )
    art = norm(feed)
    assert art.title == "one" and art.body == P1
    assert any("2 items" in w for w in art.extraction.warnings)


def test_empty_feed_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle):
        norm("<?xml version='1.0'?><rss version='2.0'><channel><title>x</title></channel></rss>")


def test_crawler_json_with_html() -> None:
    record = json.dumps({"url": "https://example.com/world/talks-resume", "html": PAGE})
    art = norm(record)
    assert art.extraction.format == "json"
    assert art.title == "Talks to resume next week"
    assert P2 in art.body


def test_json_fields_text_body() -> None:
    record = {
        "headline": "Talks to resume",
        "text": f"{P1}\n\n{P2}\n\nFollow us on Twitter",
        "author": "Jane Doe and John Roe",
        "publishedAt": "2019-11-26T14:49:00Z",
        "site_name": "Example",
        "category": "World",
        "lang": "en",
    }
    art = norm(json.dumps(record), "json")
    assert (art.title, art.source.name, art.section) == ("Talks to resume", "Example", "World")
    assert art.authors == ["Jane Doe", "John Roe"]
    assert art.body == f"{P1}\n\n{P2}"
    assert art.published_at == "2019-11-26T14:49:00Z"


def test_json_fundus_structured_body_and_list() -> None:
    record = [
        {
            "title": "T",
            "body": {
                "summary": ["Dek."],
                "sections": [
                    {"headline": [], "paragraphs": [P1]},
                    {"headline": ["Next"], "paragraphs": [P2]},
                ],
            },
            "publishing_date": "2024-05-03 15:47:42+02:00",
        },
        {"title": "second"},
    ]
    art = norm(json.dumps(record))
    assert art.subtitle == "Dek."
    assert art.body == "\n\n".join([P1, "Next", P2])
    assert (art.published_at, art.published_offset) == ("2024-05-03T13:47:42Z", "+02:00")
    assert any("only the first" in w for w in art.extraction.warnings)
