"""What a deployment with no traffic costs a month, line by line, read from ``template.yaml`` and
priced with ``docs/prices.json`` (list prices, no free tier).

Always on: each SQS event source mapping's pollers (Lambda long-polls an idle queue whatever the
traffic) and each schedule (its invocations and the function runs it starts). Stream-triggered
functions cost nothing idle (Lambda's reads of a DynamoDB stream are not billed), nor do the HTTP
API, the functions, SSM's standard parameters or the SNS topic. Stored data is priced per GB, apart:
an idle deployment still keeps its tables. The alarms and the optional dashboard have lines of
their own.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from infra.template import load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[2]
PRICES = ROOT / "docs" / "prices.json"
TARGET = 1.00
SECONDS_PER_MONTH = 30.44 * 24 * 3600
MONTHLY_UPDATES = (1e6, 10e6, 100e6)
RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def runs_per_month(expression: str) -> float:
    """How often ``rate(…)`` or ``cron(…)`` fires in a month (cron's minute and hour fields:
    ``*``, ``*/n``, a number or a comma list; the day fields taken as every day)."""
    rate = re.fullmatch(r"rate\((\d+) (\w+)\)", expression)
    if rate:
        return SECONDS_PER_MONTH / (int(rate[1]) * RATE_UNITS[rate[2]])
    cron = re.fullmatch(r"cron\((\S+) (\S+) .*\)", expression)
    if not cron:
        raise ValueError(f"unknown schedule expression {expression!r}")

    def per(field: str, span: int) -> int:
        if field == "*":
            return span
        if field.startswith("*/"):
            return -(-span // int(field[2:]))
        return len(field.split(","))

    return per(cron[1], 60) * per(cron[2], 24) * SECONDS_PER_MONTH / 86400


def always_on(template: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The pollers and the schedules the template declares, one entry per event source."""
    queues = resources_of_type(template, "AWS::SQS::Queue")
    pollers, schedules = [], []
    for name, function in resources_of_type(template, "AWS::Serverless::Function").items():
        for event in function["Properties"].get("Events", {}).values():
            properties = event.get("Properties", {})
            if event["Type"] == "SQS":
                queue = properties["Queue"]["Fn::GetAtt"][0]
                fifo = bool(queues[queue]["Properties"].get("FifoQueue"))
                pollers.append({"function": name, "queue": queue, "fifo": fifo})
            elif event["Type"] in ("Schedule", "ScheduleV2"):
                expression = properties.get("Schedule") or properties["ScheduleExpression"]
                memory = function["Properties"].get("MemorySize") or template["Globals"]["Function"].get(
                    "MemorySize", 128
                )
                schedules.append(
                    {
                        "function": name,
                        "expression": expression,
                        "runs": runs_per_month(expression),
                        "memory": memory,
                    }
                )
    return pollers, schedules


def alarm_metrics(template: dict[str, Any]) -> dict[str, int]:
    """Metrics each alarm watches (CloudWatch bills an alarm per metric it evaluates)."""
    counted = {}
    for name, alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").items():
        metrics = alarm["Properties"].get("Metrics")
        counted[name] = sum(1 for m in metrics if "MetricStat" in m) if metrics else 1
    return counted


def report(template: dict[str, Any] | None = None, region: str | None = None) -> dict[str, Any]:
    template = template or load_template()
    table = json.loads(PRICES.read_text(encoding="utf-8"))
    region = region or next(iter(table["regions"]))
    prices = table["regions"][region]
    assumptions = table["assumptions"]
    polls = assumptions["sqs_pollers"] * SECONDS_PER_MONTH / assumptions["sqs_long_poll_seconds"]
    pollers, schedules = always_on(template)
    lines = [
        f"Idle cost of a deployment with no traffic, per month ({region}, prices as of {table['as_of']},"
        " no free tier)"
    ]
    total = 0.0
    for poller in pollers:
        kind = "fifo" if poller["fifo"] else "standard"
        dollars = polls * prices[f"sqs_{kind}_per_million_requests"] / 1e6
        total += dollars
        lines.append(
            f"  ${dollars:5.2f}  {poller['queue']} ({kind}) polled for {poller['function']}:"
            f" {assumptions['sqs_pollers']} long polls of {assumptions['sqs_long_poll_seconds']} s,"
            f" {polls / 1e3:.0f} k receives"
        )
    run_ms = assumptions["idle_scheduled_run_ms"]
    for schedule in schedules:
        gb_s = schedule["runs"] * run_ms / 1000 * schedule["memory"] / 1024
        dollars = (
            schedule["runs"]
            * (
                prices["eventbridge_scheduler_per_million_invocations"]
                + prices["lambda_per_million_requests"]
            )
            / 1e6
            + gb_s * prices["lambda_arm64_per_gb_second"]
        )
        total += dollars
        lines.append(
            f"  ${dollars:5.2f}  {schedule['function']} on {schedule['expression']}: {schedule['runs']:.0f} runs"
            f" of ~{run_ms} ms at {schedule['memory']} MB"
        )
    met = "met" if total <= TARGET else "NOT met"
    lines.append(
        f"  ${total:5.2f}  always on (target < ${TARGET:.2f}: {met}); per million updates at "
        + ", ".join(f"{n / 1e6:g} M a month +${total * 1e6 / n:.3f}" for n in MONTHLY_UPDATES)
    )
    metrics = alarm_metrics(template)
    alarms = sum(metrics.values()) * prices["cloudwatch_alarm_per_metric_month"]
    lines.append(
        f"  ${alarms:5.2f}  alarms, apart: {len(metrics)} alarms watching {sum(metrics.values())} metrics"
        f" at ${prices['cloudwatch_alarm_per_metric_month']:.2f} each"
    )
    dashboard = prices["cloudwatch_dashboard_per_month"]
    lines.append(f"  ${dashboard:5.2f}  the dashboard, apart (CreateDashboard=true only)")
    tables = resources_of_type(template, "AWS::DynamoDB::Table")
    recovered = sum(
        1
        for t in tables.values()
        if t["Properties"].get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
    )
    lines.append(
        f"  stored data, apart: DynamoDB ${prices['dynamodb_storage_per_gb_month']:.3f} per GB-month"
        f" (+ ${prices['dynamodb_pitr_per_gb_month']:.3f} with point-in-time recovery, on {recovered} of"
        f" {len(tables)} tables), S3 ${prices['s3_standard_per_gb_month']:.3f}, logs"
        f" ${prices['cloudwatch_logs_storage_per_gb_month']:.3f}"
    )
    return {
        "text": "\n".join(lines),
        "total": total,
        "alarms": alarms,
        "dashboard": dashboard,
        "met": total <= TARGET,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", default=None)
    print(report(region=parser.parse_args().region)["text"])
