"""PNG of POST->visible latency over time, one series per workload and rate.

Percentiles hide when the slow articles came (a start-up stall, a periodic commit, a
queue that keeps growing at 80% of saturation); the plot over time shows it. matplotlib
is a dev-only dependency and imported here only, so the bench still gives every figure
when it is missing.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


def plot_latency(series: Mapping[str, Sequence[tuple[float, float]]], path: Path) -> bool:
    """Write the plot to `path`; False (and a message) when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display on a server or in CI
        import matplotlib.pyplot as plt
    except ImportError:
        print(
            "matplotlib is not installed: no latency plot (pip install matplotlib)",
            file=sys.stderr,
        )
        return False
    fig, ax = plt.subplots(figsize=(10, 5.5), dpi=100)
    for label, points in series.items():
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker=".", markersize=3, linewidth=0.6, label=f"{label} ({len(points)})")
    ax.set_xlabel("seconds since the start of the latency run")
    ax.set_ylabel("POST -> visible in /v1/latest (ms)")
    ax.set_title("newsflow end-to-end latency")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    if any(series.values()):
        ax.legend(fontsize="small")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return True
