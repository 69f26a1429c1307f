"""Bans: operators stop a customer's messages from reaching the desk for a time.

A ban is one item in the customer's partition of the Conversations table, ``U#<user>`` / ``BAN``:
until when, who set it and when, and the message the customer was told by. While it holds (its
``until`` is later than now), the outbox stores what the customer sends to support as it stores
any message, in its conversation, so the inbox shows it (status ``banned``), but does not queue it:
the desk (Blinger) never gets it, neither now nor after the ban ends, and nothing is lost. The
customer is told once per ban, on the first message it holds back (``tell_once``); later ones get
no answer. ``unban`` deletes the item; a ban past its ``until`` is simply no longer in force (it
stays until the next ban of that customer replaces it).

One home for the rules: the admin inbox's buttons (``supportbot_admin/bans.py``) call ``ban`` and
``unban``, and so do the Telegram desk's ``/ban [hours]`` and ``/unban`` (``desk_inbound.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.models import Model

from supportbot.storage.conditions import condition_failed
from supportbot.storage.tables import TableName
from supportbot.support.messages import user_key

BAN_SK = "BAN"
DEFAULT_HOURS = 24
MAX_HOURS = 24 * 365


class BanItem(Model):
    class Meta:
        table_name = TableName("conversations_table")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    user_id = NumberAttribute()
    until = UTCDateTimeAttribute()
    at = UTCDateTimeAttribute()
    by_id = UnicodeAttribute()
    by_name = UnicodeAttribute()
    told = UnicodeAttribute(null=True)  # the "once" key of the message the customer was told by


def ban(user_id: int, hours: int, by_id: str, by_name: str, now: datetime | None = None) -> BanItem:
    """Ban the customer for ``hours`` from now (a ban in force is replaced: told again)."""
    if not 1 <= hours <= MAX_HOURS:
        raise ValueError(f"a ban lasts 1 to {MAX_HOURS} hours, not {hours}")
    moment = now or datetime.now(UTC)
    item = BanItem(
        user_key(user_id),
        BAN_SK,
        user_id=user_id,
        until=moment + timedelta(hours=hours),
        at=moment,
        by_id=by_id,
        by_name=by_name,
    )
    item.save()
    return item


def active(user_id: int, now: datetime | None = None) -> BanItem | None:
    """The customer's ban in force, if any (one consistent GetItem)."""
    try:
        item = BanItem.get(user_key(user_id), BAN_SK, consistent_read=True)
    except BanItem.DoesNotExist:
        return None
    return in_force(item, now)


def item_of(user_id: int) -> BanItem:
    """The customer's ban item by its key, to read with others (``storage/batch.py``)."""
    return BanItem(user_key(user_id), BAN_SK)


def in_force(item: BanItem | None, now: datetime | None = None) -> BanItem | None:
    """``item`` (as read; None: not stored) if it is a ban in force."""
    return item if item is not None and item.until > (now or datetime.now(UTC)) else None


def active_of(user_ids: Iterable[int], now: datetime | None = None) -> dict[int, BanItem]:
    """The bans in force of many customers (a page of the inbox): one BatchGetItem, by user id."""
    keys = [(user_key(user_id), BAN_SK) for user_id in dict.fromkeys(user_ids)]
    moment = now or datetime.now(UTC)
    found = BanItem.batch_get(keys) if keys else []
    return {int(item.user_id): item for item in found if item.until > moment}


def unban(user_id: int, now: datetime | None = None) -> bool:
    """End the customer's ban; False when none was in force."""
    try:
        BanItem(user_key(user_id), BAN_SK).delete(condition=BanItem.until > (now or datetime.now(UTC)))
    except DeleteError as error:
        if condition_failed(error):
            return False
        raise
    return True


def tell_once(item: BanItem, once_key: str) -> bool:
    """Whether the message ``once_key`` names is the one to tell the customer of the ban by: the
    first one the ban held back (or that message's handler run again after a lost race)."""
    if item.told is not None:
        return item.told == once_key
    try:
        # Conditional on this very ban (``at``): a ban set meanwhile tells on its own next message.
        item.update(
            actions=[BanItem.told.set(once_key)],
            condition=BanItem.told.does_not_exist() & (BanItem.at == item.at),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True
