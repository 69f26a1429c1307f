"""Pacing (supportbot/pacing.py) and the outbox's holds: the bucket is shared by concurrent
instances, a held-back message uses up no attempt and is never dead-lettered for it, while a
failing one still is after its attempts (moto; an injectable clock, no real waiting)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from supportbot.config import Config
from supportbot.pacing import BROADCAST, GROUP_CHAT, PRIVATE_CHAT, BucketItem, Clock, Pacer, Rate
from supportbot.support.messages import BLINGER, FAILED, QUEUED, SENT, NewMessage, load_message
from supportbot.support.outbox import DeliveryError, HeldBack, OutboxConsumer, OutboxRecord, enqueue

pytestmark = pytest.mark.pacing
T0 = 1_800_000_000.0


class FakeClock(Clock):
    def __init__(self) -> None:
        super().__init__(now=lambda: self.at, sleep=self.advance)
        self.at = T0

    def advance(self, seconds: float) -> None:
        self.at += seconds


def test_bookings_are_spaced_by_the_rate_and_idle_time_is_not_saved_up(aws):
    clock = FakeClock()
    pacer = Pacer(clock)
    # (epoch seconds are floats: about 0.2 µs apart at this magnitude)
    assert [pacer.book("chat:-5", GROUP_CHAT) for _ in range(3)] == pytest.approx([0.0, 3.3, 6.6])
    clock.advance(600)  # quiet for ten minutes: the bucket is full, not ten minutes' worth
    assert [pacer.book("chat:-5", GROUP_CHAT) for _ in range(2)] == pytest.approx([0.0, 3.3])
    # an album of ten to a private chat waits for the room of all ten, before and after
    assert pacer.book("chat:7", PRIVATE_CHAT) == 0.0
    assert pacer.book("chat:7", PRIVATE_CHAT, units=10) == pytest.approx(10 * 1.1)
    assert pacer.book("chat:7", PRIVATE_CHAT) == pytest.approx(20 * 1.1)
    # scopes do not share a bucket; a burst is a token bucket's capacity
    assert pacer.book("bot", Rate(25, 1.0, burst=3)) == pacer.book("bot", Rate(25, 1.0, burst=3)) == 0.0


def test_a_send_later_than_its_slot_keeps_the_next_one_at_the_rates_distance(aws):
    clock = FakeClock()
    pacer = Pacer(clock)
    # GIVEN a private chat's message booked for now, then held back and back 0.9 s after its slot
    assert pacer.book("chat:7", PRIVATE_CHAT) == 0.0
    clock.advance(0.9)
    # WHEN it goes out that late
    pacer.sent_late("chat:7", PRIVATE_CHAT)
    # THEN the next message waits the full interval from that send, not 0.2 s from the missed slot
    assert pacer.book("chat:7", PRIVATE_CHAT) == pytest.approx(1.1)
    # and a late send never pulls a bucket that is already further on back
    booked_far = BucketItem.get("chat:7").tat
    pacer.sent_late("chat:7", PRIVATE_CHAT)
    assert BucketItem.get("chat:7").tat == booked_far


def test_two_instances_booking_at_the_same_moment_get_different_slots(aws, monkeypatch):
    # GIVEN two Lambda instances that read the group's bucket at the same moment
    clock = FakeClock()
    first, second = Pacer(clock), Pacer(clock)
    real_read = Pacer._read
    raced = []

    def read_then_let_the_other_book(scope):
        stored = real_read(scope)
        if not raced:
            raced.append(True)
            raced.append(second.book(scope, GROUP_CHAT))  # the other instance books in between
        return stored

    monkeypatch.setattr(first, "_read", read_then_let_the_other_book)
    # WHEN the first one writes what it computed from its (now stale) read
    waited = first.book("chat:-9", GROUP_CHAT)
    # THEN its conditional write lost, it read again and took the next slot: no slot given twice
    assert (raced[1], waited) == (0.0, pytest.approx(3.3))
    assert BucketItem.get("chat:-9").tat == pytest.approx(T0 + 2 * 3.3)


def test_a_busy_scope_books_in_one_write_without_reading(aws, monkeypatch):
    clock = FakeClock()
    pacer = Pacer(clock)
    reads = []
    real_read = Pacer._read
    monkeypatch.setattr(Pacer, "_read", staticmethod(lambda scope: reads.append(scope) or real_read(scope)))
    # WHEN a broadcast books five sends in the same instant
    waits = [pacer.book("bot", BROADCAST) for _ in range(5)]
    # THEN they are spaced by the rate, and only the first (the scope had room) read the bucket
    assert waits == pytest.approx([0.0, 0.044, 0.088, 0.132, 0.176], abs=1e-6)  # floats at 1.8e9 s
    assert reads == ["bot"]


def test_instances_booking_together_each_get_their_own_slot(aws, atomic_aws):
    # GIVEN a bucket already busy (a broadcast under way) and ten instances booking at once
    clock = FakeClock()
    assert Pacer(clock).book("bot", BROADCAST) == 0.0
    start = threading.Barrier(10)

    def book() -> float:
        start.wait()
        return Pacer(clock).book("bot", BROADCAST)

    with ThreadPoolExecutor(max_workers=10) as pool:
        waits = sorted(pool.map(lambda _: book(), range(10)))
    # THEN every one got a slot of its own, one interval apart, none given twice
    assert waits == pytest.approx([0.044 * n for n in range(1, 11)], abs=1e-6)
    assert BucketItem.get("bot").tat == pytest.approx(T0 + 11 * 0.044)


class FakeSqs:
    """What the consumer asks of SQS: visibility changes and dead-letter moves, recorded."""

    def __init__(self) -> None:
        self.visibility: list[int] = []
        self.dead_lettered: list[dict] = []

    def change_message_visibility(self, QueueUrl, ReceiptHandle, VisibilityTimeout):
        self.visibility.append(VisibilityTimeout)

    def send_message(self, **params):
        self.dead_lettered.append(params)


def config() -> Config:
    return Config(
        outbox_queue_url="https://sqs.example/outbox.fifo",
        outbox_dead_letter_queue_url="https://sqs.example/outbox-dlq.fifo",
        outbox_max_attempts=3,
    )


def stored_message(user_id: int = 42):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="outbox.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    cfg = Config(outbox_queue_url=url, outbox_max_attempts=3)
    return enqueue(cfg, NewMessage(user_id, BLINGER, [{"kind": "text", "text": "вопрос"}]), client=sqs)


def record(item, receive: int) -> OutboxRecord:
    return OutboxRecord(json.dumps(item.key), f"receipt-{receive}", receive)


def test_a_message_held_back_ten_times_uses_up_no_attempt_and_is_not_dead_lettered(aws):
    item = stored_message()
    sqs = FakeSqs()
    holds = iter(range(10))

    def deliver(message):
        if next(holds, None) is not None:
            raise HeldBack("paced: room in chat 42 in 40.2 s", 40.2, paced_at=T0 + 40.2)

    consumer = OutboxConsumer(config(), deliver, client=sqs)
    # WHEN it is received eleven times (max attempts: 3), held back by pacing on the first ten
    for receive in range(1, 11):
        with pytest.raises(HeldBack):
            consumer.handle(record(item, receive))
        assert load_message(item.pk, item.sk).paced_at == pytest.approx(T0 + 40.2)  # its slot is kept
    consumer.handle(record(item, 11))
    # THEN it was sent on its first attempt, each hold waited its time, nothing went to the DLQ
    final = load_message(item.pk, item.sk)
    assert (final.status, final.attempts, final.holds, final.paced_at) == (SENT, 1, 10, None)
    assert sqs.visibility == [41] * 10
    assert sqs.dead_lettered == []


def test_a_failing_message_is_dead_lettered_after_its_attempts_holds_not_counted(aws):
    item = stored_message()
    sqs = FakeSqs()
    outcomes = iter(["hold", "fail", "hold", "hold", "fail", "fail"])

    def deliver(message):
        if next(outcomes) == "hold":
            raise HeldBack("Telegram rate limit (429)", 7)
        raise DeliveryError("Telegram error 500")

    consumer = OutboxConsumer(config(), deliver, client=sqs, undelivered=lambda m, r: reported.append(r))
    reported: list[str] = []
    # WHEN it is received six times: three holds and three failed attempts
    for receive in range(1, 7):
        with pytest.raises((HeldBack, DeliveryError)):
            consumer.handle(record(item, receive))
    failed = load_message(item.pk, item.sk)
    assert (failed.status, failed.attempts, failed.holds, failed.reason) == (
        FAILED,
        3,
        3,
        "Telegram error 500",
    )
    assert reported == ["Telegram error 500"]  # reported where it was written, once
    assert sqs.dead_lettered == []
    # THEN the next receive moves it to the dead-letter queue, in its user's group
    consumer.handle(record(item, 7))
    (moved,) = sqs.dead_lettered
    assert (moved["QueueUrl"], moved["MessageGroupId"], json.loads(moved["MessageBody"])) == (
        config().outbox_dead_letter_queue_url,
        "user-42",
        item.key,
    )


def test_a_message_waiting_behind_a_held_back_one_counts_its_receive_as_a_hold(aws):
    first, second = stored_message(), stored_message()
    sqs = FakeSqs()

    def deliver(message):
        raise HeldBack("paced", 3.3, paced_at=T0 + 3.3)

    consumer = OutboxConsumer(config(), deliver, client=sqs)
    with pytest.raises(HeldBack):
        consumer.handle(record(first, 1))
    # WHEN the batch processor skips the user's next message and the consumer releases it
    consumer.release([record(second, 1)])
    # THEN that receive is a hold too, so its attempts stay whole; it is visible again at once
    behind = load_message(second.pk, second.sk)
    assert (behind.status, behind.holds) == (QUEUED, 1)
    assert sqs.visibility == [4, 0]
    # AND behind a message that failed, a receive still counts (they go to the DLQ together)
    consumer.release([record(second, 3)])
    assert load_message(second.pk, second.sk).holds == 1
