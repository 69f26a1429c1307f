"""The outbox: store first, then queue; the consumer delivers and records the outcome.

Enqueue puts the stored message's key on the SQS FIFO queue, grouped per user so order holds
(a failing message holds that user's later ones, never other users'). The consumer skips a
message whose delivery is already recorded, so a redelivered queue message is never sent again.
The only window for a duplicate is a crash between a destination call and recording it (the
destinations accept no idempotency keys): at most that one part is sent twice.

Retries: a failed delivery makes the message visible again after a growing delay (SQS
visibility timeout: 30 s, 1 min, 2 min ... capped at 12 h; with the default 12 attempts the
last retry is ~17 h after the first try); after ``OUTBOX_MAX_ATTEMPTS`` attempts the stored
message says ``failed`` with the reason and the consumer moves it to the dead-letter queue.

Holds are not attempts: a message held back by pacing (its chat's next slot is later), by
Telegram's 429 (its ``retry_after``) or by an album still arriving waits in the queue, invisible
until then (``HeldBack``), and the receive is recorded as a hold on the stored message. SQS
counts every receive, so the attempt of a receive is ``receive count - holds``, and the consumer
dead-letters by that count itself (the queue's own redrive policy is only a backstop, far higher).

Idempotent enqueues: a caller that may run twice for one input (a Telegram update re-run after a
lost session race, a repeated Blinger webhook call) passes ``once``, a key naming that input
(``once.py``); the marker, the message and its conversation's summary (``conversations.py``) are
written in one transaction, so a repeat finds the marker, stores nothing and only re-queues the
same message (the consumer skips it once it is sent), and a crash between claiming and storing
cannot lose the input.
Albums: later parts are appended to the stored message while it is still queued
(``append_parts``); the consumer records ``sent`` only if no part arrived during its delivery, else
it delivers the new parts too, and records progress with updates, never by rewriting the item.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import size

from supportbot import metrics
from supportbot.config import Config
from supportbot.redact import redact_text
from supportbot.storage.conditions import condition_failed, transaction_conflict
from supportbot.storage.transactions import transaction
from supportbot.support import bans, conversations, once, waiting
from supportbot.support.lifecycle import RefusedMove
from supportbot.support.messages import (
    BANNED,
    BLINGER,
    CUSTOMER_ROLE,
    ECHO,
    FAILED,
    OPERATOR_ROLE,
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
STORE_ATTEMPTS = 3
CONFLICT_PAUSE = 0.05  # seconds (jittered, growing) before storing again after a TransactionConflict


class DeliveryError(Exception):
    """A delivery failed and should be retried (after ``retry_after`` seconds when given)."""

    def __init__(self, reason: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentDeliveryError(Exception):
    """A delivery that can never succeed (e.g. the user blocked the bot): recorded, not retried."""


class HeldBack(Exception):
    """Not sent yet, and no failure: pacing booked a later time for the next send (``paced_at``),
    Telegram answered 429, or an album is still arriving. The message waits ``seconds`` (its
    visibility in the queue) without using up one of its ``OUTBOX_MAX_ATTEMPTS``; not counted as
    a try in the metrics, nor its age."""

    def __init__(self, reason: str, seconds: float, paced_at: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.seconds = seconds
        self.paced_at = paced_at


@functools.cache
def sqs_client() -> Any:
    """Made on first use: only paths that queue something pay for the SQS service model."""
    import botocore.session

    return botocore.session.get_session().create_client("sqs")


def enqueue(config: Config, message: NewMessage, client: Any = None, once: str | None = None) -> MessageItem:
    """Store ``message`` (status queued) with its conversation's summary, then queue it.

    With ``once`` (``once.py``), a repeat of the same input stores nothing new: the message stored
    the first time is returned, and queued again (same deduplication id) unless its delivery was
    already recorded. A banned customer's message to the desk is stored (status banned, in its
    conversation, so the inbox shows it) and never queued (``bans.py``).
    """
    if not config.outbox_queue_url:
        raise RuntimeError("OUTBOX_QUEUE_URL is not configured")
    if message.destination == BLINGER and message.effective_role == CUSTOMER_ROLE and banned(message):
        return store(config, message, once, status=BANNED)
    if message.destination != BLINGER:
        # Stored as Telegram will take it: each part one message, so delivery progress (and the
        # one duplicate window) stays per Telegram message.
        message = replace(message, parts=split_parts(message.parts))
    item = store(config, message, once)
    if item.status != QUEUED:
        return item
    _queue(config, item, client)
    return item


def banned(message: NewMessage) -> bool:
    """Whether a ban holds the customer's ``message`` back: as its caller read it, else read now."""
    if message.banned is not None:
        return message.banned
    return bans.active(message.user_id) is not None


def _queue(config: Config, item: MessageItem, client: Any) -> None:
    (client or sqs_client()).send_message(
        QueueUrl=config.outbox_queue_url,
        MessageBody=json.dumps(item.key),
        MessageGroupId=f"user-{item.user_id}",
        MessageDeduplicationId=item.msg_id,
    )


def store(
    config: Config, message: NewMessage, once_key: str | None = None, status: str = QUEUED
) -> MessageItem:
    """The message, its ``once`` marker and its conversation's change, in one transaction; the
    message stored before for ``once_key`` on a repeat. A conversation that moved meanwhile (closed
    as the customer wrote, another message starting one) is looked up again."""
    role = message.effective_role
    for attempt in range(STORE_ATTEMPTS):
        target = None
        if message.live:
            # The caller read the live pointer: its conversation, or none live (a new one starts).
            target = conversations.live_target(
                message.user_id, message.conversation, message.context, config.support_desk
            )
        elif message.conversation is not None:
            target = conversations.target_of(message.user_id, message.conversation)
        if target is None:
            target = conversations.current(message.user_id, role, message.context, config.support_desk)
        conversation = target.new.number if target.new is not None else target.number
        item = new_message_item(message, conversation=int(conversation))
        item.status = status
        try:
            with transaction() as write:
                if once_key is not None:
                    write.save(
                        once.marker(once_key, item.created_at, ref=item.sk),
                        condition=once.fresh(item.created_at),
                    )
                write.save(item, condition=MessageItem.pk.does_not_exist())
                conversations.summarize(write, target, item)
        except TransactWriteError as error:
            if not condition_failed(error):
                if not transaction_conflict(error):
                    raise
                # Another transaction was writing one of these items (the conversation, say) at the
                # same moment: nothing was written, so try again on what is stored then.
                time.sleep(CONFLICT_PAUSE * (attempt + 1) * random.uniform(0.5, 1.5))  # noqa: S311
                message.live = False
                continue
            stored = once.claimed(once_key) if once_key is not None else None
            if stored is not None:  # a repeat of this input (not a reason to read which item failed)
                return _stored_before(item, stored)
            # Gone or closed meanwhile, or another message started one: find the current one.
            message.conversation, message.live = None, False
            continue
        if role == OPERATOR_ROLE:
            sample_answer(message.user_id, int(conversation), (message.context or {}).get("operator"))
        return item
    raise RuntimeError(f"could not store a message of user {message.user_id}: its conversation kept moving")


def sample_answer(user_id: int, number: int, operator: str | None = None) -> None:
    """A conversation's first answer adds its answer time to the expected wait's samples
    (``waiting.py``) and the reports (by ``operator``, the desk's name for who wrote it, when it
    gives one); the message is stored whatever happens to those figures."""
    try:
        waiting.sample_first_answer(user_id, number, operator)
    except Exception:
        logger.exception("The answer time of C%d could not be sampled", number)


def retry(config: Config, item: MessageItem, client: Any = None) -> MessageItem:
    """Deliver a failed message again (an admin's Retry, once the cause is fixed): queued afresh,
    from the first part not yet sent, and no longer counted undelivered, in one transaction
    conditional on it still being failed (two presses queue it once). Raises RefusedMove
    otherwise."""
    if not config.outbox_queue_url:
        raise RuntimeError("OUTBOX_QUEUE_URL is not configured")
    actions: list[Any] = [
        MessageItem.status.set(QUEUED),
        MessageItem.reason.remove(),
        MessageItem.attempts.set(0),
        MessageItem.holds.set(0),
        MessageItem.paced_at.remove(),
    ]
    try:
        with transaction() as write:
            write.update(item, actions=actions, condition=MessageItem.status == FAILED)
            if item.conversation and not (item.context or {}).get(ECHO):
                conversations.count_undelivered(write, item, -1)
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        item.refresh(consistent_read=True)
        raise RefusedMove(
            "message",
            str(item.status),
            QUEUED,
            [],
            detail=f"only a failed message is retried; this one is {item.status}",
        ) from None
    item.refresh(consistent_read=True)
    # A new deduplication id: the queue would drop a repeat of the first one for five minutes.
    (client or sqs_client()).send_message(
        QueueUrl=config.outbox_queue_url,
        MessageBody=json.dumps(item.key),
        MessageGroupId=f"user-{item.user_id}",
        MessageDeduplicationId=f"{item.msg_id}-retry-{secrets.token_hex(4)}",
    )
    return item


def _stored_before(item: MessageItem, stored: MarkerItem) -> MessageItem:
    existing = load_message(item.pk, str(stored.ref)) if stored.ref else None
    if existing is None:  # deleted since (by hand): nothing left to deliver again
        item.status = SENT
        return item
    return existing


def append_parts(message: MessageItem, parts: list[dict[str, Any]], once_key: str) -> bool:
    """Add ``parts`` to a stored message that is still queued (the next photos of an album), or
    that a ban held back (the album stays one message there too).

    True when they are part of it (now or by an earlier run for the same ``once_key``); False when the
    message is no longer queued: the caller then stores the parts as a message of their own.
    """
    marker = once.marker(once_key, ref=message.sk)
    if message.destination != BLINGER:
        parts = split_parts(parts)
    new_parts = [Part(**part) for part in parts]  # type: ignore[no-untyped-call]
    try:
        with transaction() as write:
            write.save(marker, condition=once.fresh())
            write.update(
                message,
                actions=[
                    MessageItem.parts.set(MessageItem.parts.append(new_parts)),
                    MessageItem.appended_at.set(datetime.now(UTC)),
                ],
                condition=MessageItem.status.is_in(QUEUED, BANNED),
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


Undelivered = Callable[[MessageItem, str], object]


class OutboxConsumer:
    """Delivers queued messages; ``undelivered`` hears of each one that failed for good (refused
    by its destination, or out of attempts), to report it where it was written."""

    def __init__(
        self, config: Config, deliver: Deliver, client: Any = None, undelivered: Undelivered | None = None
    ) -> None:
        self.config = config
        self.deliver = deliver
        self.client = client
        self.undelivered = undelivered
        self._held_users: set[str] = set()  # users whose message this batch held back (pacing)

    def handle(self, record: OutboxRecord) -> None:
        """Deliver one queued message; raises to make SQS retry it later."""
        key = json.loads(record.body)
        item = load_message(key["pk"], key["sk"])
        if item is None:
            logger.error("Queued message not found; dropped", extra={"key": key})
            return
        attempt = record.receive_count - int(item.holds)
        if attempt > self.config.outbox_max_attempts and item.status != SENT:
            self._dead_letter(record, item)
            return
        if item.status in (SENT, FAILED):
            logger.info("Delivery already recorded; not sent again", extra={"msg_id": item.msg_id})
            return
        try:
            self._deliver(item, attempt)
            while not self._record(item, SENT, None):
                # Parts were appended while it was delivered (an album still arriving): send them too.
                fresh = load_message(item.pk, item.sk)
                if fresh is None:
                    return
                item = fresh
                self._deliver(item, attempt)
        except HeldBack as held:
            self._hold(record, item, held)
            raise
        except PermanentDeliveryError as error:
            self._record(item, FAILED, str(error))
            _count_try(item, "failed")
            self._report(item, str(error))
            return
        except Exception as error:
            reason = redact_text(
                error.reason if isinstance(error, DeliveryError) else f"{type(error).__name__}: {error}"
            )
            last = attempt >= self.config.outbox_max_attempts
            self._record(item, FAILED if last else item.status, reason)
            if last:
                metrics.count(metrics.DEAD_LETTERS)
                self._report(item, reason)
            else:
                retry_after = error.retry_after if isinstance(error, DeliveryError) else None
                self._delay(record, retry_delay(attempt, retry_after))
            _count_try(item, "failed" if last else "retry")
            logger.warning(
                "Delivery failed",
                extra={"msg_id": item.msg_id, "attempt": attempt, "reason": reason},
            )
            raise
        _count_try(item, "sent")

    def _deliver(self, item: MessageItem, attempt: int) -> None:
        try:
            self.deliver(item)
        finally:
            # Progress written while delivering reloads the item: this attempt is what it records.
            item.attempts = attempt

    def _report(self, item: MessageItem, reason: str) -> None:
        if self.undelivered is None:
            return
        try:
            self.undelivered(item, reason)
        except Exception:  # the failure is recorded on the message: the report is best effort
            logger.exception("Could not report an undelivered message", extra={"msg_id": item.msg_id})

    def _hold(self, record: OutboxRecord, item: MessageItem, held: HeldBack) -> None:
        """Count this receive as a hold, not an attempt, keep the booked send time, and make the
        message visible again when it may go."""
        booked = MessageItem.paced_at.set(held.paced_at) if held.paced_at else MessageItem.paced_at.remove()
        item.update(actions=[MessageItem.holds.add(1), MessageItem.sent_parts.set(item.sent_parts), booked])
        self._held_users.add(item.pk)
        seconds = max(1, min(math.ceil(held.seconds), MAX_VISIBILITY))
        self._set_visibility(record.receipt_handle, seconds, "Could not set the pacing delay")
        logger.info("Held back", extra={"msg_id": item.msg_id, "seconds": seconds, "reason": held.reason})

    def _dead_letter(self, record: OutboxRecord, item: MessageItem) -> None:
        """Move a message that used up its attempts to the dead-letter queue, in its user's group
        (so order holds there too), as the queue's redrive policy would at ``OUTBOX_MAX_ATTEMPTS``
        receives; the consumer does it because receives that were pacing holds do not count.
        The queue's own policy stays, far higher, only for a consumer that cannot run at all."""
        if item.status == QUEUED:
            metrics.count(metrics.DEAD_LETTERS)
            self._record(item, FAILED, item.reason or "not delivered: every attempt was interrupted")
        url = self.config.outbox_dead_letter_queue_url
        if not url:
            logger.error("No dead-letter queue configured; the message stays stored as failed")
            return
        (self.client or sqs_client()).send_message(
            QueueUrl=url,
            MessageBody=record.body,
            MessageGroupId=f"user-{item.user_id}",
            MessageDeduplicationId=hashlib.sha256(record.receipt_handle.encode()).hexdigest(),
        )
        logger.warning("Dead-lettered", extra={"msg_id": item.msg_id, "reason": item.reason})

    def _record(self, item: MessageItem, status: str, reason: str | None) -> bool:
        """Record the outcome and the parts sent with an update (an append in between is kept,
        never overwritten); ``sent`` only if no part was appended since ``item`` was read: False
        then, with only the progress recorded."""
        progress = MessageItem.sent_parts.set(item.sent_parts)
        actions: list[Any] = [
            MessageItem.status.set(status),
            MessageItem.attempts.set(item.attempts),
            progress,
            MessageItem.paced_at.remove(),  # a booked send time is used once
        ]
        actions.append(MessageItem.reason.remove() if reason is None else MessageItem.reason.set(reason))
        if item.external:  # ids the destination gave back (the Telegram desk's copies)
            actions.append(MessageItem.external.set(item.external))
        condition = None
        if status == SENT:
            actions.append(MessageItem.sent_at.set(datetime.now(UTC)))
            condition = size(MessageItem.parts) == len(item.parts)  # type: ignore[no-untyped-call]
        elif status == FAILED and item.conversation and not (item.context or {}).get(ECHO):
            self._record_failed(item, actions)
            return True
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as error:
            if condition is not None and condition_failed(error):
                item.update(actions=[progress])
                return False
            raise
        return True

    @staticmethod
    def _record_failed(item: MessageItem, actions: list[Any]) -> None:
        """The failure, and one more undelivered message on its conversation (the admin's stats),
        in one transaction conditional on the message not being failed yet: counted once. An echo
        is only a copy of what the thread shows, and is not counted."""
        try:
            with transaction() as write:
                write.update(item, actions=actions, condition=MessageItem.status != FAILED)
                conversations.count_undelivered(write, item)
        except TransactWriteError as error:
            if not condition_failed(error):
                raise
            item.update(actions=actions)  # recorded failed before (or no conversation): not counted
            return
        item.refresh(consistent_read=True)

    def release(self, held: list[OutboxRecord]) -> None:
        """Make messages held back behind a failed or paced one of their user visible again now.

        The FIFO batch processor reports a user's messages after a failed one as failed without
        handing them over. Left alone they would stay hidden for the queue's whole visibility
        timeout (180 s), and hold their group, the failed message included, that long: SQS returns
        nothing of a group while one of its messages is in flight, so a 429's ``retry_after`` or
        the first 30 s delay would not be kept. Visible again, they still come after the failed
        message, in order, as soon as its retry delay is over.

        Behind a message held back by pacing, their receive is a hold too (recorded as such).
        Behind a failed one, each receive counts, tried or not: one received
        ``OUTBOX_MAX_ATTEMPTS`` times goes to the dead-letter queue with the failed message (order
        holds there too), so it is recorded as ``failed`` here, with the reason, as a
        dead-lettered message must be. Called once per batch.
        """
        for record in held:
            key = json.loads(record.body)
            if key["pk"] in self._held_users:
                with contextlib.suppress(UpdateError):  # deleted since: nothing to count
                    MessageItem(key["pk"], key["sk"]).update(
                        actions=[MessageItem.holds.add(1)], condition=MessageItem.pk.exists()
                    )
            elif record.receive_count >= self.config.outbox_max_attempts:
                item = load_message(key["pk"], key["sk"])
                attempt = record.receive_count - int(item.holds) if item is not None else 0
                if item is not None and item.status == QUEUED and attempt >= self.config.outbox_max_attempts:
                    metrics.count(metrics.DEAD_LETTERS)
                    self._record(item, FAILED, "not tried: an earlier message to this user failed")
            self._set_visibility(record.receipt_handle, 0, "Could not release a held-back message")
        self._held_users.clear()

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
                # A new queue message: its receives start again from one, so do its holds.
                item.status, item.reason, item.holds, item.paced_at = (
                    QUEUED,
                    "redriven after failing",
                    0,
                    None,
                )
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
