"""Order events: the business system's signed webhook, every answer of its contract, each
reason a customer is not told, coalescing, the opt-out, and the message's two buttons."""

from __future__ import annotations

import json

import pytest

from infra.demo import CUSTOMER_PHONE, PARTNER_PHONE, demo_orders
from supportbot import metrics
from supportbot.security import signature_header
from supportbot.storage.sessions import mark_bot_blocked
from tests.emf import Capture
from tests.functional.conftest import reset_singletons
from tests.functional.support.order_events_harness import SECRET, WINDOW

ANN = 100000001


@pytest.fixture
def ann(harness):
    ann = harness.user(ANN, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    return ann


def told(shop, desk) -> None:
    """The window closes: the job runs and the outbox delivers."""
    shop.later(WINDOW + 1)
    shop.run_jobs()
    desk.run_outbox()


def test_a_status_change_reaches_the_customer_once_with_its_buttons(shop, desk, ann):
    # WHEN the business system tells the bot order 10234 is in transit
    status, body = shop.post(shop.event("in_transit"))
    # THEN it is accepted at once, to be delivered
    assert (status, body) == (200, {"accepted": True, "duplicate": False, "delivered": True})
    # AND nothing is sent before the coalescing window closed
    assert shop.run_jobs() == 0
    desk.run_outbox()
    assert "is now" not in ann.last.text
    # WHEN the window closes
    told(shop, desk)
    # THEN Ann reads it, in her language, with the order's two buttons
    message = ann.last
    assert message.text == "📦 Order №10234 is now: on the way"
    assert ann.labels(message) == ["📦 Open order", "💬 Ask about this order"]
    # AND a repeat of the same event is answered as a duplicate and sends nothing more
    messages = len(ann.world.bot_messages(ANN))
    again = shop.post(shop.event("in_transit", event_id="evt-1"))
    assert again == (200, {"accepted": True, "duplicate": True, "delivered": True})
    told(shop, desk)
    assert len(ann.world.bot_messages(ANN)) == messages


def test_each_event_is_counted_by_its_outcome(shop, desk, ann, capsys):
    emf = Capture(capsys)
    shop.post(shop.event("in_transit"))
    shop.post(shop.event("in_transit", event_id="evt-1"))  # a repeat
    shop.post(shop.event("in_transit", event_id="evt-2", phone="+79990000000"))  # nobody to tell
    counts = emf.counts()
    assert {k: v for k, v in counts.items() if k[0] == metrics.ORDER_EVENTS} == {
        (metrics.ORDER_EVENTS, "delivered"): 1,
        (metrics.ORDER_EVENTS, "duplicate"): 1,
        (metrics.ORDER_EVENTS, "skipped"): 1,
    }


def test_open_order_and_ask_about_it_from_the_message(shop, desk, ann):
    shop.post(shop.event("in_transit"))
    told(shop, desk)
    message = ann.last
    # WHEN Ann, somewhere else in the bot by now, presses "Open order" on the message
    ann.send("/menu")
    ann.tap("❓ FAQ")
    card = ann.tap("📦 Open order", message)
    # THEN she sees the order's card (as the shop's system has it)
    assert card.text.startswith(f"Order №{demo_orders(1)[0].number}\n")
    # WHEN she presses "Ask about this order" on the same message
    dialog = ann.tap("💬 Ask about this order", message)
    # THEN the support dialog about that order opens
    number = demo_orders(1)[0].number
    assert number in dialog.text
    ann.send("Where is it?")
    desk.run_outbox()
    conversation = desk.blinger.conversation(f"tg-{ANN}")
    texts = [str(m.data) for m in conversation.messages]
    assert any(number in text for text in texts)
    assert "Where is it?" in texts


def test_changes_within_a_minute_are_one_message_with_the_newest_status(shop, desk, ann):
    shop.post(shop.event("assembling", status_text="Собирается", occurred_at="2026-11-20T10:00:00+03:00"))
    shop.later(20)
    shop.post(shop.event("in_transit", occurred_at="2026-11-20T10:05:00+03:00"))
    # an event older than the newest one arrives late: it changes nothing
    shop.post(shop.event("assembling", status_text="Собирается", occurred_at="2026-11-20T10:01:00+03:00"))
    before = len(ann.world.bot_messages(ANN))
    told(shop, desk)
    new = ann.world.bot_messages(ANN)[before:]
    assert [m.text for m in new] == ["📦 Order №10234 is now: on the way"]
    # AND a change after the window is a message of its own
    shop.post(shop.event("delivered", occurred_at="2026-11-20T12:00:00+03:00"))
    told(shop, desk)
    assert ann.last.text == "📦 Order №10234 is now: delivered"


def test_a_status_the_bot_has_no_words_for_shows_the_systems_text_escaped(shop, desk, ann):
    shop.post(shop.event("lost_at_sea", status_text="<Потерян> & найден"))
    told(shop, desk)
    assert ann.last.text == "📦 Order №10234 is now: <Потерян> & найден"


def test_a_new_order_is_announced(shop, desk, ann):
    shop.post(shop.event("new", type="order.created", status_text="Новый"))
    told(shop, desk)
    assert ann.last.text == "📦 New order №10234: new"


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("unknown", "unknown_customer"),
        ("never_started", "not_started"),
        ("logged_out", "logged_out"),
        ("turned_off", "notifications_off"),
        ("blocked", "blocked"),
    ],
)
def test_each_reason_a_customer_is_not_told(shop, desk, harness, setup, reason):
    phone = CUSTOMER_PHONE
    if setup == "unknown":
        phone = "+79990000000"  # no customer of the shop's
    elif setup == "never_started":
        phone = PARTNER_PHONE  # a partner of the shop's who never opened the bot
    else:
        ann = harness.user(ANN, language="en", first_name="Ann")
        ann.send("/start")
        ann.share_contact(CUSTOMER_PHONE)
        if setup == "logged_out":
            ann.tap("🚪 Log out")
        elif setup == "turned_off":
            ann.tap("🔔 Notifications")
            ann.tap("🔕 Turn off")
        else:
            mark_bot_blocked(ANN)
    status, body = shop.post(shop.event(phone=phone))
    assert (status, body) == (
        200,
        {"accepted": True, "duplicate": False, "delivered": False, "reason": reason},
    )
    before = len(harness.world.bot_messages(ANN))
    told(shop, desk)
    assert len(harness.world.bot_messages(ANN)) == before
    # a repeat says the same, as a duplicate
    assert shop.post(shop.event(phone=phone, event_id="evt-1"))[1]["duplicate"] is True


def test_the_notifications_screen_turns_them_off_and_on(shop, desk, ann):
    screen = ann.tap("🔔 Notifications")
    assert screen.text.startswith("🔔 Notifications are on")
    screen = ann.tap("🔕 Turn off")
    assert screen.text.startswith("🔕 Notifications are off")
    assert ann.labels(screen) == ["🔔 Turn on", "🏠 Main menu"]
    # turned off after the event came, before the window closed: not told either
    shop.post(shop.event("in_transit"))
    ann.tap("🔔 Turn on")
    assert ann.last.text.startswith("🔔 Notifications are on")
    ann.tap("🔕 Turn off")
    told(shop, desk)
    assert "is now" not in ann.last.text
    ann.tap("🔔 Turn on")
    assert shop.post(shop.event("delivered"))[1]["delivered"] is True
    told(shop, desk)
    assert ann.last.text == "📦 Order №10234 is now: delivered"


def test_an_admin_changing_an_orders_status_raises_the_same_event(shop, desk, ann, harness, monkeypatch):
    from functions.admin import app
    from tests.functional.admin.conftest import ADMIN_KEY, AdminClient

    monkeypatch.setenv("ADMIN_API_KEY", ADMIN_KEY)
    reset_singletons()
    admin = AdminClient(app, desk.queue_url)

    order = {
        "number": "10234",
        "title": "Электрический чайник",
        "status": "in_transit",
        "status_text": None,
        "amount": "1234.50",
        "currency": "RUB",
        "updated_at": "2026-11-21T10:15:00+03:00",
    }
    status, _ = admin.call("PUT", f"/customers/{CUSTOMER_PHONE}/orders/A10000", order)
    assert status == 200
    told(shop, desk)
    assert ann.last.text == "📦 Order №10234 is now: on the way"
    # the same status again (another field changed) is no news
    status, _ = admin.call(
        "PUT", f"/customers/{CUSTOMER_PHONE}/orders/A10000", {**order, "amount": "1300.00"}
    )
    assert status == 200
    before = len(harness.world.bot_messages(ANN))
    told(shop, desk)
    assert len(harness.world.bot_messages(ANN)) == before


# The contract's refusals: nothing is recorded, nothing is sent.


def test_a_call_without_a_signature_is_401_and_a_wrong_or_stale_one_403(shop):
    event = shop.event()
    assert shop.post(event, secret=None) == (401, {"error": "missing_signature"})
    assert shop.post(event, secret="guessed") == (403, {"error": "bad_signature"})
    assert shop.post(event, at=shop.clock.now - 301) == (403, {"error": "bad_signature"})
    assert shop.post(event, at=shop.clock.now + 301) == (403, {"error": "bad_signature"})
    assert shop.post(event, header="v1=00") == (403, {"error": "bad_signature"})
    assert shop.post(event, header="t=abc,v1=00") == (403, {"error": "bad_signature"})
    # within the tolerance, and with a second (rotated) signature beside the right one
    raw = json.dumps(event, ensure_ascii=False).encode()
    good = signature_header(SECRET, raw, int(shop.clock.now - 299))
    assert shop.post(raw, header=f"{good},v1={'0' * 64}")[0] == 200


def test_no_secret_configured_lets_nobody_in(shop, monkeypatch):
    monkeypatch.delenv("BUSINESS_WEBHOOK_SECRET")
    reset_singletons()
    assert shop.post(shop.event())[0] == 403


def test_a_body_over_64_kb_is_413(shop):
    body = shop.event()
    body["padding"] = "x" * (64 * 1024)
    assert shop.post(body) == (413, {"error": "too_large", "limit": 65536})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (b"not json", "body"),
        (b"\xff\xfe", "body"),
        (b"[1, 2]", "body"),
        ({"event_id": ""}, "event_id"),
        ({"event_id": 7}, "event_id"),
        ({"type": None}, "type"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": None}, "occurred_at"),
        ({"customer": "Ann"}, "customer"),
        ({"customer": {"phone": "89001234567"}}, "customer.phone"),
        ({"customer": {"phone": "+7"}}, "customer.phone"),
        ({"order": []}, "order"),
        ({"order": {"number": "1", "status": "x"}}, "order.id"),
        ({"order": {"id": "a/b", "number": "1", "status": "x"}}, "order.id"),
        ({"order": {"id": "A1", "status": "x"}}, "order.number"),
        ({"order": {"id": "A1", "number": "1", "status": 5}}, "order.status"),
        ({"order": {"id": "A1", "number": "1", "status_text": ["x"]}}, "order.status_text"),
        ({"order": {"id": "A1", "number": "1"}}, "order.status"),
        ({"order": {"id": "A1", "number": "1", "status": "x", "updated_at": "soon"}}, "order.updated_at"),
    ],
)
def test_a_malformed_event_is_400_naming_the_field(shop, change, field):
    body = change if isinstance(change, bytes) else {**shop.event(), **change}
    assert shop.post(body) == (400, {"error": "malformed", "field": field})


def test_other_event_types_are_accepted_and_ignored(shop, desk, ann):
    assert shop.post(shop.event(type="customer.updated")) == (
        200,
        {"accepted": False, "duplicate": False, "delivered": False},
    )
    assert shop.run_jobs() == 0
