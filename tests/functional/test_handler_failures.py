"""A bug or an outage inside the bot never blocks the chat: 200 to Telegram, a short apology to the
user, the update kept for replay; the user's place is not half-changed."""

from __future__ import annotations

import pytest

import supportbot.bot.orders as orders
from infra.demo import CUSTOMER_PHONE
from supportbot.storage.failed_updates import FailedUpdateItem
from supportbot.storage.sessions import load_session

APOLOGY = "Sorry, something went wrong on our side. Please try again."
MENU = [
    "📦 My orders",
    "❓ FAQ",
    "💬 Ask a question",
    "📷 Product photo",
    "⚠️ Complaint",
    "🔔 Notifications",
    "🚪 Log out",
    "🗑 Delete my data",
]


@pytest.fixture
def ann(harness):
    # GIVEN Ann, logged in, at the main menu
    ann = harness.user(100000001, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    return ann


def test_a_failing_screen_is_answered_200_apologized_and_recorded(harness, ann, monkeypatch):
    saved = load_session(ann.user_id)

    # GIVEN a bug in the orders screen
    def broken(*args, **kwargs):
        raise RuntimeError("boom in order_line")

    monkeypatch.setattr(orders, "order_line", broken)
    # WHEN Ann opens her orders
    menu = ann.menu
    update = harness.world.user_presses(
        ann.user_id, menu.message_id, menu.inline_markup["inline_keyboard"][0][0]["callback_data"]
    )
    response = harness.deliver(update)
    # THEN Telegram gets 200, and Ann a short apology; her button press is answered (no spinner)
    assert response["statusCode"] == 200
    assert ann.last.text == APOLOGY
    assert [a["callback_query_id"] for a in harness.world.callback_answers][-1] == update["callback_query"][
        "id"
    ]
    # AND the update is recorded for replay, with who sent it and what went wrong
    failed = FailedUpdateItem.get(update["update_id"])
    assert failed.user_id == ann.user_id
    assert failed.update == update
    assert "RuntimeError: boom in order_line" in failed.error
    # AND nothing was half-applied: her session is as it was, the menu untouched
    after = load_session(ann.user_id)
    assert (after.machine, after.version) == (saved.machine, saved.version)
    assert ann.labels(harness.world.message(ann.user_id, menu.message_id)) == MENU

    # WHEN the bug is gone and she presses the same button again
    monkeypatch.undo()
    ann.tap("📦 My orders", message=menu)
    # THEN it works: the menu turns into her orders
    assert "Your orders (32). Page 1 of 7." in harness.world.message(ann.user_id, menu.message_id).text


def test_a_failing_typed_message_is_apologized_and_recorded(harness, ann, monkeypatch):
    # GIVEN a bug in the main menu
    monkeypatch.setattr("supportbot.bot.menu.deps", lambda ctx: 1 / 0)
    # WHEN Ann types /start
    update = harness.world.user_sends_text(ann.user_id, "/start")
    response = harness.deliver(update)
    # THEN 200, the apology, the record
    assert response["statusCode"] == 200
    assert ann.last.text == APOLOGY
    assert "ZeroDivisionError" in FailedUpdateItem.get(update["update_id"]).error


def test_telegram_failing_after_the_save_is_recovered_by_the_next_tap(harness, ann):
    # GIVEN Telegram fails the edit that shows Ann's orders (after the bot saved her move)
    harness.world.fail_next("editMessageText", 500)
    menu = ann.menu
    update = harness.world.user_presses(
        ann.user_id, menu.message_id, menu.inline_markup["inline_keyboard"][0][0]["callback_data"]
    )
    # WHEN she opens her orders
    response = harness.deliver(update)
    # THEN Telegram still gets 200, she gets the apology, the update is recorded
    assert response["statusCode"] == 200
    assert ann.last.text == APOLOGY
    assert FailedUpdateItem.get(update["update_id"]).user_id == ann.user_id
    # WHEN she presses a button of the menu she still sees
    answers = len(ann.callback_answers)
    screen = ann.tap("❓ FAQ", message=menu)
    # THEN that menu is outdated (she is in her orders now): she is told so and gets the current screen
    assert ann.callback_answers[answers:] == ["This menu is outdated. Here is the current one."]
    assert "Your orders (32). Page 1 of 7." in screen.text
