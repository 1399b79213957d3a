"""Run newsflow services as child processes: prefixed logs, restarts, clean stop.

Used by `newsflow dev`, the e2e tests and the benchmark, so all three run the system
exactly the same way: one OS process per service, settings passed as NEWSFLOW_* env.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO

log = logging.getLogger(__name__)

DEFAULT_PORTS = {
    "ingest": 8000,
    "sink": 8001,
    "normalizer": 8011,
    "categorizer": 8012,
    "deduper": 8013,
    "related": 8014,
}
ALL_SERVICES = ("ingest", "normalizer", "categorizer", "deduper", "sink", "related")


@dataclass
class ServiceProcess:
    """One service child process; `restart=True` brings it back when it dies."""

    name: str
    env: dict[str, str]
    port: int
    restart: bool = True
    on_line: Callable[[str, str], None] | None = None
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    _pump: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = os.environ | self.env | {"NEWSFLOW_HTTP__PORT": str(self.port), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.core.cli", "run", self.name],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._pump = threading.Thread(target=self._forward, args=(self.proc.stdout,), daemon=True)
        self._pump.start()

    def _forward(self, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip()
            if self.on_line:
                self.on_line(self.name, line)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.proc.wait(5)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(10)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False


def print_line(name: str, line: str) -> None:
    sys.stdout.write(f"{name:<11}| {line}\n")
    sys.stdout.flush()


class Supervisor:
    """Starts services, restarts the ones that die (like compose's unless-stopped)."""

    def __init__(
        self,
        env: Mapping[str, str],
        services: tuple[str, ...] = ALL_SERVICES,
        ports: Mapping[str, int] | None = None,
        on_line: Callable[[str, str], None] | None = print_line,
        restart: bool = True,
    ) -> None:
        ports = {**DEFAULT_PORTS, **(ports or {})}
        self.services = {
            name: ServiceProcess(name, dict(env), ports[name], restart, on_line) for name in services
        }
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    def start(self) -> None:
        for service in self.services.values():
            service.start()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            for service in self.services.values():
                if service.restart and not service.alive() and not self._stopping.is_set():
                    service.restarts += 1
                    log.warning("service died, restarting", extra={"service": service.name})
                    time.sleep(min(5.0, 0.5 * service.restarts))
                    service.start()

    def wait_ready(self, timeout: float = 120.0, names: tuple[str, ...] | None = None) -> None:
        deadline = time.monotonic() + timeout
        pending = set(names or self.services)
        while pending and time.monotonic() < deadline:
            pending = {n for n in pending if not self.services[n].ready()}
            if pending:
                time.sleep(0.5)
        if pending:
            raise TimeoutError(f"services not ready after {timeout}s: {sorted(pending)}")

    def stop(self) -> None:
        self._stopping.set()
        for service in reversed(list(self.services.values())):
            service.stop()
