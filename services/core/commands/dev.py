"""`newsflow dev` and `newsflow kafka`: the whole system locally, from a source checkout."""

from __future__ import annotations

import asyncio
import importlib.util
import signal
import sys
import threading
from pathlib import Path
from types import ModuleType

from services.core.kafka.admin import ensure_topics
from services.core.settings import IngestSettings, KafkaSettings
from services.core.supervisor import Supervisor
from services.core.topics import Topics

REPO_ROOT = Path(__file__).resolve().parents[3]


def kafka_runner() -> ModuleType:
    """deploy/kafka/kafka_runner.py: the Maven-jar broker runner (source checkouts only)."""
    path = REPO_ROOT / "deploy" / "kafka" / "kafka_runner.py"
    spec = importlib.util.spec_from_file_location("kafka_runner", path)
    if spec is None or spec.loader is None or not path.exists():
        raise SystemExit(f"kafka runner not found at {path}; run from a source checkout")
    module = importlib.util.module_from_spec(spec)
    sys.modules["kafka_runner"] = module
    spec.loader.exec_module(module)
    return module


def run_kafka(port: int, data_dir: Path) -> int:
    return int(kafka_runner().main(["--port", str(port), "--data-dir", str(data_dir)]))


def run_dev(kafka_port: int, data_dir: Path, start_kafka: bool, samples: list[str]) -> int:
    broker = None
    bootstrap = f"127.0.0.1:{kafka_port}"
    if start_kafka:
        runner = kafka_runner()
        broker = runner.KafkaBroker(data_dir / "kafka", port=kafka_port, controller_port=kafka_port + 1)
        print(f"starting kafka on {bootstrap} (data in {data_dir / 'kafka'}) ...", flush=True)
        broker.start()
    env = {"NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS": bootstrap, "NEWSFLOW_DATA_DIR": str(data_dir)}
    settings = IngestSettings(kafka=KafkaSettings(bootstrap_servers=bootstrap))
    asyncio.run(ensure_topics(settings.kafka, Topics(settings.topics).specs(settings.kafka)))
    supervisor = Supervisor(env)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    supervisor.start()
    try:
        supervisor.wait_ready(timeout=180)
        if samples:
            from services.ingest.upload import run_upload

            run_upload(samples, supervisor["ingest"].url, None, 4, progress=False)
        print(
            "\nnewsflow is running:\n"
            f"  ingest API   {supervisor['ingest'].url}/v1/articles\n"
            f"  read API     {supervisor['sink'].url}/v1/latest\n"
            f"  web page     {supervisor['sink'].url}/\n"
            f"  kafka        {bootstrap}\n"
            "Ctrl-C stops everything.\n",
            flush=True,
        )
        stop.wait()
    except TimeoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        print("stopping ...", flush=True)
        supervisor.stop()
        if broker is not None:
            broker.stop()
    return 0
