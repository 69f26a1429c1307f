"""How long a burst of messages to one Telegram group takes through the outbox against Telegram's
limit (20 a minute): the pacing test (tests/e2e/test_outbox_pacing.py) run for its figures, the
real OutboxFunction over the template's queue, the strict stand-in and one simulated clock (the
seconds are simulated: nobody waits five minutes for the figure)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEST = "tests/e2e/test_outbox_pacing.py::test_a_burst_of_100_to_one_group_goes_at_telegrams_pace_and_costs_no_attempt"
LIMIT_PER_MINUTE = 20


def report(count: int = 100) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "burst.json"
        env = {**os.environ, "PACING_BURST": str(count), "PACING_FIGURES": str(out)}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-cov", TEST],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if not out.exists():
            raise RuntimeError(
                "the pacing test wrote no figures:\n" + done.stdout[-3000:] + done.stderr[-2000:]
            )
        burst = json.loads(out.read_text(encoding="utf-8"))
    minimum = (count - 1) * 60 / LIMIT_PER_MINUTE
    lines = [
        f"{count} messages queued at once to one group (Telegram: {LIMIT_PER_MINUTE} a minute)",
        f"  first to last sent      {burst['seconds']:7.1f} s simulated"
        f" (the limit allows no less than {minimum:.0f} s; the pacer spaces them {burst['interval']:.1f} s)",
        f"  busiest minute          {burst['busiest_minute']:7d} messages",
        f"  sent                    {burst['sent']:7d} of {count}",
        f"  429s answered           {burst['refused_429']:7d}",
        f"  dead-lettered           {burst['dead_lettered']:7d}",
        f"  attempts beyond one     {burst['attempts_over_one']:7d} (held back {burst['holds']} times, none an attempt)",
        f"  wall time of the run    {burst['wall_seconds']:7.1f} s (the test passed: {done.returncode == 0})",
    ]
    return {"text": "\n".join(lines), "burst": burst, "minimum": minimum, "passed": done.returncode == 0}


if __name__ == "__main__":
    print(report(int(sys.argv[1]) if len(sys.argv) > 1 else 100)["text"])
