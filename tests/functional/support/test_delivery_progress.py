"""Delivery progress: every part but the last is recorded as it goes out, the last one with the
message's outcome, so a retry resumes after the parts already delivered and a delivered message
costs one write fewer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from supportbot.config import Config
from supportbot.support.destinations import Destinations
from supportbot.support.messages import BLINGER, QUEUED, SENT, MessageItem, NewMessage, load_message
from supportbot.support.outbox import DeliveryError, OutboxConsumer, OutboxRecord, append_parts, enqueue


def text(n: int) -> dict[str, str]:
    return {"kind": "text", "text": f"часть {n}"}


@dataclass
class FakeBlinger:
    """Stands in for the requests session Destinations posts with: records texts, can fail."""

    fail_on: set[str] = field(default_factory=set)
    before_post: Any = None
    posted: list[str] = field(default_factory=list)

    def post(self, url: str, json: dict[str, Any], **_: Any) -> Any:
        if self.before_post:
            self.before_post(json["data"])
        if json["data"] in self.fail_on:
            self.fail_on.discard(json["data"])
            return type("Answer", (), {"status_code": 500})()
        self.posted.append(json["data"])
        return type("Answer", (), {"status_code": 200})()


@pytest.fixture
def config(aws):
    url = boto3.client("sqs").create_queue(QueueName="outbox.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    return Config(
        outbox_queue_url=url,
        outbox_max_attempts=5,
        blinger_api_url="https://blinger.example/send",
        blinger_token="fake-blinger-token",
        blinger_channel_id="telegram",
    )


@pytest.fixture
def writes(monkeypatch):
    """The updates the outbox makes to stored messages, in order."""
    made: list[list[str]] = []
    original = MessageItem.update

    def counting(self: MessageItem, actions: list[Any], **kwargs: Any) -> Any:
        made.append(sorted(str(action).split(" ")[0] for action in actions))
        return original(self, actions=actions, **kwargs)

    monkeypatch.setattr(MessageItem, "update", counting)
    return made


def queued(config: Config, parts: list[dict[str, str]], context: dict[str, Any] | None = None) -> MessageItem:
    return enqueue(config, NewMessage(42, BLINGER, parts, context or {}), once=f"test:{len(parts)}")


def received(config: Config) -> OutboxRecord:
    (message,) = boto3.client("sqs").receive_message(
        QueueUrl=config.outbox_queue_url, MessageSystemAttributeNames=["All"]
    )["Messages"]
    return OutboxRecord(message["Body"], message["ReceiptHandle"], 1)


def consumer(config: Config, blinger: FakeBlinger) -> OutboxConsumer:
    return OutboxConsumer(config, Destinations(config, bot=None, session=blinger, album_settle=0))  # type: ignore[arg-type]


def test_a_one_part_message_is_recorded_with_one_write(config, writes):
    # GIVEN a one-part question
    item = queued(config, [text(1)])
    blinger = FakeBlinger()
    # WHEN the outbox delivers it
    consumer(config, blinger).handle(received(config))
    # THEN it was posted once and recorded sent, progress and all, in a single update
    assert blinger.posted == ["часть 1"]
    stored = load_message(item.pk, item.sk)
    assert (stored.status, stored.sent_parts) == (SENT, 1)
    assert len(writes) == 1


def test_a_three_part_message_records_progress_then_the_outcome(config, writes):
    item = queued(config, [text(1), text(2), text(3)])
    consumer(config, FakeBlinger()).handle(received(config))
    stored = load_message(item.pk, item.sk)
    assert (stored.status, stored.sent_parts) == (SENT, 3)
    # parts 1 and 2 recorded as they went out; part 3 with `sent`
    assert len(writes) == 3


def test_a_retry_resumes_after_the_parts_already_delivered(config):
    # GIVEN Blinger refuses the third part once
    item = queued(config, [text(1), text(2), text(3)])
    blinger = FakeBlinger(fail_on={"часть 3"})
    first = received(config)
    with pytest.raises(DeliveryError):
        consumer(config, blinger).handle(first)
    stored = load_message(item.pk, item.sk)
    assert (stored.status, stored.sent_parts, stored.reason) == (QUEUED, 2, "Blinger answered 500")
    # WHEN the queue hands it over again
    consumer(config, blinger).handle(OutboxRecord(first.body, first.receipt_handle, 2))
    # THEN only the third part is posted again: each part reached Blinger once
    assert blinger.posted == ["часть 1", "часть 2", "часть 3"]
    assert load_message(item.pk, item.sk).status == SENT


def test_a_part_appended_while_the_last_one_is_posted_is_the_only_one_posted_next(config):
    # GIVEN an album's one photo, queued; the next photo arrives while the first is being posted
    item = queued(config, [text(1)], {"album": "a1"})

    def second_photo_arrives(data: str) -> None:
        if data == "часть 1":
            assert append_parts(load_message(item.pk, item.sk), [text(2)], "test:album:2")

    blinger = FakeBlinger(before_post=second_photo_arrives)
    # WHEN the outbox delivers: `sent` is refused (a part came meanwhile), so it goes on
    consumer(config, blinger).handle(received(config))
    # THEN the first part is not posted twice: its progress was recorded when `sent` was refused
    assert blinger.posted == ["часть 1", "часть 2"]
    stored = load_message(item.pk, item.sk)
    assert (stored.status, stored.sent_parts, len(stored.parts)) == (SENT, 2, 2)
