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
  (docs/ARCHITECTURE.md, "Retention");
- what the admin's lists read by key (docs/ARCHITECTURE.md, "Admin lists"): conversations get
  their desk's ``Inbox`` partition and their ``Lists`` keys, tickets get their ``Lists`` keys and
  are counted by kind and status, ratings are counted, failed updates and
  customers' profiles get ``listed``, each once (conditional writes);
- a failed update of a known user stored before pointers gets its pointer in the user's
  partition (``U#<id>`` / ``FU#<update id>``), by which a person's export finds it;
- the built-in backend's login token items (``TOKEN#<hash>``) of the version before signed tokens
  are deleted: nothing reads them any more (a customer logged in with one is asked to log in
  again on their next order screen), and they named a person no export would find.
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
    listed: int = 0
    tokens: int = 0
    pointers: int = 0

    def __str__(self) -> str:
        return (
            f"{self.tickets} ticket(s), {self.messages} message(s) into {self.conversations} "
            f"conversation(s), {self.ratings} rating(s), {self.sessions} session(s) migrated, "
            f"{self.expiries} expiry(ies) set; {self.listed} item(s) listed; "
            f"{self.tokens} stored token(s) deleted; {self.pointers} failed update pointer(s) saved"
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
            if sk.startswith("T#") and "list_pk" not in raw:
                ticket = _ticket(raw) if "ref" not in raw else None
                counts.tickets += ticket is not None
                counts.listed += _list_ticket(ticket or raw)
            elif sk.startswith("C#"):
                counts.listed += _list_conversation(raw) if "list_pk" not in raw else 0
                if "rating" in raw and "rating_counted" not in raw:
                    counts.ratings += _count_rating(raw)
                if "expires_at" not in raw:
                    _expiry(raw)
                    counts.expiries += 1
            elif sk.startswith("M#") and "conversation" not in raw:
                users[user_id].messages.append(MessageItem.from_raw_data(raw))
            elif sk.startswith("R#"):
                users[user_id].ratings.append(raw)
    counts.listed += _list_others()
    counts.tokens = _delete_tokens()
    counts.pointers = _failed_update_pointers()
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


def _list_others() -> int:
    """Put failed updates and customers' profiles stored before their lists existed in them (the
    ``Recorded`` and ``Customers`` indexes); returns how many."""
    from supportbot.backend.builtin import CUSTOMERS_KEY, PROFILE, BackendItem
    from supportbot.storage.failed_updates import LISTED, FailedUpdateItem

    listed = 0
    for model, value, keys, wanted in (
        (FailedUpdateItem, LISTED, ("update_id",), lambda raw: True),
        (BackendItem, CUSTOMERS_KEY, ("pk", "sk"), lambda raw: raw.get("sk", {}).get("S") == PROFILE),
    ):
        client = model._get_connection().connection.client  # pynamodb's own botocore client
        for page in client.get_paginator("scan").paginate(TableName=model.Meta.table_name):
            for raw in page.get("Items", []):
                if "listed" not in raw and wanted(raw):
                    try:
                        client.update_item(
                            TableName=model.Meta.table_name,
                            Key={key: raw[key] for key in keys},
                            UpdateExpression="SET listed = :listed",
                            ConditionExpression="attribute_exists(#k) AND attribute_not_exists(listed)",
                            ExpressionAttributeNames={"#k": keys[0]},
                            ExpressionAttributeValues={":listed": {"S": value}},
                        )
                    except client.exceptions.ConditionalCheckFailedException:
                        continue  # deleted, or listed by a write of the new version, meanwhile
                    listed += 1
    return listed


def _failed_update_pointers() -> int:
    """Save the pointer of each failed update of a known user that has none; returns how many."""
    from supportbot.storage.failed_updates import POINTER_PREFIX, FailedUpdateItem, save_pointer
    from supportbot.support.messages import MarkerItem, user_key

    saved = 0
    for record in FailedUpdateItem.scan(FailedUpdateItem.user_id.exists()):
        key = (user_key(int(record.user_id)), f"{POINTER_PREFIX}{int(record.update_id)}")
        try:
            MarkerItem.get(*key, attributes_to_get=["pk"])
        except MarkerItem.DoesNotExist:
            save_pointer(record)
            saved += 1
    return saved


def _delete_tokens() -> int:
    """Delete the login token items of the version before signed tokens; returns how many."""
    from supportbot.backend.builtin import BackendItem

    client = BackendItem._get_connection().connection.client  # pynamodb's own botocore client
    table = BackendItem.Meta.table_name
    deleted = 0
    scan = {"FilterExpression": "sk = :token", "ExpressionAttributeValues": {":token": {"S": "TOKEN"}}}
    for page in client.get_paginator("scan").paginate(TableName=table, ProjectionExpression="pk, sk", **scan):
        for raw in page.get("Items", []):
            client.delete_item(TableName=table, Key={"pk": raw["pk"], "sk": raw["sk"]})
            deleted += 1
    return deleted


def _list_ticket(ticket_or_raw: Any) -> int:
    """Put a ticket in the admin's filtered lists and the counters of tickets by kind and status,
    in one transaction conditional on it not being listed yet (1 when done, 0 when it was)."""
    from pynamodb.exceptions import TransactWriteError

    from supportbot.storage.transactions import transaction
    from supportbot.support import tickets

    ticket = (
        ticket_or_raw
        if isinstance(ticket_or_raw, tickets.TicketItem)
        else tickets.TicketItem.from_raw_data(ticket_or_raw)
    )
    keys = tickets.index_keys(str(ticket.kind), str(ticket.status), int(ticket.number))
    try:
        with transaction() as write:
            write.update(
                ticket,
                actions=[getattr(tickets.TicketItem, name).set(value) for name, value in keys.items()],
                condition=tickets.TicketItem.list_pk.does_not_exist()
                & (tickets.TicketItem.status == ticket.status),
            )
            tickets.count(write, str(ticket.kind), **{str(ticket.status): 1})
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        return 0  # listed meanwhile (a move lists it), or a second run
    return 1


def _list_conversation(raw: dict[str, Any]) -> int:
    """Give a conversation of the version before its desk's ``Inbox`` partition and its place in
    ``Lists`` (conditional on nothing having moved it meanwhile: a message's own write would)."""
    from pynamodb.exceptions import UpdateError

    from supportbot.support.conversations import ConversationItem

    item = ConversationItem.from_raw_data(raw)
    keys = ConversationItem.from_raw_data(raw).keep_keys()
    try:
        item.update(
            actions=[
                ConversationItem.inbox.set(keys.inbox),
                ConversationItem.list_pk.set(keys.list_pk),
                ConversationItem.list_sk.set(keys.list_sk),
            ],
            condition=ConversationItem.list_pk.does_not_exist()
            & (ConversationItem.last_activity_at == item.last_activity_at),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return 0
    return 1


def _count_rating(raw: dict[str, Any]) -> int:
    """Count a conversation rated before the counters kept ratings (once: conditional)."""
    from pynamodb.exceptions import TransactWriteError

    from supportbot.storage.transactions import transaction
    from supportbot.support import conversations as conv

    item = conv.ConversationItem.from_raw_data(raw)
    condition, deltas = conv.rating_deltas(item, int(item.rating))
    try:
        with transaction() as write:
            write.update(
                item,
                actions=[conv.ConversationItem.rating_counted.set(True)],
                condition=condition & (conv.ConversationItem.rating == int(item.rating)),
            )
            conv.count(write, **deltas)
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        return 0
    return 1


def _ticket(raw: dict[str, Any]) -> Any:
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
    return ticket


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
        rating_counts: dict[str, int] = {}
        if close is not None and "rating" in close:  # a new conversation: counted here, once
            target.rating_counted, rating_counts = True, {"rated": 1, "rating_sum": int(target.rating)}
        with transaction() as write:  # the conversation and what it adds to the counters (stats)
            write.save(target.keep_keys())
            conv.count(
                write,
                total=int(was_live is None),
                live=int(target.live) - int(bool(was_live)),
                undelivered=undelivered,
                **rating_counts,
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
        os.environ["FAILED_UPDATES_TABLE"] = outputs["FailedUpdatesTableName"]
        os.environ["BACKEND_TABLE"] = outputs["BackendTableName"]
    else:
        from infra.localstack.aws import apply_environment, aws_environment

        apply_environment(aws_environment(args.moto_url))
        # The local stack names tables by logical id.
        os.environ["CONVERSATIONS_TABLE"], os.environ["SESSIONS_TABLE"] = LOCAL_TABLES
        os.environ["FAILED_UPDATES_TABLE"], os.environ["BACKEND_TABLE"] = "FailedUpdatesTable", "BackendTable"
    print(f"migrate: {migrate()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
