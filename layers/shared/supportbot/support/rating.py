"""Rating a closed conversation: 1-5 buttons (sent by ``surfaces.close_conversation``).

The rating request reaches the customer through the outbox, long after the screen they were on,
so its buttons cannot carry the session's screen token. Their data is the bot's one format with
the session-less token, ``-|rate:C<number>:<n>``, and the pipeline handles it before the state
machine, leaving the session untouched; every other callback still goes through the engine's
stale-button rules. A press can only rate a conversation of this very user (the item is under the
user's key) that is closed or rated: the lifecycle move ``closed -> rated``
(``conversations.rate``). Buttons sent before conversations existed carry Blinger's conversation
id (``rate:<id>:<n>``, or ``-|rate:<id>:<n>``): ``make migrate`` kept that id as the
conversation's ``desk_ref``, so they still rate the right one. The press itself is handled in
``rating_press.py``: this module stays free of pyTelegramBotAPI.
"""

from __future__ import annotations

import re

from statemachine import SESSIONLESS, callback_data, sessionless_arg
from supportbot.support.lifecycle import RefusedMove

RATE = "rate"
RATING = re.compile(r"(?P<conversation>C?\d{1,12}):(?P<rating>[1-5])", re.ASCII)
LEGACY_DATA = re.compile(r"rate:(?P<conversation>\d{1,12}):(?P<rating>[1-5])", re.ASCII)


def rating_buttons(number: int) -> list[list[dict[str, str]]]:
    from supportbot.support import conversations  # see rate()

    ref = conversations.conversation_ref(number)
    return [
        [
            {"text": str(n), "callback_data": callback_data(SESSIONLESS, RATE, f"{ref}:{n}")}
            for n in range(1, 6)
        ]
    ]


def rating_pressed(data: str) -> tuple[str, int] | None:
    """(conversation, rating) of a rating button's callback data, else None: the conversation is
    ``C<number>``, or Blinger's id on buttons sent before conversations existed."""
    arg = sessionless_arg(data, RATE)
    found = RATING.fullmatch(arg) if arg is not None else LEGACY_DATA.fullmatch(data)
    return None if found is None else (found["conversation"], int(found["rating"]))


def rate(user_id: int, conversation: str, rating: int) -> bool:
    """Store the rating (a later press changes it); False when this user has no such closed
    conversation (the button is outdated)."""
    # Imported here, not with the module: the pipeline asks every callback whether it is a rating
    # press (rating_pressed), and a cold start's first update need not load the conversations.
    from supportbot.support import conversations

    number = conversations.parse_ref(conversation)
    if number is None:
        number = next(
            (int(c.number) for c in conversations.of_user(user_id) if c.desk_ref == conversation), None
        )
    if number is None:
        return False
    try:
        return conversations.rate(user_id, number, rating) is not None
    except RefusedMove:
        return False
