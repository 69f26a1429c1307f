"""What the business metrics cost a function: a fresh process that has imported what the
Telegram webhook imports emits one update's metrics (a count with a dimension and a plain one,
flushed), then the same again warm; median of ``--runs`` processes, and the bytes of log per
EMF line (CloudWatch Logs bills ingestion by the byte).

    PYTHONPATH=.:layers/shared .venv/bin/python -m tests.bench.metrics --runs 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHILD = r"""
import contextlib, io, sys, time
import aws_lambda_powertools, aws_lambda_powertools.event_handler, telebot  # as the webhook does
already = "aws_lambda_powertools.metrics" in sys.modules
import supportbot.metrics as m
def one_update():
    m.count(m.UPDATES, Kind="text")
    m.count(m.LOGINS)
    m.flush()
out = io.StringIO()
with contextlib.redirect_stdout(out):
    t2 = time.perf_counter(); one_update(); t3 = time.perf_counter()
    one_update(); t4 = time.perf_counter()
lines = [line for line in out.getvalue().splitlines() if line]
print((t3 - t2) * 1000, (t4 - t3) * 1000, sum(len(line) + 1 for line in lines) / len(lines), already)
"""


def run_once() -> tuple[float, float, float, bool]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'layers' / 'shared'}",
        "POWERTOOLS_SERVICE_NAME": "telegram-support-bot",
        "POWERTOOLS_METRICS_NAMESPACE": "TelegramSupportBot/telegram-support-bot",
    }
    result = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, check=True
    )
    first, warm, size, already = result.stdout.split()
    return float(first), float(warm), float(size), already == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = [run_once() for _ in range(parser.parse_args().runs)]
    first, warm, size = (statistics.median(run[i] for run in runs) for i in range(3))
    already = all(run[3] for run in runs)
    print("Business metrics (supportbot/metrics.py), median of", len(runs), "fresh processes")
    print(f"  first update's metrics (cold): {first:.2f} ms; next update's (warm): {warm:.2f} ms")
    if already:
        print("  import cost: none of its own (aws_lambda_powertools imports its Metrics with its Logger)")
    else:
        print("  import cost: Powertools Metrics is imported for them (measure it with python -X importtime)")
    print(f"  log per EMF line: {size:.0f} bytes")


if __name__ == "__main__":
    main()
