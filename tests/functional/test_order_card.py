"""The order card: what it shows, and Refresh when the order changed, or went away."""

from __future__ import annotations

import dataclasses

import pytest

from infra.demo import CUSTOMER_PHONE, demo_orders
from supportbot.backend.builtin import BuiltinBackend


@pytest.fixture
def ann(harness):
    # GIVEN Ann, logged in, looking at the newest of her orders
    ann = harness.user(100000001, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap("📦 My orders")
    card = ann.tap("№10265 · ₽1,234.50")
    # THEN the card shows the status in words, amount, seller and the time in Moscow time
    assert card.text == (
        "Order №10265\nЭлектрический чайник\n\n"
        "Status: delivered\nAmount: ₽1,234.50\nItems: 1\nSeller: Лавка Петра\nUpdated: 20.11.2026 13:15"
    )
    return ann


def test_refresh_shows_what_changed(harness, ann):
    # WHEN the order moves on in the business system and Ann refreshes
    order = demo_orders(1)[0]
    BuiltinBackend().upsert_order(
        CUSTOMER_PHONE,
        dataclasses.replace(
            order, status=None, status_text="Возвращён продавцу", updated_at="2026-11-21T08:00:00+00:00"
        ),
    )
    answers = len(ann.callback_answers)
    card = ann.tap("🔄 Refresh")
    # THEN the card shows the new status (the system's own words) and time, with no toast
    assert "Status: Возвращён продавцу\n" in card.text
    assert card.text.endswith("Updated: 21.11.2026 11:00")
    assert ann.callback_answers[answers:] == [""]


def test_refresh_of_an_order_that_went_away(harness, ann):
    # WHEN the order is deleted in the business system and Ann refreshes
    assert BuiltinBackend().delete_order(CUSTOMER_PHONE, "A10000")
    card = ann.tap("🔄 Refresh")
    # THEN she is told it is no longer available, and can go back to the list
    assert card.text == "This order is no longer available."
    assert ann.labels(card) == ["⬅️ Back to the list", "🏠 Main menu"]
    orders = ann.tap("⬅️ Back to the list")
    assert "Your orders (31). Page 1 of 7." in orders.text
    assert "№10265" not in orders.text


def test_a_customer_without_orders(harness):
    # GIVEN a customer with no orders yet
    BuiltinBackend().upsert_customer("+79005551111", "customer", "Вера")
    vera = harness.user(100000004, language="en", first_name="Vera")
    vera.send("/start")
    vera.share_contact("+79005551111")
    # WHEN she opens her orders
    screen = vera.tap("📦 My orders")
    # THEN she is told there are none, and can go back to the menu
    assert screen.text == "You have no orders yet."
    assert vera.labels(screen) == ["🏠 Main menu"]
    assert vera.labels(vera.tap("🏠 Main menu")) == [
        "📦 My orders",
        "❓ FAQ",
        "💬 Ask a question",
        "📷 Product photo",
        "⚠️ Complaint",
        "🔔 Notifications",
        "🚪 Log out",
        "🗑 Delete my data",
    ]


def test_a_missing_status_reads_the_same_in_the_list_and_on_the_card(ann):
    # GIVEN a demo order with no status at all (the 7th: A10006, №10259, on page 2)
    ann.tap("⬅️ Back to the list")
    listing = ann.tap("▶️")
    # THEN the list says it is not known yet, as the card does (the list said "—")
    assert "№10259 · ₽1,834.50 · not known yet" in listing.text.split("\n")
    card = ann.tap("№10259 · ₽1,834.50")
    assert "\nStatus: not known yet\n" in card.text
