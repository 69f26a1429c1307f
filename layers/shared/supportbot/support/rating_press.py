"""A customer's press on a rating button (see ``rating.py``): stored, then shown in place of the buttons."""

from __future__ import annotations

from typing import Any

from telebot import TeleBot, types
from telebot.apihelper import ApiTelegramException

from supportbot.i18n import Translator
from supportbot.support.rating import rate, rating_pressed
from supportbot.telegram.replies import EDIT_IMPOSSIBLE, NOT_MODIFIED, callback_answer


def is_rating_press(update: types.Update) -> bool:
    query = update.callback_query
    return query is not None and rating_pressed(query.data or "") is not None


def handle_rating_press(bot: TeleBot, query: types.CallbackQuery, t: Translator) -> dict[str, Any]:
    """Store the rating, show it in place of the buttons; returns the callback answer."""
    pressed = rating_pressed(query.data or "")
    if pressed is None or not rate(query.from_user.id, *pressed):
        return callback_answer(query.id, [t("support.rating_outdated")])
    rating = pressed[1]
    message = query.message
    if message is not None:
        try:
            bot.edit_message_text(
                t("support.rated", rating=rating),
                message.chat.id,
                message.message_id,
                parse_mode="HTML",
            )
        except ApiTelegramException as error:
            # A double tap (already shown), or a message too old to edit: the rating is stored anyway.
            if not any(reason in error.description for reason in (NOT_MODIFIED, *EDIT_IMPOSSIBLE)):
                raise
    return callback_answer(query.id, [t("support.rating_thanks")])
