"""bench/library.py still runs (tiny sizes): the benchmark must not rot. No figures checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_library_bench_runs_with_tiny_sizes() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "library.py"), "--movies", "40", "--series", "3",
         "--episodes", "12", "--queries", "6"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "full refresh" in done.stdout
    assert "search over HTTP" in done.stdout
    assert "LIKE" in done.stdout
