"""Run a faust App as a worker process with newsflow's JSON logs and topic creation."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust

from services.core import jsonlog
from services.core.kafka.admin import ensure_topics
from services.core.streaming.app import StreamService
from services.core.topics import Topics


class _Worker(faust.Worker):
    """faust's worker, but logging through our JSON handler and without the spinner."""

    service: str = "newsflow"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # faust makes one whatever the options, and its finish() writes cursor escapes to
        # stdout before the first JSON line, which a log shipper cannot parse
        self.spinner = None

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        jsonlog.setup(self.service, logging.getLevelName(level or logging.INFO))


def run_worker(service: StreamService) -> None:
    """Create contract and internal topics, then run until SIGTERM/SIGINT.

    Internal repartition topics and table changelogs must exist, and be in the broker's
    metadata, before the worker joins its group: faust's assignor ignores topics missing
    at assignment time, and the group's metadata snapshot keeps a changelog it did not
    see at 0 partitions until the next metadata refresh (minutes), so every table write
    failed with PartitionsMismatch.
    """
    settings = service.settings
    jsonlog.setup(service.name, settings.log_level)
    topics = Topics(settings.topics)
    specs = [topics.internal_spec(name, settings.kafka) for name in service.internal_topics]
    specs += [
        topics.changelog_spec(table.changelog_topic.get_topic_name(), settings.kafka)
        for table in service.app.tables.values()
    ]
    if settings.topics.create:  # a contract topic that is also a changelog keeps its exact entry
        own = {spec.name for spec in specs}
        specs = [spec for spec in topics.specs(settings.kafka) if spec.name not in own] + specs
    if specs:
        asyncio.run(ensure_topics(settings.kafka, specs))
        # asyncio.run() leaves no current loop behind; faust's worker needs one.
        asyncio.set_event_loop(asyncio.new_event_loop())
    worker = _Worker(service.app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    worker.service = service.name
    worker.execute_from_commandline()
