"""Reliability suite: hypothesis profiles, captured log lines, the figures table at the end.

``RELIABILITY_FULL=1`` selects the full profile (thousands of generated inputs per entry point);
without it the bounded profile keeps ``make test`` quick. ``RELIABILITY_REPORT=<path>`` writes the
figures (markdown) to that file when the run ends (``make reliability`` does).
"""

from __future__ import annotations

import io
import logging
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.functional.admin.conftest import admin  # noqa: F401 - the admin function's fixture
from tests.functional.conftest import harness  # noqa: F401 - the functional tests' fixtures
from tests.functional.support.conftest import desk, shop  # noqa: F401
from tests.reliability import figures

FULL = os.environ.get("RELIABILITY_FULL") == "1"
settings.register_profile(
    "reliability-full",
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
settings.register_profile(
    "reliability-bounded",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # CI: the same inputs every run
    database=None,
)
PROFILE = "reliability-full" if FULL else "reliability-bounded"
SCALE = 10 if FULL else 1  # concurrency and fault scenarios: users, races, messages


class Logs:
    """Every line the service's loggers write (as their handler formats them, redaction included)."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self, level: str | None = None) -> list[str]:
        lines = [line for line in self.text.splitlines() if line.strip()]
        if level is None:
            return lines
        return [line for line in lines if re.search(rf'"level":\s*"{level}"', line)]


@pytest.fixture
def logs():
    """Capture the service loggers' output (INFO and up) for the test; restores the handlers after."""
    from functions.telegram_webhook import app  # configures (and protects) the service's handler

    service = logging.getLogger(app.logger.service)
    capture = Logs()
    saved = [
        (handler, handler.stream)
        for handler in service.handlers
        if isinstance(handler, logging.StreamHandler)
    ]
    assert saved, "the service logger has no stream handler"
    level = service.level
    for handler, _ in saved:
        handler.setStream(capture.stream)
    service.setLevel(logging.INFO)
    yield capture
    service.setLevel(level)
    for handler, stream in saved:
        handler.setStream(stream)


def generated(**overrides) -> settings:
    """The suite's hypothesis settings (the profile of this run), for ``@generated()``."""
    return settings(settings.get_profile(PROFILE), **overrides)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not figures.rows():
        return
    terminalreporter.section(f"reliability figures ({PROFILE})")
    terminalreporter.write_line(figures.markdown())
    off = figures.off_goal()
    if off:
        terminalreporter.write_line(f"{len(off)} figure(s) off their goal", red=True)
    report = os.environ.get("RELIABILITY_REPORT")
    if report:
        write_report(Path(report), exitstatus)


def write_report(path: Path, exitstatus: int) -> None:
    """Replace the figures section of the report (between the markers) with this run's."""
    begin, end = "<!-- figures:begin -->", "<!-- figures:end -->"
    command = "RELIABILITY_FULL=1 make reliability" if FULL else "make reliability"
    block = "\n".join(
        [
            begin,
            f"Last run: `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, profile `{PROFILE}`, "
            f"pytest exit status {exitstatus}.",
            "",
            figures.markdown(),
            end,
        ]
    )
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Reliability\n\n{begin}\n{end}\n"
    if begin not in text:
        text += f"\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(head + block + tail, encoding="utf-8")
