"""``make migrate``: bring items written before conversations and ticket refs existed up to date.

    make migrate                          # a running `make run` (moto on --moto-url); make run also
                                          # runs it on start
    make migrate STACK_NAME=my-stack      # a deployed stack: its ConversationsTableName output

Idempotent (an item already migrated is left alone), so it can run on every start and again after
a partial run. What it does (docs/ARCHITECTURE.md, "Migrations"):
- tickets without a ref get one keeping their number (photo #1042 becomes Ф-1042, complaint #7
  Ж-7: what customers were shown stays recognisable), a version, the new statuses (``answered``
  becomes ``in_progress``; a closed one gets its outcome: photos sent, refused, else resolved), and
  the pointers that find them by ref and by old number; each kind's sequence starts after its
  highest number;
- a customer's messages without a conversation become conversations: a new one after each close
  Blinger reported (the old rating items), the last one live (open, or answered when support wrote
  last) unless it was closed; each old rating item becomes its conversation's rating and Blinger
  id (``desk_ref``, so today's rating buttons keep working), then is deleted; what the new
  conversations add (every one, the live ones, failed messages) is added to the counters the
  admin's stats read, in the transaction that saves each;
- a logged-in session saved before order events and broadcasts existed (its phone inside the
  login) gets the phone and the user type as attributes of their own, so the sessions' Phones and
  Audiences indexes find it before the user writes again (a save of theirs meanwhile wins: it
  derives the same);
- a conversation without an expiry gets one, ``MESSAGE_RETENTION_DAYS`` after its last activity
  (docs/ARCHITECTURE.md, "Retention").
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.attributes import UTCDateTimeAttribute
from pynamodb.exceptions import PutError

from supportbot.storage.conditions import condition_failed

LOCAL_MOTO = "http://127.0.0.1:5000"
LOCAL_TABLES = ("ConversationsTable", "SessionsTable")
PHOTO_OUTCOMES = {"photos": "photos_sent", "refused": "refused"}


@dataclass
class Counts:
    tickets: int = 0
    messages: int = 0
    conversations: int = 0
    ratings: int = 0
    sessions: int = 0
    expiries: int = 0

    def __str__(self) -> str:
        return (
            f"{self.tickets} ticket(s), {self.messages} message(s) into {self.conversations} "
            f"conversation(s), {self.ratings} rating(s), {self.sessions} session(s) migrated, "
            f"{self.expiries} expiry(ies) set"
        )


@dataclass
class User:
    messages: list[Any] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)


def migrate() -> Counts:
    from supportbot.config import get_config
    from supportbot.support.messages import MessageItem

    get_config.cache_clear()
    counts = Counts()
    users: dict[int, User] = defaultdict(User)
    client = MessageItem._get_connection().connection.client  # pynamodb's own botocore client
    pages = client.get_paginator("scan").paginate(TableName=MessageItem.Meta.table_name)
    for page in pages:
        for raw in page.get("Items", []):
            pk, sk = raw.get("pk", {}).get("S", ""), raw.get("sk", {}).get("S", "")
            if not pk.startswith("U#"):
                continue
            user_id = int(pk.removeprefix("U#"))
            if sk.startswith("T#") and "ref" not in raw:
                _ticket(raw)
                counts.tickets += 1
            elif sk.startswith("M#") and "conversation" not in raw:
                users[user_id].messages.append(MessageItem.from_raw_data(raw))
            elif sk.startswith("R#"):
                users[user_id].ratings.append(raw)
            elif sk.startswith("C#") and "expires_at" not in raw:
                _expiry(raw)
                counts.expiries += 1
    for user_id, user in users.items():
        made = _conversations(user_id, user)
        counts.conversations += made
        counts.messages += len(user.messages)
        counts.ratings += len(user.ratings)
    counts.sessions = _sessions()
    return counts


def _sessions() -> int:
    """Logged-in sessions whose phone is still inside the login get the indexed attributes."""
    from pynamodb.exceptions import UpdateError

    from supportbot.storage.sessions import AUDIENCES, Auth, SessionItem

    migrated = 0
    for item in SessionItem.scan(SessionItem.auth.exists() & SessionItem.phone.does_not_exist()):
        auth = Auth.from_dict(item.auth)
        if auth is None or not auth.phone:
            continue
        audience = AUDIENCES.get(auth.user_type)
        try:
            item.update(
                actions=[
                    SessionItem.phone.set(auth.phone),
                    SessionItem.audience.set(audience) if audience else SessionItem.audience.remove(),
                    SessionItem.auth.set(
                        {key: value for key, value in (item.auth or {}).items() if key != "p"}
                    ),
                ]
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            continue  # the user's own save came first and derived the same
        migrated += 1
    return migrated


def _expiry(raw: dict[str, Any]) -> None:
    from supportbot.support import conversations as conv

    item = conv.ConversationItem.from_raw_data(raw)
    item.update(actions=[conv.ConversationItem.expires_at.set(conv.expiry(item.last_activity_at))])


def _ticket(raw: dict[str, Any]) -> None:
    from supportbot.support.messages import MarkerItem
    from supportbot.support.tickets import PREFIXES, TicketItem, pointer_key

    ticket = TicketItem.from_raw_data(raw)
    number = int(ticket.number)
    ticket.ref = f"{PREFIXES.get(str(ticket.kind), 'Ж')}-{number}"
    details = dict(ticket.details or {})
    if ticket.status == "answered":
        ticket.status = "in_progress"
    if ticket.status == "closed" and not ticket.outcome:
        old = details.pop("outcome", None)
        ticket.outcome = PHOTO_OUTCOMES.get(str(old), "resolved") if ticket.kind == "photo" else "resolved"
    details.pop("lang", None)  # the language comes from the customer's session now
    ticket.details = details or None
    ticket.version = int(ticket.version or 1)
    ticket.save()
    for key in (ticket.ref, number):
        MarkerItem(pointer_key(key), "-", value=int(ticket.user_id), ref=ticket.sk).save()
    # The kind's sequence continues after its highest old number (a conditional raise, never down).
    sequence = MarkerItem("COUNTER", f"tickets-{ticket.kind}", value=number)
    try:
        sequence.save(condition=MarkerItem.pk.does_not_exist() | (MarkerItem.value < number))
    except PutError as error:
        if not condition_failed(error):
            raise


def _conversations(user_id: int, user: User) -> int:
    """The user's unmigrated messages split into conversations at each close; returns how many."""
    from supportbot.storage.transactions import transaction
    from supportbot.support import conversations as conv
    from supportbot.support.messages import CUSTOMER_ROLE, ECHO, FAILED, OPERATOR_ROLE, MarkerItem

    closes = sorted((_time(raw["asked_at"]["S"]), raw) for raw in user.ratings)
    messages = sorted(user.messages, key=lambda m: m.sk)
    segments: list[tuple[list[Any], dict[str, Any] | None]] = []
    current: list[Any] = []
    pending = list(closes)
    for message in messages:
        while pending and message.created_at > pending[0][0]:
            segments.append((current, pending.pop(0)[1]))
            current = []
        current.append(message)
    segments.append((current, None))
    segments += [([], raw) for _, raw in pending]
    existing = conv.latest(user_id)
    made = 0
    for index, (items, close) in enumerate(segments):
        if not items and close is None:
            continue
        last_segment = index == len(segments) - 1
        was_live = None
        if existing is not None and close is None and last_segment:
            target = existing  # a rerun after a partial one, or messages since: join the newest
            was_live = target.live
        else:
            first = items[0] if items else None
            target = conv.new_conversation(user_id, dict(first.context or {}) if first else {}, "blinger")
            target.opened_at = (
                first.created_at if first else _time(close["asked_at"]["S"]) if close else target.opened_at
            )
            made += 1
        for message in items:
            role = message.role or _role(message)
            message.update(
                actions=[type(message).conversation.set(int(target.number)), type(message).role.set(role)]
            )
            target.messages = int(target.messages or 0) + 1
            target.last_activity_at = message.created_at
            target.preview = conv.preview_of(message) or target.preview
            if role == CUSTOMER_ROLE:
                target.status, target.unread, target.last_customer_at = (
                    conv.OPEN,
                    int(target.unread or 0) + 1,
                    message.created_at,
                )
            elif role == OPERATOR_ROLE:
                target.status, target.unread = conv.ANSWERED, 0
                target.first_answer_at = target.first_answer_at or message.created_at
        if close is not None:
            target.status = conv.RATED if "rating" in close else conv.CLOSED
            target.closed_at = _time(close["asked_at"]["S"])
            target.closed_by = conv.BY_OPERATOR
            target.desk_ref = str(close["conversation_id"]["N"])
            target.assignee = close.get("operator", {}).get("S") or target.assignee
            if "rating" in close:
                target.rating = int(close["rating"]["N"])
                target.rated_at = _time(close["rated_at"]["S"]) if "rated_at" in close else target.closed_at
            if target.last_activity_at < target.closed_at:
                target.last_activity_at = target.closed_at
        undelivered = sum(m.status == FAILED and not (m.context or {}).get(ECHO) for m in items)
        target.undelivered = int(target.undelivered or 0) + undelivered
        target.expires_at = conv.expiry(target.last_activity_at)
        with transaction() as write:  # the conversation and what it adds to the counters (stats)
            write.save(target)
            conv.count(
                write,
                total=int(was_live is None),
                live=int(target.live) - int(bool(was_live)),
                undelivered=undelivered,
            )
        MarkerItem(conv.owner_key(int(target.number)), "-", value=user_id).save()
        if target.live:
            MarkerItem(f"U#{user_id}", conv.LIVE_SK, value=int(target.number)).save()
        if close is not None:
            MarkerItem(close["pk"]["S"], close["sk"]["S"]).delete()
    return made


def _role(message: Any) -> str:
    from supportbot.support.messages import BLINGER, CUSTOMER, CUSTOMER_ROLE, ECHO, NOTICE_ROLE, OPERATOR_ROLE

    context = message.context or {}
    if context.get(ECHO):
        return NOTICE_ROLE  # a copy in Blinger's thread of what the customer was told, or not
    if message.destination == BLINGER:
        return CUSTOMER_ROLE
    if message.destination == CUSTOMER and not context.get("ticket") and not context.get("buttons"):
        return OPERATOR_ROLE  # an operator's reply (from Blinger or the admin page)
    return NOTICE_ROLE


def _time(text: str) -> datetime:
    return UTCDateTimeAttribute().deserialize(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-name", help="a deployed stack (default: the local stack)")
    parser.add_argument("--moto-url", default=LOCAL_MOTO, help="the local stack's AWS (make run's moto)")
    args = parser.parse_args(argv)
    if args.stack_name:
        from infra.redrive import stack_outputs

        outputs = stack_outputs(args.stack_name)
        os.environ["CONVERSATIONS_TABLE"] = outputs["ConversationsTableName"]
        os.environ["SESSIONS_TABLE"] = outputs["SessionsTableName"]
    else:
        from infra.localstack.aws import apply_environment, aws_environment

        apply_environment(aws_environment(args.moto_url))
        # The local stack names tables by logical id.
        os.environ["CONVERSATIONS_TABLE"], os.environ["SESSIONS_TABLE"] = LOCAL_TABLES
    print(f"migrate: {migrate()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
