"""Two updates of one user handled at the same time, as by two Lambda instances.

Each thread runs its own copy of the real webhook module (a Lambda instance has its own), against
the one moto DynamoDB. The race is made certain, not hoped for: both threads load the session
before either saves (a barrier), and the order of their saves is chosen. The conditional save on
the session's version must turn the loser into a re-run on the winner's session: no lost update,
nothing applied twice.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import threading
from pathlib import Path
from typing import Any

import pytest

import supportbot.pipeline as pipeline
from infra.demo import CUSTOMER_PHONE
from supportbot.storage.sessions import SessionConflictError, load_session

# Each request atomic, as in DynamoDB, so the race is only the one DynamoDB allows (conftest.py).
pytestmark = pytest.mark.usefixtures("atomic_aws")

APP = Path(__file__).resolve().parents[2] / "functions" / "telegram_webhook" / "app.py"


def lambda_instance(name: str) -> Any:
    """A fresh copy of the webhook module, like a second warm Lambda instance."""
    spec = importlib.util.spec_from_file_location(name, APP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Race:
    """Both threads load the session first; then the one named ``first`` saves before the other."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, first_update_id: int) -> None:
        self.first_update_id = first_update_id
        self.barrier = threading.Barrier(2, timeout=10)
        self.first_saved = threading.Event()
        self.local = threading.local()
        self.loads: list[int] = []
        self.conflicts: list[int] = []
        self.lock = threading.Lock()
        real_load, real_save = pipeline.load_session, pipeline.save_session

        def load(user_id: int):
            item = real_load(user_id)
            with self.lock:
                self.loads.append(self.local.update_id)
            if not getattr(self.local, "loaded", False):
                self.local.loaded = True
                self.barrier.wait()  # both have read the same version
            return item

        def save(item, now=None) -> None:
            mine = self.local.update_id
            if mine != self.first_update_id and not self.first_saved.is_set():
                assert self.first_saved.wait(10), "the first save never happened"
            try:
                real_save(item, now)
            except SessionConflictError:
                with self.lock:
                    self.conflicts.append(mine)
                raise
            finally:
                if mine == self.first_update_id:
                    self.first_saved.set()

        monkeypatch.setattr(pipeline, "load_session", load)
        monkeypatch.setattr(pipeline, "save_session", save)

    def run(self, harness, updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Deliver ``updates`` at once, each from its own thread and its own Lambda instance."""
        responses: list[Any] = [None] * len(updates)
        errors: list[BaseException] = []

        def deliver(index: int, update: dict[str, Any]) -> None:
            self.local.update_id = update["update_id"]
            instance = dataclasses.replace(harness, app=lambda_instance(f"telegram_webhook_instance_{index}"))
            try:
                responses[index] = instance.deliver(update)
            except BaseException as error:  # reported in the main thread
                errors.append(error)

        threads = [threading.Thread(target=deliver, args=(i, u)) for i, u in enumerate(updates)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not errors, errors
        return responses


@pytest.fixture
def ann(harness):
    # GIVEN Ann, logged in, on page 1 of her orders
    ann = harness.user(100000001, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap("📦 My orders")
    return ann


def next_page_press(harness, ann) -> dict[str, Any]:
    data = next(
        b["callback_data"]
        for row in ann.menu.inline_markup["inline_keyboard"]
        for b in row
        if b["text"] == "▶️"
    )
    return harness.world.user_presses(ann.user_id, ann.menu.message_id, data)


def test_the_loser_of_a_race_is_re_run_on_the_winners_session(harness, ann, monkeypatch):
    before = load_session(ann.user_id)
    # GIVEN a press of "next page" and, just after it, a typed message
    press = next_page_press(harness, ann)
    typed = harness.world.user_sends_text(ann.user_id, "hello")
    race = Race(monkeypatch, first_update_id=press["update_id"])
    count = len(harness.world.bot_messages(ann.user_id))
    # WHEN both are handled at once, and the press saves first
    responses = race.run(harness, [press, typed])
    # THEN both got 200
    assert [r["statusCode"] for r in responses] == [200, 200]
    # AND the typed message lost the race once and was re-run on the fresh session
    assert race.conflicts == [typed["update_id"]]
    assert sorted(race.loads) == sorted([press["update_id"], typed["update_id"], typed["update_id"]])
    # AND both applied, exactly once each: page 2 is kept (not overwritten by the stale page 1)
    after = load_session(ann.user_id)
    assert after.version == before.version + 2
    assert after.last_update_id == typed["update_id"]
    assert after.machine["s"] == "orders"
    assert after.machine["p"] == {"page": 2}
    # AND the user saw the page turn, and the hint with page 2 (the re-run's screen), once each
    assert (
        "Page 2 of 7."
        in harness.world.message(ann.user_id, press["callback_query"]["message"]["message_id"]).text
    )
    messages = harness.world.bot_messages(ann.user_id)
    assert len(messages) == count + 1
    assert messages[-1].text.startswith("Please use the buttons below.\n\n")
    assert "Page 2 of 7." in messages[-1].text


def test_an_older_update_losing_the_race_is_re_run_on_the_newers_session(harness, ann, monkeypatch):
    before = load_session(ann.user_id)
    # GIVEN a press of "next page" and, just after it, /start
    press = next_page_press(harness, ann)
    start = harness.world.user_sends_text(ann.user_id, "/start")
    race = Race(monkeypatch, first_update_id=start["update_id"])
    # WHEN both are handled at once, and the newer (/start) saves first
    responses = race.run(harness, [press, start])
    # THEN both got 200, and the press lost the race
    assert [r["statusCode"] for r in responses] == [200, 200]
    assert race.conflicts == [press["update_id"]]
    # AND on its re-run the press, older than what is saved but not yet processed, is handled in
    # the session /start left: its screen is gone, so it is answered as outdated with the current
    # menu, never applied to the stale orders screen
    after = load_session(ann.user_id)
    assert after.version == before.version + 2
    assert after.last_update_id == start["update_id"]
    assert after.processed(press["update_id"])
    assert after.machine["s"] == "main"
    assert ann.callback_answers[-1] == "This menu is outdated. Here is the current one."
    assert ann.labels(ann.last) == [
        "📦 My orders",
        "❓ FAQ",
        "💬 Ask a question",
        "📷 Product photo",
        "⚠️ Complaint",
        "🔔 Notifications",
        "🚪 Log out",
        "🗑 Delete my data",
    ]
    assert (
        "Page 1 of 7."
        in harness.world.message(ann.user_id, press["callback_query"]["message"]["message_id"]).text
    )


def test_the_same_update_delivered_twice_at_once_applies_once(harness, ann, monkeypatch):
    before = load_session(ann.user_id)
    # GIVEN Telegram re-sends a press while the first delivery is still being handled
    press = next_page_press(harness, ann)
    race = Race(monkeypatch, first_update_id=press["update_id"])
    race.first_update_id = -1  # both threads carry the same id: let whichever saves first win
    race.first_saved.set()
    edits = len(harness.world.calls_to("editMessageText"))
    # WHEN both deliveries run at once
    responses = race.run(harness, [press, press])
    # THEN both got 200; one saved, the other lost, re-ran, saw a repeat and did nothing
    assert [r["statusCode"] for r in responses] == [200, 200]
    assert race.conflicts == [press["update_id"]]
    after = load_session(ann.user_id)
    assert after.version == before.version + 1
    assert after.machine["p"] == {"page": 2}
    # AND the page turned once: one edit, one callback answer
    assert len(harness.world.calls_to("editMessageText")) == edits + 1
    assert (
        len(
            [
                a
                for a in harness.world.callback_answers
                if a["callback_query_id"] == press["callback_query"]["id"]
            ]
        )
        == 1
    )
