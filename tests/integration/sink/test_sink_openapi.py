"""schemathesis (4.x, all phases: examples, coverage, fuzzing, stateful) against the live sink.

The stream is left out (an endless response); test_sink_stream.py covers it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.sink.support import SinkCluster

pytestmark = pytest.mark.kafka


def test_api_conforms_to_its_openapi_document(sink: SinkCluster, fed: dict[str, Any], tmp_path: Path) -> None:
    base = sink.workers[0].url
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{base}/openapi.json",
        "--url",
        base,
        "--exclude-path",
        "/v1/stream",
        "--max-examples",
        "40",
        "--seed",
        "20260301",
        "--workers",
        "2",
        "--report-dir",
        str(tmp_path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "No issues found" in done.stdout
