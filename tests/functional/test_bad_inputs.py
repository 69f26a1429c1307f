"""Inputs the current screen does not expect: old buttons, typed text, stickers, forged callback data,
repeated and out-of-order updates. Nothing crashes, nothing half-happens, the user sees where they are."""

from __future__ import annotations

import pytest

from infra.demo import CUSTOMER_PHONE
from supportbot.backend.builtin import BuiltinBackend
from supportbot.storage.sessions import load_session
from tests.functional.harness import message_raw, press_raw

OUTDATED = "This menu is outdated. Here is the current one."
USE_BUTTONS = "Please use the buttons below."
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


def bot_message_count(harness, chat) -> int:
    return len(harness.world.bot_messages(chat.user_id))


def test_a_button_of_an_old_menu_says_outdated_and_shows_the_current_screen(harness, ann):
    # GIVEN Ann opened her orders, then typed /start and got a fresh main menu below
    orders = ann.tap("📦 My orders")
    menu = ann.send("/start")
    assert ann.labels(menu) == MENU
    state_before = load_session(ann.user_id).machine
    # WHEN she presses "next page" on the old orders message
    count = bot_message_count(harness, ann)
    screen = ann.tap("▶️", message=orders)
    # THEN a toast says the menu is outdated, and the current screen (the main menu) comes as a new message
    assert ann.callback_answers[-1] == OUTDATED
    assert bot_message_count(harness, ann) == count + 1
    assert screen.message_id > menu.message_id
    assert ann.labels(screen) == MENU
    # AND the old message was left alone, and she did not move
    assert "Page 1 of 7." in harness.world.message(ann.user_id, orders.message_id).text
    assert load_session(ann.user_id).machine["s"] == state_before["s"] == "main"
    # AND the new screen's buttons work
    assert "Page 1 of 7." in ann.tap("📦 My orders").text


def test_text_where_buttons_are_expected_gets_a_hint_and_the_current_screen(harness, ann):
    # GIVEN Ann on page 2 of her orders
    ann.tap("📦 My orders")
    ann.tap("▶️")
    # WHEN she types something
    screen = ann.send("where is my parcel?")
    # THEN she is asked to use the buttons, and the current screen comes with them
    assert screen.text.startswith(USE_BUTTONS + "\n\n")
    assert "Page 2 of 7." in screen.text
    assert "2 / 7" in ann.labels(screen)
    # AND she is still where she was: the next page is page 3
    assert "Page 3 of 7." in ann.tap("▶️").text


@pytest.mark.parametrize(
    "content",
    [
        {
            "sticker": {
                "file_id": "CAACAgIAAxkBAAEBc",
                "file_unique_id": "AgADBAADr",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"location": {"latitude": 55.75, "longitude": 37.62}},
        {"voice": {"file_id": "AwACAgIAAxkBAAEB", "file_unique_id": "AgADBQADs", "duration": 2}},
        {"photo": [{"file_id": "AgACAgIAAxkB", "file_unique_id": "AQADAgAT", "width": 90, "height": 90}]},
    ],
    ids=["sticker", "location", "voice", "photo"],
)
def test_unexpected_kinds_of_message_get_the_hint(harness, ann, content):
    # GIVEN Ann at the main menu
    # WHEN she sends a sticker / location / voice note / photo
    response = harness.deliver(message_raw(ann, **content))
    # THEN the webhook answers 200 and she is told where it is taken, with the current screen
    assert response["statusCode"] == 200
    screen = ann.last
    what = {"sticker": "sticker", "location": "location", "voice": "voice message", "photo": "photo"}[
        next(iter(content))
    ]
    assert screen.text.startswith(f"This screen does not take a {what}. To send it to support, open")
    assert ann.labels(screen) == MENU


@pytest.mark.parametrize("data", ["zz|nope", "garbage", "|", "0|", "99|orders", "x" * 64])
def test_callback_data_the_bot_never_issued_is_stale(harness, ann, data):
    # GIVEN Ann at the main menu
    count = bot_message_count(harness, ann)
    # WHEN a callback with data the bot never issued arrives (an old or modified client)
    response = harness.deliver(press_raw(ann, data))
    # THEN the webhook answers 200, the toast says the menu is outdated, the main menu comes again
    assert response["statusCode"] == 200
    assert ann.callback_answers[-1] == OUTDATED
    assert bot_message_count(harness, ann) == count + 1
    assert ann.labels(ann.last) == MENU


def test_a_current_token_with_an_unknown_route_is_refused(harness, ann):
    # GIVEN the main menu's buttons (current token)
    token = ann.menu.inline_markup["inline_keyboard"][0][0]["callback_data"].split("|")[0]
    # WHEN data with the current token but a route this screen does not have arrives
    response = harness.deliver(press_raw(ann, f"{token}|pg:3"))
    # THEN the user is pointed at the buttons, and the menu stays
    assert response["statusCode"] == 200
    assert ann.callback_answers[-1] == USE_BUTTONS
    assert ann.labels(ann.menu) == MENU


def test_a_repeated_update_is_processed_once(harness, ann):
    # GIVEN an update Telegram delivers twice (it did not see our first answer)
    update = harness.world.user_sends_text(ann.user_id, "/start")
    harness.deliver(update)
    count = bot_message_count(harness, ann)
    saved = load_session(ann.user_id)
    # WHEN it arrives again
    response = harness.deliver(update)
    # THEN it is acknowledged and nothing is sent or saved
    assert response["statusCode"] == 200
    assert bot_message_count(harness, ann) == count
    assert load_session(ann.user_id).version == saved.version


def test_a_repeated_button_press_is_processed_once(harness, ann):
    # GIVEN a press of "My orders" delivered twice
    update = harness.world.user_presses(
        ann.user_id, ann.menu.message_id, ann.menu.inline_markup["inline_keyboard"][0][0]["callback_data"]
    )
    harness.deliver(update)
    edits = len(harness.world.calls_to("editMessageText"))
    answers = len(harness.world.calls_to("answerCallbackQuery"))
    # WHEN it arrives again
    harness.deliver(update)
    # THEN nothing more is edited or answered (the page did not jump either)
    assert len(harness.world.calls_to("editMessageText")) == edits
    assert len(harness.world.calls_to("answerCallbackQuery")) == answers
    assert "Page 1 of 7." in ann.menu.text


def test_an_older_update_arriving_late_is_handled_in_the_current_state_once(harness, ann):
    # GIVEN two updates, the older held back (another webhook connection delivered the newer first)
    older = harness.world.user_sends_text(ann.user_id, "hello")
    newer = harness.world.user_sends_text(ann.user_id, "/start")
    harness.deliver(newer)
    count = bot_message_count(harness, ann)
    saved = load_session(ann.user_id)
    # WHEN the older one arrives after the newer
    response = harness.deliver(older)
    # THEN it is handled where the newer left Ann, as her chat would: a typed text at the main menu
    assert response["statusCode"] == 200
    assert bot_message_count(harness, ann) == count + 1
    assert ann.last.text.startswith("Please use the buttons below.")
    assert ann.labels(ann.last) == MENU
    assert load_session(ann.user_id).last_update_id == newer["update_id"]
    assert load_session(ann.user_id).version == saved.version + 1
    # WHEN Telegram delivers either again
    harness.deliver(older)
    harness.deliver(newer)
    # THEN neither is handled twice
    assert bot_message_count(harness, ann) == count + 1
    assert load_session(ann.user_id).version == saved.version + 1


def test_buttons_from_before_a_forced_login_stay_outdated(harness, ann):
    # GIVEN Ann's orders list, shown in two messages (the menu she tapped, and again after a typed text)
    first = ann.tap("📦 My orders")
    second = ann.send("hello")
    # AND her login ended by the business system (blocked, then let back in), and she logged in again
    backend = BuiltinBackend()
    backend.upsert_customer(CUSTOMER_PHONE, "customer", "Анна", blocked=True)
    login = ann.tap("▶️", message=second)
    assert login.reply_markup["keyboard"][0][0]["request_contact"] is True
    backend.upsert_customer(CUSTOMER_PHONE, "customer", "Анна")
    ann.share_contact(CUSTOMER_PHONE)
    faq = ann.tap("❓ FAQ")
    assert faq.text.startswith("Frequently asked questions")
    # WHEN she presses buttons of the orders list she saw before the new login
    for old in (first, second):
        answers = len(ann.callback_answers)
        screen = ann.tap("▶️", message=old)
        # THEN each is outdated: she gets the current screen (the FAQ), nothing acts on the FAQ
        assert ann.callback_answers[answers:] == [OUTDATED]
        assert screen.text.startswith("Frequently asked questions")
        assert screen.message_id != old.message_id
    assert load_session(ann.user_id).machine["s"] == "faq:root"
