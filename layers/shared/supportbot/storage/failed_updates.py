"""Telegram updates whose processing failed: kept for inspection and replay (not retried by
Telegram, since the webhook answered 200 to keep the chat flowing). Every record carries
``listed`` = ``F``, so the ``Recorded`` index lists them newest first, a page at a time."""

from __future__ import annotations

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
    FailedUpdateItem(
        update_id=int(update.get("update_id", 0)),
        user_id=user_id,
        update=update,
        error=redact_text(error)[:1000],  # an HTTP error names its URL: the bot token
        recorded_at=now,
        expires_at=now + KEEP_FOR,
    ).save()
