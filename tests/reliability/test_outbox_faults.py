"""Fault figures for the outbox (bounded variants of tests/e2e/test_outbox_failures.py, on its
``desk``: the real OutboxFunction over moto's template-made FIFO queue, SQS's clock moved by the
test): Blinger down for a period, Telegram's 429, the consumer killed mid-batch.

Figures: messages, messages lost (goal 0: not ``sent`` once drained, or dead-lettered),
duplicates delivered (only the documented window allows one: killed after the post, before
recording it), time to drain after recovery (simulated seconds from the moment the fault ends
until every message is sent: the retry schedule or the queue's visibility timeout at work).
"""

from __future__ import annotations

from collections import Counter

import pytest

from supportbot.support.messages import BLINGER, CUSTOMER, SENT, MessageItem, load_message
from tests.e2e import test_outbox_failures as e2e
from tests.e2e.test_outbox_failures import ANNA, BORIS, QUEUE_VISIBILITY, Desk, Killed, kill_during_delivery
from tests.e2e.test_outbox_pacing import burst_to_group
from tests.reliability import figures
from tests.reliability.conftest import SCALE

pytestmark = pytest.mark.slow
moto, desk = e2e.moto, e2e.desk  # the e2e test's fixtures
SECTION = "faults"
PER_USER = 3 * SCALE


def questions(desk: Desk, destination: str = BLINGER) -> list[MessageItem]:
    return [
        desk.send(user_id, f"{user_id}: вопрос {n}", destination)
        for n in range(1, PER_USER + 1)
        for user_id in (ANNA, BORIS)
    ]


def unsent(items: list[MessageItem]) -> int:
    return sum(
        1 for item in items if (stored := load_message(item.pk, item.sk)) is None or stored.status != SENT
    )


def drain(desk: Desk, items: list[MessageItem], limit: int = 2 * QUEUE_VISIBILITY) -> int:
    """Simulated seconds until every message is sent (1 s steps)."""
    waited = 0
    desk.run()
    while unsent(items) and waited < limit:
        desk.later(1)
        waited += 1
    return waited


def tally(entry: str, items: list[MessageItem], duplicates: int, drained: int, desk: Desk) -> int:
    lost = unsent(items) + desk.counts("OutboxDeadLetterQueue")[0]
    figures.count(SECTION, entry, "messages", len(items))
    figures.count(SECTION, entry, "messages lost", lost)
    figures.count(SECTION, entry, "duplicates delivered", duplicates)
    figures.put(SECTION, entry, "drain after recovery (s)", drained)
    return lost


def blinger_duplicates(desk: Desk) -> int:
    received = Counter(text for texts in desk.blinger_received().values() for text in texts)
    return sum(n - 1 for n in received.values())


def test_blinger_down_for_two_attempts(desk: Desk) -> None:
    entry = "outbox: Blinger down (two attempts of each user's first message)"
    # GIVEN Blinger refuses the next four posts: each user's first message, twice (t = 0 s, 30 s)
    desk.blinger.fail_next(status=500, times=4)
    items = questions(desk)
    desk.run()
    desk.later(30)
    assert desk.blinger_refused() == 4  # Blinger is back from here on
    # WHEN the outbox keeps running
    drained = drain(desk, items)
    # THEN everything arrives once, at the next retry (1 min after the second)
    duplicates = blinger_duplicates(desk)
    assert tally(entry, items, duplicates, drained, desk) == 0
    assert duplicates == 0
    assert drained <= 60


def test_telegram_rate_limit_on_operator_replies(desk: Desk) -> None:
    entry = "outbox: Telegram 429 (retry_after 7 s)"
    desk.world.fail_next("sendMessage", error_code=429, retry_after=7)
    items = questions(desk, CUSTOMER)
    drained = drain(desk, items)
    texts = Counter(m.text for user in (ANNA, BORIS) for m in desk.world.bot_messages(user))
    duplicates = sum(n - 1 for n in texts.values())
    assert tally(entry, items, duplicates, drained, desk) == 0
    extra = sum(int(load_message(i.pk, i.sk).attempts) - 1 for i in items)
    figures.count(SECTION, entry, "attempts used up by the 429", extra)
    assert duplicates == 0
    assert drained <= 8
    assert extra == 0  # a 429 holds the message back: no attempt is used up


@pytest.mark.pacing
def test_a_burst_to_one_group_at_telegrams_real_limits(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the stand-in enforcing Telegram's flood limits (not an injected 429), 100 messages
    # queued at once to one group
    entry = "outbox: 100 messages to one group at Telegram's real limits (paced)"
    burst = burst_to_group(desk, monkeypatch, 100 * SCALE)
    figures.count(SECTION, entry, "messages", burst.messages)
    figures.count(SECTION, entry, "messages lost", burst.messages - burst.sent + burst.dead_lettered)
    figures.count(SECTION, entry, "429s answered by Telegram", burst.refused_429)
    figures.count(SECTION, entry, "attempts used up by pacing", burst.attempts_over_one)
    figures.put(SECTION, entry, "busiest minute (messages)", burst.busiest_minute)
    figures.put(SECTION, entry, "first to last sent (simulated s)", round(burst.seconds))
    assert (burst.sent, burst.dead_lettered, burst.refused_429, burst.attempts_over_one) == (
        burst.messages,
        0,
        0,
        0,
    )
    assert burst.busiest_minute <= 20


@pytest.mark.pacing
def test_long_answers_to_customers_at_telegrams_real_limits(desk: Desk) -> None:
    # GIVEN operators' answers of about 9,000 characters each (three messages) to two customers,
    # three each, with Telegram's flood limits on
    entry = "outbox: 9,000-character answers, 3 per customer, at the real limits (split, paced)"
    answer = " ".join(f"слово{n}" for n in range(950))
    items = [desk.send(user_id, answer, CUSTOMER) for _ in range(3 * SCALE) for user_id in (ANNA, BORIS)]
    drained = drain(desk, items)
    received = {user: [m.text for m in desk.world.bot_messages(user)] for user in (ANNA, BORIS)}
    refused = len(desk.world.flood.refusals)
    extra = sum(int(load_message(i.pk, i.sk).attempts) - 1 for i in items)
    tally(entry, items, 0, drained, desk)
    figures.count(SECTION, entry, "Telegram messages", sum(len(texts) for texts in received.values()))
    figures.count(SECTION, entry, "429s answered by Telegram", refused)
    figures.count(SECTION, entry, "attempts used up by pacing", extra)
    assert unsent(items) == 0
    assert all(" ".join(texts).split() == (answer.split() * 3 * SCALE) for texts in received.values())
    assert (refused, extra) == (0, 0)


@pytest.mark.parametrize(
    ("where", "window"),
    [
        ("after the post, before recording it", 1),
        ("after recording it, before the queue message is deleted", 0),
    ],
)
def test_the_consumer_killed_mid_batch(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, where: str, window: int
) -> None:

    entry = f"outbox: consumer killed mid-batch, {where}"
    items = questions(desk)
    victim = items[2]  # ANNA's second question
    kill_during_delivery(monkeypatch, victim.msg_id, after_post=bool(window))
    with pytest.raises(Killed):
        desk.run()
    # a new instance is ready at once: the batch comes back after the queue's visibility timeout
    desk.cold_start()
    drained = drain(desk, items)
    duplicates = blinger_duplicates(desk)
    assert tally(entry, items, duplicates, drained, desk) == 0
    assert duplicates == window  # the documented window only (docs/ARCHITECTURE.md, "No message lost")
    assert drained <= QUEUE_VISIBILITY
