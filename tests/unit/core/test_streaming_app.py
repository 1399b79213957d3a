"""The faust apps' clients: producers place keyed records exactly as the transactional
stages do; consumers read committed records and wait for a fetch as the settings say."""

from pathlib import Path
from typing import Any

import pytest

import services.core.streaming.app as app_module
from services.core.kafka.clients import MAX_BATCH_BYTES
from services.core.kafka.partitioner import default_partitioner, hash_partition
from services.core.settings import KafkaSettings, SinkSettings


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The sink's faust app from settings (no metrics registered, no broker contacted)."""
    monkeypatch.setattr(app_module, "setup_prometheus_sensors", lambda *a, **kw: None)
    monkeypatch.setattr(app_module.SERVICE_INFO, "info", lambda *a, **kw: None)
    return lambda **settings: app_module.make_app("sink", SinkSettings(data_dir=tmp_path, **settings))


@pytest.fixture
def producer(make_app: Any) -> Any:
    return make_app().producer


def test_faust_producer_uses_the_shared_partitioner(producer: Any) -> None:
    chosen = producer._settings_default()["partitioner"]
    assert chosen is default_partitioner
    every = list(range(6))
    for key in (b"topic:medtop:11000000", b"a000042", "name:Ильхам Алиев".encode()):
        assert chosen(key, every, every) == hash_partition(key, 6)


def test_faust_producer_batches_like_the_transactional_stages(producer: Any) -> None:
    assert producer._settings_default()["max_batch_size"] == MAX_BATCH_BYTES


async def test_faust_worker_consumer_reads_committed_and_waits_as_configured(make_app: Any) -> None:
    """faust's driver hard-codes read_uncommitted (outside its own transactions) and a
    1,500 ms fetch wait; the aiokafka consumer it builds for a worker gets ours."""
    for wait in (100, 35):
        app = make_app(kafka=KafkaSettings(fetch_max_wait_ms=wait))
        consumer = app.consumer._thread._create_worker_consumer(app.transport)
        assert consumer._isolation_level == "read_committed"
        assert consumer._fetch_max_wait_ms == wait
