"""Blinger webhook: operators' replies and conversation events, relayed to the customer.

Thin: the checks and the work are in ``supportbot.support.blinger_webhook``. Blinger calls the
path with the trailing slash (the seed's ``v1/blinger/webhook/``); both forms are served.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from supportbot import metrics
from supportbot.config import get_config
from supportbot.redact import protect
from supportbot.support.blinger_webhook import handle

logger = protect(Logger())  # no secret or full phone number in its lines
app = APIGatewayHttpResolver()


@app.post("/v1/blinger/webhook/")
@app.post("/v1/blinger/webhook")
def blinger_webhook() -> Response[str]:
    event = app.current_event
    answer = handle(get_config(), event.decoded_body, event.headers, event.query_string_parameters or {})
    return Response(int(answer.status), content_types.APPLICATION_JSON, json.dumps(answer.body))


@logger.inject_lambda_context(clear_state=True)
@metrics.flushed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
