"""Which user an update belongs to, and the engine input it carries."""

from __future__ import annotations

from dataclasses import dataclass

from telebot import types

from statemachine import Input

# Message content types the engine routes by kind; anything else arrives as its own kind and is
# refused politely by states that do not accept it.
ROUTED_KINDS = {"text", "contact", "photo", "document"}


@dataclass(frozen=True)
class Incoming:
    """A customer's update: who sent it, where to answer, and what the state machine sees."""

    update_id: int
    user: types.User
    chat_id: int
    input: Input
    callback_query_id: str | None = None
    message_id: int | None = None


def parse_incoming(update: types.Update) -> Incoming | None:
    """The customer input in ``update``, or None for updates the customer flow does not handle
    (edited messages, channel posts, group chats, inline queries, membership changes...)."""
    if update.message is not None:
        message = update.message
        if message.chat.type != "private" or message.from_user is None:
            return None
        return Incoming(
            update_id=update.update_id,
            user=message.from_user,
            chat_id=message.chat.id,
            input=message_input(message),
            message_id=message.message_id,
        )
    query = update.callback_query
    if query is not None and query.message is not None and query.message.chat.type == "private":
        return Incoming(
            update_id=update.update_id,
            user=query.from_user,
            chat_id=query.message.chat.id,
            input=Input("callback", data=_text(query.data) or "", payload=query),
            callback_query_id=query.id,
            message_id=query.message.message_id,
        )
    return None


def message_input(message: types.Message) -> Input:
    kind = message.content_type
    if kind == "text":
        return Input("text", text=_text(message.text), payload=message)
    if kind in ROUTED_KINDS:
        return Input(kind, text=_text(message.caption), payload=message)
    return Input(kind or "unknown", payload=message)


def _text(value: object) -> str | None:
    """Text as the engine may match it: pyTelegramBotAPI passes a mistyped field through as is
    (a number or a list where Telegram sends a string); such a field is no text."""
    return value if isinstance(value, str) else None
