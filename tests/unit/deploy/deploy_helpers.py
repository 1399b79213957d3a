"""Helpers of the deploy tests: env files, compose environments, metric and PromQL names,
.dockerignore matching, Dockerfile instructions. Fixtures are in conftest.py beside this."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from prometheus_client.metrics import MetricWrapperBase

REPO = Path(__file__).resolve().parents[3]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
SHARED_ENV_FILE = REPO / "deploy" / "compose" / "newsflow.env"
PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
GRAFANA_DIR = REPO / "deploy" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "newsflow.json"

# compose services that run `newsflow run <service>` (long-running), the scalable ones,
# the one-shot job, and the rest of the system
NEWSFLOW_SERVICES = ("ingest", "normalizer", "categorizer", "deduper", "sink", "related")
SCALABLE_SERVICES = ("normalizer", "categorizer")
ONE_SHOT_SERVICES = ("topics",)
INFRA_SERVICES = ("kafka", "prometheus", "grafana")
STATE_DIR = "/var/lib/newsflow"

# Prometheus' own series, not exported by newsflow: `up` per target, ALERTS per alert.
PROMETHEUS_OWN_METRICS = frozenset({"up", "ALERTS", "ALERTS_FOR_STATE"})


# ------------------------------------------------------------------ env files, compose
def parse_env_file(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(active KEY=VALUE lines, commented-out `# KEY=VALUE` examples), compose's format."""
    active: dict[str, str] = {}
    examples: dict[str, str] = {}
    for lineno, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = re.match(r"#\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
            if m:
                examples[m.group(1)] = m.group(2)
            continue
        m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        assert m, f"{path}:{lineno}: not KEY=VALUE: {raw!r}"
        key, value = m.groups()
        assert value == value.strip() and not value.startswith(("'", '"')), (
            f"{path}:{lineno}: keep values unquoted and unpadded (compose and shells differ on quotes)"
        )
        assert key not in active, f"{path}:{lineno}: {key} set twice"
        active[key] = value
    return active, examples


def env_file_paths(svc: dict[str, Any]) -> list[Path]:
    files = svc.get("env_file", [])
    if isinstance(files, (str, dict)):
        files = [files]
    return [REPO / (entry["path"] if isinstance(entry, dict) else entry) for entry in files]


def service_environment(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for k, v in env.items()}


def container_env(svc: dict[str, Any]) -> dict[str, str]:
    """What a container gets from compose: its env_files in order, then `environment`."""
    env: dict[str, str] = {}
    for path in env_file_paths(svc):
        env.update(parse_env_file(path)[0])
    env.update(service_environment(svc))
    return env


def settings_service(svc: dict[str, Any]) -> str:
    """Which settings class a newsflow container builds: `run <service>`'s, or ingest's for
    `topics create` (services/core/commands/topics.py reads IngestSettings)."""
    command = svc["command"]
    if command[0] == "run":
        return str(command[1])
    assert command[0] == "topics", command
    return "ingest"


def host_ports(svc: dict[str, Any]) -> list[int]:
    """Host ports a service publishes (short `[ip:]host:container[/proto]` or long syntax)."""
    out = []
    for port in svc.get("ports", []):
        if isinstance(port, dict):
            if port.get("published") is not None:
                out.append(int(str(port["published"]).split("-")[0]))
            continue
        parts = str(port).split("/")[0].split(":")
        if len(parts) >= 2:
            out.append(int(parts[-2].split("-")[0]))
    return out


def volume_mounts(svc: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of a service's volumes, short or long syntax."""
    out = []
    for vol in svc.get("volumes", []):
        if isinstance(vol, dict):
            out.append((str(vol.get("source", "")), str(vol["target"])))
        else:
            parts = str(vol).split(":")
            out.append((parts[0], parts[1]) if len(parts) > 1 else ("", parts[0]))
    return out


def is_named_volume(source: str) -> bool:
    return bool(source) and not source.startswith((".", "/", "~", "$"))


# ---------------------------------------------------------------------- metric names
def exported_sample_names(collector: MetricWrapperBase) -> set[str]:
    """The sample names a prometheus_client collector exports (`_name` has no suffixes;
    counters drop a trailing `_total` from it and add it back on export)."""
    name, kind = collector._name, str(collector._type)
    suffixes = {
        "counter": ("_total", "_created"),
        "gauge": ("",),
        "histogram": ("_bucket", "_count", "_sum", "_created"),
        "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
        "summary": ("", "_count", "_sum", "_created"),
        "info": ("_info",),
        "stateset": ("",),
        "enum": ("",),
    }[kind]
    return {name + suffix for suffix in suffixes}


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MODIFIER_LISTS = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
# a name followed by "(" or by an aggregation modifier (`sum by (x) (...)`) is a function
_IDENT = re.compile(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\(|\s+(?:by|without)\b)?")
_KEYWORDS = frozenset(
    {
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "and",
        "or",
        "unless",
        "offset",
        "bool",
        "atan2",
        "inf",
        "nan",
    }
)


def promql_metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (label names, functions, keywords, strings,
    durations, numbers and Grafana variables are left out)."""
    text = _STRINGS.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges, subqueries, [$__rate_interval]
    text = _MODIFIER_LISTS.sub(r"\1", text)  # by (stage, topic) -> by
    text = re.sub(r"\$\{?\w+\}?", "", text)  # other Grafana variables
    names = set()
    for m in _IDENT.finditer(text):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in _KEYWORDS:
            continue
        names.add(word)
    return names


def grafana_to_promql(expr: str) -> str:
    """A dashboard expression with Grafana's interval variables replaced, for promtool."""
    for var, value in (("$__rate_interval", "1m"), ("$__interval", "15s"), ("$__range", "1h")):
        expr = expr.replace(var, value)
    assert "$" not in expr, f"unknown Grafana variable in {expr!r}"
    return expr


# ---------------------------------------------------------------------- Docker files
def dockerfile_instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    assert not pending, "Dockerfile ends in a line continuation"
    return out


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def _docker_pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus `**`) as a regex."""
    out = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            j = pattern.index("]", i)
            out += "[" + pattern[i + 1 : j].replace("!", "^", 1) + "]"
            i = j
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out)


def dockerignore_rules(path: Path = DOCKERIGNORE) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:].strip() if negate else line
        pattern = pattern.strip("/")
        rules.append((negate, _docker_pattern(pattern)))
    return rules


def excluded_from_context(rel_path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parent folders wins."""
    parts = rel_path.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for negate, regex in rules:
        if any(regex.fullmatch(p) for p in prefixes):
            excluded = not negate
    return excluded
