"""A customer with a thousand orders: the list stays a few taps from any page."""

from __future__ import annotations

import pytest

from infra.demo import NEWEST_NUMBER, demo_orders
from supportbot.backend.builtin import BuiltinBackend

PHONE = "+79005550000"
ORDERS = 1000
PAGES = ORDERS // 5


@pytest.fixture
def boris(harness):
    # GIVEN a customer with 1000 orders (200 pages of 5), logged in and looking at his orders
    backend = BuiltinBackend()
    backend.upsert_customer(PHONE, "customer", "Борис")
    backend.import_orders(PHONE, demo_orders(ORDERS, prefix="B"))
    boris = harness.user(100000002, language="en", first_name="Boris")
    boris.send("/start")
    boris.share_contact(PHONE)
    boris.tap("📦 My orders")
    return boris


def page_shown(chat) -> int:
    """The page the list says it shows, checked against the pager's current-page button."""
    screen = chat.menu
    line = next(line for line in screen.text.split("\n") if "Page " in line)
    page = int(line.split("Page ")[1].split(" of ")[0])
    assert f"of {PAGES}." in line
    assert f"{page} / {PAGES}" in chat.labels(screen)
    # the orders listed are exactly those of that page, newest first
    numbers = [label.split(" ")[0] for label in chat.labels(screen) if label.startswith("№")]
    # newest first, with the largest numbers
    assert numbers == [f"№{NEWEST_NUMBER - n}" for n in range((page - 1) * 5, page * 5)]
    return page


def test_every_pager_control_works_across_hundreds_of_pages(harness, boris):
    # THEN the first page has first / previous / current / next / last and the ±10 jumps
    assert page_shown(boris) == 1
    labels = boris.labels(boris.menu)
    assert labels[5:12] == ["⏮", "◀️", f"1 / {PAGES}", "▶️", "⏭", "−10", "+10"]

    # WHEN he steps and jumps around, THEN each control lands where it says
    for label, expected in [
        ("+10", 11),
        ("▶️", 12),
        ("◀️", 11),
        ("−10", 1),
        ("⏭", PAGES),
        ("−10", PAGES - 10),
        ("◀️", PAGES - 11),
        ("+10", PAGES - 1),
        ("+10", PAGES),  # clamped to the last page
        ("⏮", 1),
        ("−10", 1),  # clamped to the first page: nothing to do
    ]:
        boris.tap(label)
        assert page_shown(boris) == expected, label

    # AND every keyboard the bot sent kept its callback data within Telegram's 64 bytes
    keyboards = [
        call.params["reply_markup"]
        for call in harness.world.calls
        if call.method in ("sendMessage", "editMessageText") and "reply_markup" in call.params
    ]
    data = [
        button["callback_data"]
        for markup in keyboards
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]
    assert data
    assert max(len(item.encode()) for item in data) <= 64
    # AND no Bot API call failed on the way, but for the edit of the page that could not change
    # (−10 on the first page), which the user saw as a toast naming the page, not "nothing has changed"
    refused = [
        (call.method, call.response["description"]) for call in harness.world.calls if call.status != 200
    ]
    assert len(refused) == 1
    assert refused[0][0] == "editMessageText"
    assert "message is not modified" in refused[0][1]
    assert boris.callback_answers[-1] == "Page 1"


def test_pressing_the_current_page_answers_with_the_page_quietly(harness, boris):
    # GIVEN Boris on page 11
    boris.tap("+10")
    before = boris.menu.text
    answers = len(boris.callback_answers)
    # WHEN he presses the "11 / 200" button
    boris.tap(f"11 / {PAGES}")
    # THEN the page stays as it is and the toast says where he is, quietly: not "Nothing has
    # changed." as if he had asked for something (no error, no new message)
    assert boris.menu.text == before
    assert page_shown(boris) == 11
    assert boris.callback_answers[answers:] == ["Page 11"]
    # (the only refused call is the edit Telegram calls "not modified", which the bot expects)
    refused = [
        (call.method, call.response["description"]) for call in harness.world.calls if call.status != 200
    ]
    assert len(refused) == 1
    assert refused[0][0] == "editMessageText"
    assert "message is not modified" in refused[0][1]


def test_the_page_is_kept_when_an_order_is_opened_and_closed(boris):
    # GIVEN Boris on page 190
    boris.tap("⏭")
    boris.tap("−10")
    assert page_shown(boris) == 190
    # WHEN he opens the first order of the page and goes back to the list
    card = boris.tap(f"№{NEWEST_NUMBER - 945} · ₽95,734.50")
    assert card.text.startswith(f"Order №{NEWEST_NUMBER - 945}\n")
    boris.tap("⬅️ Back to the list")
    # THEN he is on page 190 again
    assert page_shown(boris) == 190
