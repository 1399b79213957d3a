"""`newsflow run`'s process set-up."""

import subprocess
import sys


def test_lower_priority_only_ever_raises_niceness() -> None:
    """In a child process: niceness cannot be lowered again without root."""
    probe = (
        "import os; from services.core.cli import lower_priority; "
        "base = os.nice(0); print(lower_priority(base + 5) - base, lower_priority(base + 2) - base)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["5", "5"]  # raised to 5, then not lowered to 2
