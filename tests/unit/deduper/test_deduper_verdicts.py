"""Verdicts of the one-shot `dedupe`: exact, re-ingest, update, near duplicates."""

from __future__ import annotations

from services.core.models import Article, Dedupe, LinkItem, Links
from services.deduper.decide import dedupe
from services.deduper.index import InMemoryStore
from services.deduper.params import DedupeParams
from tests.unit.deduper.deduper_helpers import (
    FLOODS,
    HEAVY_LINKS,
    MARKETS,
    SCHOOLS,
    article,
    heavy_chrome,
    later,
    paragraphs,
    seed_body,
)


def run(store: InMemoryStore, *articles: Article) -> list[Dedupe]:
    verdicts: list[Dedupe] = []
    for item in articles:
        out = dedupe(item, store, now=later(minutes=len(verdicts)))
        assert out.dedupe is not None
        verdicts.append(out.dedupe)
    return verdicts


def test_first_article_is_unique_and_starts_its_story() -> None:
    (verdict,) = run(InMemoryStore(), article("a", MARKETS, url="https://wire.example/a"))
    assert verdict.status == "unique"
    assert verdict.story_id == "a"
    assert verdict.version == 1
    assert verdict.duplicate_of is None
    assert len(verdict.fingerprint) == 16


def test_exact_duplicate_on_another_url() -> None:
    first, copy = run(
        InMemoryStore(),
        article("a", MARKETS, url="https://wire.example/a"),
        article("b", MARKETS.replace("\n\n", "\n\n\n"), url="https://other.example/b"),
    )
    assert copy == Dedupe(
        status="duplicate",
        fingerprint=first.fingerprint,
        duplicate_of="a",
        similarity=1.0,
        story_id="a",
        version=1,
        kind="exact",
    )


def test_unchanged_reingestion_is_a_reingest_duplicate() -> None:
    store = InMemoryStore()
    _, again = run(
        store,
        article("a", MARKETS, url="https://wire.example/a"),
        article("a", MARKETS, url="https://wire.example/a"),
    )
    assert (again.status, again.kind, again.duplicate_of, again.version) == ("duplicate", "reingest", "a", 1)


def test_changed_content_on_the_same_url_is_an_update_with_a_version() -> None:
    url = "https://wire.example/oil"
    v2_body = MARKETS + "\n\nUpdated: prices later pared gains after U.S. inventory data."
    v3_body = v2_body.replace("1.4 per cent", "1.6 per cent")
    store = InMemoryStore()
    first, v2, v3, again = run(
        store,
        article("a", MARKETS, url=url),
        article("a", v2_body, url=url),
        article("a", v3_body, url=url + "/?utm_source=feed"),  # same canonical URL
        article("a", v3_body, url=url),
    )
    assert (v2.status, v2.kind, v2.version, v2.story_id) == ("update", "update", 2, "a")
    assert v2.similarity is not None and 0.6 < v2.similarity < 1.0
    assert (v3.status, v3.version) == ("update", 3)
    assert (again.status, again.kind, again.version) == ("duplicate", "reingest", 3)
    assert first.story_id == v3.story_id


def test_an_empty_rescrape_never_overwrites_a_known_article() -> None:
    url = "https://wire.example/oil"
    _, empty, again = run(
        InMemoryStore(),
        article("a", MARKETS, url=url),
        article("a", "", url=url),
        article("a", MARKETS, url=url),
    )
    assert (empty.status, empty.kind, empty.similarity) == ("duplicate", "reingest", 0.0)
    assert (again.status, again.kind, again.version) == ("duplicate", "reingest", 1)


def test_same_id_without_url_is_identity_too() -> None:
    _, update = run(InMemoryStore(), article("a", MARKETS), article("a", FLOODS))
    assert (update.status, update.version) == ("update", 2)


def test_near_duplicate_under_different_chrome() -> None:
    """Same text syndicated: other site, headline, links, residual chrome in the body."""
    original = article("a", MARKETS, url="https://wire.example/a", title="Oil rises", source="Wire")
    syndicated = article(
        "b",
        "Home | Markets | Commodities | Energy\n\nBy Staff Reporter | Reuters\n\n"
        + MARKETS
        + "\n\nFollow us on Twitter\n\nRead more: Gold slips as dollar firms",
        url="https://ledger.example/markets/oil-opec",
        title="OPEC cuts lift oil | The Ledger",
        source="The Ledger",
        links=Links(related=[LinkItem(title="Gold slips")]),
    )
    _, copy = run(InMemoryStore(), original, syndicated)
    assert (copy.status, copy.duplicate_of, copy.story_id) == ("duplicate", "a", "a")
    assert copy.kind in ("exact", "near")


def test_near_duplicate_in_heavy_chrome_and_light_edits() -> None:
    edited = MARKETS.replace("Tuesday", "Tuesday afternoon").replace("said", "told Reuters", 1)
    _, copy = run(
        InMemoryStore(),
        article("a", MARKETS),
        article("b", heavy_chrome(edited), url="https://ledger.example/b"),
    )
    assert (copy.status, copy.kind, copy.duplicate_of) == ("duplicate", "near", "a")
    assert copy.similarity is not None and copy.similarity >= DedupeParams().near_jaccard


def test_house_style_edits_are_the_same_text() -> None:
    house = (
        MARKETS.replace("1.4 per cent", "1.4%")
        .replace("1.1 per cent", "1.1 percent")
        .replace('"', "\u201c", 1)
        .replace("U.S.", "US")
    )
    _, copy = run(InMemoryStore(), article("a", MARKETS), article("b", house))
    assert (copy.status, copy.kind, copy.duplicate_of) == ("duplicate", "exact", "a")


def test_truncated_syndicated_copy_matches_its_original() -> None:
    body = seed_body()
    cut = "\n\n".join(paragraphs(body)[:4])  # the first 4 of 13 paragraphs, ~35 %
    _, copy = run(InMemoryStore(), article("a", body), article("b", cut, url="https://x.example/b"))
    assert (copy.status, copy.kind, copy.duplicate_of) == ("duplicate", "near", "a")
    assert copy.similarity is not None and copy.similarity >= DedupeParams().near_prefix


def test_short_cut_found_by_the_prefix_keys() -> None:
    body = seed_body()
    cut = " ".join(body.split()[:30])  # 30 words: shorter than the lead sketch
    _, copy = run(InMemoryStore(), article("a", body), article("b", cut))
    assert (copy.status, copy.duplicate_of) == ("duplicate", "a")


def test_full_story_after_its_cut_copy_is_new_text_in_the_same_story() -> None:
    body = seed_body()
    cut = "\n\n".join(paragraphs(body)[:4])
    _, full = run(InMemoryStore(), article("a", cut), article("b", body))
    assert (full.status, full.story_id) == ("unique", "a")


def test_different_articles_in_the_same_heavy_chrome_are_not_duplicates() -> None:
    ledger = Links(related=HEAVY_LINKS)
    about = (
        "About The Daily Ledger: independent business journalism since 1921, read by "
        "two million people every week across print, web, podcasts and newsletters, "
        "owned by a charitable trust that guarantees our editorial independence."
    )
    bodies = (MARKETS, FLOODS, SCHOOLS)
    verdicts = run(
        InMemoryStore(),
        *(
            article(
                f"l{i}",
                f"{heavy_chrome(body)}\n\n{about}",
                url=f"https://ledger.example/{i}",
                title="The Daily Ledger",
                source="The Daily Ledger",
                links=ledger,
            )
            for i, body in enumerate(bodies)
        ),
    )
    assert [v.status for v in verdicts] == ["unique"] * 3


def test_same_topic_articles_are_not_duplicates() -> None:
    other_oil = (
        "Oil prices fell on Thursday as U.S. crude inventories rose more than expected and "
        "traders worried that OPEC members would not comply with agreed production cuts.\n\n"
        "Brent crude futures lost 2.1 per cent to $81.40 a barrel, while U.S. West Texas "
        "Intermediate fell 2.3 per cent to $76.95, the lowest level in three weeks.\n\n"
        "The Energy Information Administration said stocks rose by 4.2 million barrels last "
        "week. Analysts had expected a draw of one million barrels."
    )
    _, other = run(InMemoryStore(), article("a", MARKETS), article("b", other_oil))
    assert other.status == "unique"


def test_tiny_and_empty_bodies_are_never_content_duplicates() -> None:
    store = InMemoryStore()
    verdicts = run(
        store,
        article("a", ""),
        article("b", ""),
        article("c", "Photo gallery."),
        article("d", "Photo gallery."),
    )
    assert [v.status for v in verdicts] == ["unique"] * 4
    assert not store.bands
