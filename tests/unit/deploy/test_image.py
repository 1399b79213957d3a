"""Dockerfile and .dockerignore: one image for every service, built from pyproject.toml.

Without a Docker engine: the Dockerfile's instructions are read (base image, `pip install .`,
non-root user, entrypoint and default command through the real CLI parser, NEWSFLOW_*
defaults through the settings classes), the build context is computed from .dockerignore
with Docker's matching rules, and the runtime imports of services/ are compared with the
dependencies `pip install .` brings into the image.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.metadata as md
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from services.core.cli import _parser
from services.core.commands.settings_doc import env_vars
from services.core.settings import SERVICE_SETTINGS
from services.core.supervisor import DEFAULT_PORTS
from tests.unit.deploy.deploy_helpers import (
    REPO,
    STATE_DIR,
    dockerfile_instructions,
    dockerignore_rules,
    excluded_from_context,
    exec_form,
)


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in dockerfile_instructions():
        if instruction[0] == "FROM":
            stages.append([])
        assert stages, "the Dockerfile starts with FROM"
        stages[-1].append(instruction)
    return stages


def _final(instruction: str) -> list[str]:
    return [args for word, args in _stages()[-1] if word == instruction]


def _env(args: str) -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\S+)", args))


# ------------------------------------------------------------------------ Dockerfile
def test_every_stage_is_python_3_11_slim() -> None:
    for stage in _stages():
        image = stage[0][1].split()[0]
        assert image == "python:3.11-slim", image


def test_the_project_is_installed_with_pip_from_pyproject() -> None:
    runs = " ".join(args for stage in _stages() for word, args in stage if word == "RUN")
    assert re.search(r"pip install \.(\s|$)", runs), "pip install . (the project, from pyproject.toml)"
    copied = " ".join(args for stage in _stages() for word, args in stage if word == "COPY")
    assert "pyproject.toml" in copied and "services" in copied


def test_runs_as_a_non_root_user() -> None:
    [user] = _final("USER")
    assert user.split(":")[0] not in {"root", "0"}


def test_entrypoint_and_default_command_are_a_real_cli_invocation() -> None:
    [entrypoint] = _final("ENTRYPOINT")
    [cmd] = _final("CMD")
    assert exec_form(entrypoint) == ["newsflow"]
    assert exec_form(cmd) == ["run", "ingest"]
    args = _parser().parse_args(exec_form(cmd))
    assert (args.command, args.service) == ("run", "ingest")


def test_image_env_defaults_are_real_settings_for_every_service() -> None:
    env: dict[str, str] = {}
    for args in _final("ENV"):
        env.update(_env(args))
    assert env["NEWSFLOW_HTTP__HOST"] == "0.0.0.0", "listen beyond the container's loopback"
    assert env["NEWSFLOW_DATA_DIR"] == STATE_DIR
    table = env_vars()
    for key in (k for k in env if k.startswith("NEWSFLOW_")):
        missing = [service for service, known in table.items() if key not in known]
        assert not missing, f"ENV {key} is not a setting of {missing}"
    for cls in SERVICE_SETTINGS.values():
        assert str(cls(data_dir=Path(env["NEWSFLOW_DATA_DIR"])).data_dir) == STATE_DIR


def test_state_dir_exists_and_belongs_to_the_service_user() -> None:
    runs = " ".join(_final("RUN"))
    [user] = _final("USER")
    assert f"mkdir -p {STATE_DIR}" in runs and f"chown {user.split(':')[0]}" in runs
    assert STATE_DIR in " ".join(_final("WORKDIR"))


def test_exposes_every_service_port() -> None:
    exposed = {int(p) for args in _final("EXPOSE") for p in args.split()}
    assert exposed == set(DEFAULT_PORTS.values())


def test_build_smoke_test_imports_every_service_app() -> None:
    runs = " ".join(args for stage in _stages() for word, args in stage if word == "RUN")
    for service in SERVICE_SETTINGS:
        assert f"services.{service}.app" in runs, f"the build imports services.{service}.app"


# --------------------------------------------------------------------- build context
def test_dockerignore_keeps_the_context_to_what_the_build_needs() -> None:
    rules = dockerignore_rules()
    for path in (
        ".venv/bin/python",
        ".data/kafka/meta.properties",
        ".git/HEAD",
        "tests/unit/x.py",
        "test-artifacts/log.txt",
        "bench-results/a.json",
        "services/core/__pycache__/cli.cpython-311.pyc",
        ".pytest_cache/v/x",
        "newsflow.egg-info/PKG-INFO",
        "deploy/kafka/kafka_runner.py",
    ):
        assert excluded_from_context(path, rules), f"{path} should not be sent to the Docker daemon"
    for path in (
        "pyproject.toml",
        "README.md",
        "services/core/cli.py",
        "services/categorizer/model/categorizer.npz.gz",
        "schemas/article.json",
    ):
        assert not excluded_from_context(path, rules), f"{path} is needed by the build"


def test_everything_the_dockerfile_copies_is_in_the_context() -> None:
    rules = dockerignore_rules()
    for stage in _stages():
        for word, args in stage:
            if word != "COPY" or args.startswith("--from"):
                continue
            *sources, _dest = [a for a in args.split() if not a.startswith("--")]
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"
                assert not excluded_from_context(source, rules), f"COPY {source}: excluded by .dockerignore"


def test_the_dockerignore_matcher_follows_docker_rules() -> None:
    rules = dockerignore_rules()
    assert excluded_from_context("anything-new/at/top.txt", rules)  # allowlist: `*` first
    assert excluded_from_context("services/sink/__pycache__/app.cpython-311.pyc", rules)  # `**/` re-excludes
    assert not excluded_from_context("services/sink/app.py", rules)  # `!services/` re-includes


# ----------------------------------------------------------------- image dependencies
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
ENTRY_MODULES = ("services.core.cli", *(f"services.{name}.app" for name in SERVICE_SETTINGS))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _eager_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run when the module is imported (function bodies and
    `if TYPE_CHECKING:` blocks do not)."""
    for node in body:
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
            if name == "TYPE_CHECKING":
                yield from _eager_statements(node.orelse)
                continue
            yield from _eager_statements(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            handlers = [stmt for h in node.handlers for stmt in h.body]
            yield from _eager_statements(node.body + handlers + node.orelse + node.finalbody)
        elif isinstance(node, ast.ClassDef):
            yield from _eager_statements(node.body)
        else:
            yield node


class _Modules:
    """services/ as an import graph: for each module, what it imports eagerly (module
    level) and lazily (inside functions), both project modules and third-party ones."""

    def __init__(self) -> None:
        self.paths = {_module_name(p): p for p in (REPO / "services").rglob("*.py")}
        self.eager: dict[str, set[str]] = {}
        self.every: dict[str, set[str]] = {}
        for module, path in self.paths.items():
            tree = ast.parse(path.read_text(), filename=str(path))
            self.eager[module] = self._targets(module, path, list(_eager_statements(tree.body)))
            self.every[module] = self._targets(module, path, list(ast.walk(tree)))

    def _targets(self, module: str, path: Path, nodes: list[ast.AST]) -> set[str]:
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        out: set[str] = set()
        for node in nodes:
            if isinstance(node, ast.Import):
                out |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                out.add(target)
                out |= {
                    f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in self.paths
                }
        resolved = set()
        for name in out:
            if name.split(".")[0] == "services":
                parts = name.split(".")  # importing a.b.c runs a, a.b and a.b.c
                resolved |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & set(self.paths)
            elif name.split(".")[0] not in STDLIB:
                resolved.add(name.split(".")[0])
        return resolved

    def loaded_at_start(self, entries: tuple[str, ...]) -> set[str]:
        """Project modules a process imports before it does anything: the eager closure."""
        seen: set[str] = set()
        todo = [".".join(e.split(".")[:i]) for e in entries for i in range(1, e.count(".") + 2)]
        while todo:
            module = todo.pop()
            if module in seen:
                continue
            seen.add(module)
            todo += [m for m in self.eager.get(module, ()) if m in self.paths]
        return seen

    def third_party(self, modules: set[str], table: dict[str, set[str]]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for module in modules:
            for name in table[module]:
                if name not in self.paths and name != "services":
                    found.setdefault(name, set()).add(module)
        return found


def _installed_closure(requirements: list[str]) -> set[str]:
    """Distributions `pip install .` brings in: pyproject's dependencies and, from the
    installed metadata, theirs (markers evaluated here, extras not taken)."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        with contextlib.suppress(md.PackageNotFoundError):  # not installed here: its deps unknown
            todo.extend(Requirement(r) for r in (md.requires(req.name) or []))
    return seen


def _not_installed(found: dict[str, set[str]]) -> dict[str, set[str]]:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    closure = _installed_closure(pyproject["project"]["dependencies"])
    providers = md.packages_distributions()
    return {
        module: users
        for module, users in found.items()
        if not {canonicalize_name(d) for d in providers.get(module, [module])} & closure
    }


# Imported by services/ but not installed by `pip install .`, on purpose: only features
# that import them lazily need them, and the image does without those features.
OPTIONAL_IN_IMAGE = {
    "sklearn": "`newsflow train` (training runs from the dev install)",
    "scipy": "`newsflow train` (training runs from the dev install)",
    "yaml": "YAML feed files (services/ingest/feeds/config.py); in containers use a JSON feeds file",
    "warcio": "reading WARC archives (services/ingest/warc.py, imported lazily by services/ingest/files.py)",
}


def test_every_module_a_service_imports_at_start_is_installed_by_pip_install_dot() -> None:
    """What `newsflow run <service>` imports before serving must be in the image, or the
    container dies at start (the Dockerfile's smoke test fails the build on the same)."""
    graph = _Modules()
    for entry in ENTRY_MODULES:
        assert entry in graph.paths, entry
    eager = graph.third_party(graph.loaded_at_start(ENTRY_MODULES), graph.eager)
    assert {"faust", "aiohttp", "aiokafka"} <= set(eager), "the import graph missed the basics"
    missing = _not_installed(eager)
    assert not missing, (
        "imported when a service starts, not installed by `pip install .` (add to pyproject.toml): "
        + (", ".join(f"{m} (by {', '.join(sorted(users))})" for m, users in sorted(missing.items())))
    )


def test_modules_left_out_of_the_image_are_known_and_only_needed_by_optional_features() -> None:
    graph = _Modules()
    missing = _not_installed(graph.third_party(set(graph.paths), graph.every))
    unknown = {m: users for m, users in missing.items() if m not in OPTIONAL_IN_IMAGE}
    assert not unknown, (
        "imported by services/ but not installed in the image; add them to pyproject.toml or, "
        + (
            "if only an optional feature needs them, to OPTIONAL_IN_IMAGE: "
            + ", ".join(f"{m} (by {', '.join(sorted(users))})" for m, users in sorted(unknown.items()))
        )
    )


def test_the_build_smoke_test_would_fail_on_a_missing_module(tmp_path: Path) -> None:
    """The Dockerfile's import smoke test really raises (exit 1) on a missing module."""
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "__init__.py").write_text("")
    (tmp_path / "services" / "probe.py").write_text("import newsflow_module_that_does_not_exist\n")
    result = subprocess.run(
        [sys.executable, "-c", "import services.probe"], cwd=tmp_path, capture_output=True, timeout=60
    )
    assert result.returncode != 0 and b"ModuleNotFoundError" in result.stderr
