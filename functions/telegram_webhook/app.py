"""Telegram webhook: check Telegram's secret header, then hand the update to the bot.

After the secret check the answer is always 200 (`docs/ARCHITECTURE.md`, "Never block a chat"): Telegram
retries anything else for hours and holds the chat's later updates behind it. Failures are
logged with the update, recorded for replay, and the user gets a short apology.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from telebot import types

from supportbot import metrics
from supportbot.config import get_config
from supportbot.gateway import JSON, request_of, response
from supportbot.pipeline import apologize, dispatch, user_id_of
from supportbot.redact import protect
from supportbot.security import check_secret
from supportbot.telegram.client import get_bot
from supportbot.telegram.inputs import update_kind, well_formed

logger = protect(Logger())  # no secret or full phone number in its lines

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name


def telegram_webhook(event: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/telegram/webhook, the one route API Gateway sends here (``supportbot/gateway.py``)."""
    request = request_of(event)
    accepted = get_config().accepted("TELEGRAM_WEBHOOK_SECRET")
    denied = check_secret(request.headers.get(SECRET_HEADER), *accepted)
    if denied is not None:
        logger.warning("Webhook call refused", extra={"status": int(denied)})
        metrics.count(metrics.WEBHOOK_CALLS_REFUSED, Webhook="telegram")
        return response(denied, denied.phrase)
    update = parse_update(request.text)
    if update is None:
        return response(200, "ignored")
    answer = process(update)
    if answer is None:
        return response(200, "ok")
    # The webhook response may carry one Bot API call (here: the callback query's answer).
    return response(200, json.dumps(answer, ensure_ascii=False), JSON)


def parse_update(body: str | None) -> dict[str, Any] | None:
    try:
        update = json.loads(body or "")
    except ValueError:
        logger.warning("Malformed webhook body dropped", extra={"body": (body or "")[:500]})
        return None
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        logger.warning("Webhook body is not an update; dropped", extra={"body": (body or "")[:500]})
        return None
    return update


def process(update: dict[str, Any]) -> dict[str, Any] | None:
    try:
        parsed = types.Update.de_json(update)
    except Exception:
        logger.exception("Update could not be parsed; dropped", extra={"update": update})
        return None
    if not well_formed(parsed):
        logger.warning("Update with mistyped fields dropped", extra={"update": update})
        return None
    metrics.count(metrics.UPDATES, Kind=update_kind(parsed))
    try:
        return dispatch(parsed)
    except Exception as error:
        logger.exception("Update processing failed", extra={"update": update})
        metrics.count(metrics.UPDATE_FAILURES)
        _record_and_apologize(update, error)
        return None


def _record_and_apologize(update: dict[str, Any], error: Exception) -> None:
    from supportbot.storage.failed_updates import record_failed_update  # a failure's: not at import

    try:
        record_failed_update(update, user_id_of(update), f"{type(error).__name__}: {error}")
    except Exception:
        logger.exception("Failed update could not be recorded", extra={"update_id": update.get("update_id")})
    try:
        apologize(get_bot(), update, get_config().default_language)
    except Exception:
        logger.exception("Apology could not be sent", extra={"update_id": update.get("update_id")})


@logger.inject_lambda_context(clear_state=True)
@metrics.flushed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return telegram_webhook(event)
