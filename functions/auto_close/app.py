"""Auto-close: closes answered conversations silent for ``AUTO_CLOSE_HOURS`` and asks their
customers to rate them, ``supportbot.support.auto_close`` (docs/ARCHITECTURE.md, "Auto-close").

Invoked by its EventBridge schedule (template.yaml, ``AutoCloseFunction``; the local stack runs it
on a timer). A run stops taking conversations once less than ``RESERVE_MS`` of its time is left:
the rest are due at the next run. A run retried, or two at once, close each conversation once.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from supportbot.config import get_config
from supportbot.redact import protect
from supportbot.support.auto_close import close_due

logger = protect(Logger())  # no secret or full phone number in its lines
RESERVE_MS = 5_000  # time kept for the close under way (a transaction and the outbox's send)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    closed = close_due(get_config(), keep_going=lambda: context.get_remaining_time_in_millis() > RESERVE_MS)
    logger.info("Auto-closed conversations", extra={"closed": len(closed), "conversations": closed})
    return {"closed": closed}
