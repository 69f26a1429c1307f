"""Anti-spam: a customer sending more than ``SPAM_LIMIT_PER_MINUTE`` messages a minute is asked
once to slow down. Nothing is dropped: every message is stored and queued as ever, and the outbox
delivers them in order, paced (``pacing.py``); this only tells the customer.

A minute is a calendar minute (UTC): the item ``U#<user>`` / ``SPAM#<YYYYmmddHHMM>`` holds the set
of the Telegram message ids seen in it, so a re-run of the same update (a lost session race) adds
nothing, and ``told`` is set by a conditional update once: the first message past the limit is
the one answered, once per minute of a burst. Items expire with DynamoDB's TTL after an hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from supportbot.storage.conditions import condition_failed
from supportbot.storage.tables import TableName
from supportbot.support.messages import user_key

KEEP = timedelta(hours=1)


class BurstItem(Model):
    class Meta:
        table_name = TableName("conversations_table")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    seen = UnicodeSetAttribute(null=True)
    told = UnicodeAttribute(null=True)  # the message id the customer was asked to slow down by
    expires_at = TTLAttribute(null=True)


def too_fast(user_id: int, message_id: int, limit: int, now: datetime | None = None) -> bool:
    """Count ``message_id`` in its minute; True for the one message to answer with "slow down"."""
    moment = now or datetime.now(UTC)
    item = BurstItem(user_key(user_id), f"SPAM#{moment.astimezone(UTC):%Y%m%d%H%M}")
    item.update(actions=[BurstItem.seen.add({str(message_id)}), BurstItem.expires_at.set(moment + KEEP)])
    if len(item.seen or ()) <= limit:
        return False
    if item.told is not None:
        return item.told == str(message_id)  # a re-run of the update that was answered
    try:
        item.update(actions=[BurstItem.told.set(str(message_id))], condition=BurstItem.told.does_not_exist())
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False
    return True
