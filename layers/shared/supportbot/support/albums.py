"""The one album collector: the customer's albums to support, the warehouse's and the Telegram
desk operators' to customers.

Telegram delivers an album as one update per photo, sharing ``media_group_id``. The first part
stored becomes the album's message (``once`` key = the album's key); every later part is appended
to it while it is still queued (``outbox.append_parts``, keyed by the part's own input), and the
outbox holds an album until no part came for a moment (``destinations.ALBUM_SETTLE_SECONDS``).
A part that comes after the album was delivered goes as a message of its own (nothing is lost;
order still holds). Two parts handled at the same moment: the one whose store lost joins the
winner's message.
"""

from __future__ import annotations

from typing import Any

from supportbot.config import Config
from supportbot.support import once
from supportbot.support.messages import MessageItem, NewMessage, load_message, user_key
from supportbot.support.outbox import append_parts, enqueue


def collect(
    config: Config,
    message: NewMessage,
    part_key: str,
    album_key: str | None,
    appended: list[dict[str, Any]] | None = None,
) -> tuple[MessageItem, bool]:
    """Store ``message`` alone, or as part of the album ``album_key`` names; returns the stored
    message and whether this part started it (False: ``appended``, by default the message's own
    parts, joined an album's message)."""
    more = appended if appended is not None else message.parts
    if album_key is None:
        return enqueue(config, message, once=part_key), True
    stored = album_message(message.user_id, album_key)
    if stored is not None:
        if append_parts(stored, more, part_key):
            return stored, False
        return enqueue(config, message, once=part_key), True
    item = enqueue(config, message, once=album_key)
    if _same(item.parts[0], message.parts[0]):
        return item, True
    # Another part of the album, handled at the same moment, started it: join it (or, that message
    # already delivered, go as one of its own).
    if append_parts(item, more, part_key):
        return item, False
    return enqueue(config, message, once=part_key), True


def album_message(user_id: int, album_key: str) -> MessageItem | None:
    """The stored message an album's first part started, if any."""
    started = once.claimed(album_key)
    if started is None or not started.ref:
        return None
    return load_message(user_key(user_id), str(started.ref))


def _same(stored: Any, part: dict[str, Any]) -> bool:
    return all(getattr(stored, name) == part.get(name) for name in ("kind", "text", "file_id", "file_key"))
