"""How long a burst of messages to one Telegram group takes through the outbox against Telegram's
limit (20 a minute): the pacing test (tests/e2e/test_outbox_pacing.py) run for its figures, the
real OutboxFunction over the template's queue, the strict stand-in and one simulated clock (the
seconds are simulated: nobody waits five minutes for the figure). Then the Telegram desk's path:
as many customers writing at once, each getting a topic in the support group (its card, then the
copy of their message), drained against the same limit
(tests/functional/support/test_telegram_desk_burst.py)."""

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
DESK_TEST = (
    "tests/functional/support/test_telegram_desk_burst.py"
    "::test_100_customers_at_once_all_reach_their_topics_at_the_groups_pace"
)
LIMIT_PER_MINUTE = 20
SLACK = 10.0  # seconds over the pacer's own spacing the desk's drain may take (its target)


def figures_of(test: str, count: int) -> tuple[dict[str, Any], bool]:
    """The figures ``test`` writes for a burst of ``count``, and whether it passed."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "burst.json"
        env = {**os.environ, "PACING_BURST": str(count), "PACING_FIGURES": str(out)}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-cov", test],
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
        return json.loads(out.read_text(encoding="utf-8")), done.returncode == 0


def desk_report(count: int) -> dict[str, Any]:
    """The Telegram desk's burst: drained no faster than the limit allows, and within ``SLACK`` of
    the pacer's spacing (the target), with nothing lost or dead-lettered and no 429."""
    desk, passed = figures_of(DESK_TEST, count)
    target = (desk["posts"] - 1) * desk["interval"] + SLACK
    met = (
        passed
        and desk["minimum"] <= desk["seconds"] <= target
        and desk["lost"] == desk["dead_lettered"] == desk["refused_429"] == 0
    )
    lines = [
        f"{count} customers writing at once to the Telegram desk (a topic each: its card, then the copy)",
        f"  drained in              {desk['seconds']:7.1f} s simulated for {desk['posts']} posts"
        f" (the limit allows no less than {desk['minimum']:.0f} s; target ≤ {target:.0f} s:"
        f" {'met' if met else 'NOT MET'})",
        f"  busiest minute          {desk['busiest_minute']:7d} posts",
        f"  lost                    {desk['lost']:7d}",
        f"  dead-lettered           {desk['dead_lettered']:7d}",
        f"  429s answered           {desk['refused_429']:7d}",
        f"  attempts beyond one     {desk['attempts_over_one']:7d} (held back {desk['holds']} times, none an attempt)",
        f"  wall time of the run    {desk['wall_seconds']:7.1f} s (the test passed: {passed})",
    ]
    return {"text": "\n".join(lines), "figures": desk, "target": target, "met": met}


def report(count: int = 100) -> dict[str, Any]:
    burst, passed = figures_of(TEST, count)
    desk = desk_report(count)
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
        f"  wall time of the run    {burst['wall_seconds']:7.1f} s (the test passed: {passed})",
        "",
        desk["text"],
    ]
    return {"text": "\n".join(lines), "burst": burst, "minimum": minimum, "passed": passed, "desk": desk}


if __name__ == "__main__":
    print(report(int(sys.argv[1]) if len(sys.argv) > 1 else 100)["text"])
