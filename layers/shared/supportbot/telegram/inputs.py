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


def is_group_update(update: types.Update) -> bool:
    """Whether the update comes from a group (never for the customers' state machine)."""
    query = update.callback_query
    message = update.message or update.edited_message or (query.message if query is not None else None)
    return message is not None and message.chat.type != "private"


def parse_incoming(update: types.Update) -> Incoming | None:
    """The customer input in ``update``, or None for updates the customer flow does not handle
    (edited messages, channel posts, group chats, inline queries, membership changes...)."""
    if update.message is not None:
        message = update.message
        if not _private(message) or not isinstance(message.from_user, types.User):
            return None
        return Incoming(
            update_id=update.update_id,
            user=message.from_user,
            chat_id=message.chat.id,
            input=message_input(message),
            message_id=message.message_id,
        )
    query = update.callback_query
    if (
        query is not None
        and isinstance(query.message, types.Message)
        and _private(query.message)
        and isinstance(query.from_user, types.User)
    ):
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


def update_kind(update: types.Update) -> str:
    """What an update is, in a few words for metrics: ``command``, ``text``, ``contact``, ``photo``,
    ``document``, ``callback`` or ``other`` (any other content or update type)."""
    if update.callback_query is not None:
        return "callback"
    message = update.message
    if message is None:
        return "other"
    if message.content_type == "text":
        return "command" if (_text(message.text) or "").startswith("/") else "text"
    return message.content_type if message.content_type in ROUTED_KINDS else "other"


def well_formed(update: types.Update) -> bool:
    """Whether the parts every handler reads have Telegram's types. pyTelegramBotAPI passes a
    mistyped field through as is (a number or a list where Telegram sends an object); Telegram never
    sends one, so such an update is dropped rather than crash a handler that trusts the types."""
    query = update.callback_query
    if query is not None and not (
        isinstance(query, types.CallbackQuery) and isinstance(query.from_user, types.User)
    ):
        return False
    messages = (update.message, update.edited_message, query.message if query is not None else None)
    return all(
        message is None
        or (
            isinstance(getattr(message, "chat", None), types.Chat)
            and (getattr(message, "from_user", None) is None or isinstance(message.from_user, types.User))
        )
        for message in messages
    )


def _private(message: object) -> bool:
    """A message of a private chat (a mistyped ``chat`` passes pyTelegramBotAPI as is: not one)."""
    chat = getattr(message, "chat", None)
    return isinstance(message, types.Message) and isinstance(chat, types.Chat) and chat.type == "private"


def _text(value: object) -> str | None:
    """Text as the engine may match it: pyTelegramBotAPI passes a mistyped field through as is
    (a number or a list where Telegram sends a string); such a field is no text."""
    return value if isinstance(value, str) else None
