"""The suite's figures: what each reliability test tried and what it saw, printed as one table at the
end of the run (and written to docs/RELIABILITY.md by ``make reliability`` with RELIABILITY_FULL=1).

A test adds to a row with ``count(section, entry, metric, n)``; the goal of a metric, when it has
one, is printed beside it and a figure off its goal is flagged.
"""

from __future__ import annotations

import threading
from collections import defaultdict

# metric -> the value it must have (None: a measurement, no goal)
GOALS: dict[str, int | None] = {
    "inputs tried": None,
    "5xx answers": 0,
    "unhandled exceptions": 0,
    "state corrupted": 0,
    "secrets leaked": 0,
    "scripts run": 0,
    "requests let through": 0,
    "updates raced": None,
    "applied exactly once": None,
    "lost state transitions": 0,
    "applied twice": 0,
    "conditional save re-runs": None,
    "older updates dropped": None,
    "messages": None,
    "messages lost": 0,
    "duplicates delivered": None,
    "users told": None,
    "updates recorded": None,
    "drain after recovery (s)": None,
    "calls": None,
    "calls refused": 0,
    "updates refused": None,
}

_lock = threading.Lock()
_rows: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)


def count(section: str, entry: str, metric: str, value: float = 1) -> None:
    with _lock:
        row = _rows[(section, entry)]
        row[metric] = row.get(metric, 0) + value


def put(section: str, entry: str, metric: str, value: float) -> None:
    with _lock:
        _rows[(section, entry)][metric] = value


def rows() -> list[tuple[str, str, str, float, int | None]]:
    with _lock:
        return [
            (section, entry, metric, value, GOALS.get(metric))
            for (section, entry), metrics in sorted(_rows.items())
            for metric, value in metrics.items()
        ]


def off_goal() -> list[tuple[str, str, str, float, int | None]]:
    return [row for row in rows() if row[4] is not None and row[3] != row[4]]


def markdown() -> str:
    lines = ["| Section | Entry point / scenario | Figure | Value | Goal |", "|---|---|---|---:|---:|"]
    for section, entry, metric, value, goal in rows():
        shown = f"{value:.2f}" if isinstance(value, float) and not value.is_integer() else f"{int(value)}"
        flag = " ⚠" if goal is not None and value != goal else ""
        lines.append(f"| {section} | {entry} | {metric} | {shown}{flag} | {'' if goal is None else goal} |")
    return "\n".join(lines)
