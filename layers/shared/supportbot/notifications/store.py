"""The Notifications table: pending order notifications, broadcasts and their recipients.

Keys:
- ``N#<user_id>#<order_id>`` / ``-``: an order's newest change not yet told to the user
  (``since``: when its coalescing window opened; absent when nothing is pending);
- ``B#<broadcast id>`` / ``-``: a broadcast, its settings and counters (kept on write); every
  broadcast is in the ``Broadcasts`` index (``kind`` = ``B``, by ``created``), newest first;
- ``B#<broadcast id>`` / ``R#<user_id>``: one recipient and what became of the message to them.

The two kinds that carry ``user_id`` (pending notifications, recipients) are in the ``People``
index (keys only), which finds a person's items for their export and erase without a Scan.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from supportbot.storage.attributes import CompactJSONAttribute
from supportbot.storage.tables import TableName


class PeopleIndex(GlobalSecondaryIndex["PendingOrderItem"]):  # type: ignore[no-untyped-call]
    """A person's pending notifications and broadcast recipients by ``user_id`` (keys only)."""

    class Meta:
        index_name = "People"
        projection = KeysOnlyProjection()

    user_id = NumberAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class PendingOrderItem(Model):
    """The newest change of one order for one user, while it waits out its coalescing window."""

    class Meta:
        table_name = TableName("notifications_table")

    people = PeopleIndex()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="-")
    user_id = NumberAttribute()
    order_id = UnicodeAttribute()
    number = UnicodeAttribute()
    status = UnicodeAttribute(null=True)
    status_text = UnicodeAttribute(null=True)
    event_type = UnicodeAttribute()
    occurred = NumberAttribute()  # epoch seconds of the newest event applied
    since = NumberAttribute(null=True)  # the window opened (epoch seconds); None: nothing pending
    expires_at = TTLAttribute(null=True)


def pending_key(user_id: int, order_id: str) -> str:
    return f"N#{user_id}#{order_id}"


def keys_of_user(user_id: int) -> list[tuple[str, str]]:
    """The keys of a person's pending notifications and broadcast recipient items (one Query of
    ``People``, a page at a time)."""
    return [(str(item.pk), str(item.sk)) for item in PendingOrderItem.people.query(user_id)]


class BroadcastsIndex(GlobalSecondaryIndex["BroadcastItem"]):  # type: ignore[no-untyped-call]
    """Every broadcast by creation time (one partition: a shop makes a few a day)."""

    class Meta:
        index_name = "Broadcasts"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    created = UnicodeAttribute(range_key=True)


class BroadcastItem(Model):
    class Meta:
        table_name = TableName("notifications_table")

    listing = BroadcastsIndex()
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="-")
    kind = UnicodeAttribute(default="B")
    created = UnicodeAttribute()  # ISO time, UTC (sorts)
    id = UnicodeAttribute()
    status = UnicodeAttribute()  # scheduled, running, cancelled (done is derived: nothing waiting)
    text = UnicodeAttribute()
    audience = CompactJSONAttribute()
    photo_url = UnicodeAttribute(null=True)
    button = CompactJSONAttribute(null=True)
    start_at = NumberAttribute()  # epoch seconds
    test_chat_id = NumberAttribute(null=True)
    cursor = UnicodeAttribute(null=True)  # the next page of the audience; "" before the first
    fanned_out = NumberAttribute(default=0)  # 1 once every page was fanned out
    total = NumberAttribute(default=0)
    sent = NumberAttribute(default=0)
    blocked = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    cancelled = NumberAttribute(default=0)


class RecipientItem(Model):
    class Meta:
        table_name = TableName("notifications_table")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    user_id = NumberAttribute()
    language = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="waiting")  # waiting, sending, sent, blocked, failed, cancelled
    reason = UnicodeAttribute(null=True)
    paced_at = NumberAttribute(null=True)  # the send time pacing booked for it (epoch seconds)


def broadcast_key(broadcast_id: str) -> str:
    return f"B#{broadcast_id}"


def recipient_key(user_id: int) -> str:
    return f"R#{user_id}"


@functools.cache
def sqs_client() -> Any:
    import botocore.session

    return botocore.session.get_session().create_client("sqs")


def queue_job(queue_url: str | None, job: dict[str, Any], delay: int = 0, client: Any = None) -> None:
    """Put ``job`` on the notifications queue (standard, not the outbox), ``delay`` seconds away
    (SQS allows up to 15 minutes; a job due later puts itself back)."""
    if not queue_url:
        raise RuntimeError("NOTIFICATIONS_QUEUE_URL is not configured")
    (client or sqs_client()).send_message(
        QueueUrl=queue_url, MessageBody=json.dumps(job), DelaySeconds=max(0, min(int(delay), 900))
    )


def queue_jobs(queue_url: str | None, jobs: list[dict[str, Any]], client: Any = None) -> None:
    """Put several jobs on the queue, ten per request."""
    if not queue_url:
        raise RuntimeError("NOTIFICATIONS_QUEUE_URL is not configured")
    sqs = client or sqs_client()
    for start in range(0, len(jobs), 10):
        entries = [
            {"Id": str(n), "MessageBody": json.dumps(job)} for n, job in enumerate(jobs[start : start + 10])
        ]
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        if answer.get("Failed"):
            raise RuntimeError(f"the queue refused {len(answer['Failed'])} jobs")
