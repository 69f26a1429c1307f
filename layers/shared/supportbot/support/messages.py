"""Stored messages and tickets (the Conversations table).

Keys, all in one table so a user's whole support history is one partition:
- ``U#<user_id>`` / ``M#<time>#<id>``: a message (one Telegram message, or a whole album as
  ordered ``parts``), with its destination and delivery status;
- ``U#<user_id>`` / ``T#<number>``: a ticket (photo request, incident) with its status; every
  ticket is also in the ``Tickets`` index (``gsi1pk`` = ``TICKET``, by ``number``), so the admin lists
  them all and finds one by number without knowing whose it is;
- ``IN#<digest>`` / ``-``: marks an inbound webhook call already stored (repeated calls deliver once);
- ``COUNTER`` / ``tickets``: the human-readable ticket number sequence.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from supportbot.i18n import LANGUAGES
from supportbot.storage.attributes import CompactJSONAttribute

QUEUED, SENT, FAILED = "queued", "sent", "failed"
# Destinations: the helpdesk, the customer's Telegram chat, the warehouse group.
BLINGER, CUSTOMER, WAREHOUSE = "blinger", "customer", "warehouse"
KINDS = ("text", "image", "file")


class Part(MapAttribute[str, Any]):
    """One deliverable piece: a text, an image or a file (an album has several)."""

    kind = UnicodeAttribute()
    text = UnicodeAttribute(null=True)
    file_key = UnicodeAttribute(null=True)  # S3 key of a copied attachment
    file_url = UnicodeAttribute(null=True)  # a URL given to us (e.g. an operator's image in Blinger)
    file_id = UnicodeAttribute(null=True)  # a Telegram file_id we can resend
    file_name = UnicodeAttribute(null=True)


class MessageItem(Model):
    class Meta:
        table_name = os.environ.get("CONVERSATIONS_TABLE", "conversations")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    msg_id = UnicodeAttribute()
    user_id = NumberAttribute()
    destination = UnicodeAttribute()
    parts = ListAttribute(of=Part)
    sent_parts = NumberAttribute(default=0)
    status = UnicodeAttribute(default=QUEUED)
    reason = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)  # delivery attempts (pacing holds are not attempts)
    holds = NumberAttribute(default=0)  # receives from the queue that were pacing holds
    paced_at = NumberAttribute(null=True)  # epoch seconds pacing booked for the next send
    context = CompactJSONAttribute(null=True)  # e.g. {"order": ..., "ticket": ..., "reply_to": ...}
    external = CompactJSONAttribute(null=True)  # ids the destination gave back
    created_at = UTCDateTimeAttribute()
    appended_at = UTCDateTimeAttribute(null=True)  # when parts were last added (an album arriving)
    sent_at = UTCDateTimeAttribute(null=True)

    @property
    def key(self) -> dict[str, str]:
        return {"pk": self.pk, "sk": self.sk}


class MarkerItem(Model):
    """Idempotency markers and counters (same table, other key prefixes)."""

    class Meta:
        table_name = os.environ.get("CONVERSATIONS_TABLE", "conversations")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    value = NumberAttribute(null=True)
    ref = UnicodeAttribute(null=True)  # the sort key of the message an idempotent enqueue stored
    expires_at = TTLAttribute(null=True)


@dataclass
class NewMessage:
    user_id: int
    destination: str
    parts: list[dict[str, Any]]
    context: dict[str, Any] = field(default_factory=dict)


def user_key(user_id: int) -> str:
    return f"U#{user_id}"


def new_message_item(message: NewMessage, now: datetime | None = None) -> MessageItem:
    moment = now or datetime.now(UTC)
    msg_id = secrets.token_hex(8)
    for part in message.parts:
        if part.get("kind") not in KINDS:
            raise ValueError(f"part kind must be one of {KINDS}, not {part.get('kind')!r}")
    return MessageItem(
        user_key(message.user_id),
        f"M#{moment:%Y%m%dT%H%M%S%f}#{msg_id}",
        msg_id=msg_id,
        user_id=message.user_id,
        destination=message.destination,
        parts=[Part(**part) for part in message.parts],  # type: ignore[no-untyped-call]
        context=message.context or None,
        created_at=moment,
    )


def load_message(pk: str, sk: str) -> MessageItem | None:
    try:
        return MessageItem.get(pk, sk, consistent_read=True)
    except MessageItem.DoesNotExist:
        return None


def user_messages(user_id: int, limit: int = 100) -> list[MessageItem]:
    """The user's messages, oldest first."""
    return list(MessageItem.query(user_key(user_id), MessageItem.sk.startswith("M#"), limit=limit))


def customer_language(user_id: int, default: str, look_back: int = 20) -> str | None:
    """The language the customer talks to support in: from the newest of their stored messages
    that records one (incident and warehouse messages do not), ``default`` when none of the newest
    ``look_back`` does; None when nothing of theirs is stored (we never talked to them)."""
    newest = list(
        MessageItem.query(
            user_key(user_id), MessageItem.sk.startswith("M#"), scan_index_forward=False, limit=look_back
        )
    )
    if not newest:
        return None
    recorded = ((message.context or {}).get("language") for message in newest)
    return next((language for language in recorded if language in LANGUAGES), default)


def next_ticket_number() -> int:
    """The next human-readable ticket number (an atomic counter)."""
    counter = MarkerItem("COUNTER", "tickets")
    counter.update(actions=[MarkerItem.value.add(1)])
    return int(counter.value or 0)


OPEN, IN_PROGRESS, ANSWERED, CLOSED = "open", "in_progress", "answered", "closed"
TICKET_STATUSES = (OPEN, IN_PROGRESS, ANSWERED, CLOSED)


TICKETS_INDEX_KEY = "TICKET"


class TicketsIndex(GlobalSecondaryIndex["TicketItem"]):  # type: ignore[no-untyped-call]
    """Every ticket, by number (a sparse index: only tickets carry ``gsi1pk``)."""

    class Meta:
        index_name = "Tickets"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    number = NumberAttribute(range_key=True)


class TicketItem(Model):
    """A photo request or an incident, numbered for people (``#1042``)."""

    class Meta:
        table_name = os.environ.get("CONVERSATIONS_TABLE", "conversations")

    tickets = TicketsIndex()
    gsi1pk = UnicodeAttribute(default=TICKETS_INDEX_KEY)  # puts every new ticket in the index
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    number = NumberAttribute()
    user_id = NumberAttribute()
    kind = UnicodeAttribute()  # "photo" | "incident"
    status = UnicodeAttribute(default=OPEN)
    title = UnicodeAttribute(default="")
    details = CompactJSONAttribute(null=True)  # collected answers, order, article, note...
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


def ticket_key(number: int) -> str:
    return f"T#{number:08d}"


def user_tickets(user_id: int, kind: str | None = None) -> list[TicketItem]:
    tickets = TicketItem.query(user_key(user_id), TicketItem.sk.startswith("T#"), scan_index_forward=False)
    return [ticket for ticket in tickets if kind is None or ticket.kind == kind]


def ticket_by_number(number: int) -> TicketItem | None:
    """The ticket numbered ``number``, whoever's it is (the index is eventually consistent: a ticket
    created a moment ago may not be found yet)."""
    return next(
        iter(TicketItem.tickets.query(TICKETS_INDEX_KEY, TicketsIndex.number == number, limit=1)), None
    )
