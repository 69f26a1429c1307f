"""The one "exactly once" primitive: a conditional put of a marker (docs/ARCHITECTURE.md, "Exactly once").

Every input that may come twice (a Telegram update re-run after a lost session race or replayed, a
repeated Blinger call, a second press of the same button, the parts of a warehouse album) names
itself with a key, and whatever it stores is written in one transaction with the marker
``IN#<key>`` / ``-`` (condition: no such marker, or an expired one). A repeat finds the marker and
what it points at (``ref``: the sort key of the stored message, ``value``: a ticket number)
instead of storing again. Markers live ``TTL`` (DynamoDB's TTL deletes them within days after;
until then an expired marker is not a repeat).

Keys, one scheme ``<source>:<what>``: ``tg:<user>:<message_id>`` (a customer's message),
``blinger:<digest>`` (a Blinger call), ``ticket:<user>:<screen token>:<subject>`` (a Send/Submit
press), ``wh:<chat>:<update_id>`` and ``wh-album:<chat>:<media_group_id>`` (warehouse input),
``out:<what>`` (a message the bot sends once for a move: a ticket notice, a rating request),
``biz:<event_id>`` (an order event from the business system).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from supportbot.support.messages import MarkerItem

PREFIX = "IN#"
TTL = timedelta(days=30)  # far longer than any retry or replay of the same input


def marker(key: str, now: datetime | None = None, **values: Any) -> MarkerItem:
    """The marker of ``key`` to save with what it guards (``ref=`` / ``value=``)."""
    return MarkerItem(f"{PREFIX}{key}", "-", expires_at=(now or datetime.now(UTC)) + TTL, **values)


def fresh(now: datetime | None = None) -> Any:
    """The condition of saving a marker: none stored, or only an expired one."""
    return MarkerItem.pk.does_not_exist() | (MarkerItem.expires_at < (now or datetime.now(UTC)))


def claimed(key: str) -> MarkerItem | None:
    """The live marker of ``key``, if this input was stored before (a consistent read)."""
    try:
        found = MarkerItem.get(f"{PREFIX}{key}", "-", consistent_read=True)
    except MarkerItem.DoesNotExist:
        return None
    if found.expires_at is not None and found.expires_at < datetime.now(UTC):
        return None
    return found
