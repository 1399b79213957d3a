"""The broker is gone for good: every service still stops on SIGTERM, and promptly.

A supervisor (docker compose, Kubernetes) sends SIGTERM and waits 10-30 s before
SIGKILL. faust's workers used to wait 60 s for their consumer thread, which had died
of a cancelled fetch inside aiokafka's stop (services.core.streaming.app).
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import running_broker
from tests.support.system import running_system

pytestmark = [pytest.mark.kafka, pytest.mark.faults]

STOP_WITHIN_S = 20.0  # docker compose's SIGKILL comes after 10 s; faust's own wait is 60 s
SERVICES = ("normalizer", "sink", "related")  # a transactional stage and both faust apps


@pytest.fixture
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A broker of this test's own: the session broker must never be killed."""
    yield from running_broker(tmp_path_factory.mktemp("kafka-lost"))


def test_services_stop_on_sigterm_after_losing_the_broker(own_broker: Any, tmp_path: Path) -> None:
    with running_system(own_broker.bootstrap, tmp_path, SERVICES, partitions=2) as system:
        own_broker.kill()
        time.sleep(5)  # the clients notice: fetches fail and back off, heartbeats fail
        for name in SERVICES:
            system.supervisor[name].signal(signal.SIGTERM)
        exits: dict[str, int | None] = {}
        deadline = time.monotonic() + STOP_WITHIN_S
        for name in SERVICES:
            proc = system.supervisor[name].proc
            assert proc is not None
            try:
                exits[name] = proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                exits[name] = None
        tail = "\n".join(line for line in system.logs[-40:] if "Stopping" not in line)
        assert exits == dict.fromkeys(SERVICES, 0), f"still running (None) or failed:\n{tail}"
