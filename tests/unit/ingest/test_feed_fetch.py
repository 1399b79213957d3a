"""The fetcher against a loopback server: 304s, redirects, loops, timeouts, size caps, retries, per-host limit."""

import asyncio
import gzip
from collections.abc import Iterator

import pytest

from services.ingest.feeds.fetch import FetchError, FetchPolicy, HostSlots, SafeFetcher
from tests.support.feed_server import FeedServer, news_site


@pytest.fixture
def server() -> Iterator[FeedServer]:
    server = news_site(FeedServer()).start()
    yield server
    server.stop()


def fetcher(**kwargs: object) -> SafeFetcher:
    options: dict[str, object] = {"allow_private": True, "timeout_s": 1.0, "retries": 1, "retry_base_s": 0.05}
    return SafeFetcher(FetchPolicy(**(options | kwargs)))  # type: ignore[arg-type]


async def test_conditional_get_gets_304_with_either_validator(server: FeedServer) -> None:
    client = fetcher()
    first = await client.get(f"{server.base}/feeds/rss.xml")
    assert first.status == 200 and first.etag and first.last_modified
    assert (await client.get(f"{server.base}/feeds/rss.xml", etag=first.etag)).status == 304
    assert (await client.get(f"{server.base}/feeds/rss.xml", last_modified=first.last_modified)).status == 304
    assert server.answered("/feeds/rss.xml", 304) == 2
    await client.aclose()


async def test_redirects_are_followed_and_recorded(server: FeedServer) -> None:
    client = fetcher()
    page = await client.get(f"{server.base}/go/voa")
    assert page.status == 200 and page.redirects == 1
    assert page.url == f"{server.base}/go/voa"
    assert page.final_url == f"{server.base}/pages/us_VoiceOfAmerica_2024_04_28.html"
    assert page.content_type == "text/html; charset=utf-8"
    await client.aclose()


async def test_redirect_loop_and_too_many_redirects_are_named(server: FeedServer) -> None:
    client = fetcher()
    with pytest.raises(FetchError) as loop:
        await client.get(f"{server.base}/feeds/loop.xml")
    assert loop.value.reason == "redirect_loop" and not loop.value.retryable
    for n in range(4):
        server.redirect(f"/chain/{n}", f"/chain/{n + 1}")
    server.page("/chain/4", b"end")
    short = fetcher(max_redirects=3)
    with pytest.raises(FetchError) as chain:
        await short.get(f"{server.base}/chain/0")
    assert chain.value.reason == "too_many_redirects"
    assert (await client.get(f"{server.base}/chain/0")).body == b"end"  # 4 hops <= 5
    await client.aclose()
    await short.aclose()


async def test_slow_server_times_out_after_retries(server: FeedServer) -> None:
    client = fetcher(timeout_s=0.5)
    started = asyncio.get_running_loop().time()
    with pytest.raises(FetchError) as caught:
        await client.get(f"{server.base}/feeds/slow.xml")
    elapsed = asyncio.get_running_loop().time() - started
    assert caught.value.reason == "timeout"
    assert server.count("/feeds/slow.xml") == 2  # first try + 1 retry
    assert 0.95 <= elapsed < 2.5
    await client.aclose()


async def test_server_errors_are_retried_then_returned(server: FeedServer) -> None:
    client = fetcher()
    answer = await client.get(f"{server.base}/feeds/error.xml")
    assert answer.status == 500 and server.count("/feeds/error.xml") == 2
    gone = await client.get(f"{server.base}/pages/gone.html")
    assert gone.status == 404 and server.count("/pages/gone.html") == 1  # 4xx: no retry
    await client.aclose()


async def test_bodies_are_capped_after_decompression(server: FeedServer) -> None:
    server.page("/big", b"x" * 50_000)
    server.page("/bomb", gzip.compress(b"y" * 5_000_000))  # 5 KB on the wire, 5 MB unpacked
    server.routes["/bomb"].headers["Content-Encoding"] = "gzip"
    client = fetcher(max_bytes=20_000)
    with pytest.raises(FetchError) as big:
        await client.get(f"{server.base}/big")
    assert big.value.reason == "too_large" and "Content-Length" in str(big.value)
    with pytest.raises(FetchError) as bombed:
        await client.get(f"{server.base}/bomb")
    assert bombed.value.reason == "too_large" and "body exceeds" in str(bombed.value)
    await client.aclose()


async def test_not_http_urls_are_refused(server: FeedServer) -> None:
    client = fetcher()
    server.redirect("/to-file", "file:///etc/passwd")
    with pytest.raises(FetchError) as caught:
        await client.get(f"{server.base}/to-file")
    assert caught.value.reason == "bad_url"
    await client.aclose()


async def test_per_host_limit_caps_concurrent_requests(server: FeedServer) -> None:
    server.slow("/slowish", 0.15, b"ok")
    client = fetcher(per_host=2, timeout_s=5.0)
    await asyncio.gather(*(client.get(f"{server.base}/slowish") for _ in range(6)))
    assert server.max_active == 2
    assert len(client.hosts) == 0  # idle hosts are forgotten
    await client.aclose()


async def test_waiting_for_a_host_slot_is_not_a_timeout(server: FeedServer) -> None:
    """8 x 0.15 s in a row behind per_host=1 is 1.2 s, but no single request is slow."""
    server.slow("/slowish", 0.15, b"ok")
    client = fetcher(per_host=1, timeout_s=0.6, retries=0)
    answers = await asyncio.gather(*(client.get(f"{server.base}/slowish") for _ in range(8)))
    assert [a.body for a in answers] == [b"ok"] * 8 and server.max_active == 1
    await client.aclose()


async def test_host_slots_are_per_host() -> None:
    slots = HostSlots(1)
    async with slots.slot("a"), slots.slot("b"):
        assert len(slots) == 2
    assert len(slots) == 0
