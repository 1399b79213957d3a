"""Coverage-guided fuzzing (atheris/libFuzzer) of the ingest API and every stage's decoder.

Each target (atheris_targets.py) runs as a bounded libFuzzer run in a subprocess, from a
seed corpus of real fixtures, and must find no crash: only the documented outcomes (a
result, a 4xx with a reason, a DecodeError, a DLQ record with a reason). The bounds are
small so `make test` stays quick; `make fuzz FUZZ_SECONDS=600` fuzzes for longer.
Bugs found and not fixed yet are in KNOWN_BUGS: tolerated here, each replayed from
tests/fixtures/fuzz as a strict xfail that fails once fixed. The reproducers of fixed
bugs stay in tests/fixtures/fuzz and are replayed as regression tests that must pass.
"""

from __future__ import annotations

import logging
import platform
import re
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.unit.fuzz import atheris_targets as targets
from tests.unit.fuzz.fuzz_main import TARGETS, Result, run_target

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fuzz"
REPRODUCERS = sorted(FIXTURES.glob("*.bin"))
# Seconds of fuzzing per target (wall clock, after a start-up of 3-15 s): the slow stages
# (~20-40 inputs/s) get more. Slowest first, JOBS at a time, so the eight runs (seven
# targets, one planted bug) end together.
SECONDS = {"normalizer": 12, "categorizer": 12, "broken": 60}
ORDER = ["normalizer", "categorizer", "broken", "deduper", "ingest_http", "sink", "ingest", "codec"]
JOBS = 4
# INITED coverage well below what the instrumented services code gives (observed: ingest
# 86, ingest_http 133, normalizer 1070, categorizer 463, deduper 294, sink 215, codec 7);
# an uninstrumented run sees none of it, so these show that coverage guidance works
MIN_COVERAGE = {
    "ingest": 40,
    "ingest_http": 60,
    "normalizer": 400,
    "categorizer": 200,
    "deduper": 120,
    "sink": 100,
    "codec": 4,
}

# pyproject pins atheris where a wheel exists (Linux x86_64, CPython 3.11-3.14); elsewhere
# it would need clang and libFuzzer to build, so it is not installed there
HAS_WHEEL = sys.platform == "linux" and platform.machine() == "x86_64"
if not HAS_WHEEL:
    pytest.skip(
        f"atheris ships no wheel for {sys.platform}/{platform.machine()}; fuzzing runs on Linux x86_64",
        allow_module_level=True,
    )


def test_every_target_runs() -> None:
    assert sorted(ORDER) == sorted([*TARGETS, "broken"]) and set(MIN_COVERAGE) == set(TARGETS)


def test_atheris_is_installed() -> None:
    """On a platform with a wheel, a missing atheris is a broken install, not a skip."""
    import atheris

    assert callable(atheris.Fuzz)


@pytest.fixture(scope="module")
def fuzz_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    """Every target's bounded run and the planted bug's, JOBS at a time (subprocesses)."""
    out = tmp_path_factory.mktemp("fuzz")
    with ThreadPoolExecutor(JOBS) as pool:
        results = pool.map(lambda t: run_target(t, out, SECONDS.get(t, 6), timeout_s=30, seed=1), ORDER)
        return {r.target: r for r in results}


def _coverage(output: str) -> int:
    match = re.search(r"INITED cov: (\d+)", output)
    assert match, output[-3000:]
    return int(match.group(1))


@pytest.mark.parametrize("target", TARGETS)
def test_target_finds_no_crash(target: str, fuzz_results: dict[str, Result]) -> None:
    result = fuzz_results[target]
    assert result.returncode == 0 and not result.crashes, (
        f"{target}: exit {result.returncode}, artifacts {[p.name for p in result.crashes]}\n"
        + result.output[-6000:]
    )
    assert "Done" in result.output and "runs in" in result.output, result.output[-3000:]
    assert _coverage(result.output) >= MIN_COVERAGE[target], result.output[-3000:]


def test_a_planted_bug_is_reported_as_a_crash(fuzz_results: dict[str, Result]) -> None:
    """The harness is honest: a KeyError one mutation away from the seed fails the run."""
    result = fuzz_results["broken"]
    assert result.returncode != 0, result.output[-3000:]
    assert "KeyError: 'planted'" in result.output, result.output[-3000:]
    assert len(result.crashes) == 1, result.output[-3000:]
    with pytest.raises(KeyError, match="planted"):
        targets.broken(result.crashes[0].read_bytes())


@pytest.fixture
def strict(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(targets, "STRICT", True)
    yield


@pytest.fixture(scope="module", autouse=True)
def quiet_and_closed() -> Iterator[None]:
    """In-process replays: no DLQ warnings in the log; the ingest server stopped afterwards."""
    logging.disable(logging.CRITICAL)
    yield
    logging.disable(logging.NOTSET)
    if targets._http.cache_info().currsize:
        targets._http().close()
        targets._http.cache_clear()


def _parts(path: Path) -> tuple[str, str]:
    target, bug, _ = path.stem.split("--")
    return target, bug


def test_every_known_bug_has_a_reproducer() -> None:
    """Known bugs are listed only with a reproducer; reproducers of fixed bugs stay (below)."""
    assert REPRODUCERS, FIXTURES
    assert set(targets.KNOWN_BUGS) <= {_parts(p)[1] for p in REPRODUCERS}
    assert all(_parts(p)[0] in targets.TARGETS for p in REPRODUCERS)


@pytest.mark.parametrize("path", REPRODUCERS, ids=[p.stem for p in REPRODUCERS])
def test_known_bug_is_tolerated_only_as_listed(path: Path) -> None:
    """Non-strict, every reproducer passes: the bounded runs above skip exactly the listed
    bugs, and a fixed one passes whatever the mode."""
    target, _ = _parts(path)
    targets.TARGETS[target](path.read_bytes())


def _strict_replay(path: Path) -> Any:
    """A listed bug's reproducer must still crash (strict xfail: fixing the bug turns it
    red until its KNOWN_BUGS entry goes); a fixed bug's must pass (a regression test)."""
    bug = _parts(path)[1]
    marks = (
        [pytest.mark.xfail(strict=True, reason=targets.KNOWN_BUGS[bug])] if bug in targets.KNOWN_BUGS else []
    )
    return pytest.param(path, marks=marks, id=path.stem)


@pytest.mark.parametrize("path", [_strict_replay(p) for p in REPRODUCERS])
def test_reproducer_replays_strictly(path: Path, strict: None) -> None:
    """Strict (nothing tolerated): a known bug's reproducer crashes, a fixed bug's passes."""
    target, _ = _parts(path)
    targets.TARGETS[target](path.read_bytes())
