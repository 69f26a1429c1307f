"""Login refusals: only the user's own contact, shared with the button, of a known, allowed account.

After every refusal the user is still at login, with the share-contact keyboard, and their own
contact then logs them in.
"""

from __future__ import annotations

import pytest

from infra.demo import CUSTOMER_PHONE
from supportbot.backend.builtin import BuiltinBackend

SHARE_BUTTON = {"text": "📱 Share my phone number", "request_contact": True}
GUEST_BUTTON = {"text": "💬 Write to support"}
PROMPT = "To see your orders and talk to support, please log in"


@pytest.fixture
def ann(harness):
    # GIVEN a user at the login screen
    ann = harness.user(100000001, language="en", first_name="Ann")
    ann.send("/start")
    return ann


def assert_still_at_login(harness, chat, explanation: str) -> None:
    """The refusal explains itself, the login screen comes again with the contact keyboard, and
    the user's own contact then logs them in."""
    screen = chat.last
    assert screen.text.startswith(explanation)
    assert PROMPT in screen.text
    assert screen.reply_markup["keyboard"] == [[SHARE_BUTTON], [GUEST_BUTTON]]
    assert not any("Welcome" in (m.text or "") for m in harness.world.bot_messages(chat.user_id))
    chat.share_contact(CUSTOMER_PHONE)
    welcome, menu = harness.world.bot_messages(chat.user_id)[-2:]
    assert welcome.text == "Welcome, Анна! You are logged in."
    assert chat.labels(menu) == [
        "📦 My orders",
        "❓ FAQ",
        "💬 Ask a question",
        "📷 Product photo",
        "⚠️ Complaint",
        "🔔 Notifications",
        "🚪 Log out",
        "🗑 Delete my data",
    ]


@pytest.mark.parametrize("typed", ["+7 900 123-45-67", "89001234567", "79001234567"])
def test_a_typed_phone_number_is_refused(harness, ann, typed):
    # WHEN she types her phone number instead of sharing it
    ann.send(typed)
    # THEN she is told why it is refused, and still asked to share her contact
    assert_still_at_login(
        harness,
        ann,
        "For your security, typed phone numbers are not accepted. Please tap “Share my phone number”",
    )


def test_other_text_at_login_gets_the_hint(harness, ann):
    # WHEN she types something that is not a phone number
    ann.send("hello?")
    # THEN she is pointed at the button
    assert_still_at_login(harness, ann, "Please use the buttons below.")


@pytest.mark.parametrize("contact_user_id", [100000999, None], ids=["someone-else", "no-user-id"])
def test_a_foreign_contact_is_refused(harness, ann, contact_user_id):
    # WHEN she shares a contact that is not her own (a known customer's phone, even)
    ann.share_contact(CUSTOMER_PHONE, contact_user_id=contact_user_id)
    # THEN it is refused
    assert_still_at_login(harness, ann, "That is not your own contact.")


def test_a_forwarded_contact_is_refused(harness, ann):
    # WHEN she forwards a contact message (even one carrying her own user id)
    ann.share_contact(CUSTOMER_PHONE, forwarded=True)
    # THEN it is refused
    assert_still_at_login(harness, ann, "Forwarded contacts are not accepted.")


def test_an_unknown_phone_is_told_what_to_do(harness, ann):
    # WHEN she shares her own contact, but the business does not know her number
    ann.share_contact("+79990000000")
    # THEN she is told no account was found, and what to do about it
    assert_still_at_login(harness, ann, "We could not find an account with this phone number.")
    assert "contact our shop to be registered" in harness.world.bot_messages(ann.user_id)[-3].text


def test_a_blocked_customer_is_refused(harness, ann):
    # GIVEN her number belongs to a blocked account
    BuiltinBackend().upsert_customer("+79001112233", "customer", "Blocked", blocked=True)
    # WHEN she shares her own contact
    ann.share_contact("79001112233")
    # THEN she is told the account may not use the bot
    assert_still_at_login(harness, ann, "This account may not use the bot. Please contact the shop.")


def test_russian_refusals(harness):
    # GIVEN a Russian-speaking user at login
    anna = harness.user(100000003, language="ru")
    anna.send("/start")
    # WHEN she types her number, THEN the refusal is in Russian, with the contact keyboard
    screen = anna.send("+79001234567")
    assert screen.text.startswith("Из соображений безопасности набранные вручную номера не принимаются.")
    assert screen.reply_markup["keyboard"] == [
        [{"text": "📱 Поделиться номером телефона", "request_contact": True}],
        [{"text": "💬 Написать в поддержку"}],
    ]
    # WHEN she shares someone else's contact, THEN that is refused too
    screen = anna.share_contact(CUSTOMER_PHONE, contact_user_id=5)
    assert screen.text.startswith("Это не ваш контакт.")
    # WHEN she shares an unknown number of her own
    screen = anna.share_contact("+79990000000")
    assert screen.text.startswith("Мы не нашли аккаунт с этим номером телефона.")
    assert screen.reply_markup["keyboard"][0][0]["request_contact"] is True


def test_menu_and_help_before_logging_in(harness, ann):
    # WHEN Ann, not logged in, asks for the main menu  THEN the login screen, as for /start
    assert PROMPT in ann.send("/menu").text
    # WHEN she asks for help  THEN the hint comes with the login screen
    ann.send("/help")
    assert_still_at_login(harness, ann, "Use the buttons under the messages. Commands: /menu")
