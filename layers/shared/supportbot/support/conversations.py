"""Conversations: one customer's thread with support, from its first message to its close.

The model and its lifecycle (docs/ARCHITECTURE.md, "Conversations"). Keys, in the customer's
partition of the Conversations table:
- ``U#<user>`` / ``C#<number>``: the conversation, ``C<number>`` for people (one sequence,
  ``COUNTER`` / ``conversations``); also in the ``Inbox`` index (``inbox`` = ``C#<desk>``, by
  ``last_activity_at``) and the ``Lists`` index (``list_pk`` = ``C#<status>``, by ``list_sk``, the
  same time), so the admin inbox lists every conversation, of one desk or of one status, newest
  activity first, a page at a time (one Query a desk: ``supportbot_admin/pages.py``);
- ``U#<user>`` / ``LIVE``: the number of the customer's live (open or answered) conversation; it
  exists only while one does, so two messages racing to start a conversation start one;
- ``CONV#<number>`` / ``-``: whose conversation ``C<number>`` is (the admin finds it by id).

Every stored message belongs to one conversation, and the conversation item changes in the same
transaction as the message it summarizes (:func:`summarize`, called by the outbox's store): the
preview, the times, the unread count, and the status moves a message makes (the customer writes:
``answered → open``; an operator answers: ``open → answered``). Every other move (close, rate,
reopen) goes through :data:`LIFECYCLE` here and nothing else: a refused move raises
:class:`~supportbot.support.lifecycle.RefusedMove`.

A customer's message never continues a closed conversation: with no live conversation it starts a
new one (the bot's dialog screen asks first, see ``bot/support.py``). Operators' messages and
notices to a customer without a live conversation join their latest one, whatever its status
(nothing is lost; a closed conversation stays closed).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from supportbot.config import get_config
from supportbot.storage.attributes import CompactJSONAttribute
from supportbot.storage.conditions import condition_failed, transaction_conflict
from supportbot.storage.tables import TableName
from supportbot.storage.transactions import transaction
from supportbot.support import reports
from supportbot.support.lifecycle import Lifecycle, RefusedMove
from supportbot.support.messages import (
    COPY,
    CUSTOMER,
    CUSTOMER_ROLE,
    NOTICE_ROLE,
    OPERATOR_ROLE,
    MarkerItem,
    MessageItem,
    next_number,
    user_key,
)
from supportbot.telegram.html import plain_text

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

OPEN, ANSWERED, CLOSED, RATED = "open", "answered", "closed", "rated"
# closed -> open only by an explicit reopen (the admin's); a customer writing after a close starts
# a new conversation. rated -> rated: a later press changes the rating.
LIFECYCLE = Lifecycle(
    "conversation",
    {OPEN: (ANSWERED, CLOSED), ANSWERED: (OPEN, CLOSED), CLOSED: (RATED, OPEN), RATED: (RATED,)},
)
LIVE = (OPEN, ANSWERED)
# Who closed it.
BY_CUSTOMER, BY_OPERATOR, BY_AUTO = "customer", "operator", "auto"
INBOX_KEY = "C"
STATUSES = (OPEN, ANSWERED, CLOSED, RATED)
SEQUENCE = "conversations"
PREVIEW_CHARS = 100
REF = re.compile(r"[Cc](?P<number>\d{1,12})")
MOVE_ATTEMPTS = 3
CLOCK_MARGIN = timedelta(seconds=1)


class InboxIndex(GlobalSecondaryIndex["ConversationItem"]):  # type: ignore[no-untyped-call]
    """Every conversation by last activity (sparse: only conversations carry ``inbox``)."""

    class Meta:
        index_name = "Inbox"
        projection = AllProjection()

    inbox = UnicodeAttribute(hash_key=True)
    last_activity_at = UTCDateTimeAttribute(range_key=True)


class AssignedIndex(GlobalSecondaryIndex["ConversationItem"]):  # type: ignore[no-untyped-call]
    """Conversations by assignee (``gsi1pk`` = ``ASSIGNEE#<id>``), newest first: the table's
    ``(gsi1pk, number)`` index, named for tickets, its first use (``support/triage.py``)."""

    class Meta:
        index_name = "Tickets"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    number = NumberAttribute(range_key=True)


class ListsIndex(GlobalSecondaryIndex["ConversationItem"]):  # type: ignore[no-untyped-call]
    """Conversations of one status (``list_pk`` = ``C#<status>``) by last activity (``list_sk``):
    the table's ``Lists`` index, shared with the tickets' lists."""

    class Meta:
        index_name = "Lists"
        projection = AllProjection()

    list_pk = UnicodeAttribute(hash_key=True)
    list_sk = UnicodeAttribute(range_key=True)


class ConversationItem(Model):
    class Meta:
        table_name = TableName("conversations_table")

    by_activity = InboxIndex()
    assigned = AssignedIndex()
    gsi1pk = UnicodeAttribute(null=True)  # ASSIGNEE#<operator id> while an operator has it
    by_status = ListsIndex()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    inbox = UnicodeAttribute(null=True)  # C#<desk>: the Inbox index's partition (keep_keys)
    list_pk = UnicodeAttribute(null=True)  # C#<status>: the Lists index's partition
    list_sk = UnicodeAttribute(null=True)  # last_activity_at as stored: the order in Lists
    number = NumberAttribute()
    user_id = NumberAttribute()
    status = UnicodeAttribute(default=OPEN)
    version = NumberAttribute(default=1)
    desk = UnicodeAttribute(default="inbox")  # blinger | inbox (docs/ARCHITECTURE.md, "Desks")
    desk_ref = UnicodeAttribute(null=True)  # the desk's own id for it (Blinger's conversation id)
    desk_chat = NumberAttribute(null=True)  # the Telegram desk's group its topic (desk_ref) is in
    desk_status = UnicodeAttribute(null=True)  # what its topic shows (desk_topics.shown): no edit per message
    customer = CompactJSONAttribute(null=True)  # {"name", "phone", "type", "username"}
    order = CompactJSONAttribute(null=True)  # {"id", "number"}: the order it is about
    assignee = UnicodeAttribute(null=True)
    opened_at = UTCDateTimeAttribute()
    first_answer_at = UTCDateTimeAttribute(null=True)
    last_customer_at = UTCDateTimeAttribute(null=True)
    last_activity_at = UTCDateTimeAttribute()
    closed_at = UTCDateTimeAttribute(null=True)
    closed_by = UnicodeAttribute(null=True)  # customer | operator | auto
    unread = NumberAttribute(default=0)  # customer messages since an operator last answered
    messages = NumberAttribute(default=0)
    undelivered = NumberAttribute(default=0)  # its messages the outbox recorded failed (echoes aside)
    preview = UnicodeAttribute(default="")  # plain text of the last message
    rating = NumberAttribute(null=True)
    rated_at = UTCDateTimeAttribute(null=True)
    rating_counted = BooleanAttribute(null=True)  # its rating is in the counters (rating_deltas)
    answer_sampled = BooleanAttribute(null=True)  # its first answer time is kept (support/waiting.py)
    tags = CompactJSONAttribute(null=True)  # a list of strings
    # MESSAGE_RETENTION_DAYS after last_activity_at, set wherever that is (no write of its own):
    # DynamoDB's TTL deletes the conversation, then functions/retention its messages
    # (docs/ARCHITECTURE.md, "Retention").
    expires_at = TTLAttribute(null=True)

    @property
    def ref(self) -> str:
        return conversation_ref(int(self.number))

    @property
    def live(self) -> bool:
        return self.status in LIVE

    def keep_keys(self) -> ConversationItem:
        """Set the index keys from the fields they list it by (before a whole item is saved)."""
        self.inbox = inbox_key(str(self.desk))
        self.list_pk = status_key(str(self.status))
        self.list_sk = activity_key(self.last_activity_at)
        return self


class CountsItem(Model):
    """Counters kept on write, in the transactions that change what they count, so the admin's
    stats read one item (``STATS`` / ``conversations``): every conversation, the live ones, the
    messages the outbox recorded failed (echoes aside), the rated conversations and the sum of
    their ratings (the average is one division)."""

    class Meta:
        table_name = TableName("conversations_table")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    total = NumberAttribute(default=0)
    live = NumberAttribute(default=0)
    undelivered = NumberAttribute(default=0)
    rated = NumberAttribute(default=0)
    rating_sum = NumberAttribute(default=0)


COUNTS_KEY = ("STATS", "conversations")


def taken_out(conversation: ConversationItem) -> dict[str, int]:
    """What removing ``conversation`` (an erase, its expiry) takes from the counters: its share of
    every one, the zero ones left out."""
    rating = None if conversation.rating is None else int(conversation.rating)
    deltas = {
        "total": -1,
        "live": -1 if conversation.status in LIVE else 0,
        "undelivered": -int(conversation.undelivered or 0),
        "rated": -1 if rating is not None else 0,
        "rating_sum": -(rating or 0),
    }
    return {name: delta for name, delta in deltas.items() if delta}


def count(write: TransactWrite, **deltas: int) -> None:
    """Add to ``write`` the change of the counters (``total=1``, ``live=-1``, ...)."""
    item = CountsItem(*COUNTS_KEY)
    write.update(item, actions=[getattr(CountsItem, name).add(delta) for name, delta in deltas.items()])


def counts() -> CountsItem:
    """The counters (all zero before the first conversation)."""
    try:
        return CountsItem.get(*COUNTS_KEY, consistent_read=True)
    except CountsItem.DoesNotExist:
        return CountsItem(*COUNTS_KEY, total=0, live=0, undelivered=0, rated=0, rating_sum=0)


def inbox_key(desk: str) -> str:
    """The ``Inbox`` partition of a desk's conversations (the unfiltered inbox merges the desks)."""
    return f"{INBOX_KEY}#{desk}"


def status_key(status: str) -> str:
    """The ``Lists`` partition of the conversations in ``status``."""
    return f"{INBOX_KEY}#{status}"


def activity_key(moment: datetime) -> str:
    """``last_activity_at`` as it is stored, the sort key of the ``Lists`` index."""
    return str(UTCDateTimeAttribute().serialize(moment))  # type: ignore[no-untyped-call]


def conversation_key(number: int) -> str:
    return f"C#{number:012d}"


def conversation_ref(number: int) -> str:
    return f"C{number}"


def parse_ref(text: str) -> int | None:
    found = REF.fullmatch(text.strip())
    return int(found["number"]) if found else None


def owner_key(number: int) -> str:
    return f"CONV#{number}"


LIVE_SK = "LIVE"


def expiry(last_activity: datetime) -> datetime:
    """When a conversation whose last activity is ``last_activity`` expires, with its messages."""
    return last_activity + get_config().message_retention


# ---- finding ------------------------------------------------------------------------------------
def find(number: int) -> ConversationItem | None:
    """Conversation ``C<number>``, whoever's it is."""
    try:
        owner = MarkerItem.get(owner_key(number), "-", consistent_read=True)
        return ConversationItem.get(
            user_key(int(owner.value or 0)), conversation_key(number), consistent_read=True
        )
    except (MarkerItem.DoesNotExist, ConversationItem.DoesNotExist):
        return None


def latest(user_id: int) -> ConversationItem | None:
    """The customer's newest conversation, whatever its status."""
    found = ConversationItem.query(
        user_key(user_id),
        ConversationItem.sk.startswith("C#"),
        scan_index_forward=False,
        limit=1,
        consistent_read=True,
    )
    return next(iter(found), None)


def of_user(user_id: int) -> list[ConversationItem]:
    """The customer's conversations, newest first (one Query of their partition)."""
    return list(
        ConversationItem.query(
            user_key(user_id), ConversationItem.sk.startswith("C#"), scan_index_forward=False
        )
    )


def live_number(user_id: int) -> int | None:
    try:
        return number_of(MarkerItem.get(user_key(user_id), LIVE_SK, consistent_read=True))
    except MarkerItem.DoesNotExist:
        return None


def live_pointer(user_id: int) -> MarkerItem:
    """The customer's ``LIVE`` pointer by its key, to read with others (``storage/batch.py``)."""
    return MarkerItem(user_key(user_id), LIVE_SK)


def number_of(pointer: MarkerItem | None) -> int | None:
    """The live conversation's number ``pointer`` (as read; None: not stored) holds."""
    return None if pointer is None else int(pointer.value or 0) or None


def messages_query(conversation: ConversationItem) -> Callable[..., Any]:
    """A Query of the conversation's messages, newest first: the key range of its life in the
    customer's partition (a message's key is its time; from its opening to its last activity, a
    second either side for clocks), so a page reads that conversation's messages and no other's
    (the condition on ``conversation`` only guards the boundaries). Pass ``limit`` and
    ``last_evaluated_key`` (``supportbot_admin/pages.py``)."""
    low = conversation.opened_at - CLOCK_MARGIN
    high = conversation.last_activity_at + CLOCK_MARGIN
    return functools.partial(
        MessageItem.query,
        conversation.pk,
        MessageItem.sk.between(f"M#{low:%Y%m%dT%H%M%S%f}", f"M#{high:%Y%m%dT%H%M%S%f}~"),
        filter_condition=MessageItem.conversation == int(conversation.number),
        scan_index_forward=False,
    )


# ---- the conversation a message belongs to -------------------------------------------------------
@dataclass
class Target:
    """Where a message goes: an existing conversation (``status`` when read, None when known live
    by the ``LIVE`` pointer), or ``new``, created with the message."""

    user_id: int
    number: int
    status: str | None = None
    new: ConversationItem | None = None


def current(user_id: int, role: str, context: dict[str, Any], desk: str) -> Target:
    """The conversation a new message of ``role`` belongs to (see the module's docstring)."""
    live = live_number(user_id)
    if live is None and role != CUSTOMER_ROLE:
        found = latest(user_id)
        if found is not None:
            return Target(user_id, int(found.number), status=str(found.status))
    return live_target(user_id, live, context, desk)


def live_target(user_id: int, live: int | None, context: dict[str, Any], desk: str) -> Target:
    """The target for ``live``, the number the ``LIVE`` pointer held when read: that conversation,
    or, none being live, a new one (a customer's first message: the pointer is not read twice)."""
    if live is not None:
        return Target(user_id, live)
    return Target(user_id, 0, new=new_conversation(user_id, context, desk))


def get(user_id: int, number: int) -> ConversationItem | None:
    try:
        return ConversationItem.get(user_key(user_id), conversation_key(number), consistent_read=True)
    except ConversationItem.DoesNotExist:
        return None


def target_of(user_id: int, number: int) -> Target | None:
    """Conversation ``number`` of this user as a message's target (None: no such conversation)."""
    found = get(user_id, number)
    return None if found is None else Target(user_id, number, status=str(found.status))


def new_conversation(user_id: int, context: dict[str, Any], desk: str) -> ConversationItem:
    number = next_number(SEQUENCE)
    now = datetime.now(UTC)
    found = context.get("info")
    info: dict[str, Any] = found if isinstance(found, dict) else {}
    customer = {
        "name": context.get("client_name"),
        "phone": context.get("client_phone"),
        "type": info.get("user_type"),
        "username": info.get("telegram_username") or info.get("username"),
    }
    # The desk's info holds the order as display text; the context's "order" is {"id", "number"}.
    order = context.get("order") if isinstance(context.get("order"), dict) else None
    return ConversationItem(
        user_key(user_id),
        conversation_key(number),
        number=number,
        user_id=user_id,
        desk=desk,
        customer={k: v for k, v in customer.items() if v} or None,
        order=order,
        opened_at=now,
        last_activity_at=now,
        messages=0,
        unread=0,
    )


def summarize(write: TransactWrite, target: Target, item: MessageItem) -> None:
    """Add to ``write`` what storing ``item`` does to its conversation (same transaction)."""
    now = item.created_at
    role = item.role
    # What the desk alone sees (echoes, lines for the operator) is not the conversation's preview.
    preview = "" if role == NOTICE_ROLE and item.destination != CUSTOMER else preview_of(item)
    conversation = target.new
    if conversation is not None:
        conversation.last_activity_at = now
        conversation.expires_at = expiry(now)
        conversation.messages = 1
        conversation.preview = preview
        if role == CUSTOMER_ROLE:
            conversation.unread, conversation.last_customer_at = 1, now
        write.save(conversation.keep_keys(), condition=ConversationItem.pk.does_not_exist())
        write.save(
            MarkerItem(user_key(target.user_id), LIVE_SK, value=int(conversation.number)),
            condition=MarkerItem.pk.does_not_exist(),
        )
        write.save(MarkerItem(owner_key(int(conversation.number)), "-", value=target.user_id))
        count(write, total=1, live=1)
        reports.opened(write, now)
        return
    actions: list[Any] = [
        ConversationItem.last_activity_at.set(now),
        ConversationItem.expires_at.set(expiry(now)),
        ConversationItem.list_sk.set(activity_key(now)),
        ConversationItem.messages.add(1),
        ConversationItem.version.add(1),
    ]
    if preview:
        actions.append(ConversationItem.preview.set(preview))
    condition: Any = ConversationItem.pk.exists()
    live = target.status is None or target.status in LIVE
    if role == CUSTOMER_ROLE:
        # answered -> open (LIFECYCLE); a message to a conversation closed meanwhile is refused.
        actions += [
            ConversationItem.status.set(OPEN),
            ConversationItem.list_pk.set(status_key(OPEN)),
            ConversationItem.unread.add(1),
            ConversationItem.last_customer_at.set(now),
        ]
        condition = ConversationItem.status.is_in(*LIVE)
    elif role == OPERATOR_ROLE and live:
        # open -> answered (LIFECYCLE)
        actions += [
            ConversationItem.status.set(ANSWERED),
            ConversationItem.list_pk.set(status_key(ANSWERED)),
            ConversationItem.unread.set(0),
            ConversationItem.first_answer_at.set(ConversationItem.first_answer_at | now),
        ]
        condition = ConversationItem.status.is_in(*LIVE)
    elif target.status is not None:
        condition = ConversationItem.status == target.status
    write.update(
        ConversationItem(user_key(target.user_id), conversation_key(target.number)),
        actions=actions,
        condition=condition,
    )


def count_undelivered(write: TransactWrite, item: MessageItem, delta: int = 1) -> None:
    """Add to ``write`` one more undelivered message of ``item``'s conversation, and in the
    counters (the outbox records it failed in the same transaction, so it is counted once); one
    fewer (``delta=-1``) when an admin retries it."""
    write.update(
        ConversationItem(user_key(int(item.user_id)), conversation_key(int(item.conversation))),
        actions=[ConversationItem.undelivered.add(delta)],
        condition=ConversationItem.pk.exists(),
    )
    count(write, undelivered=delta)


def preview_of(item: MessageItem) -> str:
    """Plain text of the message's first part, for the inbox (Telegram HTML stripped from what we
    send a customer; what a customer writes is plain text already)."""
    for part in item.parts:
        if part.kind in ("text", COPY) and part.text:
            text = str(part.text)
            if item.destination == CUSTOMER:
                text = plain_text(text)
            return " ".join(text.split())[:PREVIEW_CHARS]
        if part.kind == "image":
            return "📷 " + (str(part.text or ""))[: PREVIEW_CHARS - 2]
        if part.kind in ("file", COPY):
            return "📎 " + str(part.file_name or part.text or "")[: PREVIEW_CHARS - 2]
    return ""


# ---- moves ------------------------------------------------------------------------------------------
def close(
    conversation: ConversationItem, by: str, only_if: Callable[[ConversationItem], bool] | None = None
) -> ConversationItem:
    """``open | answered -> closed`` by the customer, an operator or the auto-close timer.

    ``only_if``: the close is still wanted of the conversation as read (the auto-close's "still
    due"); the write is then also conditional on nothing having happened in it since that read (its
    ``list_sk``, set with every message and move), and a conversation read again that no longer
    passes is a :class:`RefusedMove`, never closed."""
    now = datetime.now(UTC)
    return _move(
        conversation,
        CLOSED,
        [ConversationItem.closed_at.set(now), ConversationItem.closed_by.set(by)],
        live_pointer="delete",
        only_if=only_if,
    )


def reopen(conversation: ConversationItem) -> ConversationItem:
    """``closed -> open``, explicitly (the admin's): refused while the customer has another live one."""
    return _move(
        conversation,
        OPEN,
        [ConversationItem.closed_at.remove(), ConversationItem.closed_by.remove()],
        live_pointer="put",
    )


def rate(user_id: int, number: int, rating: int) -> ConversationItem | None:
    """``closed | rated -> rated``; None when this user has no such conversation."""
    conversation = get(user_id, number)
    if conversation is None:
        return None
    return _move(
        conversation,
        RATED,
        [ConversationItem.rating.set(rating), ConversationItem.rated_at.set(datetime.now(UTC))],
        rating=rating,
    )


def counted_rating(conversation: ConversationItem) -> int | None:
    """The rating the counters hold for ``conversation`` (as read); None before one is counted."""
    return (
        int(conversation.rating) if conversation.rating_counted and conversation.rating is not None else None
    )


def rating_deltas(conversation: ConversationItem, rating: int) -> tuple[Any, dict[str, int]]:
    """What rating ``conversation`` (as read) ``rating`` adds to the counters, and the condition
    that it is still as read: counted once, and a later press moves the sum by the difference."""
    old = counted_rating(conversation)
    if old is not None:
        return ConversationItem.rating == old, {"rating_sum": rating - old}
    return ConversationItem.rating_counted.does_not_exist(), {"rated": 1, "rating_sum": rating}


def assign(conversation: ConversationItem, assignee: str | None, desk_ref: str | None) -> ConversationItem:
    """Record who took it at the desk and the desk's id for it (no status move)."""
    actions: list[Any] = [ConversationItem.version.add(1)]
    if assignee:
        actions.append(ConversationItem.assignee.set(assignee))
    if desk_ref:
        actions.append(ConversationItem.desk_ref.set(desk_ref))
    conversation.update(actions=actions)
    return conversation


def _move(
    conversation: ConversationItem,
    target: str,
    actions: list[Any],
    live_pointer: str | None = None,
    rating: int | None = None,
    only_if: Callable[[ConversationItem], bool] | None = None,
) -> ConversationItem:
    """Check the table, then write conditionally on the status read; re-read and re-check when
    another move landed in between (a message flipping open/answered, say). A ``rating`` is
    counted (:func:`rating_deltas`) in the same transaction; ``only_if``: see :func:`close`."""
    for _ in range(MOVE_ATTEMPTS):
        if only_if is not None and not only_if(conversation):
            raise refused(conversation, target, f"{conversation.ref} changed since it was read")
        LIFECYCLE.check(str(conversation.status), target)
        pointer = MarkerItem(user_key(int(conversation.user_id)), LIVE_SK)
        now = datetime.now(UTC)
        condition = ConversationItem.status == conversation.status
        if only_if is not None:
            condition = condition & (ConversationItem.list_sk == conversation.list_sk)
        counted: dict[str, int] = {}
        if rating is not None:
            as_read, counted = rating_deltas(conversation, rating)
            condition = condition & as_read
        try:
            with transaction() as write:
                write.update(
                    conversation,
                    actions=[
                        ConversationItem.status.set(target),
                        ConversationItem.list_pk.set(status_key(target)),
                        ConversationItem.version.add(1),
                        ConversationItem.last_activity_at.set(now),
                        ConversationItem.expires_at.set(expiry(now)),
                        ConversationItem.list_sk.set(activity_key(now)),
                        *actions,
                        *([ConversationItem.rating_counted.set(True)] if rating is not None else []),
                    ],
                    condition=condition,
                )
                if counted:
                    count(write, **counted)
                if rating is not None:
                    reports.rated(
                        write, conversation.opened_at, counted_rating(conversation), rating, counted
                    )
                if target == CLOSED:
                    reports.resolved(write, conversation.opened_at, now)
                if live_pointer == "delete":
                    write.delete(
                        pointer,
                        condition=MarkerItem.pk.does_not_exist()
                        | (MarkerItem.value == int(conversation.number)),
                    )
                    count(write, live=-1)
                elif live_pointer == "put":
                    write.save(
                        MarkerItem(pointer.pk, LIVE_SK, value=int(conversation.number)),
                        condition=MarkerItem.pk.does_not_exist(),
                    )
                    count(write, live=1)
        except TransactWriteError as error:
            if transaction_conflict(error) and not condition_failed(error):
                # Another transaction wrote one of these items (the counters, say) at that moment.
                conversation.refresh(consistent_read=True)
                continue
            if not condition_failed(error):
                raise
            other = live_number(int(conversation.user_id)) if live_pointer == "put" else None
            if other is not None and other != int(conversation.number):
                detail = f"the customer has another open conversation, {conversation_ref(other)}"
                raise refused(conversation, target, detail) from None
            conversation.refresh(consistent_read=True)
            continue
        conversation.refresh(consistent_read=True)
        return conversation
    raise refused(conversation, target)


def refused(conversation: ConversationItem, target: str, detail: str = "") -> RefusedMove:
    """The refusal of moving ``conversation`` (as read) to ``target``."""
    status = str(conversation.status)
    return RefusedMove("conversation", status, target, LIFECYCLE.allowed(status), detail=detail)
