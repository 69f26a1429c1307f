"""Blinger -> bot: operators' messages and conversation events (docs/blinger.md).

Authentication, all compared in constant time and failing closed when not configured:
- a message body needs the app token (``Authorization: Bearer`` or the body's ``token``) and the
  channel id, or the URL secret ``?key=`` (BLINGER_WEBHOOK_SECRET);
- a conversation event (``webhook`` names it) carries neither token nor channel: the URL secret only.
Missing credentials are 401, wrong ones 403. Nothing is stored or sent for a refused call.
Refused too, as far as it is known before queueing: an unknown client (404), a customer who
blocked the bot (409), an unsupported type or a file that is not an http(s) URL (400). What
fails later (Telegram refuses the message) is reported back into the thread as an outgoing echo
(``support.blinger_echo``).

What the customer should see is stored and queued to them through the outbox (so Telegram's 429s
and outages are retried) with ``once`` = a digest of the body: Blinger repeating a call delivers
once. Two identical operator messages to one customer within ``REPEAT_WINDOW`` count as one, as
Blinger's bodies carry no message id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger

from supportbot import metrics
from supportbot.config import Config
from supportbot.i18n import Translator, translator
from supportbot.security import check_secret
from supportbot.storage.sessions import bot_blocked
from supportbot.support.answer_time import ANSWER, record_first_answer
from supportbot.support.blinger_ids import user_of_client_id
from supportbot.support.messages import CUSTOMER, KINDS, MessageItem, NewMessage, customer_language
from supportbot.support.outbox import enqueue
from supportbot.support.rating import ask_for_rating

logger = Logger(child=True)

MAX_BODY_BYTES = 256 * 1024
REPEAT_WINDOW = timedelta(minutes=10)
ASSIGNED, CLOSED = "on_conversation_assigned", "on_conversation_closed"


@dataclass
class Answer:
    """The HTTP answer: status and a JSON body saying what happened (or what was wrong)."""

    status: HTTPStatus
    body: dict[str, Any] = field(default_factory=dict)


class RefusedError(Exception):
    """The call is refused with ``status``; nothing was stored."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def handle(config: Config, body: str | None, headers: Mapping[str, str], query: Mapping[str, str]) -> Answer:
    """Check, parse and act on one call of Blinger's to our webhook."""
    try:
        return _handle(config, body or "", headers, query)
    except RefusedError as error:
        logger.warning(
            "Blinger webhook call refused", extra={"status": int(error.status), "reason": error.reason}
        )
        if error.status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            metrics.count(metrics.WEBHOOK_CALLS_REFUSED, Webhook="blinger")
        return Answer(error.status, {"ok": False, "error": error.reason})


def _handle(config: Config, raw: str, headers: Mapping[str, str], query: Mapping[str, str]) -> Answer:
    if len(raw.encode()) > MAX_BODY_BYTES:
        raise RefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body is over {MAX_BODY_BYTES} bytes")
    key = query.get("key")
    by_url = key is not None
    if by_url:
        _check(key, config.accepted("BLINGER_WEBHOOK_SECRET"), "key")
    try:
        body = json.loads(raw)
    except ValueError:
        raise RefusedError(HTTPStatus.BAD_REQUEST, "body is not JSON") from None
    if not isinstance(body, dict):
        raise RefusedError(HTTPStatus.BAD_REQUEST, "body must be a JSON object")
    once = "blinger:" + hashlib.sha256(raw.encode()).hexdigest()
    if "webhook" in body:
        if not by_url:
            raise RefusedError(HTTPStatus.UNAUTHORIZED, "conversation events need the URL key")
        return _event(config, body, once)
    if not by_url:
        _check(_bearer(headers) or _string(body.get("token")), config.accepted("BLINGER_TOKEN"), "token")
    channel = body.get("custom_channel_id")
    if channel is not None or not by_url:
        if not isinstance(channel, str) or not channel:
            raise RefusedError(HTTPStatus.BAD_REQUEST, "custom_channel_id must be a non-empty string")
        _check(channel, (config.blinger_channel_id,), "custom_channel_id")
    return _operator_message(config, body, once)


def _operator_message(config: Config, body: dict[str, Any], once: str) -> Answer:
    kind, data = body.get("type"), body.get("data")
    if kind not in KINDS:
        raise RefusedError(HTTPStatus.BAD_REQUEST, "type must be one of " + ", ".join(KINDS))
    if not isinstance(data, str) or not data.strip():
        raise RefusedError(HTTPStatus.BAD_REQUEST, "data must be a non-empty string")
    if kind != "text" and not data.startswith(("https://", "http://")):
        raise RefusedError(HTTPStatus.BAD_REQUEST, f"data of a {kind} must be an http(s) URL")
    user_id, language = _customer(config, body.get("client_id"))
    if bot_blocked(user_id):
        raise RefusedError(HTTPStatus.CONFLICT, "the customer has blocked the bot: not delivered")
    t = translator(language)
    if kind == "text":
        part = {"kind": "text", "text": t("support.operator", text=data)}
    else:
        part = {"kind": kind, "file_url": data, "text": t("support.operator_attachment")}
    record_first_answer(user_id)
    item = _to_customer(config, user_id, [part], language, once, answer=True, via="blinger")
    return Answer(HTTPStatus.OK, {"ok": True, "message_id": item.msg_id})


def _event(config: Config, body: dict[str, Any], once: str) -> Answer:
    name = body.get("webhook")
    conversation = body.get("conversation")
    if not isinstance(name, str) or not isinstance(conversation, dict):
        raise RefusedError(HTTPStatus.BAD_REQUEST, "an event needs a webhook name and a conversation object")
    if name not in (ASSIGNED, CLOSED):
        return Answer(HTTPStatus.OK, {"ok": True, "ignored": name})
    from_user = conversation.get("from_user")
    conversation_id = conversation.get("id")
    if not isinstance(from_user, dict) or type(conversation_id) is not int or conversation_id < 0:
        raise RefusedError(HTTPStatus.BAD_REQUEST, "conversation needs an integer id and a from_user object")
    user_id, language = _customer(config, from_user.get("service_user_id"))
    t = translator(language)
    operator = body.get("operator")
    operator_name = operator.get("name") if isinstance(operator, dict) else None
    operator_name = operator_name if isinstance(operator_name, str) and operator_name.strip() else None
    if name == ASSIGNED:
        text = _joined(t, operator_name)
        item = _to_customer(config, user_id, [{"kind": "text", "text": text}], language, once)
    else:
        buttons = ask_for_rating(user_id, conversation_id, operator_name)
        part = {"kind": "text", "text": t("support.closed")}
        item = _to_customer(config, user_id, [part], language, once, buttons)
    return Answer(HTTPStatus.OK, {"ok": True, "message_id": item.msg_id})


def _joined(t: Translator, operator_name: str | None) -> str:
    if operator_name:
        return t("support.operator_joined", name=operator_name)
    return t("support.operator_joined_anonymous")


def _to_customer(
    config: Config,
    user_id: int,
    parts: list[dict[str, Any]],
    language: str,
    once: str,
    buttons: list[list[dict[str, str]]] | None = None,
    answer: bool = False,
    via: str | None = None,
) -> MessageItem:
    context: dict[str, Any] = {"language": language}
    if via:
        context["via"] = via  # written there: a refusal is reported there (support.blinger_echo)
    if buttons:
        context["buttons"] = buttons
    if answer:
        context[ANSWER] = True
    message = NewMessage(user_id, CUSTOMER, parts, context)
    return enqueue(config, message, once=once, repeat_window=REPEAT_WINDOW)


def _customer(config: Config, client_id: object) -> tuple[int, str]:
    """The Telegram user behind Blinger's client_id, and the language they talk to support in.
    A client who never wrote to support is unknown (404)."""
    if isinstance(client_id, bool) or not isinstance(client_id, str | int) or client_id == "":
        raise RefusedError(HTTPStatus.BAD_REQUEST, "client_id must be a non-empty string")
    user_id = user_of_client_id(str(client_id))
    language = None if user_id is None else customer_language(user_id, config.default_language)
    if user_id is None or language is None:
        raise RefusedError(HTTPStatus.NOT_FOUND, f"unknown client_id {str(client_id)[:64]!r}")
    return user_id, language


def _check(presented: str | None, accepted: tuple[str | None, ...], what: str) -> None:
    denied = check_secret(presented, *accepted)
    if denied is not None:
        reason = f"missing {what}" if denied is HTTPStatus.UNAUTHORIZED else f"wrong {what}"
        raise RefusedError(denied, reason)


def _bearer(headers: Mapping[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None
