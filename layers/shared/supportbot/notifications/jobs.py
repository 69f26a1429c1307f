"""The notifications queue's jobs (a standard SQS queue of its own, never the support outbox):

- ``{"job": "order", "pk"}``: an order's coalescing window closed: tell the user
  (``order_events.notify_due``);
- ``{"job": "fanout", "id", "cursor"}`` and ``{"job": "send", "id", "user"}``: a broadcast's next
  page of recipients, one recipient's message (``broadcasts``).

A job that is not due yet (a window still open, a paced send, Telegram's 429) raises
:class:`Later`; the function makes it invisible for that long and reports it failed, so SQS
brings it back then. Such a return is no error and uses up nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from supportbot.config import Config


class Later(Exception):
    """Come back in ``seconds``."""

    def __init__(self, reason: str, seconds: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.seconds = seconds


Runner = Callable[[Config, dict[str, Any]], None]


def run_job(config: Config, body: str, runners: dict[str, Runner]) -> None:
    """Run the job in ``body`` with the runner its ``job`` names; an unknown job is dropped."""
    try:
        job = json.loads(body)
    except ValueError:
        return
    runner = runners.get(str(job.get("job"))) if isinstance(job, dict) else None
    if runner is not None:
        runner(config, job)
