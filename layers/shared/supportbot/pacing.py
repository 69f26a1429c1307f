"""Pacing: one token bucket per scope (a chat, a group, the bot as a whole), shared by every Lambda
instance through DynamoDB, so that messages go out at Telegram's pace instead of meeting its 429s.

A scope is any string key with a :class:`Rate`; the outbox paces each destination chat
(:func:`chat_rate`: a private chat about 1 message/s, a group 20/min), broadcasts pace the bot
as a whole (``BROADCAST``: about 25/s, leaving room under Telegram's ~30/s for everything
else); each a tenth under Telegram's figure.

**The bucket** is kept as one number per scope, its *theoretical arrival time* ``tat`` (the
generic cell rate algorithm, which is a token bucket written as a time): the moment the bucket
is full again. Booking ``units`` messages with a ``burst`` of tokens and one token per
``interval``: they may go at ``at = max(now, tat - (burst - units) * interval)`` and the bucket
then reads ``tat = max(tat, at) + units * interval``. Every booking gets a time, even a future
one (a *reservation*): the caller holds its message back until then, and nobody else is given
that slot, so held-back messages do not race each other again when they return.

With ``burst`` 1 the messages are spaced evenly (``interval`` apart), which is what keeps within
a limit stated as "N per window" whatever the window's phase; a booking of several messages at
once (an album) waits for the room of all of them, before and after.

**Shared by concurrent instances**, without a lock and, while a scope is busy, without races:
when the booking cannot go at once (``tat`` is far enough ahead that ``at`` is in the future),
the new ``tat`` is the old one plus a fixed step, so one conditional ``ADD`` books it
(condition: ``tat`` is still that far ahead) and the stored result says which slot it got —
however many instances book together, each gets its own slot in one write and no read. When the
scope has room (``at`` is now) or has no item yet, the item is read (strongly consistent) and
written back only if ``tat`` is still what was read; an instance that lost that race tries again,
and then usually finds the bucket busy. Each booking costs about one write unit; a scope's item is
written at its own rate (a group's 20 times a minute, the broadcast item 25 times a second, far
under DynamoDB's 1,000 writes/s per partition), and no lock can be left held by a crashed instance. A crash between booking and
sending only wastes the slot: pacing gets slower, never faster. A send that goes out after its
booked time (a held-back message is late by up to its queue's whole-second visibility) moves the
bucket on from the moment it really went (:meth:`Pacer.sent_late`), so lateness never squeezes
the next send closer to it than the rate allows. Items expire (TTL) a day after
their bucket was full again.

>>> GROUP_CHAT.interval, chat_rate(-100123) == GROUP_CHAT, chat_rate(42) == PRIVATE_CHAT
(3.3, True, True)
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

from supportbot.storage.conditions import condition_failed

EXPIRY = timedelta(days=1)
MAX_RACES = 20  # lost conditional writes in a row before giving up (the caller retries later)
# A busy scope's booking sets the item's expiry without reading tat: this far ahead of now at most
# (further, the read-and-write path books and sets it from tat itself).
HORIZON = 12 * 60 * 60


@dataclass(frozen=True)
class Rate:
    """``count`` messages per ``seconds``, with ``burst`` of them allowed at once."""

    count: int
    seconds: float
    burst: int = 1

    @property
    def interval(self) -> float:
        return self.seconds / self.count


# 10 % under Telegram's limits: a send goes a little after its booked time (queue visibility is
# counted in whole seconds, batches take their time), and an evenly spaced schedule at exactly
# "N per window" has no room for one message to be late while the next is on time.
PRIVATE_CHAT = Rate(1, 1.1)  # Telegram: "about one message per second" in a chat
GROUP_CHAT = Rate(20, 66.0)  # "no more than 20 messages per minute" in a group
BROADCAST = Rate(25, 1.1)  # bulk sends, the bot as a whole ("about 30 per second")
BOT_SCOPE = "bot"


def chat_scope(chat_id: int) -> str:
    return f"chat:{chat_id}"


def chat_rate(chat_id: int) -> Rate:
    """Telegram's pace for a chat: groups and channels have negative ids."""
    return GROUP_CHAT if chat_id < 0 else PRIVATE_CHAT


@dataclass
class Clock:
    """Time as pacing sees it; tests replace ``now`` and ``sleep`` (no real waiting)."""

    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


CLOCK = Clock()


def _millis(seconds: float) -> float:
    """Rounded up to the millisecond: what the item stores is then exact both as DynamoDB's decimal
    (sums of ``ADD`` included) and as a float, so the read-and-write path's "tat is still what I
    read" condition compares equal values. Up, so pacing is never faster than its rate."""
    return math.ceil(round(seconds * 1000, 6)) / 1000


class PacingContendedError(Exception):
    """Every try to book lost the race for the scope's item: the caller should try again later."""


class BucketItem(Model):
    """One scope's bucket (the Pacing table)."""

    class Meta:
        table_name = os.environ.get("PACING_TABLE", "pacing")

    scope = UnicodeAttribute(hash_key=True)
    tat = NumberAttribute()  # epoch seconds at which the bucket is full again
    expires_at = TTLAttribute()


class Pacer:
    """Books sends in a scope's bucket.

    >>> from moto import mock_aws
    >>> with mock_aws():
    ...     BucketItem.create_table(billing_mode="PAY_PER_REQUEST")
    ...     pacer = Pacer(Clock(now=lambda: 1000.0))
    ...     [pacer.book("chat:-1", Rate(20, 60)) for _ in range(3)]
    [0.0, 3.0, 6.0]
    """

    def __init__(self, clock: Clock = CLOCK) -> None:
        self.clock = clock

    def book(self, scope: str, rate: Rate, units: int = 1) -> float:
        """Book ``units`` messages in ``scope``; seconds from now until they may be sent (0: now)."""
        ahead = (rate.burst - units) * rate.interval  # at = tat - ahead, when that is not past
        # tat' = max(tat, at) + units * interval: a fixed step whenever at is in the future.
        step = _millis((units + max(0, units - rate.burst)) * rate.interval)
        for _ in range(MAX_RACES):
            now = self.clock.now()
            booked = self._book_busy(scope, now, now + ahead, step)
            if booked is not None:
                return booked - step - ahead - now
            stored = self._read(scope)
            if stored is not None and stored.tat >= now + ahead:
                continue  # booked by another instance meanwhile: busy now
            tat = stored.tat if stored is not None else now
            item = BucketItem(scope, tat=_millis(max(tat, now) + units * rate.interval))
            item.expires_at = datetime.fromtimestamp(item.tat, UTC) + EXPIRY
            condition = BucketItem.scope.does_not_exist() if stored is None else BucketItem.tat == stored.tat
            try:
                item.save(condition=condition)
            except PutError as error:
                if condition_failed(error):
                    continue  # another instance booked in between: read its booking
                raise
            return 0.0
        raise PacingContendedError(f"could not book a send in {scope!r}")

    @staticmethod
    def _book_busy(scope: str, now: float, threshold: float, step: float) -> float | None:
        """The scope's new ``tat`` after adding ``step``, if ``tat`` was at least ``threshold``
        (the booking goes in the future); None when the scope has room now or no item."""
        item = BucketItem(scope)
        try:
            item.update(
                actions=[
                    BucketItem.tat.add(step),
                    BucketItem.expires_at.set(datetime.fromtimestamp(now + HORIZON, UTC) + EXPIRY),
                ],
                condition=BucketItem.tat.between(threshold, now + HORIZON),
            )
        except UpdateError as error:
            if condition_failed(error):
                return None
            raise
        return float(item.tat)

    def sent_late(self, scope: str, rate: Rate, units: int = 1) -> None:
        """A send is going out now, after the time it had booked (a held-back message returns when
        its queue visibility ends, counted in whole seconds): move the bucket on from now, so the
        next booking keeps its distance from this send and not from the slot it missed. One
        conditional write, no read: when the bucket is already further on, nothing changes."""
        tat = _millis(self.clock.now() + units * rate.interval)
        try:
            BucketItem(scope).update(
                actions=[BucketItem.tat.set(tat)],
                condition=BucketItem.scope.exists() & (BucketItem.tat < tat),
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise

    @staticmethod
    def _read(scope: str) -> BucketItem | None:
        try:
            return BucketItem.get(scope, consistent_read=True)
        except BucketItem.DoesNotExist:
            return None
