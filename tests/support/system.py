"""Start newsflow services as real processes against the session broker.

Each system gets its own topic prefix, consumer groups and state dir, so tests that
share the one broker never see each other's data.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.core.settings import TopicSettings
from services.core.supervisor import ALL_SERVICES, Supervisor
from services.core.topics import Topics

# Ports this test process handed out. The kernel may give bind(0) the port it released a
# moment ago, so two calls in a row could return the same one: in one CI run the
# normalizer and the categorizer both got port 35085, the normalizer could not bind its
# HTTP server, and the e2e tests waited on a pipeline that never moved.
_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now and that this process never handed out."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


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
        _keep_logs(prefix, logs)


def _keep_logs(prefix: str, logs: list[str]) -> None:
    """With NEWSFLOW_TEST_LOG_DIR set, every service log line of the system goes to a
    file there: a failure's diagnosis shows only the last warnings, a flake needs all."""
    keep = os.environ.get("NEWSFLOW_TEST_LOG_DIR")
    if keep:
        path = Path(keep) / f"{prefix.rstrip('.')}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(logs) + "\n")


async def topic_ends(bootstrap: str, prefix: str) -> dict[str, int]:
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, isolation_level="read_committed")
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        tps = [
            TopicPartition(topic, p)
            for topic in cluster.topics()
            if topic.startswith(prefix)
            for p in cluster.partitions_for_topic(topic) or ()
        ]
        totals: dict[str, int] = {}
        for tp, end in (await consumer.end_offsets(tps)).items():
            name = tp.topic.removeprefix(prefix)
            totals[name] = totals.get(name, 0) + end
        return dict(sorted(totals.items()))
    finally:
        await consumer.stop()


def diagnosis(system: System, lines: int = 40) -> str:
    """What a failing system test prints: records per topic and the last warnings/errors."""
    import asyncio

    try:
        ends = asyncio.run(topic_ends(system.bootstrap, system.prefix))
        topics = "\n".join(f"  {name}: {end}" for name, end in ends.items())
    except Exception as exc:  # diagnosis must never hide the real failure
        topics = f"  (could not read topic ends: {exc!r})"
    loud = [line for line in system.logs if '"level":"info"' not in line][-lines:]
    return (
        "--- log end offsets per topic ---\n"
        + topics
        + "\n--- last warnings/errors ---\n"
        + "\n".join(line[:400] for line in loud)
    )
