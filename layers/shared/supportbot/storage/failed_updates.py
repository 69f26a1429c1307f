"""Telegram updates whose processing failed: kept for inspection and replay (not retried by
Telegram, since the webhook answered 200 to keep the chat flowing). Every record carries
``listed`` = ``F``, so the ``Recorded`` index lists them newest first, a page at a time.

A record of a known user also gets a pointer in that user's partition of the Conversations table
(``U#<id>`` / ``FU#<update id>``, expiring with the record), so a person's export finds their
records by a key, not a Scan: this table's one new index of this version is ``Recorded``, and
CloudFormation adds one index per table per update."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from supportbot.redact import redact_text
from supportbot.storage.attributes import CompactJSONAttribute
from supportbot.storage.tables import TableName

KEEP_FOR = timedelta(days=14)
LISTED = "F"
POINTER_PREFIX = "FU#"
logger = logging.getLogger(__name__)


class RecordedIndex(GlobalSecondaryIndex["FailedUpdateItem"]):  # type: ignore[no-untyped-call]
    """Every record by when it was recorded (what the list shows: never the update itself)."""

    class Meta:
        index_name = "Recorded"
        projection = IncludeProjection(["user_id", "error"])

    listed = UnicodeAttribute(hash_key=True)
    recorded_at = UTCDateTimeAttribute(range_key=True)


class FailedUpdateItem(Model):
    class Meta:
        table_name = TableName("failed_updates_table")

    recorded = RecordedIndex()
    listed = UnicodeAttribute(default=LISTED)
    update_id = NumberAttribute(hash_key=True)
    user_id = NumberAttribute(null=True)
    update = CompactJSONAttribute()
    error = UnicodeAttribute()
    recorded_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


def record_failed_update(update: dict[str, Any], user_id: int | None, error: str) -> None:
    now = datetime.now(UTC)
    record = FailedUpdateItem(
        update_id=int(update.get("update_id", 0)),
        user_id=user_id,
        update=update,
        error=redact_text(error)[:1000],  # an HTTP error names its URL: the bot token
        recorded_at=now,
        expires_at=now + KEEP_FOR,
    )
    record.save()
    if user_id is not None:
        try:
            save_pointer(record)
        except Exception:  # the record is kept for replay all the same; only the export misses it
            logger.exception("the failed update's pointer in the user's partition was not saved")


def save_pointer(record: FailedUpdateItem) -> None:
    """The record's pointer in its user's partition of Conversations (``make migrate`` writes it
    for records stored before pointers)."""
    from supportbot.support.messages import MarkerItem, user_key

    MarkerItem(
        user_key(int(record.user_id)),
        f"{POINTER_PREFIX}{int(record.update_id)}",
        value=int(record.update_id),
        expires_at=record.expires_at,
    ).save()


def failed_updates_of(user_id: int) -> Iterator[FailedUpdateItem]:
    """A user's records: their pointers (one Query of their partition's ``FU#`` range), then the
    records (BatchGetItem); a pointer whose record was replayed or expired finds nothing."""
    from supportbot.support.messages import MarkerItem, user_key

    pointers = MarkerItem.query(user_key(user_id), MarkerItem.sk.startswith(POINTER_PREFIX))
    ids = [int(pointer.value) for pointer in pointers if pointer.value is not None]
    for record in FailedUpdateItem.batch_get(ids, consistent_read=True):
        if record.user_id is not None and int(record.user_id) == user_id:
            yield record
