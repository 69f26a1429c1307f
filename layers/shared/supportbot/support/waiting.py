"""What a customer opening a conversation inside business hours is told: their place among the
conversations waiting for an operator, and how long operators take to answer now
(docs/ARCHITECTURE.md, "Expected wait").

- **Place in the queue**: a count of the ``Lists`` index's partition of open conversations
  (``C#open``: waiting for an operator, the new one included), stopped at :data:`QUEUE_BOUND` (a
  bounded read, never a Scan; past it the customer is told "over" the bound).
- **Expected wait**: the median first answer time (first answer less opening) of the newest
  :data:`SAMPLES` conversations answered in the last :data:`WINDOW`. Kept on write, so telling it
  costs one item read (the dialog reads it with the live pointer, ``bot/support.py``): an operator's message (``outbox.store``) marks its conversation sampled with a
  conditional update (``answer_sampled`` absent, ``first_answer_at`` set by the message's own
  transaction), so each conversation's first answer adds one sample to the item ``STATS`` /
  ``answer-times``, written conditionally on its version (two answers at once both land). No
  sample in the window: nothing is said.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

from supportbot.storage.attributes import CompactJSONAttribute
from supportbot.storage.conditions import condition_failed
from supportbot.storage.tables import TableName
from supportbot.support import reports
from supportbot.support.conversations import OPEN, ConversationItem, conversation_key, status_key
from supportbot.support.messages import user_key

SAMPLES = 50
WINDOW = timedelta(days=7)
QUEUE_BOUND = 100
ATTEMPTS = 5
KEY = ("STATS", "answer-times")


class AnswerTimesItem(Model):
    """The newest first answer times: ``samples`` = ``[[answered at (epoch s), seconds], ...]``."""

    class Meta:
        table_name = TableName("conversations_table")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    samples = CompactJSONAttribute(null=True)
    version = NumberAttribute(default=0)


@dataclass(frozen=True)
class Waiting:
    """What the customer is told: their place (``over`` when past the bound) and the median wait in
    seconds (None: no conversation answered in the window)."""

    position: int
    over: bool
    wait: float | None


def sample_first_answer(user_id: int, number: int, operator: str | None = None) -> float | None:
    """After an operator's message to conversation ``number`` was stored: if it was the
    conversation's first answer not yet sampled, add its first answer time (and to the reports, by
    ``operator``, else the conversation's assignee); the seconds added."""
    conversation = ConversationItem(user_key(user_id), conversation_key(number))
    try:
        conversation.update(
            actions=[ConversationItem.answer_sampled.set(True)],
            condition=ConversationItem.answer_sampled.does_not_exist()
            & ConversationItem.first_answer_at.exists(),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return None  # sampled already (a later answer), or not an answer of a live conversation
    answered = conversation.first_answer_at  # set: the condition said so
    seconds = max(0.0, (answered - conversation.opened_at).total_seconds())
    add_sample(answered, seconds)
    reports.answered(conversation.opened_at, seconds, operator or conversation.assignee)
    return seconds


def add_sample(answered: datetime, seconds: float) -> None:
    """Keep ``seconds`` among the newest :data:`SAMPLES` by answer time (conditional on the version
    read: a concurrent sample makes this read again)."""
    for _ in range(ATTEMPTS):
        item = answer_times()
        kept = sorted([*(item.samples or []), [round(answered.timestamp(), 3), round(seconds, 3)]])[-SAMPLES:]
        version = int(item.version or 0)
        condition = AnswerTimesItem.version == version if version else AnswerTimesItem.pk.does_not_exist()
        try:
            AnswerTimesItem(*KEY, samples=kept, version=version + 1).save(condition=condition)
        except PutError as error:
            if not condition_failed(error):
                raise
            continue
        return
    raise RuntimeError("the answer times kept changing")


def answer_times() -> AnswerTimesItem:
    try:
        return AnswerTimesItem.get(*KEY, consistent_read=True)
    except AnswerTimesItem.DoesNotExist:
        return answer_times_of(None)


def answer_times_of(item: AnswerTimesItem | None) -> AnswerTimesItem:
    """The answer times ``item`` holds, read with others (None: none stored yet)."""
    return AnswerTimesItem(*KEY, samples=[], version=0) if item is None else item


def median_wait(now: datetime, samples: list[Any]) -> float | None:
    """The median of the newest :data:`SAMPLES` ``samples`` answered in the :data:`WINDOW` before
    ``now``; None when there is none.

    >>> now = datetime(2026, 12, 2, tzinfo=UTC)
    >>> day = 86400
    >>> median_wait(now, [[now.timestamp() - 8 * day, 10], [now.timestamp() - day, 60], [now.timestamp(), 120]])
    90.0
    >>> median_wait(now, [[now.timestamp() - 8 * day, 10]]) is None
    True
    """
    since = (now - WINDOW).timestamp()
    recent = sorted(sample for sample in samples if sample[0] >= since)[-SAMPLES:]
    return statistics.median(seconds for _, seconds in recent) if recent else None


def queue_position() -> tuple[int, bool]:
    """How many conversations wait for an operator (the asking customer's included), at most
    :data:`QUEUE_BOUND`; and whether there are more."""
    found = ConversationItem.by_status.count(status_key(OPEN), limit=QUEUE_BOUND + 1)
    return min(found, QUEUE_BOUND), found > QUEUE_BOUND


def waiting(now: datetime | None = None, times: AnswerTimesItem | None = None) -> Waiting:
    """What to tell a customer whose conversation just opened (``times``: the answer times, when
    read with other items; else read here)."""
    position, over = queue_position()
    samples = (times or answer_times()).samples or []
    return Waiting(position, over, median_wait(now or datetime.now(UTC), samples))
