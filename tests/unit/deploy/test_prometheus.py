"""deploy/prometheus: scrape config and alert rules, checked by promtool and against the code.

promtool (Debian package `prometheus`) runs for real: `check config`, `check rules` and the
rule unit tests in alerts_test.yml. Only without promtool are those three skipped (the
reason is printed); CI installs it. The rest needs no binary: every service in the compose
file is scraped on its port through DNS discovery, every alert carries a severity and a
runbook, every alert has firing and quiet unit tests, and every metric name exists.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.unit.deploy.deploy_helpers import (
    NEWSFLOW_SERVICES,
    PROMETHEUS_DIR,
    REPO,
    container_env,
    promql_metric_names,
)

CONFIG = PROMETHEUS_DIR / "prometheus.yml"
ALERTS = PROMETHEUS_DIR / "alerts.yml"
ALERT_TESTS = PROMETHEUS_DIR / "alerts_test.yml"
SEVERITIES = {"critical", "warning"}


def _load(path: Any) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict)
    return doc


def _alert_rules() -> list[dict[str, Any]]:
    return [rule for group in _load(ALERTS)["groups"] for rule in group["rules"] if "alert" in rule]


def _promtool(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [promtool, *args], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    print(result.stdout, result.stderr)
    return result


# ------------------------------------------------------------------------- promtool
def test_promtool_check_config(promtool: str) -> None:
    result = _promtool(promtool, "check", "config", str(CONFIG.relative_to(REPO)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_promtool_check_rules(promtool: str) -> None:
    result = _promtool(promtool, "check", "rules", str(ALERTS.relative_to(REPO)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(_alert_rules())} rules found" in result.stdout + result.stderr


def test_promtool_test_rules(promtool: str) -> None:
    result = _promtool(promtool, "test", "rules", str(ALERT_TESTS.relative_to(REPO)))
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------------------------- scrape config
def test_rule_files_resolve_next_to_the_config() -> None:
    # Prometheus (and promtool) read rule_files relative to the config file's folder, which
    # compose mounts whole at /etc/prometheus
    for rule_file in _load(CONFIG)["rule_files"]:
        assert not rule_file.startswith("/")
        assert (PROMETHEUS_DIR / rule_file).is_file(), rule_file


def test_every_newsflow_service_is_scraped_by_dns_discovery_on_its_port(compose: dict[str, Any]) -> None:
    jobs = {job["job_name"]: job for job in _load(CONFIG)["scrape_configs"]}
    for name in NEWSFLOW_SERVICES:
        job = jobs.get(name)
        assert job is not None, f"no scrape job for {name}"
        assert job.get("metrics_path", "/metrics") == "/metrics"
        [sd] = job["dns_sd_configs"]
        # an A lookup of the compose service name returns every replica (--scale)
        assert sd["names"] == [name] and sd["type"] == "A"
        port = int(container_env(compose["services"][name])["NEWSFLOW_HTTP__PORT"])
        assert sd["port"] == port, f"{name} listens on {port}, scraped on {sd['port']}"
        assert "static_configs" not in job, "static targets would miss scaled replicas"


def test_scrape_interval_matches_grafana_time_interval() -> None:
    interval = _load(CONFIG)["global"]["scrape_interval"]
    datasources = yaml.safe_load(
        (REPO / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    assert datasources[0]["jsonData"]["timeInterval"] == interval


# -------------------------------------------------------------------------- the rules
def test_every_alert_has_severity_summary_and_a_runbook_line() -> None:
    rules = _alert_rules()
    assert rules
    for rule in rules:
        name = rule["alert"]
        assert re.fullmatch(r"Newsflow[A-Z]\w+", name), name
        assert rule["labels"]["severity"] in SEVERITIES, name
        annotations = rule["annotations"]
        assert annotations.get("summary"), name
        runbook = annotations.get("runbook", "")
        assert "\n" not in runbook.strip(), f"{name}: the runbook is one line"
        assert "Check:" in runbook and "Do:" in runbook, f"{name}: runbook says what to check and do"
        assert rule.get("for"), f"{name}: a `for` duration, so one bad scrape does not page"


def test_the_alerts_the_operators_asked_for_exist_and_use_the_right_signals() -> None:
    by_name = {rule["alert"]: " ".join(str(rule["expr"]).split()) for rule in _alert_rules()}
    expected = {
        "NewsflowConsumerLagGrowing": ("newsflow_consumer_lag", "deriv(", "sum by (stage, topic)"),
        "NewsflowDLQRateAboveBaseline": ("newsflow_dlq_total", "offset"),
        "NewsflowNoArticlesIngested": ("newsflow_ingest_accepted_total",),
        "NewsflowE2ELatencyHigh": (
            'newsflow_e2e_latency_seconds_bucket{stage="sink"}',
            "histogram_quantile(0.99",
        ),
        "NewsflowServiceDown": ("up{", "== 0"),
        "NewsflowStateGrowing": ("newsflow_table_keys", "predict_linear("),
    }
    for name, fragments in expected.items():
        assert name in by_name, f"missing alert {name}"
        for fragment in fragments:
            assert fragment in by_name[name], f"{name}: expected {fragment!r} in {by_name[name]!r}"


def test_service_down_alerts_cover_every_compose_service(compose: dict[str, Any]) -> None:
    rules = {rule["alert"]: str(rule["expr"]) for rule in _alert_rules()}
    [regex] = re.findall(r'up\{job=~"([^"]+)"\}', rules["NewsflowServiceDown"])
    assert set(regex.split("|")) == set(NEWSFLOW_SERVICES)
    absent = set(re.findall(r'absent\(up\{job="(\w+)"\}\)', rules["NewsflowServiceAbsent"]))
    assert absent == set(NEWSFLOW_SERVICES)
    jobs = {job["job_name"] for job in _load(CONFIG)["scrape_configs"]}
    assert set(NEWSFLOW_SERVICES) <= jobs


def test_every_metric_in_the_rules_exists_in_the_code(known_metric: Callable[[str], bool]) -> None:
    for rule in _alert_rules():
        names = promql_metric_names(str(rule["expr"]))
        assert names, rule["alert"]
        unknown = sorted(n for n in names if not known_metric(n))
        assert not unknown, f"{rule['alert']} uses metrics the code does not export: {unknown}"


def test_every_alert_has_firing_and_quiet_unit_tests() -> None:
    fires: set[str] = set()
    quiet: set[str] = set()
    tests = _load(ALERT_TESTS)
    assert tests["rule_files"] == [ALERTS.name]
    for case in tests["tests"]:
        for check in case.get("alert_rule_test", []):
            (fires if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in _alert_rules()}
    assert names - fires == set(), f"no test where these fire: {sorted(names - fires)}"
    assert names - quiet == set(), f"no test where these stay quiet: {sorted(names - quiet)}"
    assert (fires | quiet) <= names, f"tests for alerts that do not exist: {sorted((fires | quiet) - names)}"


def test_expected_alerts_in_unit_tests_carry_the_rule_severity() -> None:
    severity = {rule["alert"]: rule["labels"]["severity"] for rule in _alert_rules()}
    for case in _load(ALERT_TESTS)["tests"]:
        for check in case.get("alert_rule_test", []):
            for alert in check.get("exp_alerts") or []:
                assert alert["exp_labels"]["severity"] == severity[check["alertname"]], case["name"]


@pytest.mark.parametrize("expr", ["sum(rate(newsflow_nope_total[5m]))", "newsflow_messages_out"])
def test_the_metric_check_rejects_unknown_names(known_metric: Callable[[str], bool], expr: str) -> None:
    assert not all(known_metric(n) for n in promql_metric_names(expr))
