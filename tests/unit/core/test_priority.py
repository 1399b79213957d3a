"""`newsflow run`'s CPU priority (services.core.priority), in child processes on this kernel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.core.priority import group_nice, lower_group_priority

AUTOGROUPS_ON = Path("/proc/sys/kernel/sched_autogroup_enabled")


def run_child(code: str, *, own_session: bool) -> str:
    probe = f"from services.core.priority import *; {code}"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=own_session,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_lower_priority_only_ever_raises_niceness() -> None:
    """Niceness cannot be lowered again without root."""
    code = "import os; base = os.nice(0); print(lower_priority(base + 5) - base, lower_priority(base + 2) - base)"
    assert run_child(code, own_session=False).split() == ["5", "5"]  # raised to 5, then not lowered to 2


def autogroups() -> None:
    if not AUTOGROUPS_ON.is_file() or AUTOGROUPS_ON.read_text().strip() != "1" or group_nice() is None:
        pytest.skip("this kernel schedules without autogroups: only the process nice applies")


def test_a_session_leader_lowers_its_session_groups_priority_too() -> None:
    """As the supervisor starts services: its own session, so its own autogroup."""
    autogroups()
    out = run_child("import os; lower_priority(os.nice(0) + 7); print(group_nice())", own_session=True)
    assert int(out) >= 7


def test_a_process_in_anothers_session_leaves_the_group_alone() -> None:
    """`newsflow run` typed in a terminal must not slow the terminal's whole session."""
    autogroups()
    before = group_nice()
    out = run_child("import os; lower_priority(os.nice(0) + 7); print(group_nice())", own_session=False)
    assert int(out) == before == group_nice()


def test_without_autogroups_nothing_is_written(tmp_path: Path) -> None:
    missing = tmp_path / "autogroup"
    assert group_nice(missing) is None
    assert lower_group_priority(10, missing) is None
    assert not missing.exists()


def test_the_group_nice_is_only_ever_raised(tmp_path: Path) -> None:
    """The parsing and the never-lower rule, on a file shaped as the kernel's."""
    group = tmp_path / "autogroup"
    group.write_text("/autogroup-4047 nice 12\n")
    assert lower_group_priority(10, group) == 12  # already lower priority: untouched
    assert group.read_text() == "/autogroup-4047 nice 12\n"
