"""Pacing through the deployed outbox: the real OutboxFunction over the template's FIFO queue (moto),
Telegram's stand-in enforcing its flood limits, and one simulated clock for SQS, Telegram and the
pacer (no real waiting: a pacing wait moves the clock).

A burst of messages to one group goes out no faster than Telegram's 20 a minute, meets no 429,
uses up no delivery attempt and is never dead-lettered; a long answer to a customer arrives in
parts a second apart. ``burst_to_group`` is also the reliability figure and the bench's burst.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from supportbot.config import get_config
from supportbot.pacing import GROUP_CHAT
from supportbot.support.messages import CUSTOMER, SENT, WAREHOUSE, MessageItem, NewMessage, load_message
from supportbot.support.outbox import enqueue
from tests.e2e import test_outbox_failures as e2e
from tests.e2e.test_outbox_failures import ANNA, Desk

moto, desk = e2e.moto, e2e.desk  # the outbox-failures test's fixtures
pytestmark = [pytest.mark.slow, pytest.mark.pacing]
GROUP = -1001234567890
LIMIT = (20, 60.0)  # Telegram: 20 messages a minute in a group


@dataclass
class Burst:
    messages: int
    sent: int
    seconds: float  # simulated, first message to last
    refused_429: int
    dead_lettered: int
    attempts_over_one: int  # delivery attempts beyond the one each message needed
    holds: int
    busiest_minute: int  # most messages in any 60 s


def burst_to_group(desk: Desk, monkeypatch: pytest.MonkeyPatch, count: int = 100) -> Burst:
    """``count`` customers' messages to the warehouse group queued at once; the outbox runs, one
    simulated second at a time, until all are sent (or ten minutes passed)."""
    monkeypatch.setenv("WAREHOUSE_CHAT_ID", str(GROUP))
    get_config.cache_clear()
    desk.world.add_group(GROUP, "Склад")
    items = [desk.send(700_000_000 + n, f"Запрос на фото №{n}", WAREHOUSE) for n in range(count)]
    start = desk.clock.now()
    desk.run()
    for _ in range(600):
        if all(stored(item).status == SENT for item in items):
            break
        desk.later(1)
    final = [stored(item) for item in items]
    times = sorted(m.date for m in desk.world.bot_messages(GROUP))
    return Burst(
        messages=count,
        sent=sum(item.status == SENT for item in final),
        seconds=desk.clock.now() - start,
        refused_429=sum(1 for r in desk.world.flood.refusals if r.chat_id == GROUP),
        dead_lettered=desk.counts("OutboxDeadLetterQueue")[0],
        attempts_over_one=sum(abs(int(item.attempts) - 1) for item in final),
        holds=sum(int(item.holds) for item in final),
        busiest_minute=max((sum(1 for t in times if at - LIMIT[1] < t <= at) for at in times), default=0),
    )


def stored(item: MessageItem) -> MessageItem:
    fresh = load_message(item.pk, item.sk)
    assert fresh is not None
    return fresh


def test_a_burst_of_100_to_one_group_goes_at_telegrams_pace_and_costs_no_attempt(desk, monkeypatch):
    # ``make bench`` runs this test for its figure (tests/bench/pacing.py): the size and where to
    # write the figures come from the environment then.
    count = int(os.environ.get("PACING_BURST", "100"))
    started = time.monotonic()
    burst = burst_to_group(desk, monkeypatch, count)
    if os.environ.get("PACING_FIGURES"):
        figures = {
            **asdict(burst),
            "wall_seconds": time.monotonic() - started,
            "interval": GROUP_CHAT.interval,
        }
        Path(os.environ["PACING_FIGURES"]).write_text(json.dumps(figures), encoding="utf-8")
    # THEN every message arrived, in no less time than Telegram's limit allows (99 gaps of 3 s)
    assert burst.sent == count
    assert len(desk.world.bot_messages(GROUP)) == count
    assert burst.seconds >= (count - 1) * LIMIT[1] / LIMIT[0]
    assert burst.seconds <= (count - 1) * GROUP_CHAT.interval + 10  # and not much more: the pacer's pace
    assert burst.busiest_minute <= LIMIT[0]
    # AND Telegram never answered 429, nothing was dead-lettered, no attempt was used up
    assert (burst.refused_429, burst.dead_lettered, burst.attempts_over_one) == (0, 0, 0)
    assert burst.holds >= count - 1  # every message but the first waited its turn in the queue
    assert desk.counts("OutboxQueue") == (0, 0)


def test_a_long_answer_reaches_the_customer_a_second_a_part(desk):
    # GIVEN an operator's answer of about 20,000 characters to Анна (five messages)
    answer = " ".join(f"слово{n}" for n in range(2_100))
    item = enqueue(get_config(), NewMessage(ANNA, CUSTOMER, [{"kind": "text", "text": answer}]))
    assert len(item.parts) == 5
    # WHEN the outbox runs until it is sent
    desk.run()
    for _ in range(30):
        if stored(item).status == SENT:
            break
        desk.later(1)
    # THEN all five parts arrived, in order, at most one a second, with no 429 and one attempt
    received = desk.world.bot_messages(ANNA)
    assert " ".join(m.text for m in received).split() == answer.split()
    calls = [c for c in desk.world.calls_to("sendMessage") if c.status == 200]
    assert len(calls) == 5
    assert desk.world.flood.refusals == []
    final = stored(item)
    assert (final.status, final.attempts, final.sent_parts) == (SENT, 1, 5)
