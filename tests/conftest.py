"""Repo-wide fixtures: one real Kafka broker per test session, and unique names per test.

The broker runner is a plain file under deploy/ (not part of any package), so it is
imported by path.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import pytest

from tests.support.system import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
KAFKA_RUNNER_PATH = REPO_ROOT / "deploy" / "kafka" / "kafka_runner.py"


def _load_kafka_runner() -> ModuleType:
    name = "newsflow_kafka_runner"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, KAFKA_RUNNER_PATH)
    assert spec is not None and spec.loader is not None, KAFKA_RUNNER_PATH
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # registered first so the module can resolve itself
    spec.loader.exec_module(module)
    return module


kafka_runner = _load_kafka_runner()


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real Kafka broker (KafkaBroker) on free ports, shared by the whole session.

    Tests must not stop or kill it; fault tests use `running_broker` for one of their own.
    """
    yield from running_broker(tmp_path_factory.mktemp("kafka"))


def running_broker(data_dir: Path) -> Iterator[Any]:
    """Start a broker on free ports in `data_dir`, yield it, stop it."""
    broker = kafka_runner.KafkaBroker(data_dir, port=free_port(), controller_port=free_port())
    broker.start(timeout=120)
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Factory for per-test topic/group names, so tests never see each other's data."""
    return lambda prefix: f"{prefix}-{uuid4().hex[:8]}"
