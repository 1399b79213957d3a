"""Fixtures of the deploy tests: the compose file, promtool, the metric names the code
exports. No Docker engine is needed: the deploy files are checked against the code they
configure (CLI parser, settings classes, metrics module, faust's sensors) and, through
promtool (Debian package `prometheus`), against Prometheus itself."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

from tests.unit.deploy.deploy_helpers import COMPOSE_FILE, PROMETHEUS_OWN_METRICS, exported_sample_names


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    doc = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="session")
def promtool() -> str:
    """promtool's path; the tests that need it are skipped (with the reason printed) only
    when it is not installed. CI installs it (`make system-deps`)."""
    path = shutil.which("promtool")
    if path is None:
        reason = "promtool not installed (Debian package `prometheus`; run `make system-deps`)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def newsflow_metric_names() -> set[str]:
    """Every sample name services.core.metrics exports (module attributes that are
    prometheus_client collectors)."""
    from services.core import metrics

    names: set[str] = set()
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            names |= exported_sample_names(value)
    assert "newsflow_messages_out_total" in names and "newsflow_e2e_latency_seconds_bucket" in names
    return names


@pytest.fixture(scope="session")
def faust_metric_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """faust's sensor names as newsflow's stream apps export them: the prefix is what
    services.core.streaming.app.make_app passes to setup_prometheus_sensors (captured by a
    spy), the names come from faust's own FaustMetrics.create on a private registry."""
    from faust.sensors.prometheus import FaustMetrics

    import services.core.streaming.app as app_module
    from services.core.settings import SinkSettings

    seen: dict[str, Any] = {}

    def spy(
        app: Any, pattern: str = "/metrics", registry: Any = None, name_prefix: str | None = None
    ) -> None:
        seen["pattern"] = pattern
        seen["prefix"] = name_prefix if name_prefix is not None else app.conf.name

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app_module, "setup_prometheus_sensors", spy)
        app_module.make_app("sink", SinkSettings(data_dir=tmp_path_factory.mktemp("faust")))
    assert seen.get("pattern") == "/metrics", "faust's sensors must be served on /metrics"
    prefix = str(seen["prefix"]).replace("-", "_").replace(".", "_")  # as setup_prometheus_sensors does
    assert prefix == "newsflow_faust", f"dashboards and README assume the prefix newsflow_faust, not {prefix}"
    names: set[str] = set()
    for collector in FaustMetrics.create(CollectorRegistry(), prefix):
        names |= exported_sample_names(collector)
    return names


@pytest.fixture(scope="session")
def known_metric(newsflow_metric_names: set[str], faust_metric_names: set[str]) -> Callable[[str], bool]:
    """The rule for metric names in alert rules and dashboards: exported by
    services/core/metrics.py, or one of faust's sensors with newsflow's prefix
    (`newsflow_faust_*`, from faust/sensors/prometheus.py), or Prometheus' own (`up`, `ALERTS`)."""
    known = newsflow_metric_names | faust_metric_names | PROMETHEUS_OWN_METRICS
    return lambda name: name in known
