"""The latency plot is a PNG when matplotlib is there, and nothing else breaks without it."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest

from tests.bench.plot import plot_latency


def test_writes_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "plots" / "latency.png"
    assert plot_latency({"text 50/s": [(0.0, 12.5), (0.5, 30.0)], "empty": []}, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_matplotlib_it_says_so_and_skips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    path = tmp_path / "latency.png"
    assert not plot_latency({"text 50/s": [(0.0, 1.0)]}, path)
    assert not path.exists()
    assert "matplotlib is not installed" in capsys.readouterr().err
