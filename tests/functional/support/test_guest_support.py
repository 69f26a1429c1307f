"""A guest reaches support: before logging in, or after sharing a phone the shop does not know,
"Write to support" opens a dialog whose conversation Blinger shows as a guest's (no phone, no
orders)."""

from __future__ import annotations

from infra.demo import CUSTOMER_PHONE

EMMA = 100000077
UNKNOWN_PHONE = "+79005550177"
GUEST = "💬 Write to support"
SENT_TEXT = "✅ Sent to support. The answer will come to this chat."
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def reply_buttons(message) -> list[str]:
    markup = message.reply_markup or {}
    return [button["text"] for row in markup.get("keyboard", []) for button in row]


def test_before_login_write_to_support_opens_a_guest_conversation(harness, desk):
    # GIVEN Emma, who has not logged in
    emma = harness.user(EMMA, language="en", first_name="Emma")
    prompt = emma.send("/start")
    # THEN the login screen offers "Write to support" next to sharing the phone
    assert reply_buttons(prompt) == ["📱 Share my phone number", GUEST]
    # WHEN she taps it
    screen = emma.send(GUEST)
    # THEN the dialog opens, saying operators will not see her orders
    assert screen.text.startswith("Question to support\n\nYou are not logged in")
    assert emma.labels(screen) == ["✖️ End dialog", "🏠 Main menu"]
    # WHEN she writes, and sends a photo
    assert emma.send("Do you ship to Kazan?").text == SENT_TEXT
    harness.deliver(harness.world.user_sends_photo(EMMA, PNG))
    assert emma.last.text == SENT_TEXT
    desk.run_outbox()
    # THEN Blinger has a guest's conversation: her Telegram name, no phone, user type guest
    conversation = desk.blinger.conversation(f"tg-{EMMA}")
    assert conversation.client_name == "Emma"
    assert conversation.client_phone is None
    assert conversation.info == {"user_type": "guest"}
    assert [m.type for m in conversation.messages] == ["text", "image"]
    # WHEN she ends the dialog THEN she is back at the login screen (no order features)
    emma.tap("✖️ End dialog")
    assert "please log in" in emma.last.text
    assert reply_buttons(emma.last) == ["📱 Share my phone number", GUEST]


def test_after_an_unknown_phone_the_refusal_offers_support_as_a_guest(harness, desk):
    emma = harness.user(EMMA, language="ru", first_name="Эмма")
    emma.send("/start")
    # WHEN the shop does not know her phone
    refusal = emma.share_contact(UNKNOWN_PHONE)
    # THEN she is told so, and offered to write to support
    assert "Мы не нашли аккаунт" in refusal.text
    assert "«💬 Написать в поддержку»" in refusal.text
    assert reply_buttons(refusal) == ["📱 Поделиться номером телефона", "💬 Написать в поддержку"]
    # WHEN she taps it and writes
    emma.send("💬 Написать в поддержку")
    assert emma.send("Хочу стать покупателем").text.startswith("✅ Отправлено в поддержку")
    desk.run_outbox()
    # THEN the operator sees a guest, without her phone
    conversation = desk.blinger.conversation(f"tg-{EMMA}")
    assert (conversation.client_phone, conversation.info) == (None, {"user_type": "guest"})
    assert [m.data for m in conversation.messages] == ["Хочу стать покупателем"]


def test_a_guest_can_still_log_in_and_the_dialog_then_is_a_customers(harness, desk):
    emma = harness.user(EMMA, language="en", first_name="Emma")
    emma.send("/start")
    emma.send(GUEST)
    # WHEN she goes Home THEN the login screen again; WHEN she logs in THEN the main menu
    emma.tap("🏠 Main menu")
    assert "please log in" in emma.last.text
    emma.share_contact(CUSTOMER_PHONE)
    emma.tap("💬 Ask a question")
    emma.send("Now logged in")
    desk.run_outbox()
    assert desk.blinger.conversation(f"tg-{EMMA}").info["user_type"] == "customer"
    assert desk.blinger.conversation(f"tg-{EMMA}").client_phone == CUSTOMER_PHONE
