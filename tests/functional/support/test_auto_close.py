"""Auto-close (supportbot/support/auto_close.py, functions/auto_close): a conversation answered by an
operator and silent for AUTO_CLOSE_HOURS is closed through the lifecycle and its customer asked to
rate it, once, whatever the retries; never before the hours, never after the customer wrote last,
never one nobody answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportbot.support import auto_close, conversations
from tests.functional.support.conftest import customer_asked_support

ANN = 100000001
CLIENT = f"tg-{ANN}"
CLOSED_TEXT = "Conversation C{number} is closed: nothing was written in it for 24 h."


@pytest.fixture
def ann(harness, desk):
    # GIVEN Ann, who asked support a question that reached Blinger
    return customer_asked_support(harness, desk, "Where is my kettle?")


@pytest.fixture
def later(monkeypatch):
    """Move the auto-close's clock on by some hours from now."""

    def move(hours: float) -> None:
        moment = datetime.now(UTC) + timedelta(hours=hours)
        monkeypatch.setattr(auto_close, "clock", lambda: moment)

    return move


def answered(desk) -> conversations.ConversationItem:
    assert desk.forward(desk.blinger.reply(CLIENT, "text", "It ships on Friday"))[0] == 200
    desk.run_outbox()
    conversation = conversations.latest(ANN)
    assert conversation.status == "answered"
    return conversation


def run(desk, lambda_context) -> list[str]:
    from functions.auto_close import app

    closed = app.lambda_handler({"source": "aws.scheduler", "detail": {}}, lambda_context)["closed"]
    desk.run_outbox()
    return closed


def told(harness, number: int) -> list[str]:
    prefix = CLOSED_TEXT.format(number=number)
    return [m.text for m in harness.world.bot_messages(ANN) if (m.text or "").startswith(prefix)]


def test_an_answered_conversation_silent_for_the_hours_is_closed_and_rated_once(
    harness, desk, ann, later, lambda_context
):
    # GIVEN the operator answered, and Ann wrote nothing for 24 hours and a minute
    conversation = answered(desk)
    later(24 + 1 / 60)
    # WHEN the schedule runs, and runs again (a retry of its invocation)
    assert run(desk, lambda_context) == [conversation.ref]
    assert run(desk, lambda_context) == []
    # THEN the conversation is closed by the auto-close, once
    closed = conversations.latest(ANN)
    assert (closed.status, closed.closed_by) == ("closed", "auto")
    assert conversations.counts().live == 0
    # AND Ann was asked once, in her language, to rate it
    (asked,) = told(harness, int(conversation.number))
    last = harness.world.last_bot_message(ANN)
    assert last.text == asked
    assert ann.labels(last) == ["1", "2", "3", "4", "5"]
    # AND Blinger's thread says why, for the operator to close it there (no REST API token)
    line = desk.blinger.conversation(CLIENT).messages[-1].data
    assert line == (
        f"ℹ️ Диалог {conversation.ref} закрыт автоматически: клиент не писал 24 ч после ответа."
        " Закройте разговор в Blinger."
    )
    # AND her rating press rates it
    ann.tap("4", last)
    assert (conversations.latest(ANN).status, conversations.latest(ANN).rating) == ("rated", 4)


def test_two_runs_reading_the_index_at_once_close_and_tell_once(harness, desk, ann, later, monkeypatch):
    # GIVEN an answered conversation, due, which two runs read from the index at the same moment
    conversation = answered(desk)
    later(25)
    from supportbot.config import get_config

    cutoff = auto_close.clock() - get_config().auto_close_after
    both_read = list(auto_close.due(cutoff))
    assert [c.ref for c in both_read] == [conversation.ref]
    # WHEN the first closes it, then the second goes on with what it read
    assert auto_close.close_due(get_config()) == [conversation.ref]
    monkeypatch.setattr(auto_close, "due", lambda cutoff: iter(both_read))
    assert auto_close.close_due(get_config()) == []
    desk.run_outbox()
    # THEN Ann was asked to rate it once
    assert len(told(harness, int(conversation.number))) == 1


def test_not_before_the_hours(harness, desk, ann, later, lambda_context):
    answered(desk)
    assert run(desk, lambda_context) == []  # the clock as it is: just answered
    later(23.9)
    assert run(desk, lambda_context) == []
    assert conversations.latest(ANN).status == "answered"


def test_not_when_the_customer_wrote_last(harness, desk, ann, later, lambda_context):
    # GIVEN the operator answered, then Ann wrote again (the conversation is open: hers to answer)
    answered(desk)
    ann.send("And the lid?")
    desk.run_outbox()
    assert conversations.latest(ANN).status == "open"
    # WHEN the schedule runs two days later THEN it stays open: it waits for an operator
    later(48)
    assert run(desk, lambda_context) == []
    assert conversations.latest(ANN).status == "open"
    assert told(harness, int(conversations.latest(ANN).number)) == []


def test_not_when_the_customer_writes_after_the_index_was_read(harness, desk, ann, later, monkeypatch):
    # GIVEN a due answered conversation read from the index, and Ann writing right after that read
    from supportbot.config import get_config

    answered(desk)
    later(25)
    cutoff = auto_close.clock() - get_config().auto_close_after
    read = list(auto_close.due(cutoff))
    ann.send("Still there?")
    monkeypatch.setattr(auto_close, "due", lambda cutoff: iter(read))
    # WHEN the run goes on with what it read THEN it leaves the now open conversation alone
    assert auto_close.close_due(get_config()) == []
    assert conversations.latest(ANN).status == "open"


def test_not_when_nobody_answered(harness, desk, ann, later, lambda_context):
    later(72)
    assert run(desk, lambda_context) == []
    assert conversations.latest(ANN).status == "open"


def test_a_run_short_of_time_leaves_the_rest_for_the_next(harness, desk, ann, later):
    from supportbot.config import get_config

    answered(desk)
    later(25)
    assert auto_close.close_due(get_config(), keep_going=lambda: False) == []
    assert conversations.latest(ANN).status == "answered"
    assert auto_close.close_due(get_config()) == [conversations.latest(ANN).ref]


def test_auto_close_hours_is_read_from_the_environment(
    harness, desk, ann, later, monkeypatch, lambda_context
):
    from tests.functional.conftest import reset_singletons

    monkeypatch.setenv("AUTO_CLOSE_HOURS", "2")
    reset_singletons()
    conversation = answered(desk)
    later(1.9)
    assert run(desk, lambda_context) == []
    later(2.1)
    assert run(desk, lambda_context) == [conversation.ref]
    assert harness.world.last_bot_message(ANN).text.startswith(
        f"Conversation {conversation.ref} is closed: nothing was written in it for 2 h."
    )
