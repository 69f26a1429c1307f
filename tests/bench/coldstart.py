"""Cold start: a fresh Python process imports a webhook handler and processes its first update.

Product (``functions/telegram_webhook/app.py`` with the shared layer on the path) and baseline
(``tests/bench/baseline_handler.py``) run alternately, ``--runs`` times each, against the same
stand-ins: moto in server mode (DynamoDB over HTTP, as in AWS) and the strict Bot API stand-in.
Printed: the median of import time, first-event time and their sum (the process's own start is
the same for both and shown apart), the product/baseline ratio, the heaviest imported modules
(``python -X importtime``) and whether boto3 was loaded on the webhook path.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TARGET_RATIO = 1.5
HANDLERS = {
    "product": (ROOT / "functions" / "telegram_webhook", "app", [ROOT / "layers" / "shared", ROOT]),
    "baseline": (ROOT / "tests" / "bench", "baseline_handler", []),
}

# What the child process runs: only the standard library before the handler's own import.
CHILD = r"""
import json, os, sys, time
started = time.perf_counter()
import importlib
module = importlib.import_module(sys.argv[1])
imported = time.perf_counter()

class Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:bench"
    aws_request_id = "52fdfc07-2182-154f-163f-5f0f9a621d72"
    @staticmethod
    def get_remaining_time_in_millis():
        return 10_000

event = json.loads(os.environ["BENCH_EVENT"])
response = module.lambda_handler(event, Context())
done = time.perf_counter()
print("BENCH " + json.dumps({
    "import_ms": (imported - started) * 1000,
    "first_event_ms": (done - imported) * 1000,
    "status": response["statusCode"],
    "boto3": "boto3" in sys.modules,
    "modules": len(sys.modules),
}))
"""


def child_env(kind: str, stand_ins: Any) -> dict[str, str]:
    path, _, extra = HANDLERS[kind]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env |= stand_ins.environment()
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in [path, *extra])
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # the layer ships no .pyc either; keep both the same
    return env


def run_once(kind: str, stand_ins: Any, user_id: int) -> dict[str, Any]:
    path, module, _ = HANDLERS[kind]
    env = child_env(kind, stand_ins)
    env["BENCH_EVENT"] = json.dumps(stand_ins.start_event(user_id))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, module], env=env, cwd=path, capture_output=True, text=True, timeout=60
    )
    wall = (time.perf_counter() - started) * 1000
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode or not lines:
        raise RuntimeError(f"{kind} cold start failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(lines[-1][6:])
    if figures["status"] != 200:
        raise RuntimeError(f"{kind} answered {figures['status']}:\n{done.stdout[-3000:]}")
    figures["process_ms"] = wall
    figures["total_ms"] = figures["import_ms"] + figures["first_event_ms"]
    return figures


def import_profile(kind: str, stand_ins: Any, top: int) -> list[tuple[str, float, float]]:
    """(top-level package, self ms summed, cumulative ms of its first import), heaviest first."""
    path, module, _ = HANDLERS[kind]
    env = child_env(kind, stand_ins)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        cwd=path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    packages: dict[str, list[float]] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative_us, name = (part.strip() for part in line[len("import time:") :].split("|"))
        package = name.split(".")[0]
        figures = packages.setdefault(package, [0.0, 0.0])
        figures[0] += int(self_us) / 1000
        figures[1] = max(figures[1], int(cumulative_us) / 1000)
    ranked = sorted(packages.items(), key=lambda item: -item[1][0])
    return [(name, own, cumulative) for name, (own, cumulative) in ranked[:top]]


def measure(runs: int, stand_ins: Any) -> dict[str, dict[str, Any]]:
    samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in HANDLERS}
    for run in range(runs + 1):  # run 0 warms the OS file cache, not counted
        for kind in HANDLERS:
            figures = run_once(kind, stand_ins, stand_ins.new_user())
            if run:
                samples[kind].append(figures)
    result: dict[str, dict[str, Any]] = {}
    for kind, rows in samples.items():
        result[kind] = {
            key: statistics.median(row[key] for row in rows)
            for key in ("import_ms", "first_event_ms", "total_ms", "process_ms", "modules")
        }
        result[kind]["boto3"] = any(row["boto3"] for row in rows)
    return result


def report(runs: int, top: int = 12) -> dict[str, Any]:
    from tests.bench.stand_ins import StandIns

    with StandIns() as stand_ins:
        figures = measure(runs, stand_ins)
        profiles = {kind: import_profile(kind, stand_ins, top) for kind in HANDLERS}
    product, baseline = figures["product"], figures["baseline"]
    ratio = product["total_ms"] / baseline["total_ms"]
    lines = [
        f"Cold start (fresh process: import the handler + its first update; median of {runs} runs)",
        f"{'':10} {'import ms':>10} {'1st event ms':>13} {'total ms':>9} {'process ms':>11} {'modules':>8}",
    ]
    for kind in HANDLERS:
        f = figures[kind]
        lines.append(
            f"{kind:10} {f['import_ms']:10.0f} {f['first_event_ms']:13.0f} {f['total_ms']:9.0f}"
            f" {f['process_ms']:11.0f} {f['modules']:8.0f}"
        )
    met = "met" if ratio <= TARGET_RATIO else "NOT met"
    lines.append(
        f"ratio product/baseline (import + 1st event): {ratio:.2f}x (target <= {TARGET_RATIO}x: {met})"
    )
    for kind in HANDLERS:
        lines.append(f"Heaviest imports, {kind} (package: self ms summed / cumulative ms):")
        lines.append("  " + ", ".join(f"{name} {own:.0f}/{cum:.0f}" for name, own, cum in profiles[kind]))
    heavy = {name for name, _, _ in profiles["product"]}
    boto3_absent = not figures["product"]["boto3"] and "boto3" not in heavy
    lines.append(f"boto3 on the webhook path: {'absent (ok)' if boto3_absent else 'PRESENT'}")
    return {
        "text": "\n".join(lines),
        "figures": figures,
        "ratio": ratio,
        "profiles": profiles,
        "boto3_absent": boto3_absent,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(report(args.runs)["text"])


if __name__ == "__main__":
    main()
