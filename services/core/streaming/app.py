"""Build a faust App from settings: broker, security, sizes, state store, web server.

One factory so that every stream service talks to Kafka the same way, and no module
creates an App at import time (settings are only known in main()).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any, cast

import faust
from faust.sensors.prometheus import setup_prometheus_sensors
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer
from faust.types import TP

from services import __version__
from services.core.http import metrics_middleware
from services.core.kafka.clients import producer_batch_bytes, ssl_context
from services.core.kafka.partitioner import default_partitioner
from services.core.metrics import SERVICE_INFO
from services.core.settings import KafkaSettings, _StageBase
from services.core.streaming.web import add_health_pages

log = logging.getLogger(__name__)


def app_id(settings: _StageBase, service: str) -> str:
    """Consumer group id and changelog-topic prefix; the topic prefix keeps deployments apart."""
    return f"{settings.topics.prefix}{settings.app_id_prefix}-{service}"


def broker_credentials(kafka: KafkaSettings) -> Any:
    if kafka.sasl_mechanism:
        return faust.SASLCredentials(
            username=kafka.sasl_username,
            password=kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
            mechanism=kafka.sasl_mechanism,
            ssl_context=ssl_context(kafka),
        )
    context = ssl_context(kafka)
    return faust.SSLCredentials(context) if context else None


@dataclass
class StreamService:
    """A built faust app plus the internal topics it needs before it joins its group."""

    name: str
    app: faust.App
    settings: _StageBase
    internal_topics: list[str] = field(default_factory=list)

    def internal_topic(self, suffix: str) -> faust.types.TopicT:
        """A repartition topic owned by this service (`<app id>-<suffix>`)."""
        name = f"{app_id(self.settings, self.name)}-{suffix}"
        self.internal_topics.append(name)
        return self.app.topic(
            name,
            key_type=bytes,
            value_type=bytes,
            partitions=self.settings.topics.partitions,
            internal=True,
        )


def make_service(service: str, settings: _StageBase) -> StreamService:
    return StreamService(service, make_app(service, settings), settings)


class _ReadCommittedThread(AIOKafkaConsumerThread):
    """faust's consumer thread, with two settings its driver hard-codes replaced.

    Isolation: faust reads committed records only when it runs its own transactions;
    the sink reads the deduper's transactional output and must never see an aborted
    record. Fetch wait: faust holds an empty fetch 1,500 ms, and aiokafka has one fetch
    in flight per broker, without the partitions whose records faust has not handed to
    its agents yet (an agent busy with a batch). Records arriving on those waited for
    that fetch: stalls of up to 1.6 s in the sink at 50 articles/s.
    """

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._isolation_level = "read_committed"
        consumer._fetch_max_wait_ms = cast(_ReadCommittedConsumer, self.consumer).fetch_max_wait_ms
        return consumer

    async def on_thread_stop(self) -> None:
        """Stop the consumer even when aiokafka's stop raises a fetch task's cancellation.

        aiokafka's Fetcher.close() cancels its fetch tasks and awaits them; a fetch that
        was sleeping out its retry backoff (the broker unreachable) raises that
        CancelledError into close(), and on through consumer.stop() (aio-libs/aiokafka
        #647 is the same leak from the group coordinator). faust's consumer thread then
        died before it marked itself shut down, and the worker waited 60 s for it after
        SIGTERM. A cancellation of this task itself still propagates.
        """
        try:
            await super().on_thread_stop()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            log.warning("kafka consumer stop interrupted by a cancelled fetch; closing its connections")
            consumer = self._consumer
            if consumer is not None:
                with contextlib.suppress(Exception):
                    await consumer._client.close()  # what stop() had left to do


class _ReadCommittedConsumer(Consumer):
    """faust's aiokafka consumer, reading committed records only, its gaps mended."""

    # make_app gives each app its own class with its settings' value
    fetch_max_wait_ms: int = KafkaSettings.model_fields["fetch_max_wait_ms"].default

    def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
        return _ReadCommittedThread(self, loop=self.loop, beacon=self.beacon)

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        """Record offsets `offset_from`..`offset_to - 1` as never to be seen.

        faust notes the offsets a consumer skips (transaction markers, compacted records)
        as gaps its commits may pass. Its fetch loop passes the offset of the record
        after the gap as the gap's end, and faust keeps that end: the record's offset then
        sits twice in the acked list, and each commit stopped at the duplicate, one
        transaction per partition. On news.articles (a deduper transaction every 0.1-0.3
        s) the sink's and related worker's committed offsets fell behind for as long as
        they ran, so a restart replayed that much (faust-streaming issue #606, robinhood
        faust #625). Here the gap ends before that record.
        """
        await super()._add_gap(tp, offset_from, offset_to - 1)


def make_app(service: str, settings: _StageBase) -> faust.App:
    kafka = settings.kafka
    datadir = settings.data_dir / service
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        app_id(settings, service),
        broker=[f"kafka://{server.strip()}" for server in kafka.bootstrap_servers.split(",")],
        broker_credentials=broker_credentials(kafka),
        store=f"{settings.store}://",
        datadir=str(datadir),
        autodiscover=False,
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=True,
        web_bind=settings.http.host,
        web_host=settings.http.reachable_host(),  # what faust's router sends other workers
        web_port=settings.http.port,
        topic_partitions=settings.topics.partitions,
        topic_replication_factor=settings.topics.replication_factor,
        producer_acks=-1,
        # aiokafka's choice of partition for keyed sends, on a faster murmur2
        producer_partitioner=default_partitioner,
        producer_compression_type=None if kafka.compression == "none" else kafka.compression,
        producer_max_request_size=kafka.max_message_bytes,
        # table changelogs and outputs as the transactional stages batch them (clients.py)
        producer_max_batch_size=producer_batch_bytes(kafka),
        consumer_max_fetch_size=kafka.max_message_bytes,
        broker_request_timeout=max(kafka.request_timeout_ms / 1000, 90.0),
        # a killed worker's partitions move after 10 s instead of faust's default 60 s
        broker_session_timeout=10.0,
        broker_heartbeat_interval=2.0,
    )
    # this app only, with its settings (faust's Consumer takes no extra options)
    app.transport.Consumer = type(  # type: ignore[misc]
        "NewsflowConsumer", (_ReadCommittedConsumer,), {"fetch_max_wait_ms": kafka.fetch_max_wait_ms}
    )
    # per-route request counts and latency, like the aiohttp services (faust's own sensor
    # only counts status codes)
    app.web.web_app.middlewares.append(metrics_middleware)  # type: ignore[attr-defined]
    setup_prometheus_sensors(app, pattern="/metrics", name_prefix="newsflow_faust")
    add_health_pages(app)
    SERVICE_INFO.info({"service": service, "version": __version__})
    return app
