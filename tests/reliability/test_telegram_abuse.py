"""Abuse and bad input at the Telegram webhook: thousands of generated bodies and updates (every
update kind Telegram sends, future ones, mistyped fields, huge and odd texts, forged and foreign
callback data, foreign and forwarded contacts, replays, out-of-order ids), through the real handler
with DynamoDB under moto and the strict Bot API stand-in.

Goals (figures): 5xx 0, unhandled exceptions 0 (ERROR lines, failed-update records), state
corrupted 0 (every user's session loads, round-trips, and /start still answers), secrets and full
phone numbers leaked in logs or answers 0.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from hypothesis import given
from hypothesis import strategies as st

from infra.demo import CUSTOMER_PHONE, PARTNER_PHONE
from supportbot.storage.failed_updates import FailedUpdateItem
from supportbot.storage.sessions import load_session
from tests.functional.events import webhook_event
from tests.functional.harness import BOT_TOKEN, press_raw
from tests.reliability.common import Tally
from tests.reliability.conftest import generated

ENTRY = "Telegram webhook"
USERS = (100000101, 100000102, 100000103)  # logged in (customer), logged in (partner), anonymous

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
odd_texts = st.sampled_from(
    [
        "я" * 5000,
        "😀" * 4096,
        "a" * 70_000,
        "\u202eevil\u202c",
        "\u200d" * 100,
        "e\u0301\u0302\u0303\u0304" * 200,
        "🇷🇺🏳️‍🌈👨‍👩‍👧‍👦",
        "\x00\x01\x1f",
        "<b>bold</b><script>alert(1)</script>&amp;&lt;",
        "</code></pre><a href='javascript:1'>x</a>",
        "{{7*7}} ${jndi:ldap://x} '; DROP TABLE sessions; --",
        "/start " + "x" * 500,
        "/" + "😀" * 40,
        "+7 (900) 123-45-67",
        "",
        " ",
    ]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
phones = st.one_of(
    st.from_regex(r"\+?[1-9]\d{9,13}", fullmatch=True),
    st.sampled_from([CUSTOMER_PHONE, PARTNER_PHONE, "79001234567", "+7 900 123 45 67", "+1", "", "phone"]),
)
OTHER_KINDS = (
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "inline_query",
    "chosen_inline_result",
    "poll",
    "poll_answer",
    "message_reaction",
    "message_reaction_count",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "removed_chat_boost",
    "some_future_kind",
)


def sender(world, uid: int) -> dict[str, Any]:
    return world.users[uid].to_api()


def other_kind(world, uid: int, kind: str, extra: Any) -> dict[str, Any]:
    """An update of a kind the customer flow does not handle, shaped as Telegram sends it."""
    message = {**world.message_dict(world.new_message(uid, uid)), "text": "x"}
    user = sender(world, uid)
    chat = {"id": uid, "type": "private", "first_name": user["first_name"]}
    member = {"status": "member", "user": user}
    payloads = {
        "edited_message": {**message, "edit_date": 2},
        "channel_post": {**message, "chat": {"id": -1001, "type": "channel", "title": "c"}},
        "edited_channel_post": {**message, "chat": {"id": -1001, "type": "channel", "title": "c"}},
        "business_message": {**message, "business_connection_id": "b1"},
        "my_chat_member": {
            "chat": chat,
            "from": user,
            "date": 1,
            "old_chat_member": member,
            "new_chat_member": {"status": "kicked", "user": user, "until_date": 0},
        },
        "chat_member": {
            "chat": chat,
            "from": user,
            "date": 1,
            "old_chat_member": member,
            "new_chat_member": member,
        },
        "chat_join_request": {
            "chat": {"id": -1002, "type": "supergroup", "title": "g"},
            "from": user,
            "user_chat_id": uid,
            "date": 1,
        },
        "inline_query": {"id": "1", "from": user, "query": "orders", "offset": ""},
        "chosen_inline_result": {"result_id": "1", "from": user, "query": "q"},
        "poll": {
            "id": "p",
            "question": "?",
            "options": [{"text": "a", "voter_count": 1}],
            "total_voter_count": 1,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        },
        "poll_answer": {"poll_id": "p", "user": user, "option_ids": [0]},
        "message_reaction": {
            "chat": chat,
            "message_id": message["message_id"],
            "user": user,
            "date": 1,
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "👍"}],
        },
        "message_reaction_count": {
            "chat": chat,
            "message_id": 1,
            "date": 1,
            "reactions": [{"type": {"type": "emoji", "emoji": "👍"}, "total_count": 2}],
        },
        "shipping_query": {
            "id": "s",
            "from": user,
            "invoice_payload": "x",
            "shipping_address": {
                "country_code": "RU",
                "state": "",
                "city": "M",
                "street_line1": "a",
                "street_line2": "",
                "post_code": "1",
            },
        },
        "pre_checkout_query": {
            "id": "c",
            "from": user,
            "currency": "RUB",
            "total_amount": 1,
            "invoice_payload": "x",
        },
        "purchased_paid_media": {"from": user, "paid_media_payload": "x"},
        "removed_chat_boost": {
            "chat": chat,
            "boost_id": "b",
            "remove_date": 1,
            "source": {"source": "premium", "user": user},
        },
        "some_future_kind": {"anything": extra},
    }
    return world.emit(kind, payloads[kind])


@st.composite
def inputs(draw, harness, tally: Tally, delivered: list[dict[str, Any]]) -> tuple[str, str | dict[str, Any]]:
    """(what it is, the body): one generated input for the webhook."""
    world = harness.world
    uid = draw(st.sampled_from(USERS))
    chat = harness.user_chat(uid)
    kind = draw(
        st.sampled_from(
            [
                "raw",
                "json",
                "text",
                "odd text",
                "command",
                "contact",
                "forged callback",
                "foreign callback",
                "other kind",
                "unknown fields",
                "mistyped",
                "replay",
                "out of order",
                "group message",
            ]
        )
    )
    if kind == "raw":
        return kind, draw(
            st.text(max_size=200) | st.sampled_from(['{"update_id": 1, "message": ', "null", "[]"])
        )
    if kind == "json":
        return kind, json.dumps(draw(json_values))
    if kind in ("text", "odd text", "command"):
        text = draw(
            texts
            if kind == "text"
            else odd_texts
            if kind == "odd text"
            else st.sampled_from(["/start", "/help", "/start deep-link", "/menu", "/START"])
        )
        update = world.emit("message", {**world.message_dict(world.new_message(uid, uid)), "text": text})
        if "+" in text:
            tally.phone(text)
        return kind, update
    if kind == "contact":
        phone = tally.phone(draw(phones))
        owner = draw(st.sampled_from(["own", "other", "none", "random"]))
        contact: dict[str, Any] = {"phone_number": phone, "first_name": "X"}
        if owner != "none":
            contact["user_id"] = {"own": uid, "other": USERS[(USERS.index(uid) + 1) % 3]}.get(
                owner, draw(st.integers(1, 2**40))
            )
        content: dict[str, Any] = {"contact": contact}
        if draw(st.booleans()):
            content["forward_origin"] = {"type": "user", "date": 1, "sender_user": sender(world, USERS[0])}
        return kind, world.emit("message", {**world.message_dict(world.new_message(uid, uid)), **content})
    if kind == "forged callback":
        data = draw(st.text(max_size=70) | st.from_regex(r"[0-9a-z]{1,4}\|[a-z:0-9]{0,20}", fullmatch=True))
        return kind, press_raw(chat, data, world.last_bot_message(uid))
    if kind == "foreign callback":
        # A button the bot issued to another user, pressed by this one on their own message.
        other = USERS[(USERS.index(uid) + draw(st.integers(1, 2))) % 3]
        buttons = [
            b
            for m in world.bot_messages(other)
            for row in (m.inline_markup or {}).get("inline_keyboard", [])
            for b in row
            if "callback_data" in b
        ]
        pick = draw(st.integers(0, 10_000))  # bounds independent of the world's state (hypothesis replays)
        data = buttons[pick % len(buttons)]["callback_data"] if buttons else "1|home"
        return kind, press_raw(chat, data, world.last_bot_message(uid))
    if kind == "other kind":
        return kind, other_kind(world, uid, draw(st.sampled_from(OTHER_KINDS)), draw(json_values))
    if kind == "unknown fields":
        extra = draw(st.dictionaries(st.text(min_size=1, max_size=12), json_values, min_size=1, max_size=3))
        message = {**world.message_dict(world.new_message(uid, uid)), "text": "/start"}
        update = world.emit("message", {**extra, **message, "future_field": draw(json_values)})
        return kind, {**{k: v for k, v in extra.items() if k != "update_id"}, **update}
    if kind == "mistyped":
        message = {**world.message_dict(world.new_message(uid, uid)), "text": "/start"}
        key = draw(
            st.sampled_from(
                [
                    "message_id",
                    "chat",
                    "from",
                    "text",
                    "date",
                    "entities",
                    "contact",
                    "photo",
                    "reply_to_message",
                    "caption",
                ]
            )
        )
        update = world.emit("message", {**message, key: draw(json_values)})
        if draw(st.booleans()):
            update = {
                "update_id": update["update_id"],
                draw(st.sampled_from(["message", "callback_query"])): draw(json_values),
            }
        return kind, update
    if kind in ("replay", "out of order"):
        pick, back = draw(st.integers(0, 10_000)), draw(st.integers(0, 5))  # drawn whatever the state
        fresh = world.emit("message", {**world.message_dict(world.new_message(uid, uid)), "text": "/start"})
        if not delivered:
            return kind, fresh
        old = delivered[pick % len(delivered)]
        return kind, old if kind == "replay" else {**fresh, "update_id": old["update_id"] - back}
    group = {"id": -4000 - uid, "type": "group", "title": "some group"}
    message = {**world.message_dict(world.new_message(uid, uid)), "chat": group, "text": draw(texts)}
    return "group message", world.emit("message", message)


def deliver(harness, tally: Tally, body: str | dict[str, Any]) -> dict[str, Any]:
    response = tally.answered(harness.app.lambda_handler(webhook_event(body), harness.lambda_context))
    if (
        response["statusCode"] == 200
        and response.get("headers", {}).get("Content-Type") == "application/json"
    ):
        call = json.loads(response["body"])  # a Bot API call riding in the answer: Telegram runs it
        method = call.pop("method")
        requests.post(harness.server.api_url.format(BOT_TOKEN, method), json=call, timeout=5)
    return response


def check_state(harness, tally: Tally) -> list[str]:
    """Every user's session loads and round-trips, and /start still answers them."""
    from supportbot.pipeline import get_processor

    machine = get_processor().machine
    broken = []
    for uid in USERS:
        item = load_session(uid)
        try:
            session = machine.load(item.machine)
            assert machine.load(session.to_dict()).to_dict() == session.to_dict()
            before = len(harness.world.bot_messages(uid))
            response = deliver(harness, tally, harness.world.user_sends_text(uid, "/start"))
            assert response["statusCode"] == 200
            assert len(harness.world.bot_messages(uid)) > before, "no answer to /start"
        except Exception as error:
            broken.append(f"user {uid}: {type(error).__name__}: {error}")
    tally.corrupted(len(broken))
    return broken


def test_generated_updates_and_bodies(harness, desk, logs):  # desk: the outbox queue is configured
    world = harness.world
    harness.user_chat = lambda uid: harness.user(uid, language="en", first_name=f"U{uid}")
    for uid, phone in zip(USERS, (CUSTOMER_PHONE, PARTNER_PHONE, None), strict=True):
        chat = harness.user_chat(uid)
        chat.send("/start")
        if phone:
            chat.share_contact(phone)
    tally = Tally("abuse", ENTRY, logs)
    delivered: list[dict[str, Any]] = []
    kinds: dict[str, int] = {}

    @generated()
    @given(data=st.data())
    def one_input(data):
        kind, body = data.draw(inputs(harness, tally, delivered), label="input")
        kinds[kind] = kinds.get(kind, 0) + 1
        response = deliver(harness, tally, body)
        assert response["statusCode"] == 200, (kind, response)
        if isinstance(body, dict) and isinstance(body.get("update_id"), int):
            delivered.append(body)

    one_input()
    recorded = sum(1 for _ in FailedUpdateItem.scan())
    broken = check_state(harness, tally)
    errors = tally.unhandled(recorded)
    leaks = tally.leaks()
    print("inputs by kind:", kinds)
    assert not errors, errors[:3]
    assert not recorded
    assert not broken, broken
    assert not leaks, leaks
    assert world  # the stand-in saw the bot's calls; its strictness turns a bad call into an ERROR line
