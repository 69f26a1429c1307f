"""The outbox: store first, then queue; the consumer delivers and records the outcome.

Enqueue puts the stored message's key on the SQS FIFO queue, grouped per user so order holds
(a failing message holds that user's later ones, never other users'). The consumer skips a
message whose delivery is already recorded, so a redelivered queue message is never sent again.
The only window for a duplicate is a crash between a destination call and recording it (the
destinations accept no idempotency keys): at most that one part is sent twice.

Retries: a failed delivery makes the message visible again after a growing delay (SQS
visibility timeout: 30 s, 1 min, 2 min ... capped at 12 h; with the default 12 attempts the
last retry is ~17 h after the first try) or after Telegram's ``retry_after``; after
``OUTBOX_MAX_ATTEMPTS`` receives the queue's redrive policy moves it to the dead-letter queue
and the stored message says ``failed`` with the reason.

Idempotent enqueues: a caller that may run twice for one input (a Telegram update re-run after a
lost session race, a repeated Blinger webhook call) passes ``once``, a key naming that input; the
marker ``IN#<once>`` and the message are written in one transaction, so a
repeat finds the marker, stores nothing and only re-queues the same message (the consumer skips it
once it is sent), and a crash between claiming and storing cannot lose the input.
Albums: later parts are appended to the stored message while it is still queued
(``append_parts``); the consumer records ``sent`` only if no part arrived during its delivery, else
it delivers the new parts too, and records progress with updates, never by rewriting the item.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import size

from supportbot import metrics
from supportbot.config import Config
from supportbot.redact import redact_text
from supportbot.storage.conditions import condition_failed
from supportbot.storage.transactions import transaction
from supportbot.support.messages import (
    BLINGER,
    FAILED,
    QUEUED,
    SENT,
    MarkerItem,
    MessageItem,
    NewMessage,
    Part,
    load_message,
    new_message_item,
)
from supportbot.telegram.split import split_parts

logger = Logger(child=True)

FIRST_DELAY = 30
MAX_VISIBILITY = 12 * 60 * 60  # SQS's limit
ONCE_TTL = timedelta(days=30)  # far longer than any retry of the same input


class DeliveryError(Exception):
    """A delivery failed and should be retried (after ``retry_after`` seconds when given)."""

    def __init__(self, reason: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class DeliveryDeferredError(DeliveryError):
    """Not a failure: the message is held back on purpose (an album still arriving) and tried
    again after ``retry_after``. Not counted as a failed try in the metrics, nor its age."""


class PermanentDeliveryError(Exception):
    """A delivery that can never succeed (e.g. the user blocked the bot): recorded, not retried."""


@functools.cache
def sqs_client() -> Any:
    """Made on first use: only paths that queue something pay for the SQS service model."""
    import botocore.session

    return botocore.session.get_session().create_client("sqs")


def enqueue(
    config: Config,
    message: NewMessage,
    client: Any = None,
    once: str | None = None,
    repeat_window: timedelta = ONCE_TTL,
) -> MessageItem:
    """Store ``message`` (status queued), then put it on the outbox queue.

    With ``once``, a repeat of the same input within ``repeat_window`` stores nothing new: the
    message stored the first time is returned, and queued again (same deduplication id) unless its
    delivery was already recorded.
    """
    if not config.outbox_queue_url:
        raise RuntimeError("OUTBOX_QUEUE_URL is not configured")
    if message.destination != BLINGER:
        # Stored as Telegram will take it: each part one message, so delivery progress (and the
        # one duplicate window) stays per Telegram message.
        message = replace(message, parts=split_parts(message.parts))
    if once is None:
        item = new_message_item(message)
        item.save()
    else:
        item = _store_once(message, once, repeat_window)
        if item.status != QUEUED:
            return item
    _queue(config, item, client)
    return item


def _queue(config: Config, item: MessageItem, client: Any) -> None:
    (client or sqs_client()).send_message(
        QueueUrl=config.outbox_queue_url,
        MessageBody=json.dumps(item.key),
        MessageGroupId=f"user-{item.user_id}",
        MessageDeduplicationId=item.msg_id,
    )


def _store_once(message: NewMessage, once: str, repeat_window: timedelta) -> MessageItem:
    """The message stored for ``once``: stored now with its marker, or the one stored before."""
    item = new_message_item(message)
    marker = MarkerItem(f"IN#{once}", "-", ref=item.sk, expires_at=item.created_at + repeat_window)
    # DynamoDB deletes expired items only within days: an expired marker is not a repeat.
    fresh = MarkerItem.pk.does_not_exist() | (MarkerItem.expires_at < item.created_at)
    try:
        with transaction() as write:
            write.save(marker, condition=fresh)
            write.save(item, condition=MessageItem.pk.does_not_exist())
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        stored = MarkerItem.get(f"IN#{once}", "-", consistent_read=True)
        existing = load_message(item.pk, str(stored.ref))
        if existing is None:  # deleted since (by hand): nothing left to deliver again
            item.status = SENT
            return item
        return existing
    return item


def append_parts(message: MessageItem, parts: list[dict[str, Any]], once: str) -> bool:
    """Add ``parts`` to a stored message that is still queued (the next photos of an album).

    True when they are part of it (now or by an earlier run for the same ``once``); False when the
    message is no longer queued: the caller then stores the parts as a message of their own.
    """
    marker = MarkerItem(f"IN#{once}", "-", ref=message.sk, expires_at=datetime.now(UTC) + ONCE_TTL)
    if message.destination != BLINGER:
        parts = split_parts(parts)
    new_parts = [Part(**part) for part in parts]  # type: ignore[no-untyped-call]
    try:
        with transaction() as write:
            write.save(marker, condition=MarkerItem.pk.does_not_exist())
            write.update(
                message,
                actions=[
                    MessageItem.parts.set(MessageItem.parts.append(new_parts)),
                    MessageItem.appended_at.set(datetime.now(UTC)),
                ],
                condition=MessageItem.status == QUEUED,
            )
    except TransactWriteError as error:
        reasons = [reason.code if reason else None for reason in error.cancellation_reasons]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return True  # this input was stored before (a re-run)
        if condition_failed(error):
            return False
        raise
    return True


def retry_delay(receive_count: int, retry_after: int | None = None) -> int:
    """Seconds before the next try: Telegram's retry_after when it gave one, else doubling.

    >>> [retry_delay(n) for n in (1, 2, 3, 12)], retry_delay(1, retry_after=7)
    ([30, 60, 120, 43200], 7)
    """
    if retry_after is not None:
        return max(1, min(retry_after, MAX_VISIBILITY))
    return int(min(FIRST_DELAY * 2 ** (receive_count - 1), MAX_VISIBILITY))


@dataclass
class OutboxRecord:
    """What the consumer needs of one SQS record."""

    body: str
    receipt_handle: str
    receive_count: int


Deliver = Callable[[MessageItem], None]


class OutboxConsumer:
    def __init__(self, config: Config, deliver: Deliver, client: Any = None) -> None:
        self.config = config
        self.deliver = deliver
        self.client = client

    def handle(self, record: OutboxRecord) -> None:
        """Deliver one queued message; raises to make SQS retry it later."""
        key = json.loads(record.body)
        item = load_message(key["pk"], key["sk"])
        if item is None:
            logger.error("Queued message not found; dropped", extra={"key": key})
            return
        if item.status in (SENT, FAILED):
            logger.info("Delivery already recorded; not sent again", extra={"msg_id": item.msg_id})
            return
        item.attempts = record.receive_count
        try:
            self.deliver(item)
            while not self._record(item, SENT, None):
                # Parts were appended while it was delivered (an album still arriving): send them too.
                fresh = load_message(item.pk, item.sk)
                if fresh is None:
                    return
                item = fresh
                item.attempts = record.receive_count
                self.deliver(item)
        except PermanentDeliveryError as error:
            self._record(item, FAILED, str(error))
            _count_try(item, "failed")
            return
        except Exception as error:
            reason = redact_text(
                error.reason if isinstance(error, DeliveryError) else f"{type(error).__name__}: {error}"
            )
            last = record.receive_count >= self.config.outbox_max_attempts
            self._record(item, FAILED if last else item.status, reason)
            if not last:
                retry_after = error.retry_after if isinstance(error, DeliveryError) else None
                self._delay(record, retry_delay(record.receive_count, retry_after))
            if last:
                metrics.count(metrics.DEAD_LETTERS)
            if last or not isinstance(error, DeliveryDeferredError):
                _count_try(item, "failed" if last else "retry")
            logger.warning(
                "Delivery failed",
                extra={"msg_id": item.msg_id, "attempt": record.receive_count, "reason": reason},
            )
            raise
        _count_try(item, "sent")

    def _record(self, item: MessageItem, status: str, reason: str | None) -> bool:
        """Record the outcome and the parts sent with an update (an append in between is kept,
        never overwritten); ``sent`` only if no part was appended since ``item`` was read: False
        then, with only the progress recorded."""
        progress = MessageItem.sent_parts.set(item.sent_parts)
        actions: list[Any] = [
            MessageItem.status.set(status),
            MessageItem.attempts.set(item.attempts),
            progress,
        ]
        actions.append(MessageItem.reason.remove() if reason is None else MessageItem.reason.set(reason))
        condition = None
        if status == SENT:
            actions.append(MessageItem.sent_at.set(datetime.now(UTC)))
            condition = size(MessageItem.parts) == len(item.parts)  # type: ignore[no-untyped-call]
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as error:
            if condition is not None and condition_failed(error):
                item.update(actions=[progress])
                return False
            raise
        return True

    def release(self, held: list[OutboxRecord]) -> None:
        """Make messages held back behind a failed one of their user visible again now.

        The FIFO batch processor reports a user's messages after a failed one as failed without
        handing them over. Left alone they would stay hidden for the queue's whole visibility
        timeout (180 s), and hold their group, the failed message included, that long: SQS returns
        nothing of a group while one of its messages is in flight, so a 429's ``retry_after`` or
        the first 30 s delay would not be kept. Visible again, they still come after the failed
        message, in order, as soon as its retry delay is over.

        Each receive counts, tried or not: one received ``OUTBOX_MAX_ATTEMPTS`` times goes to the
        dead-letter queue with the failed message (order holds there too), so it is recorded as
        ``failed`` here, with the reason, as a dead-lettered message must be.
        """
        for record in held:
            if record.receive_count >= self.config.outbox_max_attempts:
                metrics.count(metrics.DEAD_LETTERS)
                key = json.loads(record.body)
                item = load_message(key["pk"], key["sk"])
                if item is not None and item.status == QUEUED:
                    self._record(item, FAILED, "not tried: an earlier message to this user failed")
            self._set_visibility(record.receipt_handle, 0, "Could not release a held-back message")

    def _delay(self, record: OutboxRecord, seconds: int) -> None:
        # on failure, the queue's own visibility timeout still brings it back
        self._set_visibility(record.receipt_handle, seconds, "Could not set the retry delay")

    def _set_visibility(self, receipt_handle: str, seconds: int, failure: str) -> None:
        if not self.config.outbox_queue_url:
            return
        try:
            (self.client or sqs_client()).change_message_visibility(
                QueueUrl=self.config.outbox_queue_url,
                ReceiptHandle=receipt_handle,
                VisibilityTimeout=seconds,
            )
        except Exception:
            logger.exception(failure)


def _count_try(item: MessageItem, outcome: str) -> None:
    """One try's outcome (sent, retry, failed) by destination, and the message's age at it."""
    metrics.count(metrics.DELIVERIES, Destination=str(item.destination), Outcome=outcome)
    age = (datetime.now(UTC) - item.created_at).total_seconds()
    metrics.observe(metrics.OUTBOX_MESSAGE_AGE, max(0.0, age))


def redrive_dead_letters(
    config: Config, dead_letter_queue_url: str, client: Any = None, limit: int = 1000
) -> int:
    """Move dead-lettered messages back to the outbox, marking them queued again.

    Not SQS's own redrive: the stored message says ``failed`` and the consumer skips failed
    messages, so each one is reset here first. Returns how many were moved.
    """
    if not config.outbox_queue_url:
        raise RuntimeError("OUTBOX_QUEUE_URL is not configured")
    sqs = client or sqs_client()
    moved = 0
    while moved < limit:
        batch = sqs.receive_message(
            QueueUrl=dead_letter_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=60
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            key = json.loads(message["Body"])
            item = load_message(key["pk"], key["sk"])
            if item is not None and item.status != SENT:
                item.status, item.reason = QUEUED, "redriven after failing"
                item.save()
                sqs.send_message(
                    QueueUrl=config.outbox_queue_url,
                    MessageBody=message["Body"],
                    MessageGroupId=f"user-{item.user_id}",
                    MessageDeduplicationId=f"{item.msg_id}-{message['MessageId'][:8]}",
                )
            sqs.delete_message(QueueUrl=dead_letter_queue_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved
