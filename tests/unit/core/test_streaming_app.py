"""The faust apps' producers place keyed records exactly as the transactional stages do."""

from pathlib import Path
from typing import Any

import pytest

import services.core.streaming.app as app_module
from services.core.kafka.clients import MAX_BATCH_BYTES
from services.core.kafka.partitioner import default_partitioner, hash_partition
from services.core.settings import SinkSettings


def test_faust_producer_uses_the_shared_partitioner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "setup_prometheus_sensors", lambda *a, **kw: None)
    monkeypatch.setattr(app_module.SERVICE_INFO, "info", lambda *a, **kw: None)
    app = app_module.make_app("sink", SinkSettings(data_dir=tmp_path))
    producer: Any = app.producer
    chosen = producer._settings_default()["partitioner"]
    assert chosen is default_partitioner
    every = list(range(6))
    for key in (b"topic:medtop:11000000", b"a000042", "name:Ильхам Алиев".encode()):
        assert chosen(key, every, every) == hash_partition(key, 6)


def test_faust_producer_batches_like_the_transactional_stages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "setup_prometheus_sensors", lambda *a, **kw: None)
    monkeypatch.setattr(app_module.SERVICE_INFO, "info", lambda *a, **kw: None)
    app = app_module.make_app("sink", SinkSettings(data_dir=tmp_path))
    producer: Any = app.producer
    assert producer._settings_default()["max_batch_size"] == MAX_BATCH_BYTES
