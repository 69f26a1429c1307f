"""The world model: simulated users, spec-valid updates, per-chat ids, transports, thread safety."""

from __future__ import annotations

import json
import threading

import pytest
import requests

from infra.botapi import BotApiServer, World, WorldError, check_object, dispatch

from .conftest import TOKEN, USER_ID

MENU = json.dumps(
    {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}, {"text": "Docs", "url": "https://e.x"}]]}
)


def _send(world: World, chat_id: int, text: str, **params: object) -> dict[str, object]:
    reply = dispatch(world, TOKEN, "sendMessage", {"chat_id": str(chat_id), "text": text, **params})
    assert reply.status == 200, reply.body
    assert isinstance(reply.body, dict)
    return reply.body["result"]  # type: ignore[no-any-return]


def test_user_cannot_press_a_button_that_is_not_there(world: World) -> None:
    # GIVEN a bot message with one callback button and one URL button
    message_id = _send(world, USER_ID, "Sure?", reply_markup=MENU)["message_id"]
    # WHEN the test presses missing buttons or messages THEN a clear WorldError
    with pytest.raises(WorldError, match="no button with callback_data 'n'"):
        world.user_presses(USER_ID, message_id, "n")
    with pytest.raises(WorldError, match="no message 99"):
        world.user_presses(USER_ID, 99, "y")
    # AND a deleted message cannot be pressed either
    assert (
        dispatch(world, TOKEN, "deleteMessage", {"chat_id": USER_ID, "message_id": message_id}).status == 200
    )
    with pytest.raises(WorldError):
        world.user_presses(USER_ID, message_id, "y")
    assert world.bot_messages(USER_ID) == []


def test_updates_are_spec_valid_and_queued_in_order(world: World) -> None:
    # GIVEN a user doing one of everything
    message_id = _send(world, USER_ID, "Sure?", reply_markup=MENU)["message_id"]
    updates = [
        world.user_sends_text(USER_ID, "hello"),
        world.user_sends_contact(USER_ID, "+79990000000"),
        world.user_sends_photo(USER_ID, b"jpeg", caption="c", media_group_id="g1"),
        world.user_sends_document(USER_ID, b"%PDF", file_name="a.pdf"),
        world.user_presses(USER_ID, message_id, "y"),
    ]
    # THEN every update is exactly a valid Update, queued in order with consecutive ids
    for u in updates:
        check_object("Update", u)
    assert world.pending == updates
    ids = [u["update_id"] for u in updates]
    assert ids == list(range(ids[0], ids[0] + len(ids)))


def test_message_ids_grow_per_chat(world: World) -> None:
    # GIVEN two users and a group
    world.add_user(2002, first_name="Bob")
    world.add_group(-100500, "Warehouse", members=(3003,))
    # WHEN messages go to each chat THEN each chat counts its own ids from 1
    assert [_send(world, USER_ID, "a")["message_id"], _send(world, USER_ID, "b")["message_id"]] == [1, 2]
    assert _send(world, 2002, "c")["message_id"] == 1
    assert _send(world, -100500, "d")["message_id"] == 1
    assert world.user_sends_text(USER_ID, "e")["message"]["message_id"] == 3


def test_group_member_replies_to_a_bot_message(world: World) -> None:
    # GIVEN the bot posted a request in the warehouse group
    world.add_group(-100500, "Warehouse")
    posted = _send(world, -100500, "Photo of order 42, please")["message_id"]
    # WHEN a member replies to it
    update = world.group_member_replies(-100500, 3003, posted, "On it")
    # THEN the update carries the replied-to message, and is spec-valid
    check_object("Update", update)
    message = update["message"]
    assert message["chat"] == {"id": -100500, "type": "supergroup", "title": "Warehouse"}
    assert message["reply_to_message"]["message_id"] == posted
    assert message["reply_to_message"]["from"]["is_bot"] is True
    with pytest.raises(WorldError):
        world.group_member_replies(-100500, 3003, 999, "?")


def test_all_transports_are_accepted(server: BotApiServer, world: World) -> None:
    # GIVEN the same call as query, form, JSON and multipart
    url = f"{server.base_url}/bot{TOKEN}/sendMessage"
    answers = [
        requests.get(url, params={"chat_id": USER_ID, "text": "query"}, timeout=5),
        requests.post(url, data={"chat_id": USER_ID, "text": "form"}, timeout=5),
        requests.post(
            url, json={"chat_id": USER_ID, "text": "json", "reply_markup": json.loads(MENU)}, timeout=5
        ),
        requests.post(url, files={"chat_id": (None, str(USER_ID)), "text": (None, "multipart")}, timeout=5),
    ]
    # WHEN sent THEN all are accepted
    assert [r.json()["result"]["text"] for r in answers] == ["query", "form", "json", "multipart"]
    # AND an upload in a multipart body keeps its bytes exactly
    data = bytes(range(256)) * 3 + b"\r\n--\r\n"
    r = requests.post(
        f"{server.base_url}/bot{TOKEN}/sendDocument",
        params={"chat_id": USER_ID},
        files={"document": ("b.bin", data)},
        timeout=5,
    )
    assert world.files[r.json()["result"]["document"]["file_id"]].data == data
    # AND a broken JSON body is a 400, and an unknown path a 404
    bad = requests.post(url, data=b"{", headers={"Content-Type": "application/json"}, timeout=5)
    assert (bad.status_code, bad.json()["description"]) == (400, "Bad Request: can't parse request body")
    assert requests.get(f"{server.base_url}/nothing", timeout=5).status_code == 404


def test_calls_are_logged_with_decoded_params_and_responses(world: World) -> None:
    # GIVEN a good and a bad call WHEN made THEN both are logged with what the bot got
    _send(world, USER_ID, "hi", disable_notification="true")
    dispatch(world, TOKEN, "sendMessage", {"chat_id": USER_ID})
    ok, bad = world.calls
    assert (ok.method, ok.params, ok.status) == (
        "sendMessage",
        {"chat_id": USER_ID, "text": "hi", "disable_notification": True},
        200,
    )
    assert bad.response == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message text is empty",
    }


def test_fail_next_any_method_and_times(world: World) -> None:
    # GIVEN two injected 502s for any method WHEN three calls are made THEN two fail, one passes
    world.fail_next("*", error_code=502, times=2)
    statuses = [dispatch(world, TOKEN, "getMe", {}).status for _ in range(3)]
    assert statuses == [502, 502, 200]


def test_concurrent_sends_get_distinct_ids(world: World) -> None:
    # GIVEN many threads sending to one chat WHEN run together THEN no id is handed out twice
    ids: list[int] = []

    def worker() -> None:
        for _ in range(20):
            ids.append(_send(world, USER_ID, "x")["message_id"])

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(ids) == list(range(1, 101))


def test_get_updates_long_poll_wakes_on_new_update(world: World) -> None:
    # GIVEN a long poll waiting with nothing pending
    world.long_poll_cap = 5
    got: list[object] = []
    poller = threading.Thread(
        target=lambda: got.append(dispatch(world, TOKEN, "getUpdates", {"timeout": "5"}).body)
    )
    poller.start()
    # WHEN the user writes THEN the poll returns that update promptly
    update = world.user_sends_text(USER_ID, "ping")
    poller.join(timeout=3)
    assert got == [{"ok": True, "result": [update]}]
