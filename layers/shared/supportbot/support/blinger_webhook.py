"""Blinger -> bot: operators' messages and conversation events (docs/blinger.md).

Authentication, all compared in constant time and failing closed when not configured:
- a message body needs the app token (``Authorization: Bearer`` or the body's ``token``) and the
  channel id, or the URL secret ``?key=`` (BLINGER_WEBHOOK_SECRET);
- a conversation event (``webhook`` names it) carries neither token nor channel: the URL secret only.
Missing credentials are 401, wrong ones 403. Nothing is stored or sent for a refused call.
Refused too, as far as it is known before queueing: an unknown client (404), a customer who
blocked the bot (409), an unsupported type or a file that is not an http(s) URL (400). What
fails later (Telegram refuses the message) is reported back into the thread as an outgoing echo
(``support.desk_echo``).

What the customer should see is stored and queued to them through the outbox (so Telegram's 429s
and outages are retried) with ``once`` (``once.py``) = a digest of the body and of the
``REPEAT_WINDOW`` it came in: Blinger repeating a call delivers once. Two identical operator
messages to one customer within that window count as one, as Blinger's bodies carry no message id
(one sent again across the window's edge is delivered twice).

Conversation events move the customer's conversation through its lifecycle
(``conversations.py``): ``on_conversation_assigned`` records the operator and Blinger's id for the
conversation (which the bot needs to close it there later), ``on_conversation_closed`` closes it
(``surfaces.close_conversation``: the customer is asked to rate it). An event about a Blinger
conversation other than the one linked, or a close of a conversation already closed, changes
nothing (200, ``ignored``).
"""

from __future__ import annotations

import hashlib
import json
import time
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
from supportbot.storage.sessions import bot_blocked, customer_language
from supportbot.support import conversations
from supportbot.support.answer_time import ANSWER, record_first_answer
from supportbot.support.blinger_ids import user_of_client_id
from supportbot.support.conversations import ConversationItem
from supportbot.support.lifecycle import RefusedMove
from supportbot.support.messages import CUSTOMER, KINDS, OPERATOR_ROLE, NewMessage
from supportbot.support.outbox import enqueue
from supportbot.support.surfaces import close_conversation, tell_customer

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
    window = int(time.time() // REPEAT_WINDOW.total_seconds())
    once = f"blinger:{hashlib.sha256(raw.encode()).hexdigest()}:{window}"
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
    conversation = _customer(config, body.get("client_id"))
    user_id = int(conversation.user_id)
    if bot_blocked(user_id):
        raise RefusedError(HTTPStatus.CONFLICT, "the customer has blocked the bot: not delivered")
    language = customer_language(user_id, config.default_language)
    t = translator(language)
    if kind == "text":
        part = {"kind": "text", "text": t("support.operator", text=data)}
    else:
        part = {"kind": kind, "file_url": data, "text": t("support.operator_attachment")}
    record_first_answer(user_id)
    # via: written in Blinger, so a refusal by Telegram is reported there (support.desk_echo)
    context = {"language": language, ANSWER: True, "via": "blinger"}
    # A live conversation was found by the customer's live pointer: the store does not read it again
    # (it looks again only if the conversation moved meanwhile); else the store finds the latest.
    live = conversation.live
    message = NewMessage(
        user_id,
        CUSTOMER,
        [part],
        context,
        role=OPERATOR_ROLE,
        conversation=int(conversation.number) if live else None,
        live=live,
    )
    item = enqueue(config, message, once=once)
    return Answer(HTTPStatus.OK, {"ok": True, "message_id": item.msg_id, "conversation": conversation.ref})


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
    ours = _customer(config, from_user.get("service_user_id"))
    desk_ref = str(conversation_id)
    if ours.desk_ref not in (None, desk_ref) or (name == CLOSED and not ours.live):
        # An older Blinger conversation, or a close already done (by the customer, an admin, a repeat).
        return Answer(HTTPStatus.OK, {"ok": True, "ignored": name, "conversation": ours.ref})
    user_id = int(ours.user_id)
    operator = body.get("operator")
    operator_name = operator.get("name") if isinstance(operator, dict) else None
    operator_name = operator_name if isinstance(operator_name, str) and operator_name.strip() else None
    conversations.assign(ours, operator_name, desk_ref)
    if name == ASSIGNED:
        t = translator(customer_language(user_id, config.default_language))
        item = tell_customer(config, user_id, _joined(t, operator_name), int(ours.number), once=once)
        return Answer(HTTPStatus.OK, {"ok": True, "message_id": item.msg_id, "conversation": ours.ref})
    try:
        closed = close_conversation(config, ours, conversations.BY_OPERATOR, from_blinger=True)
    except RefusedMove:  # closed meanwhile by someone else
        return Answer(HTTPStatus.OK, {"ok": True, "ignored": name, "conversation": ours.ref})
    return Answer(HTTPStatus.OK, {"ok": True, "conversation": closed.ref, "status": closed.status})


def _joined(t: Translator, operator_name: str | None) -> str:
    if operator_name:
        return t("support.operator_joined", name=operator_name)
    return t("support.operator_joined_anonymous")


def _customer(config: Config, client_id: object) -> ConversationItem:
    """The conversation of the Telegram user behind Blinger's client_id: their live one, else their
    latest. A client who never wrote to support is unknown (404)."""
    if isinstance(client_id, bool) or not isinstance(client_id, str | int) or client_id == "":
        raise RefusedError(HTTPStatus.BAD_REQUEST, "client_id must be a non-empty string")
    user_id = user_of_client_id(str(client_id))
    found = None
    if user_id is not None:
        live = conversations.live_number(user_id)
        found = conversations.get(user_id, live) if live else conversations.latest(user_id)
    if found is None:
        raise RefusedError(HTTPStatus.NOT_FOUND, f"unknown client_id {str(client_id)[:64]!r}")
    return found


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
