"""The lines ``make run`` prints while it runs, so a developer can follow what the bot does.

One line per update the Telegram webhook handled and one per outbox delivery::

    update 100000004 · user 1001 · contact → menu · 200 · 48 ms
    delivery to blinger · user 1001 · sent · 12 ms
    delivery to customer · user 1001 · will retry: Telegram 429: Too Many Requests: retry after 3

Read from what the stack already has (the webhook's request and answer, the session and the
stored message the handlers wrote), never from a handler's own logs; the text of a message is
never printed, and every line goes through `supportbot.redact` (secrets, phone numbers), but for
the user id: an id, searched for as is, though its 10 digits have a phone's shape.
"""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger(__name__)

# The kinds a Telegram message may carry, by the field that says it (text last: captions).
MESSAGE_KINDS = (
    "contact", "photo", "document", "sticker", "voice", "video_note", "video", "audio",
    "animation", "venue", "location", "poll", "dice", "text",
)  # fmt: skip


def update_summary(update: Any) -> tuple[int | None, str]:
    """(user id, kind) of a Telegram update: ``text``, ``/command``, ``photo``..., ``button``,
    ``edited text``; (None, "?") for a body that is no update."""
    if not isinstance(update, dict):
        return None, "?"
    for key, prefix in (("message", ""), ("edited_message", "edited "), ("callback_query", "")):
        body = update.get(key)
        if not isinstance(body, dict):
            continue
        sender = body.get("from") if isinstance(body.get("from"), dict) else {}
        user_id = sender.get("id") if isinstance(sender.get("id"), int) else None
        if key == "callback_query":
            return user_id, "button"
        kind = next((k for k in MESSAGE_KINDS if k in body), "other")
        if kind == "text" and str(body.get("text", "")).startswith("/"):
            kind = str(body["text"]).split()[0][:33]
        chat = body.get("chat") if isinstance(body.get("chat"), dict) else {}
        where = " in a group" if chat.get("type") in ("group", "supergroup") else ""
        return user_id, prefix + kind + where
    kinds = [k for k in update if k != "update_id"]
    return None, kinds[0] if kinds else "?"


def screen_of(user_id: int | None) -> str | None:
    """The screen the user's session is on now (what the update led to), if there is one."""
    if user_id is None:
        return None
    from supportbot.storage.sessions import load_session  # the stack sets the table names first

    machine = load_session(user_id).machine
    return str(machine.get("s")) if isinstance(machine, dict) and machine.get("s") else None


def update_line(body: str | None, status: int, ms: float) -> str:
    try:
        update = json.loads(body or "")
    except ValueError:
        update = None
    user_id, kind = update_summary(update)
    update_id = update.get("update_id") if isinstance(update, dict) else None
    head = f"update {update_id}" if update_id is not None else "update (unreadable body)"
    screen = screen_of(user_id) if 200 <= status < 300 and "group" not in kind else None
    return _line(head, user_id, f"{kind}{f' → {screen}' if screen else ''} · {status} · {ms:.0f} ms")


def delivery_line(body: str, failed: bool, ms: float) -> str:
    """One outbox record after its batch: where it went and how it went."""
    from supportbot.support.messages import load_message

    try:
        key = json.loads(body)
        item = load_message(key["pk"], key["sk"])
    except (ValueError, KeyError, TypeError):
        item = None
    if item is None:
        return _redacted(
            f"delivery of an unknown message · {'failed' if failed else 'dropped'} · {ms:.0f} ms"
        )
    outcome = item.status
    if failed:
        outcome = "failed" if item.status == "failed" else "will retry"
    if item.reason and outcome != "sent":
        outcome += f": {item.reason}"
    return _line(f"delivery to {item.destination}", int(item.user_id), f"{outcome} · {ms:.0f} ms")


def _line(head: str, user_id: int | None, tail: str) -> str:
    """``head · user <id> · tail``, the two texts redacted, the id (an int) as it is."""
    user = [] if user_id is None else [f"user {user_id}"]
    return " · ".join([_redacted(head), *user, _redacted(tail)])


def _redacted(line: str) -> str:
    from supportbot.redact import mask_phones, redact_text

    return mask_phones(redact_text(line))
