"""The faust wiring builds without a broker: tables, internal topics, agents, routes."""

from pathlib import Path
from types import SimpleNamespace

from services.core.settings import SinkSettings
from services.sink.app import TABLES, build, table_keys


def test_build_wires_tables_topics_agents_and_routes(tmp_path: Path) -> None:
    service = build(SinkSettings(data_dir=tmp_path, topics={"prefix": "u."}))  # type: ignore[arg-type]
    app = service.app
    assert set(app.tables) == set(TABLES)
    assert service.internal_topics == [
        f"u.newsflow-sink-{s}" for s in ("views", "stories", "rel-index", "rel-offers")
    ]
    assert {a.name for a in app.agents.values()} >= {f"sink-{t}" for t in TABLES}
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


def test_table_keys_uses_the_rocksdb_estimate() -> None:
    db = SimpleNamespace(property_int_value=lambda name: 7 if name == "rocksdb.estimate-num-keys" else None)
    assert table_keys(SimpleNamespace(data=SimpleNamespace(_dbs={0: db, 1: db}))) == 14
