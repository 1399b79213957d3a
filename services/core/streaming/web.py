"""Liveness and readiness pages every faust service serves (metrics come from the sensors)."""

from __future__ import annotations

import faust
from faust.web import Request, Response, View


def is_ready(app: faust.App) -> tuple[bool, str]:
    """Ready = consuming: started, not rebalancing, tables recovered from their changelogs."""
    if not app.started or app.consumer is None:
        return False, "starting"
    if app.rebalancing:
        return False, "rebalancing"
    if not app.tables.recovery.completed.is_set():  # type: ignore[attr-defined]
        return False, "recovering tables"
    return True, "ok"


def add_health_pages(app: faust.App) -> None:
    @app.page("/healthz")
    async def healthz(self: View, request: Request) -> Response:
        return self.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(self: View, request: Request) -> Response:
        ready, reason = is_ready(app)
        return self.json({"ready": ready, "status": reason}, status=200 if ready else 503)
