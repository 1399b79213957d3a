"""Start newsflow services as real processes against the session broker.

Each system gets its own topic prefix, consumer groups and state dir, so tests that
share the one broker never see each other's data.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.core.settings import TopicSettings
from services.core.supervisor import ALL_SERVICES, Supervisor
from services.core.topics import Topics


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class System:
    def __init__(self, supervisor: Supervisor, bootstrap: str, prefix: str, logs: list[str]) -> None:
        self.supervisor = supervisor
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.topics = Topics(TopicSettings(prefix=prefix))
        self.logs = logs

    def url(self, service: str) -> str:
        return self.supervisor[service].url


@contextmanager
def running_system(
    bootstrap: str,
    state_dir: Path,
    services: tuple[str, ...] = ALL_SERVICES,
    *,
    partitions: int = 3,
    extra_env: dict[str, str] | None = None,
    ready_timeout: float = 180.0,
    restart: bool = False,
) -> Iterator[System]:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    env = {
        "NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "NEWSFLOW_TOPICS__PREFIX": prefix,
        "NEWSFLOW_TOPICS__PARTITIONS": str(partitions),
        "NEWSFLOW_DATA_DIR": str(state_dir),
        "NEWSFLOW_LOG_LEVEL": "INFO",
        **(extra_env or {}),
    }
    logs: list[str] = []
    supervisor = Supervisor(
        env,
        services,
        ports={name: free_port() for name in services},
        on_line=lambda name, line: logs.append(f"{name} | {line}"),
        restart=restart,
    )
    supervisor.start()
    try:
        try:
            supervisor.wait_ready(ready_timeout)
        except TimeoutError as exc:
            tail = "\n".join(logs[-60:])
            raise AssertionError(f"{exc}\n--- service logs (tail) ---\n{tail}") from exc
        yield System(supervisor, bootstrap, prefix, logs)
    finally:
        supervisor.stop()
