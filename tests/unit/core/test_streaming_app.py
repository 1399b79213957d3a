"""The faust apps' producers place keyed records exactly as the transactional stages do."""

from pathlib import Path
from typing import Any

import pytest

import services.core.streaming.app as app_module
from services.core.kafka.clients import MAX_BATCH_BYTES
from services.core.kafka.partitioner import default_partitioner, hash_partition
from services.core.settings import SinkSettings


@pytest.fixture
def producer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The sink app's faust producer (no metrics registered, no broker contacted)."""
    monkeypatch.setattr(app_module, "setup_prometheus_sensors", lambda *a, **kw: None)
    monkeypatch.setattr(app_module.SERVICE_INFO, "info", lambda *a, **kw: None)
    return app_module.make_app("sink", SinkSettings(data_dir=tmp_path)).producer


def test_faust_producer_uses_the_shared_partitioner(producer: Any) -> None:
    chosen = producer._settings_default()["partitioner"]
    assert chosen is default_partitioner
    every = list(range(6))
    for key in (b"topic:medtop:11000000", b"a000042", "name:Ильхам Алиев".encode()):
        assert chosen(key, every, every) == hash_partition(key, 6)


def test_faust_producer_batches_like_the_transactional_stages(producer: Any) -> None:
    assert producer._settings_default()["max_batch_size"] == MAX_BATCH_BYTES
