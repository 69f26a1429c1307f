"""Scheduled functions, run on a timer the way EventBridge runs them (``make run``).

One daemon thread per ``Schedule`` / ``ScheduleV2`` event of the template (``rate(...)`` only: a
``cron(...)`` fails loudly when the template is read): it waits the schedule's period, invokes the
handler with an EventBridge scheduled event, and again, until stopped. A run that raises is logged
and the timer goes on, as the next EventBridge invocation would. ``seconds`` overrides every
period (tests, and ``--schedule-seconds`` for a quicker local try).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from infra.localstack.lambdas import LocalFunction
from infra.localstack.template_model import ACCOUNT_ID, REGION, ScheduleSource

logger = logging.getLogger(__name__)


def scheduled_event(source: ScheduleSource) -> dict[str, Any]:
    """What EventBridge hands a function its schedule invokes."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/{source.function}"],
        "detail": {},
    }


class Timer:
    """One schedule: a daemon thread invoking one function every period."""

    def __init__(self, source: ScheduleSource, function: LocalFunction, seconds: float | None = None) -> None:
        self.source = source
        self.function = function
        self.period = float(seconds or source.seconds)
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{source.function}", daemon=True)

    def start(self) -> Timer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.function.model.timeout + 5)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.run_once()

    def run_once(self) -> Any:
        """Invoke the function once (what the timer does every period); None when it raised."""
        started = time.monotonic()
        try:
            result = self.function.invoke(scheduled_event(self.source))
        except Exception:
            logger.exception("%s's scheduled run failed", self.source.function)
            return None
        finally:
            self.runs += 1
        logger.info(
            "%s ran on its schedule in %.0f ms", self.source.function, (time.monotonic() - started) * 1000
        )
        return result


def start_timers(functions: dict[str, LocalFunction], seconds: float | None = None) -> list[Timer]:
    """A started timer for every schedule of the template's functions."""
    return [
        Timer(source, function, seconds).start()
        for function in functions.values()
        for source in function.model.schedules
    ]
