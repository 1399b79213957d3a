"""Sink processes for tests: one or several workers of one app on the session broker,
beside one related worker (which computes the related lists the sink serves).

tests.support.system runs one process per service; the sink tests also need two sink
workers of the same app (same topic prefix and app id, own port and state dir) and a
worker that is killed and started again, so they drive ServiceProcess directly.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from services.core.settings import TopicSettings
from services.core.supervisor import ServiceProcess
from services.core.topics import Topics
from tests.support.system import free_port


@dataclass
class SinkCluster:
    bootstrap: str
    root: Path
    partitions: int = 3
    prefix: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:8]}.")
    extra_env: dict[str, str] = field(default_factory=dict)
    workers: list[ServiceProcess] = field(default_factory=list)
    related: ServiceProcess | None = None  # started with the first sink worker
    logs: list[str] = field(default_factory=list)

    @property
    def topics(self) -> Topics:
        return Topics(TopicSettings(prefix=self.prefix))

    def env(self, data_dir: Path) -> dict[str, str]:
        return {
            "NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS": self.bootstrap,
            "NEWSFLOW_TOPICS__PREFIX": self.prefix,
            "NEWSFLOW_TOPICS__PARTITIONS": str(self.partitions),
            "NEWSFLOW_DATA_DIR": str(data_dir),
            "NEWSFLOW_LOG_LEVEL": "INFO",
            # the synthetic articles were received in March 2026: with retention on, a
            # long-lived test worker would sweep them away; test_sink_retention turns it on
            "NEWSFLOW_RETENTION_DAYS": "0",
            **self.extra_env,
        }

    def start(self, data_dir: Path | None = None, port: int | None = None) -> ServiceProcess:
        """A new worker (own state dir unless given) and wait until it is ready; the
        related worker too, the first time."""
        if self.related is None:
            self.related = self.start_related()
        data_dir = data_dir or self.root / f"w{len(self.workers)}-{uuid.uuid4().hex[:4]}"
        worker = self._process("sink", f"sink{len(self.workers)}", data_dir, port or free_port())
        self.workers.append(worker)
        return worker

    def start_related(self, data_dir: Path | None = None, port: int | None = None) -> ServiceProcess:
        """The related worker (own state dir unless given), ready."""
        data_dir = data_dir or self.root / f"related-{uuid.uuid4().hex[:4]}"
        return self._process("related", "related", data_dir, port or free_port())

    def _process(self, service: str, label: str, data_dir: Path, port: int) -> ServiceProcess:
        worker = ServiceProcess(
            service,
            self.env(data_dir),
            port,
            restart=False,
            on_line=lambda _name, line: self.logs.append(f"{label} | {line}"),
        )
        worker.start()
        self.wait(lambda: worker.ready(), f"{label} ready", 120)
        return worker

    def wait(self, predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.3)
        tail = "\n".join(self.logs[-40:])
        raise AssertionError(f"timed out: {what}\n--- sink logs (tail) ---\n{tail}")

    def stop(self) -> None:
        for worker in [*self.workers, *([self.related] if self.related else [])]:
            worker.stop()


def get(url: str, **params: Any) -> httpx.Response:
    return httpx.get(url, params=params or None, timeout=10)


def latest_ids(base: str, **params: Any) -> list[str]:
    response = get(f"{base}/v1/latest", limit=200, **params)
    return [a["id"] for a in response.json()["articles"]] if response.status_code == 200 else []


def settled(read: Callable[[], Any], quiet_s: float = 3.0, timeout: float = 90.0) -> Any:
    """`read()` once it returned the same value for `quiet_s` (the sink caught up)."""
    deadline = time.monotonic() + timeout
    last, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return now
    raise AssertionError(f"did not settle in {timeout}s: {str(last)[:300]}")


@contextmanager
def killable_cluster(bootstrap: str, root: Path) -> Iterator[SinkCluster]:
    """A cluster whose workers tests SIGKILL: a short session timeout, because a killed
    member never says goodbye and the group waits for it."""
    sink = SinkCluster(
        bootstrap, root, extra_env={"BROKER_SESSION_TIMEOUT": "8", "BROKER_HEARTBEAT_INTERVAL": "1"}
    )
    try:
        yield sink
    finally:
        sink.stop()
