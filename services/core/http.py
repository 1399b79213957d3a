"""aiohttp pieces shared by HTTP services: metrics middleware, health and metrics routes."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from services.core import metrics

ReadyCheck = Callable[[], tuple[bool, str]]


@web.middleware
async def metrics_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Count and time requests by route template (not raw path: bounded label values)."""
    route = request.match_info.route.resource
    template = route.canonical if route is not None else "unmatched"
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.HTTP_REQUESTS.labels(template, request.method, str(status)).inc()
        metrics.HTTP_LATENCY.labels(template).observe(time.perf_counter() - started)


def add_ops_routes(app: web.Application, ready: ReadyCheck) -> None:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        ok, reason = ready()
        return web.json_response({"ready": ok, "status": reason}, status=200 if ok else 503)

    async def metrics_page(request: web.Request) -> web.Response:
        body, content_type = metrics.exposition()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
