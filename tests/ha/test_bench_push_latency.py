"""bench/push_latency.py keeps working: a run with a handful of events, in a subprocess
(it builds its own Home Assistant core and hub, outside this test's event loop)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_push_latency_bench_runs() -> None:
    result = subprocess.run(
        [sys.executable, "bench/push_latency.py", "--events", "5", "--interval", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = re.search(r"n=5: p50 +([\d.]+) ms +p99 +([\d.]+) ms", result.stdout)
    assert figures is not None, result.stdout
    assert 0 < float(figures[1]) <= float(figures[2])
    assert "poll interval it replaces: 30 s" in result.stdout
    assert "ratio p99 / poll interval" in result.stdout
