"""HTTP plumbing of the sink: replies with ETag/Cache-Control, JSON errors, owner routing.

Handlers build a `Reply` (plain data); `respond` turns it into a response, answering
304 when the client's If-None-Match already names the body. `routed` sends a request
to the worker owning the key's table partition (faust's assignor knows which) and
copies status, body and cache headers back; faust's own `route_req` would drop the
ETag. A forwarded request is always answered locally (no loops while a rebalance
moves partitions); if the partition is not active here it says 503, retry.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import faust
import msgspec
from aiohttp import web

log = logging.getLogger(__name__)

FORWARDED = "X-Newsflow-Forwarded"
SERVED_BY = "X-Newsflow-Served-By"
NO_STORE = "no-store"
SHORT = "public, max-age=2"  # lists that change as articles arrive; revalidate with the ETag
LONGER = "public, max-age=30"  # one article: changes only when an update arrives
_COPIED = ("Content-Type", "ETag", "Cache-Control", "Retry-After", SERVED_BY)


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    cache: str = NO_STORE
    content_type: str = "application/json"
    retry_after: int | None = None


def json_reply(value: Any, cache: str = SHORT, status: int = 200) -> Reply:
    return Reply(status, msgspec.json.encode(value), cache)


def error(status: int, reason: str, detail: str, retry_after: int | None = None) -> Reply:
    """Every error body is {"error": machine reason, "detail": human sentence}."""
    body = msgspec.json.encode({"error": reason, "detail": detail})
    return Reply(status, body, NO_STORE, retry_after=retry_after)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


def respond(request: web.BaseRequest, reply: Reply, served_by: str) -> web.Response:
    headers = {"Cache-Control": reply.cache, SERVED_BY: served_by}
    if reply.retry_after is not None:
        headers["Retry-After"] = str(reply.retry_after)
    if reply.status == 200:
        etag = etag_of(reply.body)
        headers["ETag"] = etag
        if _matches(request.headers.get("If-None-Match"), etag):
            return web.Response(status=304, headers=headers)
    return web.Response(
        status=reply.status, body=reply.body, content_type=reply.content_type, headers=headers
    )


def _ident(url: Any) -> tuple[str, int]:
    return (url.host or "", int(url.port or 80))


def owner_of(app: faust.App, table: str, key: bytes) -> Any | None:
    """URL of the worker holding `key`'s partition of `table` as active, None if unassigned."""
    try:
        return app.router.key_store(table, key)
    except KeyError:
        return None


async def routed(
    app: faust.App, table: str, key: bytes, request: web.BaseRequest, local: Callable[[], Reply]
) -> web.Response:
    """Answer from the worker that owns `key` in `table`."""
    me = str(app.conf.canonical_url)
    owner = owner_of(app, table, key)
    if owner is None:
        return respond(request, error(503, "not_ready", "partitions not assigned yet; retry", 1), me)
    if _ident(owner) == _ident(app.conf.canonical_url):
        return respond(request, local(), me)
    if request.headers.get(FORWARDED):  # the sender thought we own it: the partition is moving
        return respond(request, error(503, "rebalancing", "partition moved; retry", 1), me)
    return await _forward(app, owner, request, me)


async def _forward(app: faust.App, owner: Any, request: web.BaseRequest, me: str) -> web.Response:
    url = request.url.with_scheme(owner.scheme or "http").with_host(owner.host).with_port(owner.port)
    headers = {FORWARDED: me, "Accept": request.headers.get("Accept", "*/*")}
    if "If-None-Match" in request.headers:
        headers["If-None-Match"] = request.headers["If-None-Match"]
    try:
        async with app.http_client.get(
            url, headers=headers, timeout=aiohttp.ClientTimeout(total=5)
        ) as answer:
            body = await answer.read()
            copied = {h: answer.headers[h] for h in _COPIED if h in answer.headers}
            return web.Response(status=answer.status, body=body or None, headers=copied)
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("owner unreachable", extra={"owner": str(owner), "error": str(exc)})
        return respond(request, error(503, "owner_unreachable", f"worker {owner} did not answer", 1), me)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unknown paths and methods, and crashes, answer JSON with a reason like every route.

    Also stamps `Server-Timing: app;dur=<ms>` so clients (and the read benchmark) can tell
    time spent in the sink from time spent queueing and on the wire.
    """
    started = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        reason = {404: "no_such_route", 405: "method_not_allowed"}.get(exc.status, "http_error")
        reply = error(exc.status, reason, f"{request.method} {request.path}: {exc.reason}")
        response = respond(request, reply, "")
        if exc.status == 405 and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
    except Exception:
        log.exception("request failed", extra={"path": request.path})
        response = respond(request, error(500, "internal", "the sink failed to answer"), "")
    if not response.prepared:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
    return response
