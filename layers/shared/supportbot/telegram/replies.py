"""Turn an engine result into Bot API calls.

A callback press edits the message it came from (so the chat does not fill up with menus) and is
answered in the webhook's HTTP response, which saves a request; a typed message gets a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telebot import TeleBot, types
from telebot.apihelper import ApiTelegramException

from statemachine import SEP, SESSIONLESS, Outcome, Result
from supportbot.telegram.html import plain_text
from supportbot.telegram.inputs import Incoming
from supportbot.telegram.split import split_html

MAX_CALLBACK_ANSWER = 200
NOT_MODIFIED = "message is not modified"
EDIT_IMPOSSIBLE = ("message to edit not found", "message can't be edited")


@dataclass(frozen=True)
class SendText:
    """An extra message sent before the screen, e.g. to take a reply keyboard away."""

    text: str
    remove_keyboard: bool = False


@dataclass(frozen=True)
class KeepScreen:
    """Send no screen for this message when the screen did not change: the one in the chat is
    still current (e.g. the next photos of an album, already confirmed once)."""


def deliver(bot: TeleBot, incoming: Incoming, result: Result, unchanged_notice: str) -> dict[str, Any] | None:
    """Send ``result`` to the user; returns the callback answer to put in the webhook response."""
    for effect in result.effects:
        if isinstance(effect, SendText):
            markup = types.ReplyKeyboardRemove() if effect.remove_keyboard else None
            send_html(bot, incoming.chat_id, effect.text, markup)
    notices = [notice.text for notice in result.notices]
    if incoming.callback_query_id is None:
        if not (notices or result.changed) and any(isinstance(e, KeepScreen) for e in result.effects):
            return None
        _send_screen(bot, incoming.chat_id, result, notices)
        return None
    if _edits_in_place(result, incoming) and incoming.message_id is not None:
        try:
            bot.edit_message_text(
                result.screen.text,
                incoming.chat_id,
                incoming.message_id,
                parse_mode="HTML",
                reply_markup=inline_markup(result.keyboard),
            )
        except ApiTelegramException as error:
            if NOT_MODIFIED in error.description:
                notices = notices or [unchanged_notice]
            elif any(reason in error.description for reason in EDIT_IMPOSSIBLE):
                _send_screen(bot, incoming.chat_id, result, [])
            else:
                raise
    elif result.outcome is Outcome.STALE:
        _send_screen(bot, incoming.chat_id, result, [])
    else:
        # A screen that cannot replace the pressed one (the login's reply keyboard): what the
        # notices explain ("your session has expired", "you have logged out") stays in the chat
        # with it, instead of a toast that is gone in a moment.
        _send_screen(bot, incoming.chat_id, result, notices)
        notices = []
    return callback_answer(incoming.callback_query_id, notices, alert=any(n.alert for n in result.notices))


def callback_answer(query_id: str, notices: list[str], alert: bool = False) -> dict[str, Any]:
    answer: dict[str, Any] = {"method": "answerCallbackQuery", "callback_query_id": query_id}
    text = plain_text(" ".join(notices))
    if text:
        answer["text"] = text[:MAX_CALLBACK_ANSWER]
        answer["show_alert"] = alert
    return answer


def inline_markup(rows: list[list[dict[str, str]]]) -> types.InlineKeyboardMarkup | None:
    if not rows:
        return None
    return types.InlineKeyboardMarkup(
        [
            [
                types.InlineKeyboardButton(b["text"], url=b.get("url"), callback_data=b.get("callback_data"))
                for b in row
            ]
            for row in rows
        ]
    )


def screen_markup(result: Result) -> types.InlineKeyboardMarkup | types.ReplyKeyboardMarkup | None:
    contact_label = result.screen.options.get("request_contact")
    if isinstance(contact_label, str):
        more = result.screen.options.get("reply_buttons")
        return contact_keyboard(
            contact_label, [str(label) for label in more] if isinstance(more, list) else []
        )
    return inline_markup(result.keyboard)


def contact_keyboard(label: str, more: list[str] | None = None) -> types.ReplyKeyboardMarkup:
    """A reply keyboard with the "share my phone" button (``request_contact``), then ``more``
    buttons that send their label as a text (the screen routes it)."""
    keyboard = types.ReplyKeyboardMarkup(resize_keyboard=True, one_time_keyboard=True)
    keyboard.add(types.KeyboardButton(label, request_contact=True))
    for text in more or ():
        keyboard.add(types.KeyboardButton(text))
    return keyboard


def _edits_in_place(result: Result, incoming: Incoming) -> bool:
    # A stale press gets the current screen as a new message at the bottom of the chat, and a
    # reply keyboard can only come with a new message. A button sent outside any screen (an order
    # notification's) keeps its message: the screen it opens comes as a new one.
    sessionless = (incoming.input.data or "").startswith(SESSIONLESS + SEP)
    return (
        not sessionless
        and result.outcome is not Outcome.STALE
        and "request_contact" not in result.screen.options
    )


def _send_screen(bot: TeleBot, chat_id: int, result: Result, notices: list[str]) -> None:
    send_html(bot, chat_id, "\n\n".join([*notices, result.screen.text]), screen_markup(result))


def send_html(bot: TeleBot, chat_id: int, text: str, markup: Any = None) -> None:
    """Send Telegram HTML as one message, or as several in order when it is over Telegram's
    limit (``supportbot.telegram.split``); the keyboard goes with the last one."""
    parts = split_html(text)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        bot.send_message(chat_id, part, parse_mode="HTML", reply_markup=markup if last else None)
