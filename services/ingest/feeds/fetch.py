"""The one HTTP client feeds and item pages go through: SSRF-guarded, bounded, polite.

Why each rule:
- Connections are made by a network backend that resolves the host, refuses the lot if
  any resolved address is private/loopback/link-local/multicast (unless allowed), and
  connects to the address it checked. That covers every hop of a redirect and every
  connection httpx opens, and leaves no window for DNS rebinding.
- Redirects are followed by hand: only http(s), at most `max_redirects` hops, a loop is
  named as such instead of burning the hop budget.
- Bodies are read in chunks after decompression and cut at `max_bytes`, so a huge or
  gzip-bomb page costs at most that much memory.
- One deadline covers DNS, connect, redirects and the body: a server that trickles a
  byte a second cannot hold a poll forever. It only runs while the request holds its
  host slot, so queueing behind other requests to the same host is not a timeout.
- At most `per_host` requests per host at once; retries (timeouts, connection errors,
  429 and 5xx) back off with jitter.
No environment proxies (trust_env=False): a proxy would connect on our behalf, past the guard.
"""

from __future__ import annotations

import asyncio
import random
import socket
import typing
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

import httpcore
import httpx

from services import __version__
from services.core.clock import utc_iso
from services.ingest.feeds.schedule import retry_delay
from services.ingest.feeds.ssrf import first_refusal

REDIRECTS = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class FetchError(Exception):
    """A fetch that produced no usable response; `reason` is a bounded metric label."""

    def __init__(self, reason: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.retryable = retryable


class BlockedAddress(FetchError):
    """The SSRF guard refused to connect; `detail` says which class of address."""

    def __init__(self, detail: str, host: str, address: str) -> None:
        super().__init__("blocked", f"refused to connect to {host} ({address} is {detail})")
        self.detail = detail
        self.host = host
        self.address = address


@dataclass(frozen=True)
class FetchPolicy:
    allow_private: bool = False
    timeout_s: float = 20.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 2
    per_host: int = 2
    user_agent: str = f"newsflow/{__version__} (feed ingest)"
    retry_base_s: float = 0.5
    retry_cap_s: float = 10.0


@dataclass(frozen=True)
class Fetched:
    url: str  # what was asked for
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]  # lower-case names; only the ones we record
    body: bytes
    fetched_at: str
    redirects: int = 0

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


_KEPT_HEADERS = ("etag", "last-modified", "content-type", "retry-after")


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore backend: resolve, check every address, connect to a checked one."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        refused = self.refused(addresses)
        if refused is not None:
            raise BlockedAddress(refused[0], host, refused[1])
        error: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    def refused(self, addresses: list[str]) -> tuple[str, str] | None:
        """(reason, address) when any address may not be used."""
        return first_refusal(addresses, self.allow_private)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("unix_socket", path, path)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool rebuilt on the guarded backend.

    httpx 0.28 takes no network backend argument; the pool is the documented httpcore
    class, so only the attribute name is borrowed (a unit test fails if that changes).
    """

    def __init__(self, backend: GuardedBackend, max_connections: int) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
            network_backend=backend,
        )


class HostSlots:
    """At most `per_host` concurrent requests per host; idle hosts are forgotten."""

    def __init__(self, per_host: int) -> None:
        self.per_host = max(1, per_host)
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._users: Counter[str] = Counter()

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        semaphore = self._semaphores.setdefault(host, asyncio.Semaphore(self.per_host))
        self._users[host] += 1
        try:
            async with semaphore:
                yield
        finally:
            self._users[host] -= 1
            if self._users[host] <= 0:
                del self._users[host]
                self._semaphores.pop(host, None)

    def __len__(self) -> int:
        return len(self._semaphores)


class SafeFetcher:
    def __init__(
        self, policy: FetchPolicy, rng: random.Random | None = None, backend: GuardedBackend | None = None
    ) -> None:
        self.policy = policy
        self.hosts = HostSlots(policy.per_host)
        self._rng = rng or random.Random()
        backend = backend or GuardedBackend(policy.allow_private)
        self._client = httpx.AsyncClient(
            transport=_GuardedTransport(backend, max_connections=64),
            follow_redirects=False,
            timeout=httpx.Timeout(policy.timeout_s),
            headers={"User-Agent": policy.user_agent},
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
    ) -> Fetched:
        """GET with retries; returns any final status (callers judge 304/4xx/5xx)."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            try:
                result = await self._get_once(url, headers)
                if result.status not in RETRY_STATUSES or attempt >= self.policy.retries:
                    return result
            except FetchError as exc:
                if not exc.retryable or attempt >= self.policy.retries:
                    raise
            await asyncio.sleep(
                retry_delay(attempt, self.policy.retry_base_s, self.policy.retry_cap_s, self._rng)
            )
            attempt += 1

    async def _get_once(self, url: str, headers: dict[str, str]) -> Fetched:
        try:
            return await self._follow(url, headers)
        except TimeoutError as exc:
            raise FetchError(
                "timeout", f"no complete answer within {self.policy.timeout_s}s", retryable=True
            ) from exc
        except httpx.TimeoutException as exc:
            raise FetchError("timeout", f"timed out: {exc}", retryable=True) from exc
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise FetchError("bad_url", str(exc)) from exc
        except httpx.DecodingError as exc:
            raise FetchError("bad_response", f"undecodable body: {exc}") from exc
        except httpx.TransportError as exc:
            raise FetchError("network", f"{type(exc).__name__}: {exc}", retryable=True) from exc

    async def _follow(self, url: str, headers: dict[str, str]) -> Fetched:
        """Follow redirects by hand. The deadline runs only while a host slot is held:
        waiting behind other requests to the same host is politeness, not a slow server."""
        loop = asyncio.get_running_loop()
        budget = self.policy.timeout_s
        visits: Counter[str] = Counter({url: 1})
        current = url
        for hop in range(self.policy.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchError("bad_url", f"not an http(s) URL: {current[:200]}")
            async with self.hosts.slot(parts.hostname.lower()):
                started = loop.time()
                async with asyncio.timeout(max(budget, 0.0)):
                    response = await self._client.send(
                        self._client.build_request("GET", current, headers=headers), stream=True
                    )
                    try:
                        location = response.headers.get("location")
                        redirect = response.status_code in REDIRECTS and bool(location)
                        body = b"" if redirect else await self._read_bounded(response)
                    finally:
                        await response.aclose()
                budget -= loop.time() - started
            if not redirect:
                kept = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
                return Fetched(url, current, response.status_code, kept, body, utc_iso(), hop)
            target = urldefrag(urljoin(current, str(location).strip())).url
            visits[target] += 1
            if visits[target] > 2:  # one revisit is allowed (cookie-setting redirects)
                raise FetchError("redirect_loop", f"redirect loop at {target[:200]}")
            if hop == self.policy.max_redirects:
                raise FetchError("too_many_redirects", f"more than {hop} redirects from {url[:200]}")
            current = target
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _read_bounded(self, response: httpx.Response) -> bytes:
        limit = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError("too_large", f"Content-Length {declared} exceeds {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError("too_large", f"body exceeds {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
