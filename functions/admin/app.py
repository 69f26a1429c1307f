"""Admin endpoint: the JSON API and the admin page under /v1/admin, API key in X-Api-Key.

Thin: the key gate, the API's routes and its OpenAPI document are in ``supportbot_admin`` (the
admin layer, with pydantic, which only this function loads); the page's routes are in ``page``
beside this file (served without the key: they hold no data).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from supportbot import metrics
from supportbot.redact import protect
from supportbot_admin.api import app, handle

if __package__:  # imported as functions.admin.app (the tests)
    from . import page
else:  # Lambda and the local stack: the function's folder is the import root
    import page  # type: ignore[no-redef]

logger = protect(Logger())  # no secret or full phone number in its lines
app.include_router(page.router)


@logger.inject_lambda_context(clear_state=True)
@metrics.flushed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
