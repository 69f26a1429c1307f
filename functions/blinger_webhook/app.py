"""Blinger webhook: operators' replies and conversation events, relayed to the customer.

Thin: the checks and the work are in ``supportbot.support.blinger_webhook``. Blinger calls the
path with the trailing slash (the seed's ``v1/blinger/webhook/``); both forms are served.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from supportbot import metrics
from supportbot.config import get_config
from supportbot.gateway import JSON, request_of, response
from supportbot.redact import protect
from supportbot.support.blinger_webhook import handle

logger = protect(Logger())  # no secret or full phone number in its lines


def blinger_webhook(event: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/blinger/webhook (with or without the trailing slash), the route API Gateway sends
    here (``supportbot/gateway.py``)."""
    request = request_of(event)
    answer = handle(get_config(), request.text, request.headers, request.query)
    return response(int(answer.status), json.dumps(answer.body), JSON)


@logger.inject_lambda_context(clear_state=True)
@metrics.flushed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return blinger_webhook(event)
