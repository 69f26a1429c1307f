"""Fault figures for the Telegram webhook: DynamoDB throttling and conditional failures, the Bot API
failing replies (429, 5xx), the business system down or slow, and a Lambda timeout between saving
the session and sending the replies. Each runs the real handler for several users (moto, the Bot
API stand-in, the business system's stand-in over HTTP), then lifts the fault and checks that
every user is back on track.

Figures: inputs tried, 5xx answers (goal 0), users told (the apology or "unavailable" reached the
chat), updates recorded (kept for replay), messages lost (goal 0: an update neither applied, nor
recorded, nor told to the user, or a user not back on track after the fault), duplicates delivered
(a Telegram re-delivery that reached the user again).
"""

from __future__ import annotations

import threading

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

import supportbot.pipeline as pipeline
from infra.demo import CUSTOMER_PHONE, demo_orders
from supportbot.backend.client import HttpBackend
from supportbot.storage.failed_updates import FailedUpdateItem
from supportbot.storage.sessions import SessionItem, load_session
from tests.functional.backend.contract_server import ContractServer
from tests.functional.conftest import reset_singletons
from tests.reliability import figures
from tests.reliability.conftest import SCALE

SECTION = "faults"
APOLOGY = "Sorry, something went wrong on our side. Please try again."
UNAVAILABLE = "The order system is temporarily unavailable. Please try again in a minute."
RETRY = "🔄 Try again"
USERS = 5 * SCALE


class DynamoFault:
    """Calls of ``operations`` on ``table`` fail with ``code`` while ``on`` (after botocore's own
    retries, as the application sees them)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, table: str, operations: set[str], code: str) -> None:
        self.on = False
        self.raised = 0
        real = BaseClient._make_api_call
        lock = threading.Lock()

        def call(client, operation, params):
            if self.on and operation in operations and params.get("TableName") == table:
                with lock:
                    self.raised += 1
                raise ClientError({"Error": {"Code": code, "Message": f"{code} (injected)"}}, operation)
            return real(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", call)


def logged_in(harness, count: int = USERS):
    chats = []
    for i in range(count):
        chat = harness.user(300000000 + i, language="en", first_name=f"U{i}")
        chat.send("/start")
        chat.share_contact(CUSTOMER_PHONE)
        chats.append(chat)
    return chats


def press(harness, chat, label: str, message=None):
    target = message or chat.menu
    data = next(
        b["callback_data"]
        for row in target.inline_markup["inline_keyboard"]
        for b in row
        if b["text"] == label
    )
    return harness.world.user_presses(chat.user_id, target.message_id, data)


def deliver(harness, entry: str, update) -> dict:
    response = harness.app.lambda_handler(_event(update), harness.lambda_context)
    figures.count(SECTION, entry, "inputs tried")
    figures.count(SECTION, entry, "5xx answers", int(response["statusCode"] >= 500))
    return response


def _event(update):
    from tests.functional.events import webhook_event

    return webhook_event(update)


def recovered(harness, chat, menu) -> bool:
    """The user's next tap, on the menu they still see, reaches their orders."""
    update = press(harness, chat, "📦 My orders", menu)
    harness.deliver(update)
    texts = [harness.world.message(chat.user_id, menu.message_id).text, chat.last.text]
    return any("Your orders (32)." in text for text in texts)


def tally(entry: str, told: int, recorded: int, lost: int) -> None:
    figures.count(SECTION, entry, "users told", told)
    figures.count(SECTION, entry, "updates recorded", recorded)
    figures.count(SECTION, entry, "messages lost", lost)


@pytest.mark.parametrize(
    ("entry", "operations", "code"),
    [
        ("DynamoDB throttling (sessions)", {"GetItem", "PutItem"}, "ProvisionedThroughputExceededException"),
        ("DynamoDB conditional failures (sessions)", {"PutItem"}, "ConditionalCheckFailedException"),
    ],
)
def test_dynamodb_faults_are_answered_200_told_and_recorded(harness, monkeypatch, entry, operations, code):
    chats = logged_in(harness)
    fault = DynamoFault(monkeypatch, SessionItem.Meta.table_name, operations, code)
    menus = [chat.menu for chat in chats]
    versions = [load_session(chat.user_id).version for chat in chats]
    # WHEN every user taps "My orders" while the sessions table fails
    fault.on = True
    updates = [press(harness, chat, "📦 My orders") for chat in chats]
    responses = [deliver(harness, entry, update) for update in updates]
    fault.on = False
    # THEN 200 to Telegram, the apology to each user, each update recorded, no session half-changed
    told = sum(chat.last.text == APOLOGY for chat in chats)
    recorded = sum(FailedUpdateItem.count(u["update_id"]) for u in updates)
    unchanged = sum(load_session(c.user_id).version == v for c, v in zip(chats, versions, strict=True))
    # AND once the table answers again, each user's next tap works
    back = sum(recovered(harness, chat, menu) for chat, menu in zip(chats, menus, strict=True))
    lost = sum(1 for u in updates if not FailedUpdateItem.count(u["update_id"])) + (len(chats) - back)
    tally(entry, told, recorded, lost)
    assert [r["statusCode"] for r in responses] == [200] * len(chats)
    assert (told, recorded, unchanged, back, lost) == (len(chats), len(chats), len(chats), len(chats), 0)
    assert fault.raised >= len(chats)


@pytest.mark.parametrize(
    ("entry", "fail"),
    [
        ("Bot API 429 on the reply", lambda world: world.fail_next("editMessageText", 429, retry_after=1)),
        ("Bot API 500 on the reply", lambda world: world.fail_next("editMessageText", 500)),
        (
            "Bot API 502 (proxy, not JSON) on the reply",
            lambda world: world.fail_next_http("editMessageText", 502),
        ),
    ],
)
def test_a_reply_refused_by_the_bot_api_is_recorded_and_the_next_tap_recovers(harness, entry, fail):
    chats = logged_in(harness)
    told = recorded = lost = 0
    for chat in chats:
        menu = chat.menu
        # WHEN Telegram refuses the edit that shows the user's orders (after the bot saved the move)
        fail(harness.world)
        update = press(harness, chat, "📦 My orders", menu)
        assert deliver(harness, entry, update)["statusCode"] == 200
        told += chat.last.text == APOLOGY
        recorded += FailedUpdateItem.count(update["update_id"])
        # THEN the next tap, on the menu the user still sees, brings the current screen
        lost += not recovered(harness, chat, menu)
    tally(entry, told, recorded, lost)
    assert (told, recorded, lost) == (len(chats), len(chats), 0)


class LambdaTimeout(BaseException):
    """Lambda ending the invocation: nothing after it runs, no answer reaches Telegram."""


def test_a_lambda_timeout_between_save_and_send_is_recovered_by_the_next_tap(harness, monkeypatch):
    entry = "Lambda timeout between save and send"
    chats = logged_in(harness)
    real_deliver = pipeline.deliver
    duplicates = lost = 0
    for chat in chats:
        menu = chat.menu
        update = press(harness, chat, "📦 My orders", menu)
        # WHEN the invocation ends after the session is saved, before any reply
        monkeypatch.setattr(pipeline, "deliver", lambda *a, **k: (_ for _ in ()).throw(LambdaTimeout()))
        with pytest.raises(LambdaTimeout):
            harness.app.lambda_handler(_event(update), harness.lambda_context)
        figures.count(SECTION, entry, "inputs tried")
        monkeypatch.setattr(pipeline, "deliver", real_deliver)
        # AND Telegram, having no answer, delivers the update again: it is a repeat, nothing is sent
        sent = len(harness.world.bot_messages(chat.user_id))
        edits = len(harness.world.calls_to("editMessageText"))
        assert deliver(harness, entry, update)["statusCode"] == 200
        duplicates += len(harness.world.bot_messages(chat.user_id)) - sent
        duplicates += len(harness.world.calls_to("editMessageText")) - edits
        # THEN the user's next tap on the menu they still see brings the current screen
        lost += not recovered(harness, chat, menu)
    figures.count(SECTION, entry, "messages lost", lost)
    figures.count(SECTION, entry, "duplicates delivered", duplicates)
    assert (lost, duplicates) == (0, 0)


@pytest.fixture
def system(harness, monkeypatch):
    """The business system's API over HTTP (the bot waits 0.5 s for it), knowing the demo customer."""
    with ContractServer(api_key="service-key") as server:
        server.store.add_customer(CUSTOMER_PHONE, "customer", "Анна")
        for order in demo_orders(32):
            server.store.add_order(CUSTOMER_PHONE, order.to_dict())
        monkeypatch.setenv("BACKEND_URL", server.url)
        monkeypatch.setenv("BACKEND_API_KEY", "service-key")
        monkeypatch.setattr(
            pipeline,
            "make_backend",
            lambda config: HttpBackend(
                config.backend_url, api_key=config.backend_api_key, timeout=(1.0, 0.5)
            ),
        )
        reset_singletons()
        yield server


@pytest.mark.parametrize(
    ("entry", "how"),
    [("business system down (500)", "down"), ("business system slow (1.5 s > 0.5 s timeout)", "slow")],
)
def test_the_business_system_down_or_slow_tells_the_user_and_keeps_their_place(harness, system, entry, how):
    chats = logged_in(harness)
    versions = [load_session(chat.user_id).version for chat in chats]
    if how == "down":
        system.respond_with(500, b'{"error": "internal"}')
    else:
        system.respond_with(200, b"{}", delay=1.5)
    # WHEN each user opens their orders during the outage
    told = 0
    for chat in chats:
        assert deliver(harness, entry, press(harness, chat, "📦 My orders"))["statusCode"] == 200
        told += chat.last.text == UNAVAILABLE
    # THEN each was told, with a retry button, and their session is unchanged
    unchanged = sum(load_session(c.user_id).version == v for c, v in zip(chats, versions, strict=True))
    # AND when the system is back, the retry button brings the orders
    system.behave()
    lost = 0
    for chat in chats:
        chat.tap(RETRY)
        lost += "Your orders (32)." not in chat.last.text
    tally(entry, told, 0, lost)
    assert (told, unchanged, lost) == (len(chats), len(chats), 0)
