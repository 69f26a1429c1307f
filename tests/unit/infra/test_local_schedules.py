"""The local stack runs the template's scheduled functions on timers (infra/localstack/schedules.py)."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from infra.localstack.__main__ import parse_args
from infra.localstack.schedules import Timer, scheduled_event, start_timers
from infra.localstack.template_model import ScheduleSource, StackModel, TemplateError, rate_seconds
from infra.template import load_template

SOURCE = ScheduleSource("WorkerFunction", "rate(1 minute)", 60)


class FakeFunction:
    """What a timer needs of a LocalFunction: ``invoke`` and the model's timeout."""

    def __init__(self, fail: bool = False, schedules: list[ScheduleSource] | None = None) -> None:
        self.model = SimpleNamespace(timeout=1, schedules=schedules or [])
        self.events: list[dict[str, Any]] = []
        self.fail = fail
        self.twice = threading.Event()

    def invoke(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if len(self.events) >= 2:
            self.twice.set()
        if self.fail:
            raise RuntimeError("the table is gone")
        return {"closed": []}


def test_the_template_s_schedules_are_read_with_their_periods():
    model = StackModel.from_template(load_template())
    (schedule,) = model.functions["AutoCloseFunction"].schedules
    assert (schedule.expression, schedule.seconds) == ("rate(15 minutes)", 900)
    assert all(not f.schedules for name, f in model.functions.items() if name != "AutoCloseFunction")


@pytest.mark.parametrize(
    ("expression", "seconds"), [("rate(1 minute)", 60), ("rate(2 hours)", 7200), ("rate(1 day)", 86400)]
)
def test_rate_expressions_become_periods(expression, seconds):
    assert rate_seconds(expression, "here") == seconds


def test_a_cron_schedule_is_refused_naming_where():
    with pytest.raises(TemplateError, match=r"Fn\.Events\.Nightly: only rate"):
        rate_seconds("cron(0 3 * * ? *)", "Fn.Events.Nightly")


def test_a_schedule_event_in_a_template_becomes_a_timer_source():
    template = load_template()
    events = template["Resources"]["RetentionFunction"]["Properties"]["Events"]
    events["Nightly"] = {"Type": "Schedule", "Properties": {"Schedule": "rate(1 day)"}}
    model = StackModel.from_template(template)
    assert model.functions["RetentionFunction"].schedules == [
        ScheduleSource("RetentionFunction", "rate(1 day)", 86400)
    ]


def test_a_timer_invokes_its_function_every_period_with_a_scheduled_event_until_stopped():
    function = FakeFunction(schedules=[SOURCE])
    (timer,) = start_timers({"WorkerFunction": function}, seconds=0.05)  # type: ignore[dict-item]
    try:
        assert function.twice.wait(5)
    finally:
        timer.stop()
    runs = timer.runs
    assert runs >= 2
    event = function.events[0]
    assert (event["detail-type"], event["source"], event["detail"]) == (
        "Scheduled Event",
        "aws.scheduler",
        {},
    )
    assert event["resources"][0].endswith(":schedule/default/WorkerFunction")
    # AND nothing runs once stopped
    threading.Event().wait(0.15)
    assert timer.runs == runs


def test_a_run_that_raises_is_logged_and_the_timer_goes_on(caplog):
    function = FakeFunction(fail=True)
    timer = Timer(SOURCE, function)  # type: ignore[arg-type]
    assert timer.period == 60
    assert timer.run_once() is None
    assert timer.run_once() is None
    assert timer.runs == 2
    assert "WorkerFunction's scheduled run failed" in caplog.text
    fine = Timer(SOURCE, FakeFunction())  # type: ignore[arg-type]
    assert fine.run_once() == {"closed": []}
    fine.stop()  # never started: nothing to wait for


def test_start_timers_makes_one_per_schedule():
    function = FakeFunction(schedules=[SOURCE, SOURCE])
    timers = start_timers({"WorkerFunction": function})  # type: ignore[dict-item]
    try:
        assert [t.period for t in timers] == [60, 60]
    finally:
        for timer in timers:
            timer.stop()
    assert scheduled_event(SOURCE)["region"] == "eu-central-1"


def test_make_run_can_run_the_schedules_more_often():
    assert parse_args([]).schedule_seconds is None
    assert parse_args(["--schedule-seconds", "30"]).schedule_seconds == 30.0
