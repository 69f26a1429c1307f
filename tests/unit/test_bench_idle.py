"""The idle-cost figure reads the template's always-on parts and prices them (tests/bench/idle.py)."""

from __future__ import annotations

import pytest

from tests.bench import idle


def test_schedule_expressions_become_runs_a_month() -> None:
    assert idle.runs_per_month("rate(1 hour)") == pytest.approx(730.56)
    assert idle.runs_per_month("rate(5 minutes)") == pytest.approx(730.56 * 12)
    assert idle.runs_per_month("cron(0 3 * * ? *)") == pytest.approx(30.44)
    assert idle.runs_per_month("cron(*/15 * * * ? *)") == pytest.approx(30.44 * 96)
    assert idle.runs_per_month("cron(0 9,18 ? * MON-FRI *)") == pytest.approx(30.44 * 2)
    with pytest.raises(ValueError, match="unknown schedule"):
        idle.runs_per_month("at(2026-12-31T00:00:00)")


def synthetic_template() -> dict:
    return {
        "Globals": {"Function": {"MemorySize": 256}},
        "Resources": {
            "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
            "Plain": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "Worker": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Events": {
                        "Queue": {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["Jobs", "Arn"]}}},
                        "Tick": {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": "rate(1 hour)"}},
                        "Api": {"Type": "HttpApi", "Properties": {}},
                    }
                },
            },
            "Other": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "MemorySize": 1024,
                    "Events": {
                        "Queue": {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["Plain", "Arn"]}}},
                        "Nightly": {"Type": "Schedule", "Properties": {"Schedule": "cron(0 3 * * ? *)"}},
                    },
                },
            },
            "Simple": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "Errors"}},
            "Sum": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "Metrics": [
                        {"Id": "a", "MetricStat": {}},
                        {"Id": "b", "MetricStat": {}},
                        {"Id": "total", "Expression": "a + b"},
                    ]
                },
            },
        },
    }


def test_pollers_schedules_and_alarms_are_read_from_the_template() -> None:
    pollers, schedules = idle.always_on(synthetic_template())
    assert pollers == [
        {"function": "Worker", "queue": "Jobs", "fifo": True},
        {"function": "Other", "queue": "Plain", "fifo": False},
    ]
    assert [(s["function"], s["memory"]) for s in schedules] == [("Worker", 256), ("Other", 1024)]
    assert idle.alarm_metrics(synthetic_template()) == {"Simple": 1, "Sum": 2}


def test_the_report_prices_each_line_and_totals_the_always_on_ones() -> None:
    figures = idle.report(synthetic_template(), "us-east-1")
    polls = 5 * idle.SECONDS_PER_MONTH / 20
    pollers = polls * (0.50 + 0.40) / 1e6
    schedules = (730.56 + 30.44) * 1.20 / 1e6 + (730.56 * 0.25 + 30.44 * 1.0) * 0.1 * 0.0000133334
    assert figures["total"] == pytest.approx(pollers + schedules)
    assert figures["alarms"] == pytest.approx(0.30)
    assert figures["dashboard"] == 3.00
    assert figures["met"] is True
    text = figures["text"]
    assert "Jobs (fifo) polled for Worker" in text
    assert "Plain (standard) polled for Other" in text
    assert "Worker on rate(1 hour): 731 runs" in text
    assert "2 alarms watching 3 metrics" in text


def test_the_deployed_template_is_priced_from_its_own_event_sources() -> None:
    figures = idle.report()
    assert "OutboxQueue (fifo) polled for OutboxFunction" in figures["text"]
    assert "NotificationsQueue (standard) polled for NotificationsFunction" in figures["text"]
