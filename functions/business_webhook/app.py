"""The business system's order events (``POST /v1/business/webhook``), signed with
``BUSINESS_WEBHOOK_SECRET``: thin, the checks and the work are in
``supportbot.notifications.order_events``. Loads neither the state machine nor pyTelegramBotAPI:
it answers within a second and leaves delivery to the notifications queue and the outbox.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from supportbot import metrics
from supportbot.config import get_config
from supportbot.notifications.order_events import handle
from supportbot.redact import protect

logger = protect(Logger())  # no secret or full phone number in its lines
app = APIGatewayHttpResolver()


@app.post("/v1/business/webhook")
def business_webhook() -> Response[str]:
    event = app.current_event
    # The raw bytes, as signed: decoded_body would decode them as text first (and fail on bad UTF-8).
    body = event.body or ""
    raw = base64.b64decode(body) if event.is_base64_encoded else body.encode()
    answer = handle(get_config(), raw, event.headers)
    return Response(int(answer.status), content_types.APPLICATION_JSON, json.dumps(answer.body))


@logger.inject_lambda_context(clear_state=True)
@metrics.flushed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
