"""The business system's order events (``POST /v1/business/webhook``), signed with
``BUSINESS_WEBHOOK_SECRET``: thin, the checks and the work are in
``supportbot.notifications.order_events``. Loads neither the state machine nor pyTelegramBotAPI:
it answers within a second and leaves delivery to the notifications queue and the outbox.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from supportbot import metrics
from supportbot.config import get_config
from supportbot.gateway import JSON, request_of, response
from supportbot.notifications.order_events import handle
from supportbot.redact import protect

logger = protect(Logger())  # no secret or full phone number in its lines


def business_webhook(event: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/business/webhook, the route API Gateway sends here (``supportbot/gateway.py``);
    the body's raw bytes are what the signature covers."""
    request = request_of(event)
    answer = handle(get_config(), request.raw, request.headers)
    return response(int(answer.status), json.dumps(answer.body), JSON)


@logger.inject_lambda_context(clear_state=True)
@metrics.flushed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return business_webhook(event)
