"""Freed heap pages go back to the OS, at most once per interval."""

import sys

import pytest

from services.core.memory import MALLOC_TRIM, Trimmer, release_free_memory


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(sys.platform != "linux", reason="malloc_trim is glibc's; /proc is Linux's")
def test_freed_large_blocks_leave_the_rss() -> None:
    assert MALLOC_TRIM is not None, "glibc's malloc_trim should load on Linux"
    # many mid-size blocks (below glibc's mmap threshold, so they live in the heap arena)
    blocks = [bytearray(64 * 1024) for _ in range(3000)]  # ~190 MB
    for block in blocks:
        block[::4096] = b"x" * len(block[::4096])  # touch every page
    held = _rss_mb()
    keep = blocks[-1]  # the top of the heap stays in use: only a trim, not free(), returns the rest
    del blocks
    release_free_memory()
    assert _rss_mb() < held - 100, (held, _rss_mb())
    assert len(keep) == 64 * 1024


def test_a_trimmer_trims_at_most_once_per_interval() -> None:
    trimmer = Trimmer(interval_s=3600.0)
    assert not trimmer.maybe()
    assert trimmer.trims == 0  # the interval starts at creation
    trimmer.last -= 3600.0
    assert trimmer.maybe()  # its answer is the cadence of the stages' memory gauges
    assert not trimmer.maybe()
    assert trimmer.trims == 1
