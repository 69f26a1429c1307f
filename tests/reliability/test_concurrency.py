"""Concurrency figures: one user's updates racing (double taps, parallel deliveries of the same
update) and many users at once, through the real webhook handler.

As in tests/functional/test_concurrency.py, every worker thread runs its own copy of the webhook
module (a Lambda instance of its own) against the one moto DynamoDB and the Bot API stand-in. The
threads start together (a barrier), and a short pause between loading the session and saving it
(``WINDOW``, about one DynamoDB round trip) makes the races happen rather than hoping for them.

Figures: updates raced, applied exactly once (a state transition made once, whatever the number
of copies), lost state transitions (goal 0: a transition someone made that the session does not
hold), applied twice (goal 0), and the conditional save's re-runs as a measurement.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import supportbot.pipeline as pipeline
from infra.demo import CUSTOMER_PHONE
from supportbot.storage.failed_updates import FailedUpdateItem
from supportbot.storage.sessions import SessionConflictError, load_session
from tests.functional.test_concurrency import lambda_instance
from tests.reliability import figures
from tests.reliability.conftest import SCALE

SECTION = "concurrency"
APOLOGY = "Sorry, something went wrong on our side. Please try again."
WINDOW = 0.01  # seconds between the session's load and its save
_instances = threading.local()


class Conflicts(list[int]):
    """User ids of the conditional save's conflicts (each one a re-run), and the updates dropped as
    re-deliveries by the session's dedupe window."""

    dropped = 0


@pytest.fixture
def slow_saves(atomic_aws, monkeypatch):
    """Widen the load -> save window (each request atomic, as in DynamoDB: conftest.py); count the conditional save's conflicts and dropped updates."""
    conflicts = Conflicts()
    real_load, real_save = pipeline.load_session, pipeline.save_session
    real_compute = pipeline.UpdateProcessor.compute_and_save
    lock = threading.Lock()

    def compute(self, update, replay=False):
        outcome = real_compute(self, update, replay=replay)
        if outcome.duplicate:
            with lock:
                conflicts.dropped += 1
        return outcome

    def load(user_id: int):
        item = real_load(user_id)
        time.sleep(WINDOW)
        return item

    def save(item, now=None) -> None:
        try:
            real_save(item, now)
        except SessionConflictError:
            conflicts.append(int(item.user_id))
            raise

    monkeypatch.setattr(pipeline, "load_session", load)
    monkeypatch.setattr(pipeline, "save_session", save)
    monkeypatch.setattr(pipeline.UpdateProcessor, "compute_and_save", compute)
    return conflicts


def instance_of(harness) -> Any:
    """This worker thread's Lambda instance (its own copy of the webhook module)."""
    if getattr(_instances, "harness", None) is None or _instances.world is not harness.world:
        name = f"telegram_webhook_reliability_{threading.get_ident()}"
        _instances.harness = dataclasses.replace(harness, app=lambda_instance(name))
        _instances.world = harness.world
    return _instances.harness


def at_once(harness, updates: list[dict[str, Any]]) -> list[int]:
    """Deliver ``updates`` together, each from its own thread and Lambda instance; their statuses."""
    barrier = threading.Barrier(len(updates), timeout=30)

    def deliver(update: dict[str, Any]) -> int:
        instance = instance_of(harness)
        barrier.wait()
        return int(instance.app.lambda_handler(_event(update), instance.lambda_context)["statusCode"])

    with ThreadPoolExecutor(len(updates)) as pool:
        return list(pool.map(deliver, updates))


def _event(update: dict[str, Any]) -> dict[str, Any]:
    from tests.functional.events import webhook_event

    return webhook_event(update)


def on_orders_page_one(harness, user_id: int):
    chat = harness.user(user_id, language="en", first_name="Ann")
    chat.send("/start")
    chat.share_contact(CUSTOMER_PHONE)
    chat.tap("📦 My orders")
    return chat


def next_page(chat) -> str:
    return next(
        b["callback_data"]
        for row in chat.menu.inline_markup["inline_keyboard"]
        for b in row
        if b["text"] == "▶️"
    )


def tally(entry: str, raced: int, page: int, statuses: list[int], conflicts: int) -> None:
    figures.count(SECTION, entry, "updates raced", raced)
    figures.count(SECTION, entry, "5xx answers", sum(s >= 500 for s in statuses))
    figures.count(SECTION, entry, "applied exactly once", int(page == 2))
    figures.count(SECTION, entry, "lost state transitions", int(page < 2))
    figures.count(SECTION, entry, "applied twice", max(0, page - 2))
    figures.count(SECTION, entry, "conditional save re-runs", conflicts)


@pytest.mark.parametrize("taps", [2, 3])
def test_double_taps_of_one_button_turn_the_page_once(harness, slow_saves, taps):
    chat = on_orders_page_one(harness, 100000001)
    before = load_session(chat.user_id)
    data, menu = next_page(chat), chat.menu
    # WHEN the user taps "next page" several times on the same screen, each press its own update,
    # all handled at once by different instances
    presses = [harness.world.user_presses(chat.user_id, menu.message_id, data) for _ in range(taps * SCALE)]
    statuses = at_once(harness, presses)
    # THEN every press was answered 200, and the page turned once: the later presses carry a
    # screen token no longer current
    after = load_session(chat.user_id)
    failed = [p["update_id"] for p in presses if FailedUpdateItem.count(p["update_id"])]
    page = int(after.machine.get("p", {}).get("page", 1))
    entry = f"one user, {len(presses)} taps of one button at once"
    tally(entry, len(presses), page, statuses, len(slow_saves))
    figures.count(SECTION, entry, "older updates dropped", slow_saves.dropped)
    figures.count(SECTION, entry, "updates recorded", len(failed))
    assert statuses == [200] * len(presses)
    assert page == 2, after.machine
    # the newest press saved is the session's last update (the newest of all may be one that lost
    # the version check on every attempt and was recorded instead)
    assert after.last_update_id == max(p["update_id"] for p in presses if p["update_id"] not in failed)
    # AND each press was saved once (a late one answered as outdated), or dropped as a repeat, or, having
    # lost the version check on every attempt (MAX_ATTEMPTS), recorded for replay with an apology
    assert after.version - before.version + slow_saves.dropped + len(failed) == len(presses)
    apologies = sum(m.text == APOLOGY for m in harness.world.bot_messages(chat.user_id))
    assert apologies == len(failed)


def test_parallel_deliveries_of_one_update_apply_it_once(harness, slow_saves):
    chat = on_orders_page_one(harness, 100000001)
    before = load_session(chat.user_id)
    press = harness.world.user_presses(chat.user_id, chat.menu.message_id, next_page(chat))
    edits = len(harness.world.calls_to("editMessageText"))
    # WHEN Telegram delivers the same update several times at once (a retry while the first runs)
    copies = 3 * SCALE
    statuses = at_once(harness, [press] * copies)
    # THEN it was applied once: one save, one edit of the screen, page 2
    after = load_session(chat.user_id)
    page = int(after.machine.get("p", {}).get("page", 1))
    duplicates = len(harness.world.calls_to("editMessageText")) - edits - 1
    entry = f"one user, one update delivered {copies} times at once"
    tally(entry, copies, page, statuses, len(slow_saves))
    figures.count(SECTION, entry, "duplicates delivered", max(0, duplicates))
    assert statuses == [200] * copies
    assert page == 2
    assert after.version == before.version + 1
    assert duplicates == 0


def test_many_users_at_once_each_get_every_step_once(harness, slow_saves):
    users = 10 * SCALE
    chats = [harness.user(200000000 + i, language="en", first_name=f"U{i}") for i in range(users)]
    barrier = threading.Barrier(min(users, 8), timeout=60)

    def journey(chat) -> None:
        # /start, log in, My orders, next page: each user's steps in order, the users interleaved
        mine = dataclasses.replace(chat, harness=instance_of(harness))
        if chat.user_id - 200000000 < 8:
            barrier.wait()
        mine.send("/start")
        mine.share_contact(CUSTOMER_PHONE)
        mine.tap("📦 My orders")
        mine.tap("▶️")  # Harness.deliver asserts each answer is 200; pool.map re-raises here

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(journey, chats))
    lost = twice = 0
    for chat in chats:
        session = load_session(chat.user_id)
        page = int(session.machine.get("p", {}).get("page", 1)) if session.machine.get("s") == "orders" else 0
        lost += page < 2
        twice += page > 2
    entry = f"{users} users at once (8 instances)"
    figures.count(SECTION, entry, "updates raced", 4 * users)
    figures.count(SECTION, entry, "applied exactly once", users - lost - twice)
    figures.count(SECTION, entry, "lost state transitions", lost)
    figures.count(SECTION, entry, "applied twice", twice)
    figures.count(SECTION, entry, "conditional save re-runs", len(slow_saves))
    assert (lost, twice) == (0, 0)
