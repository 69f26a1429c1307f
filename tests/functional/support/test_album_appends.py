"""Albums arrive part by part: appends to a queued message are never lost, whatever the consumer
is doing, and never applied twice."""

from __future__ import annotations

import boto3
import pytest

from supportbot.config import Config
from supportbot.support.destinations import Destinations
from supportbot.support.messages import BLINGER, QUEUED, SENT, NewMessage, load_message
from supportbot.support.outbox import (
    DeliveryError,
    HeldBack,
    OutboxConsumer,
    OutboxRecord,
    append_parts,
    enqueue,
)

IMAGE = {"kind": "image", "file_url": "https://files.example/1.jpg"}


@pytest.fixture
def config(aws):
    url = boto3.client("sqs").create_queue(QueueName="outbox.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    return Config(outbox_queue_url=url, outbox_max_attempts=5)


def album(config: Config):
    return enqueue(config, NewMessage(42, BLINGER, [IMAGE], {"album": "a1"}), once="tg:42:1")


def record(config: Config) -> OutboxRecord:
    (message,) = boto3.client("sqs").receive_message(
        QueueUrl=config.outbox_queue_url, MessageSystemAttributeNames=["All"]
    )["Messages"]
    return OutboxRecord(message["Body"], message["ReceiptHandle"], 1)


def part(n: int) -> dict:
    return {"kind": "image", "file_url": f"https://files.example/{n}.jpg"}


def test_a_part_appended_during_delivery_goes_out_in_the_same_run(config):
    # GIVEN an album's first part, queued
    item = album(config)
    delivered = []

    def deliver(message):
        # The next photo arrives while the consumer is posting the first one
        if not delivered:
            assert append_parts(load_message(item.pk, item.sk), [part(2)], "tg:42:2")
        delivered.extend(p.file_url for p in message.parts[len(delivered) :])

    # WHEN the consumer delivers
    OutboxConsumer(config, deliver).handle(record(config))
    # THEN both parts went out, in order, and only then was it recorded as sent
    assert delivered == [IMAGE["file_url"], part(2)["file_url"]]
    stored = load_message(item.pk, item.sk)
    assert (stored.status, len(stored.parts)) == (SENT, 2)


def test_a_failed_attempt_keeps_parts_appended_meanwhile(config):
    item = album(config)

    def failing(message):
        append_parts(load_message(item.pk, item.sk), [part(2)], "tg:42:2")
        raise DeliveryError("Blinger answered 502")

    with pytest.raises(DeliveryError):
        OutboxConsumer(config, failing).handle(record(config))
    stored = load_message(item.pk, item.sk)
    assert (stored.status, stored.reason, len(stored.parts)) == (QUEUED, "Blinger answered 502", 2)


def test_no_append_once_sent_and_none_twice(config):
    item = album(config)
    # The same Telegram message appended twice (a re-run) is one part
    assert append_parts(item, [part(2)], "tg:42:2")
    assert append_parts(item, [part(2)], "tg:42:2")
    assert len(load_message(item.pk, item.sk).parts) == 2
    OutboxConsumer(config, lambda message: None).handle(record(config))
    # After delivery the album is closed: the caller stores a late part on its own
    assert not append_parts(load_message(item.pk, item.sk), [part(3)], "tg:42:3")
    assert len(load_message(item.pk, item.sk).parts) == 2


def test_an_album_waits_until_no_part_came_for_a_moment(config):
    item = album(config)
    destinations = Destinations(config, bot=None, album_settle=60)
    with pytest.raises(HeldBack, match="album still arriving") as raised:
        destinations(load_message(item.pk, item.sk))
    assert 1 <= raised.value.seconds <= 60
