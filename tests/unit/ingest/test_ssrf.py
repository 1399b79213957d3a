"""The SSRF guard: which addresses are refused, and that the fetcher never connects to them."""

import pytest

from services.ingest.feeds.fetch import BlockedAddress, FetchPolicy, GuardedBackend, SafeFetcher
from services.ingest.feeds.ssrf import first_refusal, refusal
from tests.support.feed_server import FeedServer


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.9.9.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link_local"),  # cloud metadata service
        ("fe80::1", "link_local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "reserved"),  # carrier-grade NAT
        ("192.0.2.1", "private"),  # documentation range
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("not-an-ip", "bad_address"),
        ("93.184.215.14", None),
        ("2606:4700::6810:84e5", None),
    ],
)
def test_address_classes(address: str, reason: str | None) -> None:
    assert refusal(address) == reason


def test_every_resolved_address_is_checked_and_config_can_allow_private() -> None:
    assert first_refusal(["93.184.215.14", "10.0.0.5"], allow_private=False) == ("private", "10.0.0.5")
    assert first_refusal(["93.184.215.14"], allow_private=False) is None
    assert first_refusal(["127.0.0.1"], allow_private=True) is None


async def test_fetcher_refuses_loopback_before_connecting_and_allows_it_when_configured() -> None:
    server = FeedServer().start()
    server.page("/x", b"<p>x</p>")
    try:
        guarded = SafeFetcher(FetchPolicy(allow_private=False, retries=2))
        for url in (f"{server.base}/x", f"http://localhost:{server.base.rsplit(':', 1)[1]}/x"):
            with pytest.raises(BlockedAddress) as caught:
                await guarded.get(url)
            assert caught.value.reason == "blocked" and caught.value.detail == "loopback"
            assert "127.0.0.1 is loopback" in str(caught.value)
        await guarded.aclose()
        assert server.count("/x") == 0  # refused before any byte was sent

        allowed = SafeFetcher(FetchPolicy(allow_private=True))
        assert (await allowed.get(f"{server.base}/x")).body == b"<p>x</p>"
        await allowed.aclose()
    finally:
        server.stop()


class _TestServerOnly(GuardedBackend):
    """Lets the first hop reach the loopback test server; everything else is judged as usual."""

    def refused(self, addresses: list[str]) -> tuple[str, str] | None:
        return None if addresses == ["127.0.0.1"] else first_refusal(addresses, allow_private=False)


async def test_a_redirect_to_a_private_address_is_refused_too() -> None:
    """The guard sits under every connection, so a feed's link cannot bounce us inward."""
    server = FeedServer().start()
    server.redirect("/hop", "http://169.254.169.254/latest/meta-data/")
    try:
        fetcher = SafeFetcher(FetchPolicy(), backend=_TestServerOnly(allow_private=False))
        with pytest.raises(BlockedAddress) as caught:
            await fetcher.get(f"{server.base}/hop")
        assert caught.value.detail == "link_local" and caught.value.address == "169.254.169.254"
        assert server.count("/hop") == 1
        await fetcher.aclose()
    finally:
        server.stop()
