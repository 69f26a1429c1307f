"""Rating the help after Blinger closed a conversation: 1-5 buttons, stored in the Conversations table.

The rating request reaches the customer through the outbox, long after the screen they were on,
so its buttons cannot carry the session's screen token. Their data is the bot's one format with the
session-less token, ``-|rate:<conversation>:<n>`` (buttons sent before it, ``rate:<conversation>:<n>``,
still count), and the pipeline handles it before the state machine, leaving the session untouched;
every other callback still goes through the engine's stale-button rules. A press can only rate a
conversation the bot asked this very user about (the item is under the user's key). The press
itself is handled in ``rating_press.py``: this module stays free of pyTelegramBotAPI, so the Blinger
webhook, which asks for ratings, does not load it.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

from statemachine import SESSIONLESS, callback_data, sessionless_arg
from supportbot.storage.conditions import condition_failed
from supportbot.support.messages import user_key

RATE = "rate"
RATING = re.compile(r"(?P<conversation>\d{1,12}):(?P<rating>[1-5])", re.ASCII)
LEGACY_DATA = re.compile(r"rate:(?P<conversation>\d{1,12}):(?P<rating>[1-5])", re.ASCII)


def rating_pressed(data: str) -> tuple[int, int] | None:
    """(conversation, rating) of a rating button's callback data, else None."""
    arg = sessionless_arg(data, RATE)
    found = RATING.fullmatch(arg) if arg is not None else LEGACY_DATA.fullmatch(data)
    return None if found is None else (int(found["conversation"]), int(found["rating"]))


class RatingItem(Model):
    """``U#<user>`` / ``R#<conversation>``: a closed conversation and the customer's rating."""

    class Meta:
        table_name = os.environ.get("CONVERSATIONS_TABLE", "conversations")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    conversation_id = NumberAttribute()
    operator = UnicodeAttribute(null=True)
    rating = NumberAttribute(null=True)
    asked_at = UTCDateTimeAttribute()
    rated_at = UTCDateTimeAttribute(null=True)


def rating_key(conversation_id: int) -> str:
    return f"R#{conversation_id:012d}"


def ask_for_rating(user_id: int, conversation_id: int, operator: str | None) -> list[list[dict[str, str]]]:
    """Remember that this conversation may be rated; returns the buttons for the request.

    Asked once per conversation: a repeated close event does not wipe a rating already given."""
    item = RatingItem(
        user_key(user_id),
        rating_key(conversation_id),
        conversation_id=conversation_id,
        operator=operator,
        asked_at=datetime.now(UTC),
    )
    try:
        item.save(condition=RatingItem.pk.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
    return [
        [
            {"text": str(n), "callback_data": callback_data(SESSIONLESS, RATE, f"{conversation_id}:{n}")}
            for n in range(1, 6)
        ]
    ]


def rate(user_id: int, conversation_id: int, rating: int) -> bool:
    """Store the rating (a later press changes it); False when this user was never asked."""
    item = RatingItem(user_key(user_id), rating_key(conversation_id))
    try:
        item.update(
            actions=[RatingItem.rating.set(rating), RatingItem.rated_at.set(datetime.now(UTC))],
            condition=RatingItem.pk.exists(),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True
