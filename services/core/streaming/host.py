"""Run a TransactionalStage as a service process: topics, ops HTTP server, signals.

The ops server (/healthz, /readyz, /metrics) is the same aiohttp code the ingest
service uses. SIGTERM finishes the batch in flight, commits it and leaves the group,
so a rolling restart neither loses nor repeats work.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator

from aiohttp import web

from services import __version__
from services.core import jsonlog, metrics
from services.core.http import add_ops_routes, metrics_middleware
from services.core.kafka.admin import ensure_topics
from services.core.streaming.txn import TransactionalStage
from services.core.topics import Topics, TopicSpec

log = logging.getLogger(__name__)


def topic_specs(stage: TransactionalStage, internal: list[str]) -> list[TopicSpec]:
    """Contract topics (if asked), the stage's repartition topics and table changelogs."""
    settings = stage.settings
    topics = Topics(settings.topics)
    specs = topics.specs(settings.kafka) if settings.topics.create else []
    specs += [topics.internal_spec(name, settings.kafka) for name in internal]
    specs += [topics.changelog_spec(t.changelog_topic, settings.kafka) for t in stage.tables.values()]
    return specs


def build_web(stage: TransactionalStage, internal: list[str]) -> web.Application:
    app = web.Application(middlewares=[metrics_middleware])
    add_ops_routes(app, stage.ready)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await ensure_topics(stage.settings.kafka, topic_specs(stage, internal))
        await stage.start()
        task = asyncio.create_task(stage.run())
        task.add_done_callback(_stop_on_crash)
        log.info("stage running", extra={"stage": stage.service, "group": stage.group})
        yield
        await stage.stop()
        task.cancel()

    app.cleanup_ctx.append(lifecycle)
    return app


def _stop_on_crash(task: asyncio.Task[None]) -> None:
    """A stage loop that died takes the process down (exit 1) so it gets restarted."""
    if task.cancelled() or task.exception() is None:
        return
    log.error("stage loop crashed", exc_info=task.exception())
    os.kill(os.getpid(), signal.SIGTERM)


def run_stage(stage: TransactionalStage, internal: list[str] | None = None) -> None:
    settings = stage.settings
    jsonlog.setup(stage.service, settings.log_level)
    metrics.SERVICE_INFO.info({"service": stage.service, "version": __version__})
    web.run_app(
        build_web(stage, internal or []),
        host=settings.http.host,
        port=settings.http.port,
        print=None,
        access_log=None,
        shutdown_timeout=30,
    )
    if stage.fatal is not None or stage.crashed:
        sys.exit(1)
