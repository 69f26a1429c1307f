"""Bans from the admin inbox: an operator bans a customer for some hours (the thread shows it, what
the customer then sends is stored and shown "banned", never queued for the desk) and unbans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.admin.test_admin_support import ANNA, BORIS


def operator(admin, name="Olga"):
    return admin.call("POST", "/operators", {"name": name, "role": "operator"})[1]


def customer_sends(user_id, text, message_id):
    """A customer's message to support as the bot enqueues it (once per Telegram message)."""
    from supportbot.config import get_config
    from supportbot.storage.sessions import SessionItem
    from supportbot.support.messages import BLINGER, NewMessage
    from supportbot.support.outbox import enqueue

    if SessionItem.count(user_id) == 0:
        SessionItem(user_id, language="en").save()
    message = NewMessage(user_id, BLINGER, [{"kind": "text", "text": text}])
    return enqueue(get_config(), message, once=f"tg:{user_id}:{message_id}")


def statuses(admin, conversation="C1"):
    thread = admin.call("GET", f"/conversations/{conversation}")[1]
    return [(m["parts"][0]["text"], m["status"]) for m in thread["messages"]]


def test_an_operator_bans_a_customer_whose_messages_are_then_kept_from_the_desk(admin):
    customer_sends(ANNA, "Where is my order?", 1)
    olga = operator(admin)
    # WHEN Olga bans Anna for 48 hours from her conversation
    before = datetime.now(UTC)
    status, ban = admin.call("PUT", "/conversations/C1/ban", {"hours": 48}, key=olga["key"])
    # THEN the ban says until when and who set it, and the thread shows it
    assert status == 200, ban
    until = datetime.fromisoformat(ban["until"])
    assert before + timedelta(hours=48) <= until <= datetime.now(UTC) + timedelta(hours=48)
    assert (ban["user_id"], ban["by_id"], ban["by_name"], ban["told"]) == (ANNA, olga["id"], "Olga", False)
    assert admin.call("GET", "/conversations/C1")[1]["ban"] == ban
    # WHEN Anna writes twice more
    customer_sends(ANNA, "Hello??", 2)
    customer_sends(ANNA, "HELLO", 3)
    # THEN both are stored in her conversation, marked banned, and only the first was queued
    assert [m["text"] for m in admin.queued()] == ["Where is my order?"]
    assert statuses(admin) == [("Where is my order?", "queued"), ("Hello??", "banned"), ("HELLO", "banned")]
    listed = admin.call("GET", "/conversations")[1]["conversations"]
    assert [(c["id"], c["messages"], c["unread"], c["preview"]) for c in listed] == [("C1", 3, 3, "HELLO")]
    # AND another customer is not affected
    customer_sends(BORIS, "Hi", 4)
    assert [(m["user_id"], m["text"]) for m in admin.queued()] == [(BORIS, "Hi")]


def test_unban_ends_it_and_what_the_ban_held_back_stays_shown_not_sent(admin):
    customer_sends(ANNA, "First", 1)
    olga = operator(admin)
    assert admin.call("PUT", "/conversations/C1/ban", {}, key=olga["key"])[0] == 200  # 24 h by default
    customer_sends(ANNA, "Held back", 2)
    # WHEN the operator unbans her (by her Telegram id: her latest conversation)
    assert admin.call("DELETE", f"/conversations/{ANNA}/ban", key=olga["key"])[0] == 204
    # THEN the thread has no ban, and her next message goes to the desk again
    assert admin.call("GET", "/conversations/C1")[1]["ban"] is None
    customer_sends(ANNA, "After", 3)
    assert [m["text"] for m in admin.queued()] == ["First", "After"]
    assert statuses(admin) == [("First", "queued"), ("Held back", "banned"), ("After", "queued")]
    # AND unbanning someone not banned says so
    status, body = admin.call("DELETE", "/conversations/C1/ban")
    assert status == 404
    assert "not banned" in body["message"]


def test_a_ban_that_ran_out_is_not_in_force(admin):
    from supportbot.support import bans

    customer_sends(ANNA, "First", 1)
    bans.ban(ANNA, 2, "op-000000000000", "Olga", now=datetime.now(UTC) - timedelta(hours=3))
    assert admin.call("GET", "/conversations/C1")[1]["ban"] is None
    customer_sends(ANNA, "Later", 2)
    assert [m["text"] for m in admin.queued()] == ["First", "Later"]
    assert admin.call("DELETE", "/conversations/C1/ban")[0] == 404


@pytest.mark.parametrize(
    "body",
    [
        {"hours": 0},
        {"hours": 8761},
        {"hours": -1},
        {"hours": "5"},
        {"hours": 1.5},
        {"hours": True},
        {"hours": None},
        [],
    ],
)
def test_bad_hours_are_refused_and_nobody_is_banned(admin, body):
    customer_sends(ANNA, "Hi", 1)
    status, answer = admin.call("PUT", "/conversations/C1/ban", body)
    assert status == 422, answer
    assert admin.call("GET", "/conversations/C1")[1]["ban"] is None


def test_unknown_conversations_and_missing_keys_are_refused(admin):
    assert admin.call("PUT", "/conversations/C9/ban", {"hours": 1})[0] == 404
    assert admin.call("DELETE", "/conversations/C9/ban")[0] == 404
    customer_sends(ANNA, "Hi", 1)
    assert admin.call("PUT", "/conversations/C1/ban", {"hours": 1}, key=None)[0] == 401
    assert admin.call("DELETE", "/conversations/C1/ban", key="nobodys-key")[0] == 403
    assert admin.call("GET", "/conversations/C1")[1]["ban"] is None


def test_a_ban_and_an_unban_are_in_the_audit_with_who_set_them(admin):
    customer_sends(ANNA, "Hi", 1)
    olga = operator(admin)
    admin.call("PUT", "/conversations/C1/ban", {"hours": 2}, key=olga["key"])
    admin.call("DELETE", "/conversations/C1/ban", key=olga["key"])
    changes = admin.call("GET", "/audit")[1]["changes"]
    assert [(c["method"], c["path"], c["actor_name"], c["status"]) for c in changes[:2]] == [
        ("DELETE", "/v1/admin/conversations/C1/ban", "Olga", 204),
        ("PUT", "/v1/admin/conversations/C1/ban", "Olga", 200),
    ]


def test_hours_as_a_whole_number_written_with_a_point_are_taken(admin):
    # JSON Schema's integer includes 2.0: the document calls it valid, so the API takes it
    customer_sends(ANNA, "Hi", 1)
    status, ban = admin.call("PUT", "/conversations/C1/ban", {"hours": 2.0})
    assert status == 200, ban
    until = datetime.fromisoformat(ban["until"])
    assert timedelta(hours=1, minutes=59) < until - datetime.now(UTC) <= timedelta(hours=2)


def test_the_inbox_marks_the_banned_customers_conversations_and_only_while_banned(admin):
    customer_sends(ANNA, "Where is my order?", 1)
    customer_sends(BORIS, "Hello", 2)
    # WHEN Anna is banned
    ban = admin.call("PUT", "/conversations/C1/ban", {"hours": 5})[1]
    # THEN her row of the inbox says until when, Boris's says nothing, on every filter's page
    for query in ("", "?status=open", "?desk=inbox"):
        rows = admin.call("GET", f"/conversations{query}")[1]["conversations"]
        assert {c["id"]: c["banned_until"] for c in rows} == {"C1": ban["until"], "C2": None}, query
    assert admin.call("GET", "/conversations/C1")[1]["conversation"]["banned_until"] == ban["until"]
    assert admin.call("POST", "/conversations/C1/close")[1]["banned_until"] == ban["until"]
    # WHEN she is unbanned THEN the mark is gone
    assert admin.call("DELETE", "/conversations/C1/ban")[0] == 204
    rows = admin.call("GET", "/conversations")[1]["conversations"]
    assert [c["banned_until"] for c in rows] == [None, None]
    assert admin.call("GET", "/conversations/C1")[1]["conversation"]["banned_until"] is None
