"""The floor for this architecture: a bare Telegram webhook handler with the product's I/O libraries.

pyTelegramBotAPI, pynamodb (over botocore) and requests, nothing else: check the secret header,
parse the update, get the user's session item, put it back (conditional on its version, as the
product does), send one message; a button press is answered in the webhook's HTTP response, as
the product does. Every ratio in ``docs/PERFORMANCE.md`` is product / this, measured in the same
run against the same stand-ins. Not deployed; only the benchmarks load it.
"""

from __future__ import annotations

import hmac
import json
import os
from typing import Any

import telebot
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.models import Model
from telebot import apihelper, types


class BaselineSession(Model):
    class Meta:
        table_name = os.environ.get("BASELINE_SESSIONS_TABLE", "baseline-sessions")

    user_id = NumberAttribute(hash_key=True)
    state = UnicodeAttribute(attr_name="s", default="start")
    last_update_id = NumberAttribute(attr_name="u", default=0)
    version = VersionAttribute(attr_name="v")


_api_url = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org")
apihelper.API_URL = f"{_api_url}/bot{{0}}/{{1}}"  # type: ignore[assignment]
bot = telebot.TeleBot(os.environ.get("TELEGRAM_BOT_TOKEN", "0:unset"), threaded=False)
SECRET = os.environ.get("TELEGRAM_WEBHOOK_SECRET", "")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    given = (event.get("headers") or {}).get("x-telegram-bot-api-secret-token", "")
    if not hmac.compare_digest(given.encode(), SECRET.encode()):
        return {"statusCode": 403, "body": "Forbidden"}
    update = types.Update.de_json(json.loads(event.get("body") or "{}"))
    query = update.callback_query
    message = update.message or (query.message if query else None)
    sender = query.from_user if query else (update.message.from_user if update.message else None)
    if sender is None or message is None:
        return {"statusCode": 200, "body": "ignored"}
    try:
        session = BaselineSession.get(sender.id)
    except BaselineSession.DoesNotExist:
        session = BaselineSession(sender.id)
    if update.update_id <= session.last_update_id:
        return {"statusCode": 200, "body": "duplicate"}
    session.state = (query.data if query else message.text or message.content_type)[:64]
    session.last_update_id = update.update_id
    session.save()
    bot.send_message(message.chat.id, f"state: {session.state}")
    if query is None:
        return {"statusCode": 200, "body": "ok"}
    answer = {"method": "answerCallbackQuery", "callback_query_id": query.id}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(answer)}
