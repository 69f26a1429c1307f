"""Cold start: a fresh Python process imports a webhook handler and processes its first update.

Product (``functions/telegram_webhook/app.py`` with the shared layer on the path, built by its
Makefile as ``sam build`` builds it) and baseline (``tests/bench/baseline_handler.py`` with its
libraries as pip installs them) run alternately, ``--runs`` times each, against the same
stand-ins: moto in server mode (DynamoDB over HTTP, as in AWS) and the strict Bot API stand-in.
Both also run without bytecode (``__pycache__`` removed; Lambda's read-only ``/opt`` and task
folder keep none written at run time): the product's layer as it was built before it shipped
bytecode, the baseline as SAM's default Python builder packages it (wheels unpacked, nothing
compiled). Printed: the median of import time, first-event time and their sum (the process's own
start is the same for all and shown apart), the product/baseline ratios, the heaviest imported
modules (``python -X importtime``), what the product imports beyond the baseline by package (what
each package costs; the reasons each is kept are in docs/PERFORMANCE.md), and whether boto3 was
loaded on the webhook path. The outbox function's import is measured too, for information (its
first batch needs a stored message queued: not measured).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.layers import LAYERS, build

ROOT = Path(__file__).resolve().parents[2]
TARGET_RATIO = 1.1
# What the baseline's requirements (pyTelegramBotAPI, pynamodb, requests) unpack to, botocore
# aside (the Lambda runtime has it, compiled).
BASELINE_LIBRARIES = ("telebot", "pynamodb", "requests", "urllib3", "idna", "charset_normalizer", "certifi")
NO_BYTECODE = " (no bytecode)"
POWERTOOLS, RESOLVER = "aws_lambda_powertools", "aws_lambda_powertools.event_handler"
OUTBOX = "outbox (import only)"
PROFILE_RUNS = 3  # -X importtime runs of the product whose median cost per package is printed

Handler = tuple[Path, str, list[Path]]  # folder, module, folders put before it on the path

# What the child process runs: only the standard library before the handler's own import.
CHILD = r"""
import json, os, sys, time
started, started_cpu = time.perf_counter(), time.process_time()
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

if "BENCH_EVENT" in os.environ:
    response = module.lambda_handler(json.loads(os.environ["BENCH_EVENT"]), Context())
else:  # import only
    response = {"statusCode": 200}
done, done_cpu = time.perf_counter(), time.process_time()
print("BENCH " + json.dumps({
    "cpu_ms": (done_cpu - started_cpu) * 1000,
    "import_ms": (imported - started) * 1000,
    "first_event_ms": (done - imported) * 1000,
    "status": response["statusCode"],
    "boto3": "boto3" in sys.modules,
    "modules": len(sys.modules),
}))
"""


def handlers(folder: Path) -> dict[str, Handler]:
    """The handlers to start, with what they import laid out in ``folder``: the shared layer as
    built, and copies of it and of the baseline's libraries without their bytecode."""
    layer = build("shared", LAYERS["shared"], folder / "layer") / "python"
    bare_layer = without_bytecode(layer, folder / "bare-layer")
    site = Path(sysconfig.get_paths()["purelib"])
    bare_libraries = folder / "bare-libraries"
    for name in BASELINE_LIBRARIES:
        without_bytecode(site / name, bare_libraries / name)
    product = ROOT / "functions" / "telegram_webhook"
    baseline = ROOT / "tests" / "bench"
    return {
        "product": (product, "app", [layer]),
        "baseline": (baseline, "baseline_handler", []),
        "product" + NO_BYTECODE: (product, "app", [bare_layer]),
        "baseline" + NO_BYTECODE: (baseline, "baseline_handler", [bare_libraries]),
        OUTBOX: (ROOT / "functions" / "outbox", "app", [layer]),
    }


def without_bytecode(source: Path, copy: Path) -> Path:
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def child_env(handler: Handler, stand_ins: Any) -> dict[str, str]:
    path, _, extra = handler
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env |= stand_ins.environment()
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in [path, *extra])
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # as on Lambda, where nothing can be written beside the code
    return env


def run_once(handler: Handler, stand_ins: Any, user_id: int | None) -> dict[str, Any]:
    """One fresh process: import the handler, then (given a user) handle their /start."""
    path, module, _ = handler
    env = child_env(handler, stand_ins)
    if user_id is not None:
        env["BENCH_EVENT"] = json.dumps(stand_ins.start_event(user_id))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, module], env=env, cwd=path, capture_output=True, text=True, timeout=60
    )
    wall = (time.perf_counter() - started) * 1000
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode or not lines:
        raise RuntimeError(f"{module} cold start failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(lines[-1][6:])
    if figures["status"] != 200:
        raise RuntimeError(f"{module} answered {figures['status']}:\n{done.stdout[-3000:]}")
    figures["process_ms"] = wall
    figures["total_ms"] = figures["import_ms"] + figures["first_event_ms"]
    return figures


def import_times(handler: Handler, stand_ins: Any) -> dict[str, tuple[float, float]]:
    """Module -> (self ms, cumulative ms) of importing the handler (``python -X importtime``)."""
    path, module, _ = handler
    env = child_env(handler, stand_ins)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        cwd=path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    times: dict[str, tuple[float, float]] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative_us, name = (part.strip() for part in line[len("import time:") :].split("|"))
        times[name] = (int(self_us) / 1000, int(cumulative_us) / 1000)
    return times


def import_profile(times: dict[str, tuple[float, float]], top: int) -> list[tuple[str, float, float]]:
    """(top-level package, self ms summed, cumulative ms of its first import), heaviest first."""
    packages: dict[str, list[float]] = {}
    for name, (own, cumulative) in times.items():
        figures = packages.setdefault(name.split(".")[0], [0.0, 0.0])
        figures[0] += own
        figures[1] = max(figures[1], cumulative)
    ranked = sorted(packages.items(), key=lambda item: -item[1][0])
    return [(name, own, cumulative) for name, (own, cumulative) in ranked[:top]]


def beyond_baseline(
    product: list[dict[str, tuple[float, float]]], baseline: set[str]
) -> list[tuple[str, float]]:
    """What each top-level package costs the product on top of the baseline: the median over
    ``product``'s runs of the self ms of its modules the baseline does not import, heaviest first."""
    per_run: list[dict[str, float]] = []
    for times in product:
        packages: dict[str, float] = {}
        for name, (own, _) in times.items():
            if name not in baseline:
                packages[name.split(".")[0]] = packages.get(name.split(".")[0], 0.0) + own
        per_run.append(packages)
    names = {name for packages in per_run for name in packages}
    cost = {name: statistics.median(packages.get(name, 0.0) for packages in per_run) for name in names}
    return sorted(cost.items(), key=lambda item: -item[1])


def resolver_cost(layer: Path, runs: int) -> float:
    """Median ms that importing Powertools' event handler adds to its package (the webhooks' Logger
    already imports that), from the built layer: what the webhooks stopped paying
    (``supportbot/gateway.py``); the admin API keeps the resolver."""
    samples = []
    for _ in range(max(runs, 3)):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {POWERTOOLS}; import {RESOLVER}"],
            env={
                "PYTHONPATH": str(layer),
                "PYTHONDONTWRITEBYTECODE": "1",
                "PATH": os.environ.get("PATH", ""),
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        line = next(line for line in done.stderr.splitlines() if line.rstrip().endswith("| " + RESOLVER))
        samples.append(int(line.split("|")[1]) / 1000)
    return statistics.median(samples)


def measure(runs: int, stand_ins: Any, started: dict[str, Handler]) -> dict[str, dict[str, Any]]:
    samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in started}
    for run in range(runs + 1):  # run 0 warms the OS file cache, not counted
        for kind, handler in started.items():
            user = None if kind == OUTBOX else stand_ins.new_user()
            figures = run_once(handler, stand_ins, user)
            if run:
                samples[kind].append(figures)
    result: dict[str, dict[str, Any]] = {}
    for kind, rows in samples.items():
        result[kind] = {
            key: statistics.median(row[key] for row in rows)
            for key in ("import_ms", "first_event_ms", "total_ms", "cpu_ms", "process_ms", "modules")
        }
        result[kind]["boto3"] = any(row["boto3"] for row in rows)
    return result


def report(runs: int, top: int = 12) -> dict[str, Any]:
    from tests.bench.stand_ins import StandIns

    with StandIns() as stand_ins, tempfile.TemporaryDirectory() as folder:
        started = handlers(Path(folder))
        figures = measure(runs, stand_ins, started)
        product_times = [import_times(started["product"], stand_ins) for _ in range(PROFILE_RUNS)]
        baseline_times = import_times(started["baseline"], stand_ins)
        profiles = {
            "product": import_profile(product_times[0], top),
            "baseline": import_profile(baseline_times, top),
        }
        beyond = beyond_baseline(product_times, set(baseline_times))
        resolver_ms = resolver_cost(started["product"][2][0], runs)
    ratio = figures["product"]["total_ms"] / figures["baseline"]["total_ms"]
    bare_ratio = figures["product" + NO_BYTECODE]["total_ms"] / figures["baseline" + NO_BYTECODE]["total_ms"]
    lines = [
        f"Cold start (fresh process: import the handler + its first update; median of {runs} runs)",
        f"{'':24} {'import ms':>10} {'1st event ms':>13} {'total ms':>9} {'CPU ms':>7} {'process ms':>11}"
        f" {'modules':>8}",
    ]
    for kind, f in figures.items():
        if kind == OUTBOX:
            continue
        lines.append(
            f"{kind:24} {f['import_ms']:10.0f} {f['first_event_ms']:13.0f} {f['total_ms']:9.0f}"
            f" {f['cpu_ms']:7.0f} {f['process_ms']:11.0f} {f['modules']:8.0f}"
        )
    met = "met" if ratio <= TARGET_RATIO else "NOT met"
    cpu_ratio = figures["product"]["cpu_ms"] / figures["baseline"]["cpu_ms"]
    lines += [
        f"ratio product/baseline (import + 1st event): {ratio:.2f}x (target <= {TARGET_RATIO}x: {met})",
        f"  without bytecode on either side: {bare_ratio:.2f}x; the product's layer with its bytecode vs the"
        f" baseline as SAM's default builder packages it: "
        f"{figures['product']['total_ms'] / figures['baseline' + NO_BYTECODE]['total_ms']:.2f}x",
        f"  by the processes' CPU time over the same span: {cpu_ratio:.2f}x (a cold start is CPU-bound;"
        " CPU time is what a loaded machine disturbs least)",
    ]
    for kind, profile in profiles.items():
        lines.append(f"Heaviest imports, {kind} (package: self ms summed / cumulative ms):")
        lines.append("  " + ", ".join(f"{name} {own:.0f}/{cum:.0f}" for name, own, cum in profile))
    shown = [(name, ms) for name, ms in beyond if ms >= 0.5]
    lines.append(
        f"Imported beyond the baseline (package: self ms of its modules the baseline does not import,"
        f" median of {PROFILE_RUNS}; {sum(ms for _, ms in beyond):.0f} ms in all):"
    )
    lines.append("  " + ", ".join(f"{name} {ms:.1f}" for name, ms in shown))
    outbox = figures[OUTBOX]
    lines.append(
        f"{OUTBOX}: {outbox['import_ms']:.0f} ms, {outbox['modules']:.0f} modules (for information:"
        f" the baseline imports in {figures['baseline']['import_ms']:.0f} ms)"
    )
    lines.append(
        f"Powertools' event handler (the resolver) would add {resolver_ms:.0f} ms to a webhook's import:"
        " the webhooks read their event without it (supportbot/gateway.py); the admin API keeps it"
    )
    heavy = {name for name, _, _ in profiles["product"]}
    boto3_absent = not figures["product"]["boto3"] and "boto3" not in heavy
    lines.append(f"boto3 on the webhook path: {'absent (ok)' if boto3_absent else 'PRESENT'}")
    return {
        "text": "\n".join(lines),
        "figures": figures,
        "ratio": ratio,
        "bare_ratio": bare_ratio,
        "cpu_ratio": cpu_ratio,
        "profiles": profiles,
        "beyond_baseline": beyond,
        "boto3_absent": boto3_absent,
        "resolver_ms": resolver_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(report(args.runs)["text"])


if __name__ == "__main__":
    main()
