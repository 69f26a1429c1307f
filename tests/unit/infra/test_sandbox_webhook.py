"""Webhook delivery as Telegram does it: secret header, per-chat order, retries, method in the answer."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pytest
import requests

from infra.botapi import BotApiServer, World
from infra.botapi.delivery import SECRET_HEADER, post_update, webhook_response_call
from infra.botapi.webhook import DeliveryConfig, chat_key, telegram_backoff

from .conftest import TOKEN, USER_ID
from .fake_webhook import Answer, Delivery, FakeBot

OTHER = 1002
FAST = DeliveryConfig(backoff=lambda failures: 0.05, timeout=2.0)


@pytest.fixture
def sandbox(world: World) -> Iterator[BotApiServer]:
    world.add_user(OTHER, first_name="Bob")
    with BotApiServer(world, delivery=FAST) as s:
        yield s


def _api(server: BotApiServer, method: str, **params: object) -> dict[str, object]:
    r = requests.post(f"{server.base_url}/bot{TOKEN}/{method}", json=params, timeout=10)
    return r.json()  # type: ignore[no-any-return]


def _hook(server: BotApiServer, bot: FakeBot, **params: object) -> None:
    assert _api(server, "setWebhook", url=bot.url, **params) == {"ok": True, "result": True}


def _info(server: BotApiServer) -> dict[str, object]:
    return _api(server, "getWebhookInfo")["result"]  # type: ignore[return-value]


def _wait_until(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_update_is_posted_with_the_secret_header_and_leaves_the_queue(
    sandbox: BotApiServer, world: World
) -> None:
    with FakeBot() as bot:
        # GIVEN a webhook with a secret
        _hook(sandbox, bot, secret_token="s3cret-_")
        # WHEN the user writes
        update = world.user_sends_text(USER_ID, "/start")
        # THEN the bot receives exactly that update with the secret header
        (delivery,) = bot.wait_for(lambda ds: len(ds) == 1)
        assert delivery.update == update
        assert delivery.secret == "s3cret-_"
        # AND it is no longer pending
        _wait_until(lambda: _info(sandbox)["pending_update_count"] == 0)
        assert "last_error_date" not in _info(sandbox)


def test_no_secret_header_without_a_secret(sandbox: BotApiServer, world: World) -> None:
    with FakeBot() as bot:
        # GIVEN a webhook set without secret_token WHEN an update is delivered THEN no header
        _hook(sandbox, bot)
        world.user_sends_text(USER_ID, "hi")
        assert bot.wait_for(lambda ds: len(ds) == 1)[0].secret is None


def test_failing_update_is_retried_with_backoff_and_holds_back_only_its_chat(world: World) -> None:
    world.add_user(OTHER, first_name="Bob")
    delays = [0.0, 0.2, 0.4]  # at once, then growing, as Telegram (2 s, 4 s ...) but fast

    def answer(update: dict[str, object], attempt: int) -> Answer:
        text = update["message"]["text"]  # type: ignore[index]
        return Answer(500) if text == "first" and attempt <= 3 else Answer(200)

    config = DeliveryConfig(backoff=lambda failures: delays[min(failures, 3) - 1])
    with FakeBot(answer) as bot, BotApiServer(world, delivery=config) as server:
        _hook(server, bot, secret_token="s")
        # GIVEN Ann's first update fails three times, WHEN Ann and Bob write
        world.user_sends_text(USER_ID, "first")
        world.user_sends_text(USER_ID, "second")
        world.user_sends_text(OTHER, "bob's")
        deliveries = bot.wait_for(lambda ds: any(d.text == "second" for d in ds))
    ann = [d for d in deliveries if d.chat_id == USER_ID]
    bob = [d for d in deliveries if d.chat_id == OTHER]
    # THEN "first" is tried 4 times (500, 500, 500, 200) and only then "second" goes out
    assert [(d.text, d.status) for d in ann] == [
        ("first", 500),
        ("first", 500),
        ("first", 500),
        ("first", 200),
        ("second", 200),
    ]
    # AND the retries waited as the schedule says: at once, then 0.2 s, then 0.4 s
    gaps = [b.at - a.at for a, b in itertools.pairwise(ann[:4])]
    assert gaps[0] < 0.15
    assert 0.18 <= gaps[1] < 0.5
    assert 0.38 <= gaps[2] < 0.8
    # AND Bob's chat did not wait for Ann's
    assert bob[0].at < ann[3].at


def test_one_update_in_flight_per_chat_chats_in_parallel(world: World) -> None:
    world.add_user(OTHER, first_name="Bob")
    with FakeBot(lambda update, attempt: Answer(200, sleep=0.3)) as bot, BotApiServer(world) as server:
        _hook(server, bot)
        # GIVEN a slow bot (0.3 s per update) WHEN two chats send two updates each
        started = time.monotonic()
        for text in ("a1", "a2"):
            world.user_sends_text(USER_ID, text)
        for text in ("b1", "b2"):
            world.user_sends_text(OTHER, text)
        deliveries = bot.wait_for(lambda ds: len(ds) == 4)
        elapsed = time.monotonic() - started
    # THEN each chat's updates arrived in order, one after the other
    by_chat = {chat: [d for d in deliveries if d.chat_id == chat] for chat in (USER_ID, OTHER)}
    assert [d.text for d in by_chat[USER_ID]] == ["a1", "a2"]
    assert [d.text for d in by_chat[OTHER]] == ["b1", "b2"]
    for first, second in by_chat.values():
        assert second.at - first.at >= 0.28
    # AND the two chats were served in parallel (about 0.6 s, not 1.2 s)
    assert elapsed < 1.0


def test_max_connections_one_serialises_all_chats(world: World) -> None:
    world.add_user(OTHER, first_name="Bob")
    with FakeBot(lambda update, attempt: Answer(200, sleep=0.2)) as bot, BotApiServer(world) as server:
        # GIVEN max_connections=1 WHEN two chats write at once
        _hook(server, bot, max_connections=1)
        world.user_sends_text(USER_ID, "a")
        world.user_sends_text(OTHER, "b")
        first, second = bot.wait_for(lambda ds: len(ds) == 2)
    # THEN the second delivery starts only after the first one ended
    assert second.at - first.at >= 0.18


def test_method_in_the_webhook_answer_is_executed_and_recorded(sandbox: BotApiServer, world: World) -> None:
    reply = {"method": "sendMessage", "chat_id": USER_ID, "text": "<b>Hello</b>", "parse_mode": "HTML"}
    with FakeBot(lambda update, attempt: Answer(200, reply)) as bot:
        # GIVEN a bot that answers the webhook with a sendMessage call
        _hook(sandbox, bot)
        # WHEN the user writes
        world.user_sends_text(USER_ID, "/start")
        bot.wait_for(lambda ds: len(ds) == 1)
        _wait_until(lambda: bool(world.calls_to("sendMessage")))
    # THEN the call was executed like any other: the user sees the formatted message
    message = world.last_bot_message(USER_ID)
    assert (message.text, message.entities) == ("Hello", [{"type": "bold", "offset": 0, "length": 5}])
    # AND it was recorded, validated, with its answer
    (call,) = world.calls_to("sendMessage")
    assert (call.params["chat_id"], call.status) == (USER_ID, 200)


def test_invalid_method_in_the_answer_is_refused_like_an_http_call(
    sandbox: BotApiServer, world: World
) -> None:
    reply = {"method": "sendMessage", "chat_id": USER_ID, "text": "<b>broken"}
    reply["parse_mode"] = "HTML"
    with FakeBot(lambda update, attempt: Answer(200, reply)) as bot:
        # GIVEN a bot answering with broken HTML WHEN an update is delivered
        _hook(sandbox, bot)
        world.user_sends_text(USER_ID, "hi")
        bot.wait_for(lambda ds: len(ds) == 1)
        _wait_until(lambda: bool(world.calls_to("sendMessage")))
    # THEN the call is recorded with Telegram's 400 and nothing is shown (nobody gets the error)
    (call,) = world.calls_to("sendMessage")
    assert call.status == 400
    assert "can't parse entities" in call.response["description"]
    assert world.bot_messages(USER_ID) == []
    # AND the update counts as delivered (the webhook said 200)
    assert world.pending == []


def test_get_and_webhook_methods_in_the_answer_are_ignored(sandbox: BotApiServer, world: World) -> None:
    replies = iter([{"method": "getMe"}, {"method": "deleteWebhook"}, {"method": "logOut"}])
    with FakeBot(lambda update, attempt: Answer(200, next(replies))) as bot:
        # GIVEN answers carrying methods Telegram does not run from a webhook answer
        _hook(sandbox, bot)
        for text in ("1", "2", "3"):
            world.user_sends_text(USER_ID, text)
        bot.wait_for(lambda ds: len(ds) == 3)
        _wait_until(lambda: world.pending == [])
        # THEN none was executed and the webhook is still set
        assert [c.method for c in world.calls if c.method not in ("setWebhook", "getWebhookInfo")] == []
        assert _info(sandbox)["url"] == bot.url


def test_webhook_info_shows_pending_count_and_last_error(world: World) -> None:
    config = DeliveryConfig(backoff=lambda failures: 30.0)  # the second attempt is far away
    with FakeBot(lambda update, attempt: Answer(500)) as bot, BotApiServer(world, delivery=config) as server:
        # GIVEN a webhook that answers 500 WHEN the user writes twice
        _hook(server, bot)
        world.user_sends_text(USER_ID, "one")
        world.user_sends_text(USER_ID, "two")
        bot.wait_for(lambda ds: len(ds) == 1)
        _wait_until(lambda: "last_error_date" in _info(server))
        info = _info(server)
        # THEN both updates are pending, the first was tried once, the second not at all
        assert info["pending_update_count"] == 2
        assert [d.text for d in bot.deliveries] == ["one"]
        # AND the failure is reported in Telegram's words, with its time
        assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
        assert abs(int(info["last_error_date"]) - time.time()) < 5  # type: ignore[call-overload]


def test_timeout_and_refused_connection_are_failures_too(world: World) -> None:
    config = DeliveryConfig(backoff=lambda failures: 30.0, timeout=0.2)
    with (
        FakeBot(lambda update, attempt: Answer(200, sleep=1.0)) as bot,
        BotApiServer(world, delivery=config) as s,
    ):
        # GIVEN a webhook slower than the timeout WHEN an update is delivered
        _hook(s, bot)
        world.user_sends_text(USER_ID, "slow")
        _wait_until(lambda: "last_error_message" in _info(s))
        # THEN it is a failure ("Read timeout expired") and the update stays queued
        assert _info(s)["last_error_message"] == "Read timeout expired"
        assert _info(s)["pending_update_count"] == 1
    # AND a closed port is "Connection refused"
    result = post_update(bot.url, None, {"update_id": 1}, timeout=1)
    assert (result.status, result.ok) == (0, False)
    assert result.error is not None
    assert result.error.startswith("Connection refused")


def test_delete_webhook_stops_delivery_and_get_updates_takes_over(world: World) -> None:
    config = DeliveryConfig(backoff=lambda failures: 0.1)
    with FakeBot(lambda update, attempt: Answer(502)) as bot, BotApiServer(world, delivery=config) as server:
        # GIVEN a webhook that keeps failing
        _hook(server, bot)
        update = world.user_sends_text(USER_ID, "stuck")
        bot.wait_for(lambda ds: len(ds) >= 2)
        # WHEN the webhook is deleted
        assert _api(server, "deleteWebhook")["ok"] is True
        time.sleep(0.15)  # an attempt in flight may still finish
        count = len(bot.deliveries)
        time.sleep(0.4)
        # THEN no more attempts are made
        assert len(bot.deliveries) == count
        # AND getUpdates hands out the undelivered update
        assert _api(server, "getUpdates")["result"] == [update]
        # AND deleteWebhook with drop_pending_updates empties the queue
        assert _api(server, "deleteWebhook", drop_pending_updates=True)["ok"] is True
        assert _api(server, "getUpdates")["result"] == []


def test_set_webhook_with_drop_pending_updates_skips_the_backlog(sandbox: BotApiServer, world: World) -> None:
    with FakeBot() as bot:
        # GIVEN updates queued while no webhook was set
        world.user_sends_text(USER_ID, "old")
        # WHEN the webhook is set dropping pending updates, and the user writes again
        _hook(sandbox, bot, drop_pending_updates=True)
        world.user_sends_text(USER_ID, "new")
        # THEN only the new update is delivered
        bot.wait_for(lambda ds: len(ds) == 1)
        time.sleep(0.1)
        assert [d.text for d in bot.deliveries] == ["new"]


def test_updates_outside_allowed_updates_are_dropped(sandbox: BotApiServer, world: World) -> None:
    with FakeBot() as bot:
        # GIVEN a webhook for messages only and a bot message with a button
        _hook(sandbox, bot, allowed_updates=["message"])
        sent = _api(
            sandbox,
            "sendMessage",
            chat_id=USER_ID,
            text="Pick",
            reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
        )
        message_id = sent["result"]["message_id"]  # type: ignore[index]
        # WHEN the user presses the button and then writes
        world.user_presses(USER_ID, message_id, "a")
        world.user_sends_text(USER_ID, "text")
        # THEN only the message arrives, and nothing stays pending
        bot.wait_for(lambda ds: len(ds) == 1)
        _wait_until(lambda: world.pending == [])
        assert [d.text for d in bot.deliveries] == ["text"]


def test_the_bots_allowed_updates_let_an_edit_through_where_the_old_list_dropped_it(
    sandbox: BotApiServer, world: World
) -> None:
    from infra.set_webhook import ALLOWED_UPDATES

    with FakeBot() as bot:
        # GIVEN the webhook as the bot registered it before edits were relayed
        _hook(sandbox, bot, allowed_updates=["message", "callback_query"])
        sent = world.user_sends_text(USER_ID, "order 1")
        world.user_edits_text(USER_ID, sent["message"]["message_id"], "order 2")
        # THEN the edit is dropped
        bot.wait_for(lambda ds: len(ds) == 1)
        _wait_until(lambda: world.pending == [])
        # WHEN it is registered as make set-webhook does now, and the user edits again
        _hook(sandbox, bot, allowed_updates=ALLOWED_UPDATES)
        world.user_edits_text(USER_ID, sent["message"]["message_id"], "order 3")
        # THEN the edit is delivered as an edited_message
        deliveries = bot.wait_for(lambda ds: len(ds) == 2)
        assert [sorted(set(d.update) - {"update_id"}) for d in deliveries] == [
            ["message"],
            ["edited_message"],
        ]
        assert deliveries[1].update["edited_message"]["text"] == "order 3"


def test_group_updates_are_ordered_per_group(sandbox: BotApiServer, world: World) -> None:
    world.add_group(-100500, "Warehouse", members=(USER_ID,))
    with FakeBot() as bot:
        # GIVEN a group WHEN a member writes twice THEN both arrive in order, keyed by the group
        _hook(sandbox, bot)
        updates = [world.group_member_sends_text(-100500, USER_ID, t) for t in ("x", "y")]
        assert [chat_key(u) for u in updates] == [-100500, -100500]
        deliveries: list[Delivery] = bot.wait_for(lambda ds: len(ds) == 2)
        assert [d.text for d in deliveries] == ["x", "y"]


def test_post_update_reads_the_method_call_and_sends_json(world: World) -> None:
    call = {"method": "answerCallbackQuery", "callback_query_id": "1"}
    with FakeBot(lambda update, attempt: Answer(200, call)) as bot:
        # GIVEN a webhook answering with a method WHEN post_update delivers
        result = post_update(bot.url, "abc", {"update_id": 5, "message": {"chat": {"id": 1}}})
        # THEN it reports 200 and the call
        assert (result.status, result.method_call, result.error, result.ok) == (200, call, None, True)
        assert bot.deliveries[0].secret == "abc"
    assert SECRET_HEADER == "X-Telegram-Bot-Api-Secret-Token"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", None),
        (b"not json", None),
        (b"[1]", None),
        (b'{"method": ""}', None),
        (b'{"method": "GETUPDATES"}', None),
        (b'{"method": "setWebhook", "url": ""}', None),
        (b'{"method": "close"}', None),
        (
            b'{"method": "sendMessage", "chat_id": 1, "text": "x"}',
            {"method": "sendMessage", "chat_id": 1, "text": "x"},
        ),
    ],
)
def test_webhook_response_call(body: bytes, expected: dict[str, object] | None) -> None:
    # GIVEN a webhook answer body WHEN read THEN only an allowed method call comes out
    assert webhook_response_call(body) == expected


def test_telegram_backoff_schedule() -> None:
    # GIVEN / WHEN the default schedule THEN at once, then 2 s, 4 s, 8 s ... capped at 60 s
    assert [telegram_backoff(n) for n in (1, 2, 3, 4, 5, 6, 7, 50)] == [0, 2, 4, 8, 16, 32, 60, 60]
