"""One item per Telegram user: the engine's session, the login, language and dedupe window.

Saves are conditional on ``version`` (pynamodb's optimistic locking), so two concurrent updates of
one user never both apply: the loser gets :class:`SessionConflictError` and is re-run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from supportbot.storage.attributes import CompactJSONAttribute
from supportbot.storage.conditions import condition_failed
from supportbot.storage.tables import TableName

ANONYMOUS_TTL = timedelta(days=7)
LOGGED_IN_TTL = timedelta(days=365)
# How many of the user's own most recent processed update ids the dedupe window keeps, the newest
# included (docs/ARCHITECTURE.md, "Dedupe window"): an album's 10 parts in any order, and a little.
KEPT = 12


class SessionConflictError(Exception):
    """Another update of the same user saved first."""


# What order events and broadcasts need of a session, without its machine (sparse indexes: only
# sessions that ever logged in are in them).
_REACH = ["a", "b", "l", "n", "t"]


class PhoneIndex(GlobalSecondaryIndex["SessionItem"]):  # type: ignore[no-untyped-call]
    """Sessions by the phone they last logged in with (kept after a logout): who an order event
    for a phone reaches, and why not."""

    class Meta:
        index_name = "Phones"
        projection = IncludeProjection(_REACH)

    phone = UnicodeAttribute(attr_name="p", hash_key=True)


# The Audience index's key per user type: one letter, as every byte of a session counts (it stays
# one write unit, 1 KB, with a complaint's answers in it).
AUDIENCES = {"customer": "c", "partner": "p"}


class AudienceIndex(GlobalSecondaryIndex["SessionItem"]):  # type: ignore[no-untyped-call]
    """Logged-in sessions by user type (``AUDIENCES``: customer, partner), by user id: a broadcast's
    recipients, page by page. One partition per type: DynamoDB takes ~1,000 writes/s on it, far
    over the logins and logouts a shop sees; past that, shard the key (``customer#<n>``)."""

    class Meta:
        index_name = "Audience"
        projection = IncludeProjection(_REACH)

    audience = UnicodeAttribute(attr_name="t", hash_key=True)
    user_id = NumberAttribute(range_key=True)


class SessionItem(Model):
    class Meta:
        table_name = TableName("sessions_table")

    phones = PhoneIndex()
    audiences = AudienceIndex()

    user_id = NumberAttribute(hash_key=True)
    machine = CompactJSONAttribute(attr_name="m", null=True)
    auth = CompactJSONAttribute(attr_name="a", null=True)
    language = UnicodeAttribute(attr_name="l", null=True)
    # The dedupe window: the newest update id processed, and the user's next ``KEPT - 1`` processed
    # ids below it, as their distances from it ("3,17,10402", ascending; absent when none). A
    # session stored before it (only ``u``, or the bot-wide bitmap ``w`` it replaced, now ignored
    # and dropped by the next save) loads as "only the newest known".
    last_update_id = NumberAttribute(attr_name="u", default=0)
    kept_below = UnicodeAttribute(attr_name="d", null=True)
    version = VersionAttribute(attr_name="v")
    expires_at = TTLAttribute(null=True)
    # Set by the outbox when Telegram answered 403 (the user blocked the bot): messages to them
    # are not even tried until they write again, and every save of an update of theirs clears it.
    bot_blocked_at = UTCDateTimeAttribute(attr_name="b", null=True)
    # Derived from the login when the session is saved (pipeline.store_machine_session), for the
    # indexes above: the phone last logged in with (the login's own copy of it is not stored
    # twice), the user type while logged in (``AUDIENCES``).
    phone = UnicodeAttribute(attr_name="p", null=True)
    audience = UnicodeAttribute(attr_name="t", null=True)
    # The user turned order notifications and broadcasts off (the Notifications screen).
    notifications_off = BooleanAttribute(attr_name="n", null=True)

    def kept(self) -> list[int]:
        """The processed update ids the window keeps, newest first (none in a new session)."""
        newest = int(self.last_update_id)
        if not newest:
            return []
        return [newest] + [newest - int(delta) for delta in (self.kept_below or "").split(",") if delta]

    def processed(self, update_id: int) -> bool:
        """Whether ``update_id`` was processed already, as far as the window knows: a kept id is,
        an id newer than the newest is not, nor one below it that is not kept while the window is
        not full or it is newer than the oldest kept. Below the oldest kept id of a full window it
        cannot know (``KEPT - 1`` newer updates of this user were handled first) and says yes."""
        kept = self.kept()
        if not kept or update_id > kept[0]:
            return False
        return update_id in kept or (len(kept) == KEPT and update_id < kept[-1])

    def mark_processed(self, update_id: int) -> None:
        """Keep ``update_id`` among the ``KEPT`` newest processed ids (the oldest drops out; an id
        older than every one of a full window is not kept)."""
        newest, *below = sorted({update_id, *self.kept()}, reverse=True)[:KEPT]
        self.last_update_id = newest
        self.kept_below = ",".join(str(newest - older) for older in below) or None


@dataclass
class Auth:
    """What the business system returned at login."""

    token: str
    user_type: str
    phone: str
    name: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"t": self.token, "k": self.user_type, "p": self.phone, "n": self.name}

    @classmethod
    def from_dict(cls, data: Any) -> Auth | None:
        if not isinstance(data, dict) or not data.get("t"):
            return None
        return cls(
            token=data["t"],
            user_type=data.get("k", "customer"),
            phone=data.get("p", ""),
            name=data.get("n", ""),
        )


def load_session(user_id: int) -> SessionItem:
    """The user's item (consistent read, so a retry after a conflict sees the winner's save)."""
    try:
        return SessionItem.get(user_id, consistent_read=True)
    except SessionItem.DoesNotExist:
        return SessionItem(user_id)


def save_session(item: SessionItem, now: datetime | None = None) -> None:
    logged_in = Auth.from_dict(item.auth) is not None
    item.expires_at = (now or datetime.now(UTC)) + (LOGGED_IN_TTL if logged_in else ANONYMOUS_TTL)
    try:
        item.save()
    except PutError as error:
        if condition_failed(error):
            raise SessionConflictError(item.user_id) from error
        raise


def mark_bot_blocked(user_id: int, now: datetime | None = None) -> None:
    """Remember that the user blocked the bot (conditional on the version: if they wrote in the
    meantime they unblocked it, and the flag is rightly not set)."""
    try:
        item = SessionItem.get(user_id, consistent_read=True)
        item.update(actions=[SessionItem.bot_blocked_at.set(now or datetime.now(UTC))])
    except SessionItem.DoesNotExist:
        return
    except UpdateError as error:
        if not condition_failed(error):
            raise


def bot_blocked(user_id: int) -> bool:
    """Whether the user blocked the bot and has not written since."""
    try:
        item = SessionItem.get(user_id, attributes_to_get=["b"])
    except SessionItem.DoesNotExist:
        return False
    return item.bot_blocked_at is not None


def customer_language(user_id: int, default: str) -> str:
    """The language to speak to this customer in, wherever the bot speaks from (the Blinger webhook,
    the warehouse group, the admin API): the one their session records, which the pipeline sets
    from their Telegram language on every update. The one source of this fact."""
    try:
        item = SessionItem.get(user_id, attributes_to_get=["l"])
    except SessionItem.DoesNotExist:
        return default
    return str(item.language or default)


def sessions_with_phone(phone: str) -> list[SessionItem]:
    """Every session that last logged in with ``phone`` (logged in or out since)."""
    return list(SessionItem.phones.query(phone))
