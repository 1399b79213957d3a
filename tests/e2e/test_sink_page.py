"""The sink's web page in headless Chromium (Debian `chromium`, driven by python playwright).

Only the sink runs, fed straight on news.articles, including an article whose title and
body carry `<script>` and `<img onerror>`: they must show as text and never run.
Screenshots of each step are kept under test-artifacts/sink-page/ (gitignored).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.sink.articles import BASE, THEMES, make_article, records, synthetic
from tests.integration.sink.support import latest_ids
from tests.support.kafka import produce
from tests.support.system import System, running_system

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "sink-page"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS_TITLE = '<script>alert(1)</script> Summit <img src=x onerror="window.__pwned=1">'
XSS_BODY = "<script>alert(2)</script>"


@pytest.fixture(scope="module")
def system(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make system-deps)")
    with running_system(
        kafka_broker.bootstrap, tmp_path_factory.mktemp("page"), ("sink", "related")
    ) as running:
        politics = THEMES[0]
        xss = make_article(
            "xss",
            XSS_TITLE,
            published=BASE + timedelta(hours=2),
            topic=politics[:2],
            country="AZ",
            people=["Ilham Aliyev"],
            body=f"summit talks minister defence\n\n{XSS_BODY}",
            story_id="story-0",
        )
        feed = [*synthetic(36), xss]
        asyncio.run(produce(running.bootstrap, running.topics.articles, records(feed)))
        base = running.url("sink")
        deadline_ok = _wait(lambda: {a.id for a in feed} <= set(latest_ids(base)))
        assert deadline_ok, "articles not listed by the sink"
        yield running


def _wait(predicate: Any, timeout: float = 90.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


@pytest.fixture(scope="module")
def browser(system: System) -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, system: System) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, base_url=system.url("sink"))
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    try:
        yield page
    finally:
        context.close()


def expect(locator: Any) -> Any:
    """playwright's expect (auto-waiting), imported late: playwright is a test-only dependency."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def assert_nothing_ran(page: Any) -> None:
    assert page.dialogs == []
    assert page.evaluate("window.__pwned") is None
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("[...document.scripts].map(s => s.getAttribute('src'))") == ["/static/app.js"]


def test_latest_page_lists_articles_and_shows_markup_as_text(page: Any) -> None:
    page.goto("/")
    page.wait_for_selector("#articles li")
    assert page.locator("#articles li").count() == 30  # one page
    assert page.locator("#articles li a.title").first.inner_text() == XSS_TITLE
    page.wait_for_selector("#live.on")  # the SSE stream is connected
    shot(page, "1-latest")
    assert_nothing_ran(page)


def test_filters_narrow_the_list(page: Any) -> None:
    page.goto("/")
    page.wait_for_selector("#articles li")
    page.select_option("#topic", "medtop:15000000")
    page.click("#apply")
    page.wait_for_url("**#/?topic=medtop*")
    expect(page.locator("#articles li")).to_have_count(6)
    chips = page.locator("#articles li .chip").all_inner_texts()
    assert chips and set(chips) == {"sport"}
    page.fill("#source", "reuters")
    page.click("#apply")
    expect(page.locator("#articles li")).to_have_count(3)
    assert all(text.startswith("Reuters") for text in page.locator("#articles li .meta").all_inner_texts())
    shot(page, "2-filtered")
    page.click("#clear")
    expect(page.locator("#articles li")).to_have_count(30)


def test_article_page_shows_related_and_story(page: Any) -> None:
    page.goto("/")
    page.wait_for_selector("#articles li")
    page.locator("#articles li a.title").first.click()
    page.wait_for_selector("#related li.article")
    assert page.inner_text("#title") == XSS_TITLE
    assert XSS_BODY in page.inner_text("#body")
    related = page.locator("#related li.article a.title").all_inner_texts()
    assert 1 <= len(related) <= 10
    assert "story" in page.locator("#related li.article .meta").first.inner_text()
    page.wait_for_selector("#story li.article")
    assert page.locator("#story li.article").count() >= 1
    shot(page, "3-article")
    assert_nothing_ran(page)
    first_related = related[0]
    page.locator("#related li.article a.title").first.click()
    expect(page.locator("#title")).to_have_text(first_related)
    shot(page, "4-related-article")


def test_new_article_appears_live(page: Any, system: System) -> None:
    page.goto("/")
    page.wait_for_selector("#live.on")
    fresh = make_article("fresh", "Fresh <b>live</b> article", published=BASE + timedelta(days=3))
    # playwright's sync API keeps an event loop running in this thread: produce from another.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, produce(system.bootstrap, system.topics.articles, records([fresh]))).result()
    page.wait_for_selector('#articles li[data-id="fresh"]', timeout=30_000)
    assert page.locator("#articles li a.title").first.inner_text() == "Fresh <b>live</b> article"
    shot(page, "5-live")
    assert_nothing_ran(page)
