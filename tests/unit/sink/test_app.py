"""The faust wiring of the sink and the related worker builds without a broker; a
message's Steps are written all or nothing."""

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import msgspec
import pytest

from services.core.settings import RelatedSettings, SinkSettings
from services.core.streaming.stage import run_handler
from services.related import app as related_app
from services.sink.agents import run_steps, table_keys, write_plan
from services.sink.app import TABLES, build
from services.sink.handlers import LATEST, OFFERS, Send, SinkError, Step


def test_build_wires_tables_topics_agents_and_routes(tmp_path: Path) -> None:
    budget = {"write_buffer_mb": 2, "block_cache_mb": 3}
    settings = SinkSettings(data_dir=tmp_path, topics={"prefix": "u."}, rocksdb=budget)  # type: ignore[arg-type]
    service = build(settings)
    app = service.app
    assert set(app.tables) == set(TABLES)
    for name in TABLES:  # faust hands a table's `options` to its RocksDB store (state/budget.py)
        assert app.tables[name].options["write_buffer_size"] == 2 << 20
        assert app.tables[name].options["block_cache_size"] == 3 << 20
    assert service.internal_topics == [f"u.newsflow-sink-{s}" for s in ("views", "stories")]
    assert {a.name for a in app.agents.values()} == {f"sink-{t}" for t in TABLES}
    sources = {a.name: list(a.channel.topics) for a in app.agents.values()}
    assert sources["sink-related"] == ["u.news.related"]  # a copy of the related worker's lists
    router = app.web.web_app.router  # type: ignore[attr-defined]
    paths = {r.resource.canonical for r in router.routes() if r.resource is not None}
    assert {
        "/v1/latest",
        "/v1/articles/{article_id}",
        "/v1/articles/{article_id}/related",
        "/v1/stories/{story_id}",
        "/v1/stream",
        "/openapi.json",
        "/",
        "/healthz",
        "/readyz",
    } <= paths


def test_both_faust_apps_hand_freed_memory_back_on_a_timer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the transactional stages do after batches (services.core.memory)."""
    import services.core.streaming.app as app_module

    monkeypatch.setattr(app_module, "setup_prometheus_sensors", lambda *a, **kw: None)  # one registry
    monkeypatch.setattr(app_module.SERVICE_INFO, "info", lambda *a, **kw: None)
    for app in (
        build(SinkSettings(data_dir=tmp_path / "sink")).app,
        related_app.build(RelatedSettings(data_dir=tmp_path / "related")).app,
    ):
        timers = {task.__name__ for task in app._app_tasks}  # type: ignore[attr-defined]
        assert {"trim_memory", "gauge_tables"} <= timers, timers


def test_table_keys_uses_the_rocksdb_estimate() -> None:
    db = SimpleNamespace(property_int_value=lambda name: 7 if name == "rocksdb.estimate-num-keys" else None)
    assert table_keys(SimpleNamespace(data=SimpleNamespace(_dbs={0: db, 1: db}))) == 14


def test_a_handler_failing_midway_writes_nothing_and_becomes_one_dlq_record() -> None:
    def steps() -> Iterator[Step]:
        yield Step(stores=[(b"all", b"[]")], sends=[Send(LATEST, b"all", b"{}")])
        raise SinkError("boom", "the second view failed")

    plan, _ = asyncio.run(run_steps(steps))
    table: dict[bytes, bytes] = {}
    write = partial(write_plan, plan, table, lambda role: f"t.{role}")
    [out] = run_handler("sink", write, "t.dlq", b"k", b"value")
    assert table == {} and out.topic == "t.dlq"
    assert msgspec.json.decode(out.value or b"")["error"]["type"] == "boom"


def test_a_plan_writes_every_key_then_sends_to_explicit_partitions() -> None:
    plan: list[Step] = [
        Step(stores=[(b"a", b"1")], sends=[Send(OFFERS, b"x", b"o", partition=2)], received_at="t0"),
        Step(stores=[(b"b", b"2")], sends=[Send(LATEST, b"b", b"l")]),
    ]
    table: dict[bytes, bytes] = {}
    outputs = write_plan(plan, table, lambda role: f"t.{role}")
    assert table == {b"a": b"1", b"b": b"2"}
    assert [(o.topic, o.key, o.partition, o.received_at) for o in outputs] == [
        (f"t.{OFFERS}", b"x", 2, "t0"),
        (f"t.{LATEST}", b"b", None, None),
    ]


def test_the_event_loop_runs_other_tasks_between_the_steps_of_a_batch() -> None:
    async def main() -> int:
        ticks = 0

        async def reader() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(reader())
        await asyncio.sleep(0)
        before = ticks
        plan, _ = await run_steps(lambda: [Step() for _ in range(5)])
        task.cancel()
        assert isinstance(plan, list) and len(plan) == 5
        return ticks - before

    assert asyncio.run(main()) >= 5


def test_the_related_worker_builds_its_own_app(tmp_path: Path) -> None:
    """In a process of its own: faust's Prometheus sensors register once per process."""
    probe = f"""
import json
from pathlib import Path
from services.core.settings import RelatedSettings
from services.related.app import build
service = build(RelatedSettings(data_dir=Path({str(tmp_path)!r}), topics={{"prefix": "u."}}))
app = service.app
print(json.dumps({{
    "id": app.conf.id,
    "tables": sorted(app.tables),
    "internal": service.internal_topics,
    "agents": {{a.name: list(a.channel.topics) for a in app.agents.values()}},
}}))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    built = json.loads(done.stdout.strip().splitlines()[-1])
    assert built["id"] == "u.newsflow-related"
    assert built["tables"] == sorted(related_app.TABLES)
    assert built["internal"] == ["u.newsflow-related-rel-index", "u.newsflow-related-rel-offers"]
    assert built["agents"] == {
        "related-articles": ["u.news.articles"],
        "related-pool": ["u.newsflow-related-rel-index"],
        "related-related": ["u.newsflow-related-rel-offers"],
    }
    assert RelatedSettings().http.port != SinkSettings().http.port
