"""docker-compose.yml: valid Compose Specification, and consistent with the code it runs.

Checked without Docker: the schema (a vendored copy of the Compose Specification's JSON
Schema), every command against the real CLI parser, every NEWSFLOW_* variable against the
settings classes (and the settings actually built from the container's environment),
scaling rules, health checks (the services' one run for real against a local server),
restart policies, resource limits, volumes, published ports, and the Kafka broker's config
against the version and sizes the code expects.
"""

from __future__ import annotations

import copy
import hashlib
import http.server
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from services.core.cli import _parser
from services.core.commands.settings_doc import env_vars
from services.core.settings import SERVICE_SETTINGS, KafkaSettings
from tests.unit.deploy.deploy_helpers import (
    INFRA_SERVICES,
    NEWSFLOW_SERVICES,
    ONE_SHOT_SERVICES,
    REPO,
    SCALABLE_SERVICES,
    SHARED_ENV_FILE,
    STATE_DIR,
    container_env,
    env_file_paths,
    host_ports,
    is_named_volume,
    parse_env_file,
    service_environment,
    settings_service,
    volume_mounts,
)

SPEC_DIR = REPO / "tests" / "fixtures" / "compose"
KAFKA_RUNNER = REPO / "deploy" / "kafka" / "kafka_runner.py"
IMAGE_SERVICES = NEWSFLOW_SERVICES + ONE_SHOT_SERVICES
PUBLISHED = {"ingest": [8000], "sink": [8001], "grafana": [3000], "prometheus": [9090]}


def _services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


# ------------------------------------------------------------------------ the schema
def test_compose_spec_copy_is_the_licensed_one() -> None:
    notice = (SPEC_DIR / "NOTICE.md").read_text()
    digest = hashlib.sha256((SPEC_DIR / "compose-spec.json").read_bytes()).hexdigest()
    assert digest in notice, "compose-spec.json changed: update the checksum (and source) in NOTICE.md"
    assert "Apache License" in (SPEC_DIR / "LICENSE").read_text()


def _compose_validator() -> jsonschema.Draft7Validator:
    schema = json.loads((SPEC_DIR / "compose-spec.json").read_text())
    assert "draft-07" in schema["$schema"]
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_compose_file_validates_against_the_compose_specification(compose: dict[str, Any]) -> None:
    errors = sorted(_compose_validator().iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_the_schema_check_catches_mistakes(compose: dict[str, Any]) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["ingest"]["healthcheck"]["intreval"] = "10s"  # typo
    broken["services"]["sink"]["restart"] = ["unless-stopped"]  # wrong type
    broken["services"]["normalizer"]["depends_on"]["topics"]["condition"] = "service_done"
    paths = {"/".join(map(str, e.absolute_path)) for e in _compose_validator().iter_errors(broken)}
    assert {"services/ingest/healthcheck", "services/sink/restart"} <= paths
    assert any(p.startswith("services/normalizer/depends_on") for p in paths)


def test_no_obsolete_version_key_and_the_expected_services(compose: dict[str, Any]) -> None:
    assert "version" not in compose, "the Compose Specification dropped `version:`"
    assert set(_services(compose)) == set(NEWSFLOW_SERVICES + ONE_SHOT_SERVICES + INFRA_SERVICES)


def test_no_yaml_anchor_leaks_into_service_names(compose: dict[str, Any]) -> None:
    # extension fields hold the shared parts; they must stay top-level x-* keys
    assert all(not name.startswith("x-") for name in _services(compose))
    assert {k for k in compose if k.startswith("x-")}, "shared service parts live in x-* extension fields"


# ------------------------------------------------------------ commands, image, settings
@pytest.mark.parametrize("name", IMAGE_SERVICES)
def test_command_is_accepted_by_the_real_cli_parser(compose: dict[str, Any], name: str) -> None:
    svc = _services(compose)[name]
    command = svc["command"]
    assert isinstance(command, list), "exec form (a list): no shell in between"
    try:
        args = _parser().parse_args(command)
    except SystemExit as exc:  # argparse reports errors by exiting
        pytest.fail(f"{name}: `newsflow {' '.join(command)}` rejected by the CLI parser ({exc})")
    if name in NEWSFLOW_SERVICES:
        assert (args.command, args.service) == ("run", name)
    else:
        assert (args.command, args.action) == ("topics", "create")


@pytest.mark.parametrize("name", IMAGE_SERVICES)
def test_newsflow_services_run_the_one_image_built_from_this_repo(compose: dict[str, Any], name: str) -> None:
    svc = _services(compose)[name]
    build = svc["build"]
    context = build if isinstance(build, str) else build["context"]
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (REPO / context).resolve() == REPO and (REPO / context / dockerfile).is_file()
    images = {_services(compose)[n].get("image") for n in IMAGE_SERVICES}
    assert len(images) == 1, f"all newsflow services share one image, got {images}"
    assert SHARED_ENV_FILE in env_file_paths(svc)


def test_shared_env_file_sets_what_containers_need() -> None:
    active, _ = parse_env_file(SHARED_ENV_FILE)
    assert active["NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert active["NEWSFLOW_HTTP__HOST"] == "0.0.0.0"
    assert active["NEWSFLOW_DATA_DIR"] == STATE_DIR
    # documented: a comment line right above every setting (or its block)
    lines = SHARED_ENV_FILE.read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"NEWSFLOW_\w+=", line):
            above = [prev for prev in lines[:i] if prev.strip()]
            assert above and (above[-1].startswith("#") or re.match(r"NEWSFLOW_\w+=", above[-1])), line


@pytest.mark.parametrize("name", IMAGE_SERVICES)
def test_every_newsflow_variable_is_a_real_setting_of_that_service(
    compose: dict[str, Any], name: str
) -> None:
    svc = _services(compose)[name]
    service = settings_service(svc)
    known = env_vars()[service]
    for path in env_file_paths(svc):
        active, _ = parse_env_file(path)
        unknown = [k for k in active if k.startswith("NEWSFLOW_") and k not in known]
        assert not unknown, f"{path.name} sets {unknown}, not settings of {service} (`newsflow settings`)"
    unknown = [k for k in service_environment(svc) if k.startswith("NEWSFLOW_") and k not in known]
    assert not unknown, f"{name}: environment sets {unknown}, not settings of {service}"


def test_commented_examples_in_env_files_are_real_settings() -> None:
    every = set().union(*(vars_.keys() for vars_ in env_vars().values()))
    _, examples = parse_env_file(SHARED_ENV_FILE)
    assert examples, "the env file shows other settings as commented examples"
    unknown = [k for k in examples if k.startswith("NEWSFLOW_") and k not in every]
    assert not unknown, f"commented examples name settings that do not exist: {unknown}"


@pytest.mark.parametrize("name", IMAGE_SERVICES)
def test_settings_build_from_the_container_environment(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = _services(compose)[name]
    service = settings_service(svc)
    for key in [k for k in os.environ if k.startswith("NEWSFLOW_")]:
        monkeypatch.delenv(key)
    for key, value in container_env(svc).items():
        monkeypatch.setenv(key, value)
    settings = SERVICE_SETTINGS[service]()
    assert settings.kafka.bootstrap_servers == "kafka:9092"
    assert settings.http.host == "0.0.0.0"  # type: ignore[attr-defined]
    assert str(settings.data_dir) == STATE_DIR
    if name in NEWSFLOW_SERVICES:
        # the port compose sets is the service's default too (docker run newsflow run <svc>)
        default_port = SERVICE_SETTINGS[service].model_fields["http"].default.port
        assert settings.http.port == default_port  # type: ignore[attr-defined]
        assert container_env(svc)["NEWSFLOW_HTTP__PORT"] == str(default_port), (
            "set NEWSFLOW_HTTP__PORT explicitly: the healthcheck and Prometheus use it"
        )


def test_instance_ids_are_never_shared_by_replicas(compose: dict[str, Any]) -> None:
    shared, _ = parse_env_file(SHARED_ENV_FILE)
    assert "NEWSFLOW_INSTANCE_ID" not in shared, (
        "one transactional id for all replicas = they fence each other"
    )
    for name in SCALABLE_SERVICES:
        assert "NEWSFLOW_INSTANCE_ID" not in container_env(_services(compose)[name]), name
    ids = [container_env(s).get("NEWSFLOW_INSTANCE_ID") for s in _services(compose).values()]
    fixed = [i for i in ids if i]
    assert len(fixed) == len(set(fixed))


# --------------------------------------------------------------- scaling, ports, volumes
@pytest.mark.parametrize("name", SCALABLE_SERVICES)
def test_scalable_services_have_no_fixed_name_port_or_volume(compose: dict[str, Any], name: str) -> None:
    svc = _services(compose)[name]
    assert "container_name" not in svc, "a fixed container name allows one replica only"
    assert not host_ports(svc), "a fixed host port allows one replica only"
    assert not [s for s, _ in volume_mounts(svc) if is_named_volume(s)], "replicas would share one volume"
    assert svc.get("deploy", {}).get("replicas", 1) >= 1


def test_no_container_names_anywhere(compose: dict[str, Any]) -> None:
    # fixed names clash between two checkouts/projects on one host and block scaling
    assert [n for n, s in _services(compose).items() if "container_name" in s] == []


def test_only_the_front_doors_publish_host_ports(compose: dict[str, Any]) -> None:
    published = {n: host_ports(s) for n, s in _services(compose).items() if host_ports(s)}
    assert published == PUBLISHED


@pytest.mark.parametrize(
    ("name", "target"),
    [("kafka", "/var/lib/kafka/data"), ("deduper", STATE_DIR), ("sink", STATE_DIR), ("related", STATE_DIR)],
)
def test_state_lives_in_named_volumes(compose: dict[str, Any], name: str, target: str) -> None:
    mounts = dict((t, s) for s, t in volume_mounts(_services(compose)[name]))
    assert target in mounts and is_named_volume(mounts[target]), f"{name}: no named volume at {target}"
    assert mounts[target] in (compose.get("volumes") or {}), f"volume {mounts[target]} not declared"


def test_state_volume_is_where_the_settings_put_state(compose: dict[str, Any]) -> None:
    for name in ("deduper", "sink", "related"):
        svc = _services(compose)[name]
        assert container_env(svc)["NEWSFLOW_DATA_DIR"] in {t for _, t in volume_mounts(svc)}
    kafka_env = service_environment(_services(compose)["kafka"])
    assert kafka_env["KAFKA_LOG_DIRS"] in {t for _, t in volume_mounts(_services(compose)["kafka"])}


def test_declared_volumes_are_used_and_used_volumes_declared(compose: dict[str, Any]) -> None:
    used = {s for svc in _services(compose).values() for s, _ in volume_mounts(svc) if is_named_volume(s)}
    assert used == set(compose.get("volumes") or {})


def test_bind_mounts_and_env_files_exist_in_the_repo(compose: dict[str, Any]) -> None:
    for name, svc in _services(compose).items():
        for source, _ in volume_mounts(svc):
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name}: {source} does not exist"
        for path in env_file_paths(svc):
            assert path.is_file(), f"{name}: {path} does not exist"


# ------------------------------------------------------------ health, restart, limits
LONG_RUNNING = NEWSFLOW_SERVICES + INFRA_SERVICES


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_have_healthcheck_restart_policy_and_limits(
    compose: dict[str, Any], name: str
) -> None:
    svc = _services(compose)[name]
    check = svc.get("healthcheck")
    assert check and not check.get("disable") and check.get("test"), f"{name}: no healthcheck"
    assert svc.get("restart") in {"unless-stopped", "always"}, f"{name}: restart policy"
    limits = svc.get("deploy", {}).get("resources", {}).get("limits", {})
    assert limits.get("cpus") and limits.get("memory"), f"{name}: deploy.resources.limits cpus/memory"


def test_the_related_worker_yields_the_cpu_across_containers(compose: dict[str, Any]) -> None:
    """Its nice (RelatedSettings.nice) works within its container only; a lower cgroup
    weight than every other newsflow service's keeps the pipeline first on a busy host."""
    services = _services(compose)
    assert SERVICE_SETTINGS["related"].model_fields["nice"].default > 0
    weight = {name: services[name].get("cpu_shares", 1024) for name in NEWSFLOW_SERVICES}
    assert all(weight["related"] < w for name, w in weight.items() if name != "related"), weight


@pytest.mark.parametrize("name", NEWSFLOW_SERVICES)
def test_newsflow_services_wait_for_the_topics_and_probe_readyz(compose: dict[str, Any], name: str) -> None:
    svc = _services(compose)[name]
    assert svc["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    test = svc["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "python" and "/readyz" in " ".join(test)
    assert svc.get("stop_grace_period"), "time to finish the batch in flight on SIGTERM"


def test_topics_job_runs_once_after_kafka_is_healthy(compose: dict[str, Any]) -> None:
    svc = _services(compose)["topics"]
    assert svc["command"] == ["topics", "create"]
    assert svc["restart"] == "no"
    assert svc["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_depends_on_conditions_can_be_met(compose: dict[str, Any]) -> None:
    for name, svc in _services(compose).items():
        deps = svc.get("depends_on", {})
        if isinstance(deps, list):
            continue
        for dep, spec in deps.items():
            target = _services(compose)[dep]
            if spec.get("condition") == "service_healthy":
                assert target.get("healthcheck"), f"{name} waits for {dep} healthy, which has no healthcheck"
            if spec.get("condition") == "service_completed_successfully":
                assert target.get("restart", "no") == "no", f"{name} waits for {dep} to exit, but it restarts"


class _ReadyzHandler(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/readyz" else 404
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ready": %s}' % (b"true" if code == 200 else b"false"))

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def readyz_server() -> Iterator[tuple[int, type[_ReadyzHandler]]]:
    handler = type("Handler", (_ReadyzHandler,), {"status": 200})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


def _run_healthcheck(test: list[str], port: int) -> int:
    assert test[0] == "CMD" and test[1] == "python"
    argv = [sys.executable, *test[2:]]
    return subprocess.run(
        argv, env={"NEWSFLOW_HTTP__PORT": str(port)}, capture_output=True, timeout=30
    ).returncode


def test_the_services_healthcheck_really_probes_readyz(
    compose: dict[str, Any], readyz_server: tuple[int, type[_ReadyzHandler]]
) -> None:
    port, handler = readyz_server
    tests = {tuple(_services(compose)[n]["healthcheck"]["test"]) for n in NEWSFLOW_SERVICES}
    assert len(tests) == 1, "one healthcheck for all six (the port comes from NEWSFLOW_HTTP__PORT)"
    test = list(tests.pop())
    handler.status = 200
    assert _run_healthcheck(test, port) == 0, "ready service reported unhealthy"
    handler.status = 503
    assert _run_healthcheck(test, port) != 0, "a 503 from /readyz must fail the healthcheck"
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    assert _run_healthcheck(test, closed) != 0, "a refused connection must fail the healthcheck"
    assert "$" not in " ".join(test), "compose would interpolate $ in the healthcheck"


# --------------------------------------------------------------------------- kafka
def _kafka_version() -> str:
    spec = importlib.util.spec_from_file_location("deploy_test_kafka_runner", KAFKA_RUNNER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.KAFKA_VERSION)


def test_kafka_image_is_the_version_the_tests_run(compose: dict[str, Any]) -> None:
    assert _services(compose)["kafka"]["image"] == f"apache/kafka:{_kafka_version()}"


def test_kafka_is_a_single_kraft_node_the_services_can_reach(compose: dict[str, Any]) -> None:
    env = service_environment(_services(compose)["kafka"])
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    listeners = dict(re.findall(r"(\w+)://[^:,]*:(\d+)", env["KAFKA_LISTENERS"]))
    assert set(listeners) == {"PLAINTEXT", "CONTROLLER"}
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:{listeners['CONTROLLER']}"
    bootstrap = parse_env_file(SHARED_ENV_FILE)[0]["NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS"]
    assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{bootstrap}"
    assert bootstrap.endswith(f":{listeners['PLAINTEXT']}")
    for key, value in env.items():
        if key.endswith(("REPLICATION_FACTOR", "MIN_ISR", "MIN_INSYNC_REPLICAS")):
            assert value == "1", f"{key}={value} on a single node"
    assert env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"]), "a base64 UUID (kafka-storage random-uuid)"


def test_kafka_accepts_the_largest_record_newsflow_produces(compose: dict[str, Any]) -> None:
    env = service_environment(_services(compose)["kafka"])
    largest = KafkaSettings().max_message_bytes
    assert int(env["KAFKA_MESSAGE_MAX_BYTES"]) == largest == 16777216
    assert int(env.get("KAFKA_REPLICA_FETCH_MAX_BYTES", largest)) >= largest


def test_kafka_healthcheck_asks_the_broker(compose: dict[str, Any]) -> None:
    svc = _services(compose)["kafka"]
    text = " ".join(svc["healthcheck"]["test"])
    assert re.search(r"/opt/kafka/bin/kafka-(broker-api-versions|topics)\.sh", text)
    assert "--bootstrap-server localhost:9092" in text


# ------------------------------------------------------------- prometheus + grafana
def test_prometheus_and_grafana_mount_their_config_read_only(compose: dict[str, Any]) -> None:
    services = _services(compose)
    prom = {s: t for s, t in volume_mounts(services["prometheus"])}
    assert prom["./deploy/prometheus"] == "/etc/prometheus"
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]
    graf = {s: t for s, t in volume_mounts(services["grafana"])}
    assert graf["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    for name in ("prometheus", "grafana"):
        for vol in services[name]["volumes"]:
            if str(vol).startswith("./"):
                assert str(vol).endswith(":ro"), f"{name}: mount {vol} read-only"
    env = service_environment(services["grafana"])
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true" and env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"


def test_pinned_images(compose: dict[str, Any]) -> None:
    for name in INFRA_SERVICES:
        image = _services(compose)[name]["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin the image tag ({image})"
