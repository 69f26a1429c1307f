"""Expected wait and place in the queue (supportbot/support/waiting.py): told once, when a
conversation opens inside business hours, in the customer's language; the wait is the median first
answer time of the newest 50 conversations answered in the last 7 days (none: nothing said)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra.demo import CUSTOMER_PHONE
from supportbot.config import Config
from supportbot.support import conversations, waiting
from supportbot.support.messages import BLINGER, NewMessage
from supportbot.support.outbox import store
from tests.functional.support.conftest import customer_asked_support

ASK = "💬 Ask a question"
SENT = "✅ Sent to support. The answer will come to this chat."
NOW = datetime.now(UTC)


def others_waiting(count: int) -> None:
    """``count`` other customers whose questions nobody answered yet."""
    for user_id in range(500, 500 + count):
        store(Config(), NewMessage(user_id, BLINGER, [{"kind": "text", "text": "Hello?"}]))


def samples(*pairs: tuple[float, float]) -> None:
    """First answers ``hours ago`` that took ``seconds``, as operators' first answers add them."""
    for hours_ago, seconds in pairs:
        waiting.add_sample(NOW - timedelta(hours=hours_ago), seconds)


def asks(harness, language: str = "en"):
    ann = harness.user(100000001, language=language, first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap(ASK if language == "en" else "💬 Задать вопрос")
    return ann


def test_the_median_of_the_answers_in_the_last_seven_days(aws):
    # GIVEN first answers of 10 min, 2 min and 1 min in the last week, and two fast ones before it
    samples((1, 600), (30, 120), (24 * 6.9, 60), (24 * 7.1, 1), (24 * 30, 1))
    # THEN the median is of the week's three: 2 minutes (hand-computed: 60, 120, 600)
    assert waiting.waiting(NOW).wait == 120


def test_the_median_of_the_newest_fifty(aws):
    # GIVEN 52 first answers in the last day: the two oldest took 5000 s, the newest 50 took
    # 60, 120, ... 3000 s (the newest the longest)
    samples((23.9, 5000), (23.8, 5000), *((10 - k / 10, 60 * k) for k in range(1, 51)))
    # THEN only the newest 50 count: median (1500 + 1560) / 2 = 1530 s
    assert len(waiting.answer_times().samples) == 50
    assert waiting.waiting(NOW).wait == 1530


def test_no_answer_in_the_window_says_nothing(aws):
    samples((24 * 8, 30))
    assert waiting.waiting(NOW).wait is None
    assert waiting.median_wait(NOW, []) is None


def test_an_operators_first_answer_is_sampled_once(harness, desk):
    # GIVEN Ann's question answered by the operator, twice
    customer_asked_support(harness, desk, "Where is my kettle?")
    assert desk.forward(desk.blinger.reply("tg-100000001", "text", "On it"))[0] == 200
    assert desk.forward(desk.blinger.reply("tg-100000001", "text", "Ships on Friday"))[0] == 200
    # THEN her conversation's first answer time is one sample: its first answer less its opening
    conversation = conversations.latest(100000001)
    expected = (conversation.first_answer_at - conversation.opened_at).total_seconds()
    ((answered, seconds),) = waiting.answer_times().samples
    assert seconds == pytest.approx(expected, abs=0.001)
    assert answered == pytest.approx(conversation.first_answer_at.timestamp(), abs=0.001)
    assert conversation.answer_sampled is True
    # AND a sample for a conversation that does not exist is none
    assert waiting.sample_first_answer(100000001, 99) is None


def test_a_new_conversation_is_told_its_place_and_the_wait_once(harness, desk):
    # GIVEN three customers waiting, and operators who answered in 12 minutes lately
    others_waiting(3)
    samples((2, 600), (3, 720), (4, 900))
    ann = asks(harness)
    # WHEN Ann asks THEN she is told she is fourth and how long operators take
    assert ann.send("Where is my order?").text == "\n".join(
        [SENT, "Your place in the queue: 4.", "Operators answer in about 12 min now."]
    )
    # AND her next message is confirmed plainly (told once, when the conversation opened)
    assert ann.send("It is order 1042").text == SENT


def test_in_russian_by_default_with_a_wait_in_hours(harness, desk):
    others_waiting(1)
    samples((2, 5400), (3, 7000))  # median 6200 s: about 2 hours
    ann = asks(harness, language="ru")
    assert ann.send("Где мой заказ?").text == "\n".join(
        [
            "✅ Отправлено в поддержку. Ответ придёт в этот чат.",
            "Ваше место в очереди: 2.",
            "Сейчас операторы отвечают примерно за 2 ч.",
        ]
    )


def test_the_first_in_line_with_no_recent_answers_hears_the_plain_confirmation(harness, desk):
    ann = asks(harness)
    assert ann.send("Where is my order?").text == SENT


def test_a_long_queue_is_read_only_up_to_its_bound(harness, desk, monkeypatch):
    monkeypatch.setattr(waiting, "QUEUE_BOUND", 2)
    others_waiting(3)
    ann = asks(harness)
    assert ann.send("Where is my order?").text == "\n".join([SENT, "Your place in the queue: over 2."])
    assert waiting.queue_position() == (2, True)


def test_a_wait_under_half_a_minute_is_one_minute(harness, desk):
    samples((1, 5))
    ann = asks(harness)
    assert ann.send("Hi").text == "\n".join([SENT, "Operators answer in about 1 min now."])


def test_two_samples_at_once_both_land(aws, monkeypatch):
    # GIVEN another sample written between this one's read and its write
    real = waiting.answer_times
    raced = []

    def read_then_race() -> waiting.AnswerTimesItem:
        item = real()
        if not raced:
            raced.append(True)
            waiting.add_sample(NOW, 30)
        return item

    monkeypatch.setattr(waiting, "answer_times", read_then_race)
    waiting.add_sample(NOW - timedelta(minutes=1), 90)
    # THEN both are kept
    assert sorted(s for _, s in real().samples) == [30, 90]


def test_a_sample_that_fails_loses_the_figure_never_the_message(aws, monkeypatch, caplog):
    from pynamodb.exceptions import UpdateError

    def broken(*args, **kwargs):
        raise UpdateError("DynamoDB is down")

    # GIVEN a customer's question, and DynamoDB failing the sample of the operator's answer
    store(Config(), NewMessage(700, BLINGER, [{"kind": "text", "text": "Hello?"}]))
    monkeypatch.setattr(conversations.ConversationItem, "update", broken)
    with pytest.raises(UpdateError):
        waiting.sample_first_answer(700, 1)
    # WHEN the answer is stored THEN it is, and the failure is logged
    answer = NewMessage(700, "customer", [{"kind": "text", "text": "On it"}], role="operator")
    assert store(Config(), answer).conversation == 1
    assert "could not be sampled" in caplog.text
    assert waiting.answer_times().samples == []


def test_a_sample_write_that_fails_otherwise_is_raised(aws, monkeypatch):
    from pynamodb.exceptions import PutError

    def broken(*args, **kwargs):
        raise PutError("DynamoDB is down")

    monkeypatch.setattr(waiting.AnswerTimesItem, "save", broken)
    with pytest.raises(PutError):
        waiting.add_sample(NOW, 10)


def test_samples_that_keep_changing_give_up(aws, monkeypatch):
    waiting.add_sample(NOW, 10)
    stale = waiting.answer_times()
    stale.version = 0  # read before the first sample, every time
    monkeypatch.setattr(waiting, "answer_times", lambda: stale)
    with pytest.raises(RuntimeError, match="kept changing"):
        waiting.add_sample(NOW, 20)
