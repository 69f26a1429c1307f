"""Reports (supportbot/support/reports.py, supportbot_admin/reports.py): weekly counters kept on
write, read back as JSON, CSV and SVG charts equal to a hand-computed fixture; the flows (a
conversation opened, answered, closed, rated) write them."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # the API's own output, parsed to check it
from datetime import UTC, datetime, timedelta

import pytest

from supportbot.storage.transactions import transaction
from supportbot.support import reports

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # Wednesday of 2026-W49 (Moscow)
SVG = "{http://www.w3.org/2000/svg}"


def parse(text: str) -> ET.Element:
    return ET.fromstring(text)  # noqa: S314 - the API's own output, not untrusted input


def at(moscow: str) -> datetime:
    """A Moscow wall-clock time (UTC+3, no DST) as UTC."""
    return datetime.fromisoformat(moscow).replace(tzinfo=UTC) - timedelta(hours=3)


def conversation(
    opened: str, answer: float, resolution: float | None, ratings: list[int], operator: str | None = None
) -> None:
    """What the flows record for one conversation: opened, answered after ``answer`` s (by
    ``operator``), closed ``resolution`` s after opening, rated ``ratings`` in turn."""
    opened_at = at(opened)
    with transaction() as write:
        reports.opened(write, opened_at)
    reports.answered(opened_at, answer, operator)
    if resolution is not None:
        with transaction() as write:
            reports.resolved(write, opened_at, opened_at + timedelta(seconds=resolution))
    old = None
    for rating in ratings:
        with transaction() as write:
            deltas = {"rated": 1, "rating_sum": rating} if old is None else {"rating_sum": rating - old}
            reports.rated(write, opened_at, old, rating, deltas)
        old = rating


@pytest.fixture
def fixture(admin, monkeypatch):
    from supportbot_admin import reports as admin_reports

    monkeypatch.setattr(admin_reports, "clock", lambda: NOW)
    # 2026-W49 (Mon 30 Nov - Sun 6 Dec): three conversations
    conversation("2026-11-30 09:30", 120, 3600, [5], operator="Мария")
    conversation("2026-11-30 09:50", 600, 7200, [3, 4], operator="  Пётр\n ")  # re-rated 3 -> 4
    conversation("2026-12-01 22:10", 60, None, [])  # nobody it is attributed to
    # 2026-W48: one on Sunday night
    conversation("2026-11-29 23:30", 300, 600, [1, 1], operator="Мария")  # the same rating twice
    # 2026-W45, outside the two weeks asked for below
    conversation("2026-11-04 10:00", 900, None, [], operator="Пётр")
    return admin


RATINGS_0 = {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}


def test_the_report_equals_the_hand_computed_figures(fixture):
    status, body = fixture.call("GET", "/reports?weeks=2")
    assert status == 200, body
    assert body["weeks"] == [
        {
            "week": "2026-W48",
            "starts": "2026-11-23",
            "opened": 1,
            "answered": 1,
            "first_answer_seconds": 300.0,
            "resolved": 1,
            "resolution_seconds": 600.0,
            "rated": 1,
            "rating_average": 1.0,
            "ratings": RATINGS_0 | {"1": 1},
        },
        {
            "week": "2026-W49",
            "starts": "2026-11-30",
            "opened": 3,
            "answered": 3,
            "first_answer_seconds": 260.0,  # (120 + 600 + 60) / 3
            "resolved": 2,
            "resolution_seconds": 5400.0,  # (3600 + 7200) / 2
            "rated": 2,
            "rating_average": 4.5,  # (5 + 4) / 2: the re-rating counts once, at its new value
            "ratings": RATINGS_0 | {"4": 1, "5": 1},
        },
    ]
    assert body["opened"] == 4
    assert body["first_answer_seconds"] == 270.0  # (300 + 780) / 4
    assert body["resolution_seconds"] == 3800.0  # (600 + 3600 + 7200) / 3
    assert body["rating_average"] == 3.3  # (1 + 5 + 4) / 3
    assert body["ratings"] == RATINGS_0 | {"1": 1, "4": 1, "5": 1}
    assert body["by_hour"] == [0] * 9 + [2] + [0] * 12 + [1, 1]
    assert body["by_weekday"] == {"mon": 2, "tue": 1, "wed": 0, "thu": 0, "fri": 0, "sat": 0, "sun": 1}
    # AND per operator: Мария's first answers took 120 and 300 s, Пётр's 600 (his W45 one is outside)
    assert body["operators"] == [
        {"operator": "Мария", "answered": 2, "first_answer_seconds": 210.0},
        {"operator": "Пётр", "answered": 1, "first_answer_seconds": 600.0},
    ]


def test_the_csv_by_operator(fixture):
    status, text = fixture.call("GET", "/reports/csv?weeks=5&by=operator")
    assert status == 200
    assert text.split("\r\n") == [
        "operator,answered,first_answer_seconds",
        "Мария,2,210.0",
        "Пётр,2,750.0",
        "",
    ]


def test_weeks_with_nothing_are_zeros_and_nulls(fixture):
    status, body = fixture.call("GET", "/reports?weeks=4")
    assert status == 200
    assert [w["week"] for w in body["weeks"]] == ["2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    assert body["weeks"][0] | {"week": "", "starts": ""} == {
        "week": "",
        "starts": "",
        "opened": 0,
        "answered": 0,
        "first_answer_seconds": None,
        "resolved": 0,
        "resolution_seconds": None,
        "rated": 0,
        "rating_average": None,
        "ratings": RATINGS_0,
    }
    assert fixture.call("GET", "/reports")[1]["opened"] == 5  # 8 weeks by default


def test_the_csv_is_the_weeks_rows(fixture):
    status, text = fixture.call("GET", "/reports/csv?weeks=3")
    assert status == 200
    assert text.split("\r\n") == [
        "week,starts,opened,answered,first_answer_seconds,resolved,resolution_seconds,rated,"
        "rating_average,rating_1,rating_2,rating_3,rating_4,rating_5",
        "2026-W47,2026-11-16,0,0,,0,,0,,0,0,0,0,0",
        "2026-W48,2026-11-23,1,1,300.0,1,600.0,1,1.0,1,0,0,0,0",
        "2026-W49,2026-11-30,3,3,260.0,2,5400.0,2,4.5,0,0,0,1,1",
        "",
    ]


@pytest.mark.parametrize(
    ("chart", "labels", "values", "title"),
    [
        ("hours", [f"{h:02d}" for h in range(24)], ["0"] * 9 + ["2"] + ["0"] * 12 + ["1", "1"], "hour"),
        (
            "weekdays",
            ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            ["2", "1", "0", "0", "0", "0", "1"],
            "weekday",
        ),
        ("ratings", ["1", "2", "3", "4", "5"], ["1", "0", "0", "1", "1"], "Ratings"),
        ("weeks", ["2026-W48", "2026-W49"], ["1", "3"], "per week"),
    ],
)
def test_each_chart_is_an_svg_bar_per_figure(fixture, chart, labels, values, title):
    status, text = fixture.call("GET", f"/reports/charts/{chart}?weeks=2")
    assert status == 200
    svg = parse(text)  # well-formed, no script, no external reference
    assert svg.tag == f"{SVG}svg"
    assert not svg.findall(f".//{SVG}script")
    assert "href" not in text
    bars = svg.findall(f"{SVG}rect")
    assert [bar.find(f"{SVG}title").text for bar in bars] == [
        f"{label}: {v}" for label, v in zip(labels, values, strict=True)
    ]
    heights = [float(bar.get("height")) for bar in bars]
    tallest = max(float(v) for v in values)
    # each bar as tall as its figure (heights are drawn to a tenth of a pixel)
    assert [h / max(heights) * tallest for h in heights] == pytest.approx(
        [float(v) for v in values], abs=0.01
    )
    assert title in svg.findall(f"{SVG}text")[0].text


def test_an_empty_report_draws_empty_charts_in_the_language_asked(admin):
    status, text = admin.call("GET", "/reports/charts/ratings?lang=ru")
    assert status == 200
    assert parse(text).findall(f"{SVG}text")[0].text == "Оценки"
    assert [float(bar.get("height")) for bar in parse(text).findall(f"{SVG}rect")] == [0.0] * 5


@pytest.mark.parametrize(
    "path",
    [
        "/reports?weeks=0",
        "/reports?weeks=53",
        "/reports/charts/pie",
        "/reports/csv?weeks=x",
        "/reports/charts/hours?lang=de",
    ],
)
def test_bad_arguments_are_422(admin, path):
    assert admin.call("GET", path)[0] == 422


def test_the_flows_write_the_counters(admin):
    from supportbot.config import Config
    from supportbot.support import conversations
    from supportbot.support.messages import BLINGER, CUSTOMER, NewMessage
    from supportbot.support.outbox import store

    # GIVEN a question, an operator's two answers, the admin's close and a rating pressed twice
    store(Config(), NewMessage(900, BLINGER, [{"kind": "text", "text": "Hello?"}]))
    for text in ("On it", "Done"):
        store(Config(), NewMessage(900, CUSTOMER, [{"kind": "text", "text": text}], role="operator"))
    # AND two more customers: one answered from the Telegram desk (it names the writer), one whose
    # conversation Blinger's operator Мария was assigned before answering
    store(Config(), NewMessage(901, BLINGER, [{"kind": "text", "text": "Hi"}]))
    store(
        Config(),
        NewMessage(901, CUSTOMER, [{"kind": "text", "text": "Yes"}], {"operator": "Анна"}, role="operator"),
    )
    store(Config(), NewMessage(902, BLINGER, [{"kind": "text", "text": "Hey"}]))
    conversations.assign(conversations.find(3), "Мария", "77")
    store(Config(), NewMessage(902, CUSTOMER, [{"kind": "text", "text": "Sure"}], role="operator"))
    assert admin.call("POST", "/conversations/C1/close")[0] == 200
    conversations.rate(900, 1, 4)
    conversations.rate(900, 1, 4)
    # THEN this week counts one conversation opened, answered once, resolved and rated 4
    found = conversations.find(1)
    body = admin.call("GET", "/reports?weeks=1")[1]
    (week,) = body["weeks"]
    assert (week["opened"], week["answered"], week["resolved"], week["rated"]) == (3, 3, 1, 1)
    assert [(o["operator"], o["answered"]) for o in body["operators"]] == [("Анна", 1), ("Мария", 1)]
    assert week["ratings"] == RATINGS_0 | {"4": 1}
    answers = [c.first_answer_at - c.opened_at for c in map(conversations.find, (1, 2, 3))]
    expected = sum(answer.total_seconds() for answer in answers) / 3
    assert week["first_answer_seconds"] == pytest.approx(expected, abs=0.1)
    assert week["resolution_seconds"] == pytest.approx(
        (found.closed_at - found.opened_at).total_seconds(), abs=0.1
    )
    hour = found.opened_at.astimezone(reports.ZoneInfo("Europe/Moscow")).hour
    assert body["by_hour"][hour] >= 1
    assert sum(body["by_hour"]) == 3
