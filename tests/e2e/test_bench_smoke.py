"""The benchmarks run end to end at tiny sizes (figures are not checked: they are the point of
``make bench``, not of a test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_every_benchmark_runs_and_writes_its_report(tmp_path: Path) -> None:
    output = tmp_path / "PERFORMANCE.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TELEGRAM_"))}
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{ROOT / 'layers' / 'shared'}"
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--smoke", "--output", str(output)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = output.read_text(encoding="utf-8")
    for section in (
        "## Targets",
        "## Cold start",
        "## Warm CPU",
        "## Cost",
        "## Idle cost",
        "## Layer sizes",
        "## Load",
        "## Pacing",
        "## Broadcast",
        "## Admin lists",
    ):
        assert section in report
