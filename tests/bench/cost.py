"""Cost per million updates of the fixed mix, from the I/O the journey benchmark measured and the
dated price table ``docs/prices.json`` (its assumptions turn measured CPU and request counts into
billed Lambda duration).

The mix: 60 % menu navigation (callback queries), 15 % support messages (half customer -> Blinger,
half operator -> customer; each through the outbox), 10 % login, 10 % FAQ, 5 % photo requests and
complaints. Each category is the mean of its journey steps (``journey.CATEGORIES``).
"""

from __future__ import annotations

import functools
import json
import statistics
from pathlib import Path
from typing import Any

from infra.template import load_template
from tests.bench.journey import CATEGORIES

ROOT = Path(__file__).resolve().parents[2]
PRICES = ROOT / "docs" / "prices.json"
# The mix may cost at most this much more than the bare handler would for the same updates.
TARGET_RATIO = 1.25
MIX = {"navigation": 0.60, "support": 0.15, "login": 0.10, "faq": 0.10, "photo/complaint": 0.05}
FUNCTIONS = ("webhook", "blinger", "outbox")
SECONDS_PER_MONTH = 30.44 * 24 * 3600
MONTHLY_UPDATES = (1e6, 10e6, 100e6)
MEMORY_SIZES = (256, 512, 1024, 1769)


def xray_traced_share(invocations_per_month: float, sampling: dict[str, float]) -> float:
    """The share of invocations X-Ray's default sampling rule records: the reservoir (1 per second,
    shared by every function of the account and region) plus a fixed rate (5 %) of the rest.
    Traffic is taken as even over the month (bursts only lower the share)."""
    rate = invocations_per_month / SECONDS_PER_MONTH
    reservoir = sampling["reservoir_per_second"]
    traced = min(rate, reservoir) + sampling["fixed_rate"] * max(0.0, rate - reservoir)
    return traced / rate


@functools.cache
def platform_logs_kept() -> bool:
    """Whether template.yaml lets Lambda's START/END/REPORT lines (level INFO) into the logs."""
    logging = load_template()["Globals"]["Function"].get("LoggingConfig", {})
    return logging.get("LogFormat") != "JSON" or logging.get("SystemLogLevel", "INFO") in ("DEBUG", "INFO")


def per_update(
    step: dict[str, float], assumptions: dict[str, Any], memory_mb: int | None = None
) -> dict[str, float]:
    """What one update of this journey step bills (beyond its own counts: duration and logs)."""
    latency = assumptions["latency_ms"]
    platform_bytes = assumptions["platform_log_bytes_per_invocation"] if platform_logs_kept() else 0
    memory_mb = memory_mb or assumptions["lambda_memory_mb"]
    slowdown = max(1.0, assumptions["full_vcpu_memory_mb"] / memory_mb)
    dynamodb = sum(n for key, n in step.items() if key.startswith("ddb "))
    invocations = sum(step.get(f"invocations {f}", 0) for f in FUNCTIONS)
    cpu = sum(step.get(f"cpu_ms {f}", 0) for f in FUNCTIONS)
    waits = (
        dynamodb * latency["dynamodb"]
        + step.get("SQS", 0) * latency["sqs"]
        + step.get("Bot API", 0) * latency["bot_api"]
        + step.get("Blinger", 0) * latency["blinger"]
    )
    return {
        "http_api": step.get("invocations webhook", 0) + step.get("invocations blinger", 0),
        "invocations": invocations,
        "billed_ms": cpu * slowdown + waits,
        "cpu_billed_ms": cpu * slowdown,
        "gb_s": (cpu * slowdown + waits) / 1000 * memory_mb / 1024,
        "rcu": step.get("RCU", 0),
        "wcu": step.get("WCU", 0),
        "sqs": step.get("SQS", 0),
        "log_gb": (step.get("log bytes", 0) + invocations * platform_bytes) / 1e9,
    }


def mix_average(
    steps: dict[str, dict[str, float]], assumptions: dict[str, Any], memory_mb: int | None = None
) -> dict[str, float]:
    total: dict[str, float] = {}
    for category, share in MIX.items():
        rows = [
            per_update(steps[name], assumptions, memory_mb) for name in CATEGORIES[category] if name in steps
        ]
        for key in rows[0]:
            total[key] = total.get(key, 0.0) + share * statistics.mean(row[key] for row in rows)
    return total


def price(io: dict[str, float], p: dict[str, float]) -> dict[str, float]:
    """Dollars per million updates, per service."""
    return {
        "HTTP API": io["http_api"] * p["http_api_per_million_requests"],
        "Lambda requests": io["invocations"] * p["lambda_per_million_requests"],
        "Lambda duration": io["gb_s"] * 1e6 * p["lambda_arm64_per_gb_second"],
        "DynamoDB reads": io["rcu"] * p["dynamodb_on_demand_per_million_read_units"],
        "DynamoDB writes": io["wcu"] * p["dynamodb_on_demand_per_million_write_units"],
        "SQS": io["sqs"] * p["sqs_fifo_per_million_requests"],
        "CloudWatch Logs": io["log_gb"] * 1e6 * p["cloudwatch_logs_ingestion_per_gb"],
    }


def baseline_steps(steps: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Every update of the mix handled by the bare handler: its measured CPU, one session read,
    one one-unit write, one Bot API request (the floor of this architecture)."""
    cpu = statistics.mean(v["cpu_ms baseline"] for v in steps.values() if v.get("cpu_ms baseline"))
    floor = {"cpu_ms webhook": cpu, "invocations webhook": 1.0, "ddb GetItem": 1.0, "ddb PutItem": 1.0}
    return {name: {**floor, "RCU": 0.5, "WCU": 1.0, "Bot API": 1.0} for name in steps}


def report(steps: dict[str, dict[str, float]], cold_ms: float | None = None) -> dict[str, Any]:
    table = json.loads(PRICES.read_text(encoding="utf-8"))
    assumptions = table["assumptions"]
    io = mix_average(steps, assumptions)
    lines = [
        f"Cost per million updates of the mix (prices as of {table['as_of']}, docs/prices.json: check them)",
        f"Per update of the mix: {io['http_api']:.2f} HTTP API requests, {io['invocations']:.2f} Lambda"
        f" invocations, {io['billed_ms']:.0f} ms billed at {assumptions['lambda_memory_mb']} MB,"
        f" {io['rcu']:.2f} RCU, {io['wcu']:.2f} WCU, {io['sqs']:.2f} SQS requests,"
        f" {io['log_gb'] * 1e9:.0f} log bytes",
    ]
    first = next(iter(table["regions"].values()))
    floor_io = mix_average(baseline_steps(steps), assumptions)
    for category, share in MIX.items():
        rows = [per_update(steps[name], assumptions) for name in CATEGORIES[category] if name in steps]
        one = {key: statistics.mean(row[key] for row in rows) for key in rows[0]}
        lines.append(
            f"  {category:16} {share:4.0%}: {one['billed_ms']:4.0f} ms billed, {one['rcu']:.2f} RCU,"
            f" {one['wcu']:.2f} WCU, {one['sqs']:.1f} SQS, {one['invocations']:.1f} invocations"
            f" -> ${sum(price(one, first).values()):.2f} per million ({next(iter(table['regions']))})"
        )
    totals = {}
    for region, prices in table["regions"].items():
        costs = price(io, prices)
        total = sum(costs.values())
        ratio = total / sum(price(floor_io, prices).values())
        xray = {
            n: io["invocations"]
            * xray_traced_share(n * io["invocations"], assumptions["xray_default_sampling"])
            * prices["xray_per_million_traces_recorded"]
            for n in MONTHLY_UPDATES
        }
        totals[region] = {"costs": costs, "total": total, "ratio": ratio, "xray": xray}
        met = "met" if ratio <= TARGET_RATIO else "NOT met"
        lines.append(
            f"{region:13} ${total:.2f}, {ratio:.2f}x the bare handler's (target <= {TARGET_RATIO}x: {met}): "
            + ", ".join(f"{name} {value:.2f}" for name, value in costs.items())
        )
        lines.append(
            f"{'':13} + X-Ray (Tracing: Active, default sampling: 1/s + 5 %), by monthly volume: "
            + ", ".join(f"{n / 1e6:g} M updates +${x:.2f} -> ${total + x:.2f}" for n, x in xray.items())
        )
    # What if Telegram called the webhook through a Lambda function URL (no request charge)?
    webhook_share = sum(
        share * statistics.mean(steps[n].get("invocations webhook", 0) for n in CATEGORIES[c] if n in steps)
        for c, share in MIX.items()
    )
    for region, prices in table["regions"].items():
        saved = webhook_share * prices["http_api_per_million_requests"]
        totals[region]["function_url"] = totals[region]["total"] - saved
        lines.append(
            f"{region:13} with a function URL for the Telegram webhook: ${totals[region]['total'] - saved:.2f}"
        )
    # Memory size: CPU-bound work runs memory/1769 MB of a vCPU; the I/O waits do not shrink.
    region, prices = next(iter(table["regions"].items()))
    floor = price(floor_io, prices)
    lines.append(
        f"Baseline (the bare handler for every update, {region}): ${sum(floor.values()):.2f}: "
        + ", ".join(f"{name} {value:.2f}" for name, value in floor.items())
    )
    lines.append(f"Memory size (same measured CPU and assumed latencies; {region}):")
    for memory in MEMORY_SIZES:
        at = mix_average(steps, assumptions, memory)
        costs = price(at, prices)
        lines.append(
            f"  {memory:4} MB: {at['billed_ms']:4.0f} ms billed per update ({at['cpu_billed_ms']:3.0f} ms of it"
            f" CPU), Lambda duration ${costs['Lambda duration']:.2f}, total ${sum(costs.values()):.2f} per million"
            + (
                f"; cold start ~{cold_ms * max(1.0, assumptions['full_vcpu_memory_mb'] / memory) / 1000:.1f} s"
                if cold_ms
                else ""
            )
        )
    return {"text": "\n".join(lines), "io": io, "regions": totals}
