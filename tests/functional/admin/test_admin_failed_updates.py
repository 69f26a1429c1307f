"""Failed Telegram updates: listed and replayed from the admin API (issue 7, item 5)."""

from __future__ import annotations

import pytest

import supportbot.bot.orders as orders
from infra.demo import CUSTOMER_PHONE
from supportbot.storage.failed_updates import FailedUpdateItem, record_failed_update
from supportbot.storage.sessions import load_session

APOLOGY = "Sorry, something went wrong on our side. Please try again."


@pytest.fixture
def both(harness, admin):
    """The webhook (with the Bot API stand-in and demo data) and the admin API over the same tables."""
    return harness, admin


@pytest.fixture
def ann(both):
    harness, _ = both
    ann = harness.user(100000001, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    return ann


def press_orders_with_a_bug(harness, ann, monkeypatch):
    """Ann opens her orders while the orders screen has a bug: the update is recorded, she is
    apologized to. Returns the menu pressed and the update."""
    monkeypatch.setattr(orders, "order_line", lambda *a, **k: 1 / 0)
    menu = ann.menu
    update = harness.world.user_presses(
        ann.user_id, menu.message_id, menu.inline_markup["inline_keyboard"][0][0]["callback_data"]
    )
    harness.deliver(update)
    assert ann.last.text == APOLOGY
    return menu, update


def test_a_failed_update_is_listed_and_its_replay_shows_the_screen_once_fixed(both, ann, monkeypatch):
    harness, admin = both
    # GIVEN a bug in the orders screen, and Ann opening her orders: recorded, apologized
    menu, update = press_orders_with_a_bug(harness, ann, monkeypatch)
    # AND Ann writes something else meanwhile (her session's last update id moves past the failed one)
    ann.send("/start")
    assert load_session(ann.user_id).last_update_id > update["update_id"]

    # WHEN the admin lists the failed updates
    status, listed = admin.call("GET", "/failed-updates")
    # THEN it is there: who, what went wrong, when; the update itself (phones) is not shown
    assert status == 200
    [item] = listed["items"]
    assert (item["update_id"], item["user_id"]) == (update["update_id"], ann.user_id)
    assert "ZeroDivisionError" in item["error"]
    assert item["recorded_at"]
    assert "update" not in item

    # WHEN a replay runs while the bug is still there
    status, body = admin.call("POST", f"/failed-updates/{update['update_id']}/replay")
    # THEN it fails again and stays recorded, with the new error; no second apology
    assert status == 200
    assert body["replayed"] is False
    assert "ZeroDivisionError" in body["error"]
    assert FailedUpdateItem.get(update["update_id"]).recorded_at.isoformat() >= item["recorded_at"][:19]

    # WHEN the bug is fixed and the update replayed
    monkeypatch.undo()
    status, body = admin.call("POST", f"/failed-updates/{update['update_id']}/replay")
    # THEN it was processed although Telegram's duplicate filter would have dropped it: Ann gets her orders
    assert (status, body) == (200, {"update_id": update["update_id"], "replayed": True, "error": None})
    assert "Your orders (32). Page 1 of 7." in harness.world.message(ann.user_id, menu.message_id).text
    # AND the record is gone, the list empty
    assert admin.call("GET", "/failed-updates") == (200, {"items": [], "next_cursor": None})
    with pytest.raises(FailedUpdateItem.DoesNotExist):
        FailedUpdateItem.get(update["update_id"])
    # AND a second replay of the same id is 404 (nothing applied twice)
    assert admin.call("POST", f"/failed-updates/{update['update_id']}/replay")[0] == 404


def test_replay_of_an_unknown_id_is_404(admin):
    status, body = admin.call("POST", "/failed-updates/424242/replay")
    assert status == 404
    assert "424242" in body["message"]


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/failed-updates"), ("POST", "/failed-updates/1/replay")]
)
def test_the_routes_need_the_key(admin, method, path):
    record_failed_update({"update_id": 1}, 5, "x")
    assert admin.call(method, path, key=None)[0] == 401
    assert admin.call(method, path, key="wrong")[0] == 403
    assert FailedUpdateItem.get(1).error == "x"  # nothing replayed


def test_a_replay_that_is_now_stale_is_not_applied_and_stays_recorded(both, ann, monkeypatch):
    """Bug: replaying a failed update that had gone stale counted as success and deleted the record."""
    harness, admin = both
    # GIVEN Ann's press on "Orders" failed and was recorded
    menu, update = press_orders_with_a_bug(harness, ann, monkeypatch)
    monkeypatch.undo()
    # AND she has moved on since (the FAQ): that menu's buttons are stale now
    ann.tap("❓ FAQ", menu)
    faq_screen = harness.world.message(ann.user_id, menu.message_id).text
    # WHEN the admin replays the failed press
    status, body = admin.call("POST", f"/failed-updates/{update['update_id']}/replay")
    # THEN it is reported as stale and not applied: the record stays, her screen is unchanged
    assert (status, body) == (
        200,
        {"update_id": update["update_id"], "replayed": False, "error": "stale: not applied"},
    )
    assert FailedUpdateItem.get(update["update_id"]).update["update_id"] == update["update_id"]
    assert harness.world.message(ann.user_id, menu.message_id).text == faq_screen
