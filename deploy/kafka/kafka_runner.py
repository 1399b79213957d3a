#!/usr/bin/env python3
"""Run a real single-node Apache Kafka broker (KRaft) from Maven Central jars.

There is no Docker engine and no Kafka distribution on our machines, only Java, Maven and
the package registries, so the broker's classpath is fetched with Maven (``pom.xml`` beside
this file) into a cache folder and ``kafka.Kafka`` is started as a child process.

Used three ways, hence stdlib-only at module level:

* by the tests (``tests/conftest.py`` imports this file by path) for a session broker;
* by the package ``services`` (dev tooling);
* as a script, ``python deploy/kafka/kafka_runner.py``, for ``make run`` with a persistent
  data dir: a second start reuses the already formatted dir.

The readiness check imports ``aiokafka`` lazily, only when a broker is started.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import base64
import concurrent.futures
import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "KAFKA_VERSION",
    "KafkaBroker",
    "KafkaRunnerError",
    "ensure_jars",
    "free_port",
]

KAFKA_VERSION = "4.4.0"

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
LOG4J2_CONFIG = HERE / "log4j2.xml"

_MARKER = ".complete"  # holds the sha256 of pom.xml that produced libs/
_READINESS_GROUP = "newsflow-readiness-probe"
_LOG_TAIL_BYTES = 6000
MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # large HTML pages travel as single records


class KafkaRunnerError(RuntimeError):
    """Fetching the jars, formatting the storage or starting the broker failed."""


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now (tests use it per session)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_is_free(host: str, port: int) -> bool:
    """True if nothing listens on host:port (SO_REUSEADDR: a TIME_WAIT left by kill() is ok)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def _can_connect(host: str, port: int) -> bool:
    """Cheap TCP probe so aiokafka is only tried (and only logs) once the port is open."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _default_cache_dir() -> Path:
    env = os.environ.get("NEWSFLOW_KAFKA_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "newsflow" / f"kafka-{KAFKA_VERSION}"


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def _libs_complete(cache_dir: Path) -> bool:
    libs = cache_dir / "libs"
    marker = cache_dir / _MARKER
    if not marker.is_file() or not libs.is_dir():
        return False
    if marker.read_text().strip() != _pom_digest():
        return False
    return any(libs.glob(f"kafka_2.13-{KAFKA_VERSION}.jar"))


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if not java:
        raise KafkaRunnerError("java not found: Kafka needs a JRE 17+ on PATH or JAVA_HOME")
    return java


def _tail(path: Path, start: int = 0, max_bytes: int = _LOG_TAIL_BYTES) -> str:
    """Last bytes of a log file from offset `start` on (the current run only)."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            end = f.tell()
            f.seek(max(start, end - max_bytes))
            return f.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"


def _heap_mb(heap: str) -> int:
    """Parse a JVM size like '512m' / '1g' into MiB (for choosing a sane -Xms)."""
    units = {"k": 1 / 1024, "m": 1, "g": 1024}
    h = heap.strip().lower()
    if h and h[-1] in units:
        return max(1, int(float(h[:-1]) * units[h[-1]]))
    return max(1, int(h) // (1024 * 1024))


def _cluster_id() -> str:
    """22-char url-safe base64 of a random UUID, the format StorageTool expects.

    Never starting with "-" (1 draw in 64 did): the storage tool would read the id as an
    option and fail; Kafka's own Uuid.randomUuid() redraws for the same reason.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


# --------------------------------------------------------------------------- jars


def ensure_jars(cache_dir: Path | None = None) -> Path:
    """Make sure Kafka's runtime classpath is in the cache and return the libs dir.

    Maven runs only when libs/ is missing or was fetched for another pom.xml (the marker
    holds the pom's hash). Concurrent callers (parallel test workers) serialize on a lock
    file; the jars land in a temp dir first and are renamed into place, so a half-done
    download is never mistaken for a complete one.
    """
    cache_dir = (cache_dir or _default_cache_dir()).expanduser().resolve()
    libs = cache_dir / "libs"
    if _libs_complete(cache_dir):
        return libs
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _libs_complete(cache_dir):  # another process finished while we waited
            return libs
        mvn = os.environ.get("MVN") or shutil.which("mvn")
        if not mvn:
            raise KafkaRunnerError("mvn not found: Maven is needed once to fetch the Kafka jars")
        staging = Path(tempfile.mkdtemp(prefix="libs.", dir=cache_dir))
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            out = (proc.stdout + proc.stderr)[-_LOG_TAIL_BYTES:]
            raise KafkaRunnerError(f"fetching Kafka jars failed ({' '.join(cmd)}):\n{out}")
        (cache_dir / _MARKER).unlink(missing_ok=True)
        shutil.rmtree(libs, ignore_errors=True)
        staging.rename(libs)
        (cache_dir / _MARKER).write_text(_pom_digest() + "\n")
    return libs


# --------------------------------------------------------------------------- readiness


def _require_aiokafka() -> None:
    """Fail before launching a JVM if the readiness check cannot run in this interpreter."""
    try:
        import aiokafka  # noqa: F401
    except ImportError as exc:
        raise KafkaRunnerError(
            "the broker readiness check needs aiokafka; run with the project's venv "
            "(.venv/bin/python) or `pip install aiokafka`"
        ) from exc


async def _probe(bootstrap: str, request_timeout_ms: int) -> None:
    """One readiness attempt: metadata answers with a broker AND a group coordinator exists.

    FindCoordinator is what creates __consumer_offsets lazily, so the first attempts fail
    with COORDINATOR_NOT_AVAILABLE; the caller retries.
    """
    from aiokafka.admin import AIOKafkaAdminClient  # lazy: keeps the module stdlib-only

    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=request_timeout_ms,
        client_id="newsflow-kafka-runner",
    )
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        if not cluster.get("brokers"):
            raise KafkaRunnerError("metadata has no brokers yet")
        await admin.find_coordinator(_READINESS_GROUP)
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


def _run_in_thread(coro_fn: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None:
    """asyncio.run in a worker thread, so start() also works when called inside a loop."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro_fn(*args)).result()


# --------------------------------------------------------------------------- broker

_live_brokers: weakref.WeakSet[KafkaBroker] = weakref.WeakSet()


@atexit.register
def _stop_leftovers() -> None:
    """Don't leave an orphaned JVM holding ports when the owner exits without stop()."""
    for broker in list(_live_brokers):
        with contextlib.suppress(Exception):
            broker.kill()


class KafkaBroker:
    """A single-node KRaft Kafka broker+controller running as a child JVM.

    The data dir holds server.properties, the logs/ dir (topic data, formatted once) and
    the broker's console log; reusing the same data dir keeps all topics and offsets.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int = 9092,
        controller_port: int | None = None,
        host: str = "127.0.0.1",
        heap: str = "512m",
        extra_config: dict[str, str] | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.port = port
        # Fixed at construction so restart() talks to the same quorum endpoint.
        self.controller_port = controller_port if controller_port is not None else free_port()
        self.host = host
        self.heap = heap
        self.extra_config = dict(extra_config or {})
        self.log_file = Path(log_file).resolve() if log_file else self.data_dir / "kafka.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_offset = 0
        self._lock = threading.RLock()

    # ---- public API

    @property
    def bootstrap(self) -> str:
        """bootstrap.servers string for clients, e.g. '127.0.0.1:9092'."""
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 90) -> None:
        """Format the data dir if new, launch the JVM and block until clients can use it.

        Ready means: a metadata request lists the broker and FindCoordinator for a group
        succeeds (consumer groups work). Fails fast with the log tail if the JVM exits.
        """
        with self._lock:
            if self.is_running():
                raise KafkaRunnerError(f"broker already running (pid {self.pid})")
            _require_aiokafka()
            libs = ensure_jars()  # a one-off (cold) fetch does not count against `timeout`
            deadline = time.monotonic() + timeout
            for p in (self.port, self.controller_port):
                if not _port_is_free(self.host, p):
                    raise KafkaRunnerError(f"port {self.host}:{p} is already in use")
            props = self._write_properties()
            self._format_if_needed(libs, props)
            self._launch(libs, props)
            try:
                self._wait_ready(deadline)
            except BaseException:
                self.kill()
                raise

    def stop(self, timeout: float = 30) -> None:
        """Controlled shutdown (SIGTERM to the process group), SIGKILL if it takes too long."""
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            if proc.poll() is None:
                self._signal(signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._signal(signal.SIGKILL)
                    proc.wait()
            self._proc = None
            _live_brokers.discard(self)

    def kill(self) -> None:
        """SIGKILL the broker, like a crash (fault tests); data written so far survives."""
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            if proc.poll() is None:
                self._signal(signal.SIGKILL)
            proc.wait()
            self._proc = None
            _live_brokers.discard(self)

    def restart(self, timeout: float = 90) -> None:
        """stop() then start() on the same data dir and ports."""
        self.stop()
        self.start(timeout)

    def log_tail(self, max_bytes: int = _LOG_TAIL_BYTES) -> str:
        """Tail of the current run's broker log, for error messages."""
        return _tail(self.log_file, self._log_offset, max_bytes)

    def __enter__(self) -> KafkaBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.is_running() else "stopped"
        return f"KafkaBroker({self.bootstrap}, {self.data_dir}, {state})"

    # ---- internals

    def config(self) -> dict[str, str]:
        """The server.properties this broker runs with (extra_config wins)."""
        h, p, cp = self.host, self.port, self.controller_port
        cfg = {
            # single node, KRaft, static quorum: survives port changes of a reused data dir,
            # unlike a --standalone dynamic quorum whose voter endpoint is stored in the log
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{h}:{cp}",
            "listeners": f"PLAINTEXT://{h}:{p},CONTROLLER://{h}:{cp}",
            "advertised.listeners": f"PLAINTEXT://{h}:{p}",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir / "logs"),
            # replication factor 1 everywhere, or internal topics can never be created
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "min.insync.replicas": "1",
            "default.replication.factor": "1",
            # few internal partitions: each one costs start-up time on 2 cores
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.num.partitions": "4",
            "share.coordinator.state.topic.num.partitions": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
            # large HTML pages: 16 MiB records end to end
            "message.max.bytes": str(MAX_MESSAGE_BYTES),
            "replica.fetch.max.bytes": str(MAX_MESSAGE_BYTES),
            "socket.request.max.bytes": str(100 * 1024 * 1024),
            "log.retention.hours": "72",
            "log.segment.bytes": str(128 * 1024 * 1024),
            # the cleaner (compacted changelogs) allocates this on the heap; default 128 MiB
            "log.cleaner.dedupe.buffer.size": str(32 * 1024 * 1024),
            # after a crash (kill()) the restarted broker's registration is refused as a
            # duplicate until the old session expires: 9 s by default, 4 s here
            "broker.session.timeout.ms": "4000",
            "broker.heartbeat.interval.ms": "1000",
            "num.network.threads": "2",
            "num.io.threads": "4",
            "background.threads": "4",
        }
        cfg.update(self.extra_config)
        return cfg

    def _write_properties(self) -> Path:
        """Rewritten on every start, so port/config changes apply to a reused data dir."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "server.properties"
        lines = ["# written by deploy/kafka/kafka_runner.py on every start; edits are lost"]
        for k, v in self.config().items():
            lines.append(f"{k}={v.replace(chr(92), chr(92) * 2)}")
        path.write_text("\n".join(lines) + "\n")
        return path

    def _jvm_base(self, libs: Path, heap: str) -> list[str]:
        xms = min(_heap_mb(heap), 128)
        return [
            _java(),
            f"-Xms{xms}m",
            f"-Xmx{heap}",
            # SerialGC: fewest threads and smallest footprint, plenty for a dev broker
            "-XX:+UseSerialGC",
            # C1 only: this broker and its tools live minutes to hours (make run, tests,
            # bench) on small machines, where C2's compiler threads took ~40% of the
            # broker's CPU in its first minutes (JFR); with C1 `make bench` measured the
            # same throughput and 20% less broker CPU (2026-11-29)
            "-XX:TieredStopAtLevel=1",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J2_CONFIG}",
            "-cp",
            f"{libs}/*",
        ]

    def _format_if_needed(self, libs: Path, props: Path) -> None:
        """kafka-storage format, once: meta.properties marks a formatted log dir."""
        if (self.data_dir / "logs" / "meta.properties").is_file():
            return
        cmd = [
            *self._jvm_base(libs, "256m"),
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            _cluster_id(),
            "--config",
            str(props),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise KafkaRunnerError(
                f"kafka storage format failed (exit {proc.returncode}):\n"
                f"{(proc.stdout + proc.stderr)[-_LOG_TAIL_BYTES:]}"
            )

    def _launch(self, libs: Path, props: Path) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            log.write(f"=== kafka_runner: start {time.strftime('%F %T')} ===\n".encode())
            log.flush()
            self._log_offset = log.tell()
            # own session/process group: Ctrl-C in a terminal reaches us, not the JVM, and
            # stop()/kill() signal the whole group
            self._proc = subprocess.Popen(
                [*self._jvm_base(libs, self.heap), "kafka.Kafka", str(props)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )
        _live_brokers.add(self)

    def _wait_ready(self, deadline: float) -> None:
        last_error: object = f"nothing accepts connections on {self.bootstrap} yet"
        while True:
            proc = self._proc
            if proc is None or proc.poll() is not None:
                code = proc.returncode if proc else None
                raise KafkaRunnerError(
                    f"kafka exited during start (exit {code}); log {self.log_file}:\n{self.log_tail()}"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KafkaRunnerError(
                    f"kafka not ready on {self.bootstrap} in time (last error: {last_error});"
                    f" log {self.log_file}:\n{self.log_tail()}"
                )
            if _can_connect(self.host, self.port):
                try:
                    request_ms = int(max(1.0, min(5.0, remaining)) * 1000)
                    _run_in_thread(_probe, self.bootstrap, request_ms)
                    return
                except Exception as exc:  # aiokafka errors while the broker comes up
                    last_error = exc
            time.sleep(0.25)

    def _signal(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, sig)


# --------------------------------------------------------------------------- CLI


class _Shutdown(BaseException):
    """Raised from the SIGINT/SIGTERM handler to unwind into a clean stop."""


def _on_signal(signum: int, frame: object) -> None:
    raise _Shutdown(signum)


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def main(argv: list[str] | None = None) -> int:
    """Foreground broker for dev (`make run`): ready line on stdout, clean stop on signals."""
    ap = argparse.ArgumentParser(description=f"Run a single-node Kafka {KAFKA_VERSION} (KRaft).")
    ap.add_argument("--data-dir", type=Path, default=Path(".data/kafka"))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9092)
    ap.add_argument("--controller-port", type=int, default=9093)
    ap.add_argument("--heap", default="512m")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for ready")
    ap.add_argument("--fetch-only", action="store_true", help="fetch the jars, then exit")
    args = ap.parse_args(argv)

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    broker: KafkaBroker | None = None
    try:
        libs = ensure_jars()
        if args.fetch_only:
            print(f"kafka {KAFKA_VERSION} jars in {libs}", flush=True)
            return 0
        broker = KafkaBroker(
            args.data_dir,
            port=args.port,
            controller_port=args.controller_port,
            host=args.host,
            heap=args.heap,
        )
        t0 = time.monotonic()
        broker.start(timeout=args.timeout)
        took = time.monotonic() - t0
        print(f"kafka ready on {broker.bootstrap}", flush=True)
        print(f"(started in {took:.1f}s, pid {broker.pid}, log {broker.log_file})", file=sys.stderr)
        while broker.is_running():
            time.sleep(0.5)
        print(f"kafka exited unexpectedly; log tail:\n{broker.log_tail()}", file=sys.stderr)
        return 1
    except _Shutdown:
        return 0
    except KafkaRunnerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if broker is not None:
            with _signals_ignored():
                broker.stop()


if __name__ == "__main__":
    sys.exit(main())
