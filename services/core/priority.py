"""A service's CPU priority (`NEWSFLOW_NICE`): below normal, never raised back.

Linux's autogroup scheduling (on by default in most distributions' kernels) shares the
CPU between sessions first, and a process's nice only ranks it within its own session.
The supervisor (`make run`, the bench) starts every service in a session of its own, so
the related worker's nice 10 alone gave it the same share as the pipeline's stages
(`make bench`: a probe at 50 articles/s). A service that leads its own session therefore
also sets its session group's nice. A process in someone else's session (a terminal's)
leaves the group alone: it would slow every process of that session. Where services run
in cgroups (containers), autogroups do not apply: there cgroup CPU weights rank them.
"""

from __future__ import annotations

import os
from pathlib import Path

AUTOGROUP = Path("/proc/self/autogroup")  # "/autogroup-4047 nice 0"


def lower_priority(nice: int, autogroup: Path = AUTOGROUP) -> int:
    """Raise this process's niceness to at least `nice` (never lowers it: that needs root
    and would undo an operator's own `nice`), and its session group's with it when this
    process leads its session; returns the niceness now in force."""
    current = os.nice(0)
    now = os.nice(nice - current) if nice > current else current
    if os.getsid(0) == os.getpid():
        lower_group_priority(now, autogroup)
    return now


def group_nice(autogroup: Path = AUTOGROUP) -> int | None:
    """The session group's nice, or None without autogroups (kernel option off, no /proc)."""
    try:
        return int(autogroup.read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def lower_group_priority(nice: int, autogroup: Path = AUTOGROUP) -> int | None:
    """Raise the session group's nice to at least `nice`; returns the group's nice now."""
    current = group_nice(autogroup)
    if current is None or nice <= current:
        return current
    try:
        autogroup.write_text(str(nice))
    except OSError:  # a kernel that refuses (rate limit, security module): the nice stays
        return current
    return group_nice(autogroup)
