"""Which addresses the feed fetcher may connect to: the SSRF guard's pure core.

A feed URL is operator config, but item links and redirects come from the feed's
publisher, so a hostile or hacked feed could point the fetcher at the metadata service
(169.254.169.254), the broker or an admin port on the host. Every address a host name
resolves to is checked (not just the first: DNS answers can mix public and private
addresses), and the fetcher then connects to the checked address itself, so a second
DNS answer cannot swap in another one (rebinding).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """IPv4 address tunnelled in an IPv6 one (mapped, 6to4, NAT64): judged as itself."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(address: str | IPAddress) -> str | None:
    """Why connecting to `address` is refused (a metric label), or None when it is public."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return "bad_address"
    inner = _embedded_v4(ip)
    if inner is not None:
        return refusal(inner)
    if ip.is_multicast:
        return "multicast"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link_local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "reserved"
    return None


def first_refusal(addresses: Iterable[str], allow_private: bool) -> tuple[str, str] | None:
    """(reason, address) for the first refused address, or None when all may be used."""
    if allow_private:
        return None
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            return reason, address
    return None
