"""Reports for admins: first answer and resolution times, ratings, conversations by hour and
weekday, per week, from the weekly counters kept on write (``supportbot/support/reports.py``): one
BatchGetItem of the weeks asked for, never a Scan.

``GET /reports?weeks=`` is the JSON, ``GET /reports/csv`` the same weeks as CSV (one row a week),
``GET /reports/charts/<chart>`` a chart as SVG drawn here (no script, no external font or library:
the page shows it as an image).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from xml.sax.saxutils import escape

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from supportbot.support import reports
from supportbot_admin.errors import INVALID, OK, UNAUTHORIZED

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
TAGS = ["reports"]
Weeks = Annotated[int, Query(ge=1, le=52, description="How many weeks, up to this one (by opening week)")]
Chart = Literal["weeks", "hours", "weekdays", "ratings"]
By = Annotated[Literal["week", "operator"], Query(description="A row per week, or per operator")]


class Week(BaseModel):
    week: str = Field(description="ISO week in TIME_ZONE, 2026-W49: the conversations opened in it")
    starts: str = Field(description="Its Monday, YYYY-MM-DD")
    opened: int
    answered: int = Field(description="Of them, answered by an operator")
    first_answer_seconds: float | None = Field(description="Their average first answer time; null: none")
    resolved: int = Field(description="Closes of them")
    resolution_seconds: float | None = Field(description="Average time from opening to close; null: none")
    rated: int
    rating_average: float | None
    ratings: dict[str, int] = Field(description='How many rated each of "1".."5"')


class OperatorFigures(BaseModel):
    operator: str
    answered: int = Field(description="First answers of conversations opened in the weeks")
    first_answer_seconds: float | None


class Report(BaseModel):
    weeks: list[Week] = Field(description="Oldest first")
    opened: int
    first_answer_seconds: float | None
    resolution_seconds: float | None
    rating_average: float | None
    ratings: dict[str, int]
    by_hour: list[int] = Field(description="Conversations opened in each hour 0-23 (TIME_ZONE)")
    by_weekday: dict[str, int] = Field(description="Conversations opened on each weekday, mon..sun")
    operators: list[OperatorFigures] = Field(
        description="First answers per operator they are attributed to (the desk's name for the writer, else the assignee)"
    )


def average(total: float, count: float) -> float | None:
    return round(total / count, 1) if count else None


def figures(items: list[reports.ReportItem | None], keys: list[str]) -> dict[str, Any]:
    """The report of the weeks ``keys`` (their items, None for a week with nothing)."""
    empty = reports.ReportItem(reports.PK, "")
    rows = [(key, found or empty) for key, found in zip(keys, items, strict=True)]
    total = {name: sum(found.value(name) for _, found in rows) for name in reports.COUNTERS}
    weeks = [
        {
            "week": key.removeprefix("report#"),
            "starts": reports.week_start(key).isoformat(),
            "opened": int(found.value("opened")),
            "answered": int(found.value("answered")),
            "first_answer_seconds": average(found.value("answer_seconds"), found.value("answered")),
            "resolved": int(found.value("resolved")),
            "resolution_seconds": average(found.value("resolution_seconds"), found.value("resolved")),
            "rated": int(found.value("rated")),
            "rating_average": average(found.value("rating_sum"), found.value("rated")),
            "ratings": {str(n): int(found.value(f"rating_{n}")) for n in reports.RATINGS},
        }
        for key, found in rows
    ]
    return {
        "weeks": weeks,
        "opened": int(total["opened"]),
        "first_answer_seconds": average(total["answer_seconds"], total["answered"]),
        "resolution_seconds": average(total["resolution_seconds"], total["resolved"]),
        "rating_average": average(total["rating_sum"], total["rated"]),
        "ratings": {str(n): int(total[f"rating_{n}"]) for n in reports.RATINGS},
        "by_hour": [int(total[f"hour_{hour:02d}"]) for hour in reports.HOURS],
        "by_weekday": {day: int(total[f"day_{day}"]) for day in reports.DAYS},
    }


def clock() -> datetime:
    """Now (tests set it)."""
    return datetime.now(UTC)


def report(weeks: int) -> dict[str, Any]:
    keys = reports.weeks_back(clock(), weeks)
    found = reports.read(keys)
    body = figures([found.get(key) for key in keys], keys)
    per = reports.operators(keys[0], keys[-1])
    body["operators"] = [
        {"operator": name, "answered": int(count), "first_answer_seconds": average(seconds, count)}
        for name, (count, seconds) in sorted(per.items(), key=lambda pair: (-pair[1][0], pair[0]))
    ]
    return body


@router.get(
    "/v1/admin/reports",
    tags=TAGS,
    summary="Figures per opening week: first answer and resolution times, ratings, hours and weekdays",
    responses={**OK, **UNAUTHORIZED, **INVALID},
)
def get_report(weeks: Weeks = 8) -> Report:
    return Report(**report(weeks))


CSV_COLUMNS = (
    "week",
    "starts",
    "opened",
    "answered",
    "first_answer_seconds",
    "resolved",
    "resolution_seconds",
    "rated",
    "rating_average",
    *(f"rating_{n}" for n in reports.RATINGS),
)


def as_csv(body: dict[str, Any], by: str = "week") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if by == "operator":
        writer.writerow(("operator", "answered", "first_answer_seconds"))
        for row in body["operators"]:
            writer.writerow([row["operator"], row["answered"], row["first_answer_seconds"]])
        return out.getvalue()
    writer.writerow(CSV_COLUMNS)
    for week in body["weeks"]:
        ratings = [week["ratings"][str(n)] for n in reports.RATINGS]
        writer.writerow([("" if week[c] is None else week[c]) for c in CSV_COLUMNS[:9]] + ratings)
    return out.getvalue()


@router.get(
    "/v1/admin/reports/csv",
    tags=TAGS,
    summary="The report as CSV: a row per week, or per operator (by=operator)",
    responses={200: {"description": "The CSV", "content": {"text/csv": {}}}, **UNAUTHORIZED, **INVALID},
)
def get_report_csv(weeks: Weeks = 8, by: By = "week") -> Response[str]:
    return Response(
        200,
        "text/csv; charset=utf-8",
        as_csv(report(weeks), by),
        headers={"Content-Disposition": 'attachment; filename="report.csv"'},
    )


# ---- charts ----------------------------------------------------------------------------------------
WIDTH, HEIGHT, PAD, AXIS = 640, 220, 28, 18


def bar_chart(title: str, labels: list[str], values: list[float]) -> str:
    """A bar chart as an SVG document: a bar per value with its label below and its value above."""
    top = max(values, default=0) or 1
    slot = (WIDTH - 2 * PAD) / max(len(values), 1)
    plot = HEIGHT - 2 * PAD - AXIS
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = plot * value / top
        x = PAD + i * slot + slot * 0.15
        y = PAD + plot - height
        shown = f"{value:g}"
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" fill="#3b82c4">'
            f"<title>{escape(label)}: {shown}</title></rect>"
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="10">{shown}</text>'
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - PAD:.1f}" text-anchor="middle" font-size="10">'
            f"{escape(label)}</text>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" '
        'font-family="sans-serif">'
        f'<text x="{PAD}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>'
        f'<line x1="{PAD}" y1="{PAD + plot:.1f}" x2="{WIDTH - PAD}" y2="{PAD + plot:.1f}" stroke="#999"/>'
        + "".join(bars)
        + "</svg>"
    )


TITLES = {
    "en": {
        "weeks": "Conversations opened per week",
        "hours": "Conversations by hour opened",
        "weekdays": "Conversations by weekday opened",
        "ratings": "Ratings",
    },
    "ru": {
        "weeks": "Открытые диалоги по неделям",
        "hours": "Диалоги по часу открытия",
        "weekdays": "Диалоги по дню недели",
        "ratings": "Оценки",
    },
}
Language = Annotated[Literal["ru", "en"], Query(description="The chart's language")]


def chart(name: str, body: dict[str, Any], language: str = "en") -> str:
    if name == "weeks":
        labels, values = [w["week"] for w in body["weeks"]], [w["opened"] for w in body["weeks"]]
    elif name == "hours":
        labels, values = [f"{h:02d}" for h in reports.HOURS], body["by_hour"]
    elif name == "weekdays":
        labels, values = list(body["by_weekday"]), list(body["by_weekday"].values())
    else:
        labels, values = list(body["ratings"]), list(body["ratings"].values())
    return bar_chart(TITLES[language][name], labels, values)


@router.get(
    "/v1/admin/reports/charts/<chart_name>",
    tags=TAGS,
    summary="One of the report's charts as SVG: weeks, hours, weekdays or ratings",
    responses={
        200: {"description": "The chart", "content": {"image/svg+xml": {}}},
        **UNAUTHORIZED,
        **INVALID,
    },
)
def get_chart(chart_name: Annotated[Chart, Path()], weeks: Weeks = 8, lang: Language = "en") -> Response[str]:
    svg = chart(chart_name, report(weeks), lang)
    return Response(200, "image/svg+xml", svg, headers={"Cache-Control": "no-store"})
