"""Readiness of a faust app, for the /readyz route of the service hosting it."""

from __future__ import annotations

import faust


def is_ready(app: faust.App) -> tuple[bool, str]:
    """Ready = consuming: started, not rebalancing, tables recovered from their changelogs.

    Only reads: it runs on the HTTP thread, and faust builds its consumer and recovery
    service on first access, binding them to the event loop of whoever asks first; built
    from that thread, faust's own loop could no longer wait on them.
    """
    if not app.started or getattr(app, "_consumer", None) is None:
        return False, "starting"
    if app.rebalancing:
        return False, "rebalancing"
    recovery = getattr(app.tables, "_recovery", None)
    if recovery is None or not recovery.completed.is_set():
        return False, "recovering tables"
    return True, "ok"
