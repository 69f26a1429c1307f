"""The outbox: stored first, queued per user, delivered once, retried with growing delays."""

from __future__ import annotations

import json

import boto3
import pytest

from supportbot.config import Config
from supportbot.support.messages import BLINGER, FAILED, QUEUED, SENT, NewMessage, load_message
from supportbot.support.outbox import (
    DeliveryError,
    OutboxConsumer,
    OutboxRecord,
    PermanentDeliveryError,
    enqueue,
    retry_delay,
)


@pytest.fixture
def queue(aws):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="outbox.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    return sqs, url


def config_for(url: str, attempts: int = 3) -> Config:
    return Config(outbox_queue_url=url, outbox_max_attempts=attempts)


def question(user_id: int = 42, text: str = "Где мой заказ?") -> NewMessage:
    return NewMessage(user_id, BLINGER, [{"kind": "text", "text": text}], {"client_name": "Анна"})


def receive(sqs, url):
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"], WaitTimeSeconds=0
    ).get("Messages", [])
    return [
        OutboxRecord(m["Body"], m["ReceiptHandle"], int(m["Attributes"]["ApproximateReceiveCount"]))
        for m in messages
    ]


def test_enqueue_stores_first_then_queues_per_user(queue):
    sqs, url = queue
    # WHEN a customer's message is sent to support
    item = enqueue(config_for(url), question(), client=sqs)
    # THEN it is stored as queued, and the queue holds its key in the user's group
    assert load_message(item.pk, item.sk).status == QUEUED
    (message,) = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"]
    assert json.loads(message["Body"]) == item.key
    assert message["Attributes"]["MessageGroupId"] == "user-42"


def test_delivered_once_even_when_the_queue_redelivers(queue):
    sqs, url = queue
    sent = []
    consumer = OutboxConsumer(config_for(url), sent.append, client=sqs)
    item = enqueue(config_for(url), question(), client=sqs)
    record = receive(sqs, url)[0]
    # WHEN the same queue message is handled twice (SQS is at-least-once)
    consumer.handle(record)
    consumer.handle(record)
    # THEN it was sent once and recorded as sent
    assert [m.msg_id for m in sent] == [item.msg_id]
    assert load_message(item.pk, item.sk).status == SENT


def test_failure_keeps_it_queued_with_the_reason_and_a_growing_delay(queue):
    sqs, url = queue

    def down(_):
        raise DeliveryError("Blinger answered 502")

    consumer = OutboxConsumer(config_for(url, attempts=5), down, client=sqs)
    item = enqueue(config_for(url), question(), client=sqs)
    record = receive(sqs, url)[0]
    # WHEN delivery fails
    with pytest.raises(DeliveryError):
        consumer.handle(record)
    # THEN the stored message says why and is still queued, and is hidden for the first delay
    stored = load_message(item.pk, item.sk)
    assert (stored.status, stored.reason, stored.attempts) == (QUEUED, "Blinger answered 502", 1)
    assert receive(sqs, url) == []


def test_last_attempt_records_failed_before_the_dead_letter_queue(queue):
    sqs, url = queue

    def down(_):
        raise DeliveryError("Blinger answered 500")

    consumer = OutboxConsumer(config_for(url, attempts=3), down, client=sqs)
    item = enqueue(config_for(url), question(), client=sqs)
    record = receive(sqs, url)[0]
    record.receive_count = 3
    with pytest.raises(DeliveryError):
        consumer.handle(record)
    assert (load_message(item.pk, item.sk).status, load_message(item.pk, item.sk).reason) == (
        FAILED,
        "Blinger answered 500",
    )


def test_permanent_failure_is_recorded_and_not_retried(queue):
    sqs, url = queue

    def blocked(_):
        raise PermanentDeliveryError("Telegram refused: Forbidden: bot was blocked by the user")

    consumer = OutboxConsumer(config_for(url), blocked, client=sqs)
    item = enqueue(config_for(url), question(), client=sqs)
    consumer.handle(receive(sqs, url)[0])  # no exception: the queue message is done
    stored = load_message(item.pk, item.sk)
    assert stored.status == FAILED
    assert "blocked" in stored.reason


def test_crash_between_delivery_and_recording_is_the_only_duplicate(queue, monkeypatch):
    # GIVEN a consumer that crashes right after the destination accepted the message
    sqs, url = queue
    sent = []
    consumer = OutboxConsumer(config_for(url), sent.append, client=sqs)
    item = enqueue(config_for(url), question(), client=sqs)
    record = receive(sqs, url)[0]
    original = OutboxConsumer._record

    def crash(self, item, status, reason):
        raise SystemExit("Lambda timed out")

    monkeypatch.setattr(OutboxConsumer, "_record", crash)
    with pytest.raises(SystemExit):
        consumer.handle(record)
    # WHEN the queue redelivers it after the crash
    monkeypatch.setattr(OutboxConsumer, "_record", original)
    consumer.handle(record)
    consumer.handle(record)
    # THEN that one message went out twice (the documented window), and never a third time
    assert [m.msg_id for m in sent] == [item.msg_id, item.msg_id]
    assert load_message(item.pk, item.sk).status == SENT


def test_retry_delays_span_more_than_six_hours_before_dead_lettering():
    attempts = Config().outbox_max_attempts
    waited = sum(retry_delay(n) for n in range(1, attempts))
    assert waited > 6 * 60 * 60


def test_redrive_sends_dead_letters_back_marked_queued(queue):
    # GIVEN a message that failed every attempt and sits in the dead-letter queue
    sqs, url = queue
    dlq = sqs.create_queue(QueueName="outbox-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    config = config_for(url)
    item = enqueue(config, question(), client=sqs)
    record = receive(sqs, url)[0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=record.receipt_handle)
    sqs.send_message(
        QueueUrl=dlq, MessageBody=record.body, MessageGroupId="user-42", MessageDeduplicationId="x"
    )
    stored = load_message(item.pk, item.sk)
    stored.status, stored.reason = FAILED, "Blinger answered 500"
    stored.save()
    # WHEN an operator redrives after fixing the cause
    from supportbot.support.outbox import redrive_dead_letters

    assert redrive_dead_letters(config, dlq, client=sqs) == 1
    # THEN it is queued again in its user's group and delivered by the consumer
    sent = []
    OutboxConsumer(config, sent.append, client=sqs).handle(receive(sqs, url)[0])
    assert [m.msg_id for m in sent] == [item.msg_id]
    assert load_message(item.pk, item.sk).status == SENT
    assert receive(sqs, dlq) == []
