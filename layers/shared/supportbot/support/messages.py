"""Stored messages, markers and counters (the Conversations table; keys in docs/ARCHITECTURE.md, "Data").

- ``U#<user_id>`` / ``M#<time>#<id>``: a message (one Telegram message, or a whole album as ordered
  ``parts``), with its destination, delivery status and the conversation it belongs to
  (``conversation``: every stored message belongs to one, ``conversations.py``);
- ``IN#<key>`` / ``-``: an "exactly once" marker (``once.py``);
- ``COUNTER`` / ``<sequence>``: a number sequence (``next_number``).
Conversations (``conversations.py``) and tickets (``tickets.py``) live in the same partitions.
"""

from __future__ import annotations

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
from pynamodb.models import Model

from supportbot.storage.attributes import CompactJSONAttribute
from supportbot.storage.tables import TableName

QUEUED, SENT, FAILED = "queued", "sent", "failed"
BANNED = "banned"  # stored, never queued: its sender was banned (bans.py)
# Destinations: the helpdesk, the customer's Telegram chat, the warehouse group.
BLINGER, CUSTOMER, WAREHOUSE = "blinger", "customer", "warehouse"
KINDS = ("text", "image", "file")
# A context flag: an outgoing echo into Blinger's thread, a copy of what the customer was told
# elsewhere (``desk_echo.py``).
ECHO = "echo_outgoing"
# Not content: an instruction to the destination (Blinger's REST call that closes its conversation).
CLOSE = "close"
# A Telegram message copied as it is (``copyMessage``, nothing downloaded): ``from_chat`` and
# ``message_id`` name it, ``text`` is its text or caption as Telegram HTML, ``file_name`` what it is.
COPY = "copy"
# Not content: the Telegram desk's topic shows its conversation's status (``desk_topics.py``).
TOPIC = "topic"
# What a message does to its conversation (conversations.summarize): a customer's message to
# support, an operator's answer, or a notice (ticket news, rating requests, warehouse traffic).
CUSTOMER_ROLE, OPERATOR_ROLE, NOTICE_ROLE = "customer", "operator", "notice"


class Part(MapAttribute[str, Any]):
    """One deliverable piece: a text, an image or a file (an album has several)."""

    kind = UnicodeAttribute()
    text = UnicodeAttribute(null=True)
    file_key = UnicodeAttribute(null=True)  # S3 key of a copied attachment
    file_url = UnicodeAttribute(null=True)  # a URL given to us (e.g. an operator's image in Blinger)
    file_id = UnicodeAttribute(null=True)  # a Telegram file_id we can resend
    file_name = UnicodeAttribute(null=True)
    from_chat = NumberAttribute(null=True)  # a copy's source chat
    # A copy's source message; for a customer's part, the Telegram message in their chat it came
    # from (a file and its caption share one): the Telegram desk copies it instead of the part.
    message_id = NumberAttribute(null=True)
    file_unique_id = UnicodeAttribute(null=True)  # that message's file: an edit replacing it is told apart


class MessageItem(Model):
    class Meta:
        table_name = TableName("conversations_table")

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
    conversation = NumberAttribute(null=True)  # the C<number> it belongs to (null only before make migrate)
    role = UnicodeAttribute(null=True)  # customer | operator | notice
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
        table_name = TableName("conversations_table")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    value = NumberAttribute(null=True)
    ref = UnicodeAttribute(null=True)  # the sort key of the message an idempotent enqueue stored
    expires_at = TTLAttribute(null=True)


@dataclass
class NewMessage:
    """A message to store. ``role`` defaults by destination (to support: the customer's; to the
    customer or the warehouse: a notice); ``conversation`` is found when not given
    (``conversations.current``)."""

    user_id: int
    destination: str
    parts: list[dict[str, Any]]
    context: dict[str, Any] = field(default_factory=dict)
    role: str | None = None
    conversation: int | None = None
    # The caller read the customer's live pointer: ``conversation`` is the live one, or None for
    # none live (not read again).
    live: bool = False
    # The caller read the customer's ban (``bans.py``): whether one is in force (None: not read).
    banned: bool | None = None

    @property
    def effective_role(self) -> str:
        if self.role:
            return self.role
        return CUSTOMER_ROLE if self.destination == BLINGER else NOTICE_ROLE


def user_key(user_id: int) -> str:
    return f"U#{user_id}"


def new_message_item(
    message: NewMessage, now: datetime | None = None, conversation: int | None = None
) -> MessageItem:
    moment = now or datetime.now(UTC)
    msg_id = secrets.token_hex(8)
    for part in message.parts:
        if part.get("kind") not in (*KINDS, CLOSE, COPY, TOPIC):
            raise ValueError(f"part kind must be one of {KINDS}, not {part.get('kind')!r}")
    return MessageItem(
        user_key(message.user_id),
        f"M#{moment:%Y%m%dT%H%M%S%f}#{msg_id}",
        msg_id=msg_id,
        user_id=message.user_id,
        destination=message.destination,
        conversation=conversation if conversation is not None else message.conversation,
        role=message.effective_role,
        parts=[Part(**part) for part in message.parts],  # type: ignore[no-untyped-call]
        context=message.context or None,
        created_at=moment,
    )


def keep_copies(item: MessageItem, sources: list[int], made: list[Any]) -> None:
    """Which copy is which (``external["copies"]``: source message id → the copy's), written with
    the delivery's progress, so an edit of the source can edit its copy. Telegram skips an album's
    messages deleted meanwhile: then no copy of it can be told apart, and none is kept."""
    if len(made) != len(sources):
        return
    copies = {**((item.external or {}).get("copies") or {})}
    copies.update({str(source): int(m.message_id) for source, m in zip(sources, made, strict=True)})
    item.external = {**(item.external or {}), "copies": copies}


def load_message(pk: str, sk: str) -> MessageItem | None:
    try:
        return MessageItem.get(pk, sk, consistent_read=True)
    except MessageItem.DoesNotExist:
        return None


def user_messages(user_id: int, limit: int = 100) -> list[MessageItem]:
    """The user's messages, oldest first."""
    return list(MessageItem.query(user_key(user_id), MessageItem.sk.startswith("M#"), limit=limit))


def next_number(sequence: str) -> int:
    """The next number of ``sequence`` (an atomic counter ``COUNTER`` / ``<sequence>``): conversations,
    tickets, and each ticket kind's visible numbers. A number claimed by a write that then fails is
    a gap, never a duplicate."""
    counter = MarkerItem("COUNTER", sequence)
    counter.update(actions=[MarkerItem.value.add(1)])
    return int(counter.value or 0)
