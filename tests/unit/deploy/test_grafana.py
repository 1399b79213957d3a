"""deploy/grafana: provisioning and the newsflow dashboard.

The dashboard JSON is valid, laid out on Grafana's 24-column grid without overlaps, every
panel queries the provisioned Prometheus datasource with PromQL that promtool parses, and
every metric it names exists in the code (services/core/metrics.py, faust's sensors with
the `newsflow_faust_` prefix, or Prometheus' own `up`/`ALERTS`). Provisioning points
at the compose services and the folders compose mounts.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.deploy.deploy_helpers import (
    DASHBOARD,
    GRAFANA_DIR,
    grafana_to_promql,
    promql_metric_names,
    volume_mounts,
)

DATASOURCES = GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml"
PROVIDERS = GRAFANA_DIR / "provisioning" / "dashboards" / "newsflow.yml"


def _dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows; rows themselves excluded."""
    for panel in dashboard["panels"]:
        if panel.get("type") == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def _datasource() -> dict[str, Any]:
    [datasource] = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    return datasource


def _exprs() -> list[tuple[str, str]]:
    return [(p["title"], t["expr"]) for p in _panels(_dashboard()) for t in p["targets"]]


# ------------------------------------------------------------------------ provisioning
def test_datasource_points_at_the_compose_prometheus(compose: dict[str, Any]) -> None:
    datasource = _datasource()
    assert datasource["type"] == "prometheus" and datasource["access"] == "proxy"
    assert datasource["url"] == "http://prometheus:9090"
    assert "prometheus" in compose["services"]
    assert datasource["uid"] and datasource.get("isDefault") is True


def test_dashboard_provider_reads_the_folder_compose_mounts(compose: dict[str, Any]) -> None:
    [provider] = yaml.safe_load(PROVIDERS.read_text())["providers"]
    assert provider["type"] == "file"
    mounts = {target: source for source, target in volume_mounts(compose["services"]["grafana"])}
    source = mounts[provider["options"]["path"]]
    assert (GRAFANA_DIR.parent.parent / source).resolve() == DASHBOARD.parent
    home = compose["services"]["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert Path(home).parent == Path(provider["options"]["path"]) and Path(home).name == DASHBOARD.name


# ------------------------------------------------------------------------ the dashboard
def test_dashboard_is_valid_json_with_identity() -> None:
    dashboard = _dashboard()
    assert dashboard["uid"] == "newsflow" and dashboard["title"]
    assert isinstance(dashboard["schemaVersion"], int)
    assert "id" not in dashboard or dashboard["id"] is None, "provisioned dashboards carry no database id"
    ids = [p["id"] for p in dashboard["panels"]] + [
        p["id"] for row in dashboard["panels"] for p in row.get("panels", [])
    ]
    assert len(ids) == len(set(ids)), "panel ids are unique"


def test_every_panel_has_the_datasource_and_targets_with_expr() -> None:
    uid = _datasource()["uid"]
    panels = list(_panels(_dashboard()))
    assert len(panels) >= 10
    for panel in panels:
        title = panel.get("title")
        assert title, panel["id"]
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, title
        targets = panel.get("targets")
        assert targets, f"{title}: no targets"
        refs = [t["refId"] for t in targets]
        assert len(refs) == len(set(refs)), f"{title}: duplicate refId"
        for target in targets:
            assert target.get("expr", "").strip(), f"{title}: target without expr"
            assert target.get("datasource", panel["datasource"]) == panel["datasource"], title


def test_panels_fit_the_grid_without_overlapping() -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in _dashboard()["panels"]:  # rows and top-level panels share the grid
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["w"] > 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_every_metric_on_the_dashboard_exists_in_the_code(known_metric: Callable[[str], bool]) -> None:
    for title, expr in _exprs():
        names = promql_metric_names(expr)
        assert names, f"{title}: no metric in {expr!r}"
        unknown = sorted(n for n in names if not known_metric(n))
        assert not unknown, f"panel {title!r} uses metrics the code does not export: {unknown}"


def test_dashboard_shows_what_operators_asked_for() -> None:
    used = set().union(*(promql_metric_names(expr) for _, expr in _exprs()))
    wanted = {
        "newsflow_messages_out_total",  # throughput per stage
        "newsflow_consumer_lag",  # lag
        "newsflow_dlq_total",  # DLQ by stage/reason
        "newsflow_processing_seconds_bucket",  # processing latency percentiles
        "newsflow_e2e_latency_seconds_bucket",  # e2e latency percentiles
        "newsflow_dedupe_verdicts_total",  # duplicates / updates
        "newsflow_ingest_accepted_total",  # ingest accepted (and top sources)
        "newsflow_ingest_rejected_total",  # ingest rejected
        "newsflow_http_requests_total",  # HTTP by route/status
    }
    assert wanted <= used, f"missing on the dashboard: {sorted(wanted - used)}"
    exprs = " ".join(expr for _, expr in _exprs())
    assert "histogram_quantile(0.99" in exprs and "histogram_quantile(0.5" in exprs
    assert "sum by (stage, reason)" in exprs  # DLQ by stage and reason
    assert "sum by (job, route, status)" in exprs  # HTTP by route and status


def test_every_dashboard_query_is_valid_promql(promtool: str, tmp_path: Path) -> None:
    """promtool parses each expression as a recording rule (Grafana variables substituted)."""
    rules = [
        {"record": f"dashboard:query_{i}", "expr": grafana_to_promql(expr)}
        for i, (_, expr) in enumerate(_exprs())
    ]
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, sort_keys=False))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------------------- the helper
def test_promql_metric_names_helper() -> None:
    expr = (
        "histogram_quantile(0.99, sum by (le, stage) (rate(newsflow_e2e_latency_seconds_bucket"
        '{stage="sink", le=~"1|2"}[$__rate_interval]))) > 1e3 and on (stage) up{job="x"} == 0 '
        "or absent_over_time(newsflow_dlq_total[1d] offset 10m) / ignoring (reason) group_left foo:bar"
        " or sum without (instance) (newsflow_table_keys) or topk(10, sum by (source) (x_total))"
    )
    assert promql_metric_names(expr) == {
        "newsflow_e2e_latency_seconds_bucket",
        "up",
        "newsflow_dlq_total",
        "foo:bar",
        "newsflow_table_keys",
        "x_total",
    }


@pytest.mark.parametrize(
    ("expr", "expected"),
    [("vector(0)", set()), ('count(ALERTS{alertstate="firing"}) or vector(0)', {"ALERTS"})],
)
def test_promql_metric_names_helper_edge_cases(expr: str, expected: set[str]) -> None:
    assert promql_metric_names(expr) == expected
