"""The dashboard and the alarms name only metrics the code emits, with the dimensions it emits
them with (CloudWatch matches a metric by its exact set of dimensions: one more or one less and a
widget or an alarm watches nothing, silently)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra.template import global_environment, load_template, resources_of_type
from supportbot import metrics

ROOT = Path(__file__).resolve().parents[3]
NAMESPACE = "TelegramSupportBot/${AWS::StackName}"
# Lambda's and SQS's own metrics the dashboard and alarms may use, with their dimension
AWS_METRICS = {
    ("AWS/Lambda", "Errors"): {"FunctionName"},
    ("AWS/Lambda", "Throttles"): {"FunctionName"},
    ("AWS/Lambda", "Duration"): {"FunctionName"},
    ("AWS/Lambda", "Invocations"): {"FunctionName"},
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): {"QueueName"},
}
SEARCH = re.compile(r"""SEARCH\('\{(?P<keys>.+?)\} MetricName="(?P<name>\w+)"'""")


def service() -> str:
    return str(global_environment(load_template())["POWERTOOLS_SERVICE_NAME"])


def dashboard() -> dict:
    body = load_template()["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    return json.loads(body)


def dashboard_metrics() -> list[tuple[str, str, dict[str, str | None]]]:
    """(namespace, name, dimensions) of every metric and SEARCH of the dashboard's widgets; a
    SEARCH's dimensions are named without values."""
    found = []
    for widget in dashboard()["widgets"]:
        for row in widget["properties"].get("metrics", []):
            if isinstance(row[0], dict):
                search = SEARCH.search(row[0]["expression"])
                assert search, row
                namespace, *keys = search.group("keys").split(",")
                found.append((namespace, search.group("name"), dict.fromkeys(keys)))
                continue
            namespace, name, *rest = row
            pairs = [item for item in rest if not isinstance(item, dict)]
            found.append((namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True))))
    return found


def alarm_metrics() -> list[tuple[str, str, str, dict[str, object]]]:
    """(alarm, namespace, name, dimensions) of every metric an alarm watches."""
    found = []
    for alarm_name, alarm in resources_of_type(load_template(), "AWS::CloudWatch::Alarm").items():
        props = alarm["Properties"]
        watched = (
            [props]
            if "MetricName" in props
            else [m["MetricStat"]["Metric"] for m in props["Metrics"] if "MetricStat" in m]
        )
        for metric in watched:
            namespace = metric["Namespace"]
            namespace = namespace.get("Fn::Sub", namespace) if isinstance(namespace, dict) else namespace
            dimensions = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            found.append((alarm_name, namespace, metric["MetricName"], dimensions))
    return found


def check(namespace: str, name: str, dimensions: dict, where: str) -> None:
    if namespace == NAMESPACE:
        # one the code emits, with exactly the dimensions it emits it with
        assert name in metrics.NAMES, (where, name)
        assert set(dimensions) == {"service", *metrics.DIMENSIONS.get(name, ())}, (where, name, dimensions)
        if dimensions["service"] is not None:
            assert dimensions["service"] == service(), (where, name)
    else:
        assert (namespace, name) in AWS_METRICS, (where, namespace, name)
        assert set(dimensions) == AWS_METRICS[(namespace, name)], (where, name, dimensions)


def test_the_functions_emit_into_the_stacks_own_namespace():
    env = global_environment(load_template())
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == {"Fn::Sub": NAMESPACE}
    assert NAMESPACE.startswith(metrics.DEFAULT_NAMESPACE + "/")


def test_the_dashboard_names_only_metrics_the_code_emits_and_all_of_them():
    named = dashboard_metrics()
    for namespace, name, dimensions in named:
        check(namespace, name, dimensions, "Dashboard")
    # AND it shows every one of the bot's metrics
    assert {name for namespace, name, _ in named if namespace == NAMESPACE} == metrics.NAMES


def test_the_dashboard_is_optional_and_shows_every_alarm():
    template = load_template()
    assert template["Parameters"]["CreateDashboard"]["Default"] == "true"
    assert template["Resources"]["Dashboard"]["Condition"] == "WantsDashboard"
    assert template["Conditions"]["WantsDashboard"] == {"Fn::Equals": [{"Ref": "CreateDashboard"}, "true"]}
    (panel,) = [w for w in dashboard()["widgets"] if w["type"] == "alarm"]
    shown = {arn.removeprefix("${").removesuffix(".Arn}") for arn in panel["properties"]["alarms"]}
    assert shown == set(resources_of_type(template, "AWS::CloudWatch::Alarm"))


def test_every_alarm_watches_metrics_the_code_emits_and_tells_alarm_email():
    for alarm, namespace, name, dimensions in alarm_metrics():
        check(namespace, name, dimensions, alarm)
    for name, alarm in resources_of_type(load_template(), "AWS::CloudWatch::Alarm").items():
        assert alarm["Properties"]["AlarmActions"] == {
            "Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]
        }, name
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching", name
        assert alarm["Properties"]["AlarmDescription"], name


@pytest.mark.parametrize(
    ("alarm", "watched", "threshold"),
    [
        ("OutboxDeadLetterAlarm", {"ApproximateNumberOfMessagesVisible"}, 0),
        ("WebhookErrorsAlarm", {"UpdateFailures", "Errors"}, 0),
        ("ThrottlesAlarm", {"Throttles"}, 0),
        ("OutboxMessageAgeAlarm", {"OutboxMessageAge"}, 900),  # 15 minutes
        ("BusinessSystemAlarm", {"BusinessSystemErrors"}, 5),
        ("NotificationsDeadLetterAlarm", {"ApproximateNumberOfMessagesVisible"}, 0),
    ],
)
def test_the_alarms_the_issue_asks_for(alarm: str, watched: set[str], threshold: int):
    assert {name for who, _, name, _ in alarm_metrics() if who == alarm} == watched
    assert load_template()["Resources"][alarm]["Properties"]["Threshold"] == threshold


def test_throttles_and_crashes_are_watched_for_each_function_that_has_them():
    by_alarm: dict[str, set] = {}
    for alarm, _, name, dimensions in alarm_metrics():
        if name in ("Throttles", "Errors"):
            by_alarm.setdefault(alarm, set()).add(dimensions["FunctionName"]["Ref"])
    functions = set(resources_of_type(load_template(), "AWS::Serverless::Function"))
    assert by_alarm["ThrottlesAlarm"] == functions
    assert by_alarm["WebhookErrorsAlarm"] == {
        "TelegramWebhookFunction",
        "BlingerWebhookFunction",
        "BusinessWebhookFunction",
    }


def test_every_metric_name_is_emitted_somewhere_in_the_code():
    # each constant of supportbot.metrics is used by a flow (tests/functional/support/test_metrics.py
    # reads what each flow emits)
    sources = [
        *(ROOT / "layers" / "shared" / "supportbot").rglob("*.py"),
        *(ROOT / "functions").rglob("app.py"),
    ]
    code = "\n".join(path.read_text(encoding="utf-8") for path in sources if path.name != "metrics.py")
    constants = {
        key
        for key, value in vars(metrics).items()
        if key.isupper() and isinstance(value, str) and value in metrics.NAMES
    }
    assert {getattr(metrics, key) for key in constants} == metrics.NAMES
    for constant in constants:  # the constants exist to be emitted: a caller naming one emits it
        assert re.search(rf"\bmetrics\.{constant}\b", code), constant
