"""A burst to the Telegram desk (issue 18): 100 customers write at once, each needing a topic of
their own (its card, then the copy of their message) in one support group. One injectable clock
drives SQS (delays and visibility, moto), the pacer and the stand-in's flood limits, so the
minutes the group's limit imposes pass without waiting. ``make bench`` runs this test for its
drain figure (tests/bench/pacing.py; ``PACING_BURST`` and ``PACING_FIGURES`` then)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import boto3
import pytest

from supportbot.pacing import GROUP_CHAT
from supportbot.support import conversations
from supportbot.support.messages import BLINGER, FAILED, SENT, NewMessage, load_message
from supportbot.support.outbox import enqueue
from tests.functional.support.order_events_harness import FakeClock
from tests.functional.support.test_telegram_desk import GROUP, group  # noqa: F401 (group: a fixture)

pytestmark = [pytest.mark.pacing, pytest.mark.usefixtures("group")]
LIMIT = (20, 60.0)  # Telegram: 20 messages a minute in a group
CUSTOMERS = 700_000_000


@pytest.fixture
def clock(harness, monkeypatch):
    """One simulated clock for SQS, the pacer and Telegram's flood limits."""
    import moto.sqs.models

    fake = FakeClock()
    real = moto.sqs.models.unix_time
    monkeypatch.setattr(harness.world, "clock", fake)
    monkeypatch.setattr(
        moto.sqs.models, "unix_time", lambda dt=None: real(dt) if dt is not None else fake.now
    )
    monkeypatch.setattr(
        moto.sqs.models, "unix_time_millis", lambda dt=None: moto.sqs.models.unix_time(dt) * 1000
    )
    return fake


def drain(desk, clock, limit_seconds: float) -> int:
    """Run the outbox as its event source mapping would, a simulated second at a time, until the
    queue is empty (or ``limit_seconds`` passed); how many receives were pacing holds."""
    from supportbot.config import get_config
    from supportbot.pacing import Clock, Pacer
    from supportbot.support.destinations import Destinations
    from supportbot.support.outbox import HeldBack, OutboxConsumer, OutboxRecord
    from supportbot.telegram.client import get_bot

    sqs = boto3.client("sqs")
    config = get_config()
    pacer = Pacer(Clock(now=clock, sleep=clock.sleep))
    consumer = OutboxConsumer(
        config, Destinations(config, get_bot(), album_settle=0, pacer=pacer), client=sqs
    )
    deadline = clock.now + limit_seconds
    holds = 0
    while clock.now < deadline:
        received = sqs.receive_message(
            QueueUrl=desk.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not received:
            if desk.queued() == 0 and not in_flight(desk):
                return holds
            clock.sleep(1.0)
            continue
        for message in received:
            record = OutboxRecord(
                message["Body"],
                message["ReceiptHandle"],
                int(message["Attributes"]["ApproximateReceiveCount"]),
            )
            try:
                consumer.handle(record)
            except HeldBack:
                holds += 1  # back in the queue when its slot comes (the consumer set its visibility)
                continue
            sqs.delete_message(QueueUrl=desk.queue_url, ReceiptHandle=message["ReceiptHandle"])
    raise AssertionError(f"the burst did not drain in {limit_seconds:.0f} simulated seconds")


def in_flight(desk) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=desk.queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"])


def busiest_minute(times: list[int]) -> int:
    return max((sum(1 for t in times if at - LIMIT[1] < t <= at) for at in times), default=0)


def test_100_customers_at_once_all_reach_their_topics_at_the_groups_pace(harness, desk, clock):
    from supportbot.config import get_config

    count = int(os.environ.get("PACING_BURST", "100"))
    world = harness.world
    # GIVEN `count` customers who each write to support at the same moment
    items = []
    for n in range(count):
        user = CUSTOMERS + n
        world.add_user(user, first_name=f"Customer{n}")
        sent = world.user_sends_text(user, f"Where is my order {n}?")["message"]
        part = {"kind": "text", "text": sent["text"], "message_id": sent["message_id"]}
        context = {"client_name": f"Customer{n}", "info": {"user_type": "guest"}, "language": "ru"}
        items.append(enqueue(get_config(), NewMessage(user, BLINGER, [part], context)))
    started, wall = clock.now, time.monotonic()
    # WHEN the outbox drains the queue
    holds = drain(desk, clock, limit_seconds=3 * 60 * 60)
    seconds = clock.now - started
    final = [load_message(item.pk, item.sk) for item in items]
    posts = [m for m in world.bot_messages(GROUP) if m.forum_topic_created is None]
    figures = {
        "customers": count,
        "posts": len(posts),
        "seconds": seconds,
        "minimum": (len(posts) - 1) * LIMIT[1] / LIMIT[0],
        "interval": GROUP_CHAT.interval,
        "busiest_minute": busiest_minute([m.date for m in posts]),
        "refused_429": sum(1 for r in world.flood.refusals if r.chat_id == GROUP),
        "lost": sum(1 for item in final if item is None or item.status != SENT),
        "dead_lettered": sum(1 for item in final if item is not None and item.status == FAILED),
        "attempts_over_one": sum(abs(int(item.attempts) - 1) for item in final if item is not None),
        "holds": holds,
        "wall_seconds": time.monotonic() - wall,
    }
    if os.environ.get("PACING_FIGURES"):
        Path(os.environ["PACING_FIGURES"]).write_text(json.dumps(figures), encoding="utf-8")
    # THEN nothing is lost or dead-lettered, and no attempt is used up by waiting
    assert (figures["lost"], figures["dead_lettered"], figures["attempts_over_one"]) == (0, 0, 0)
    # AND each customer has a topic of their own: the card, then their message, copied
    for n in range(count):
        thread = int(conversations.latest(CUSTOMERS + n).desk_ref)
        texts = [m.text for m in posts if m.message_thread_id == thread]
        assert len(texts) == 2
        assert texts[1] == f"Where is my order {n}?"
    assert len(world.chats[GROUP].topics) == count
    assert world.calls_to("copyMessage")
    # AND the group's posts were never faster than Telegram's limit: no 429, at most 20 in any minute
    assert figures["refused_429"] == 0
    assert figures["busiest_minute"] <= LIMIT[0]
    assert seconds >= figures["minimum"]
    assert seconds <= (len(posts) - 1) * GROUP_CHAT.interval + 10  # and at the pacer's pace, no slower
