"""The business system misbehaves: errors, timeouts, expired tokens.

The bot talks to a stand-in of the business system over HTTP (``BACKEND_URL``), which can be told
to answer 500 or to hang. The user keeps their place and can try again; an expired token sends
them back to login, saying why.
"""

from __future__ import annotations

import pytest

import supportbot.pipeline as pipeline
from infra.demo import CUSTOMER_PHONE, demo_orders
from supportbot.backend.client import HttpBackend
from supportbot.storage.sessions import load_session
from tests.functional.backend.contract_server import ContractServer
from tests.functional.conftest import reset_singletons

UNAVAILABLE = "The order system is temporarily unavailable. Please try again in a minute."
RETRY = "🔄 Try again"
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
def system(harness, monkeypatch):
    """The business system's API on localhost, knowing Anna and her 12 orders; the bot uses it."""
    with ContractServer(api_key="service-key") as server:
        server.store.add_customer(CUSTOMER_PHONE, "customer", "Анна")
        for order in demo_orders(12):
            server.store.add_order(CUSTOMER_PHONE, order.to_dict())
        monkeypatch.setenv("BACKEND_URL", server.url)
        monkeypatch.setenv("BACKEND_API_KEY", "service-key")
        reset_singletons()  # a cold start with the new settings
        yield server


@pytest.fixture
def ann(harness, system):
    # GIVEN Ann logged in through the business system's API, at the main menu
    ann = harness.user(100000001, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    assert ann.labels(ann.last) == MENU
    assert any(r.path == "/auth/phone" for r in system.received)
    return ann


def test_a_server_error_offers_a_retry_that_works_when_the_system_is_back(harness, system, ann):
    saved = load_session(ann.user_id)
    # GIVEN the business system answers 500
    system.respond_with(500, b'{"error": "internal"}')
    # WHEN Ann opens her orders
    screen = ann.tap("📦 My orders")
    # THEN she is told the system is temporarily unavailable, with a retry button
    assert screen.text == UNAVAILABLE
    assert ann.labels(screen) == [RETRY]
    # AND her session did not change (still the main menu, same version)
    after = load_session(ann.user_id)
    assert after.machine == saved.machine
    assert after.version == saved.version
    # WHEN she retries while the system is still down, THEN the same answer, nothing breaks
    screen = ann.tap(RETRY)
    assert screen.text == UNAVAILABLE
    assert load_session(ann.user_id).version == saved.version
    # WHEN the system is back and she retries
    system.behave()
    screen = ann.tap(RETRY)
    # THEN her orders are shown
    assert "Your orders (12). Page 1 of 3." in screen.text


def test_a_timeout_while_opening_an_order_keeps_her_on_the_list(harness, system, ann, monkeypatch):
    # GIVEN a bot that waits half a second for the business system (the deployed one waits 4)
    monkeypatch.setattr(
        pipeline,
        "make_backend",
        lambda config: HttpBackend(config.backend_url, api_key=config.backend_api_key, timeout=(1.0, 0.5)),
    )
    reset_singletons()
    orders = ann.tap("📦 My orders")
    label = next(label for label in ann.labels(orders) if label.startswith("№"))
    saved = load_session(ann.user_id)
    # WHEN the system hangs while she opens an order
    system.respond_with(200, b"{}", delay=1.5)
    screen = ann.tap(label)
    # THEN she is told to try again, and her place in the list is kept
    assert screen.text == UNAVAILABLE
    assert ann.labels(screen) == [RETRY]
    assert load_session(ann.user_id).machine == saved.machine
    # WHEN the system answers again and she retries, THEN the order opens
    system.behave()
    card = ann.tap(RETRY)
    assert card.text.startswith(f"Order {label.split(' ')[0]}\n")
    # AND Back leads to the list she was on
    assert "Page 1 of 3." in ann.tap("⬅️ Back to the list").text


def test_a_failure_at_login_keeps_the_share_button(harness, system):
    # GIVEN Ann at the login screen, and the business system down
    ann = harness.user(100000001, language="en", first_name="Ann")
    ann.send("/start")
    system.respond_with(503, b"")
    # WHEN she shares her contact
    screen = ann.share_contact(CUSTOMER_PHONE)
    # THEN she is told to try again, and the share button is offered again to do so
    assert screen.text == UNAVAILABLE
    assert screen.reply_markup["keyboard"] == [
        [{"text": "📱 Share my phone number", "request_contact": True}]
    ]
    assert load_session(ann.user_id).auth is None
    # WHEN the system is back and she shares it again, THEN she is logged in
    system.behave()
    ann.share_contact(CUSTOMER_PHONE)
    assert ann.labels(ann.last) == MENU


def test_an_expired_token_sends_her_back_to_login_saying_why(harness, system, ann):
    # GIVEN Ann browsing her orders
    ann.tap("📦 My orders")
    # WHEN her token expires at the business system and she turns the page
    system.store.expire_tokens()
    answers = len(ann.callback_answers)
    screen = ann.tap("▶️")
    # THEN she is told in the chat that her session expired, and is at login with the share-contact
    # keyboard (a toast would be gone in a moment)
    assert screen.text.startswith("Your session has expired. Please log in again with the button below.\n\n")
    assert "please log in" in screen.text
    assert ann.callback_answers[answers:] == [""]
    assert screen.reply_markup["keyboard"][0][0]["request_contact"] is True
    session = load_session(ann.user_id)
    assert session.auth is None
    assert session.machine["s"] == "login"
    # WHEN she shares her contact again, THEN she is back in
    ann.share_contact(CUSTOMER_PHONE)
    assert ann.labels(ann.last) == MENU
    assert "Page 1 of 3." in ann.tap("📦 My orders").text
