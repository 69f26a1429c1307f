"""Conversations, tickets and stats through the admin API: conversations by C-id (or a user id),
moves through the lifecycles (refused ones 409 with the allowed moves), replies via the outbox."""

from __future__ import annotations

import pytest

ANNA, BORIS = 1001, 1002


def customer_writes(user_id, text, language="en"):
    """What the bot stores for a customer's message to support (its conversation updated with it)."""
    from supportbot.config import get_config
    from supportbot.storage.sessions import SessionItem
    from supportbot.support.messages import BLINGER, NewMessage
    from supportbot.support.outbox import store

    if SessionItem.count(user_id) == 0:
        SessionItem(user_id, language=language).save()
    return store(get_config(), NewMessage(user_id, BLINGER, [{"kind": "text", "text": text}]))


def open_ticket(user_id, kind="incident", key="k"):
    from supportbot.support import tickets

    return tickets.open_ticket(user_id, kind, f"ticket:{user_id}:{key}", title="Damaged box", details={})


def test_conversations_are_listed_by_last_activity_with_their_summary(admin):
    customer_writes(ANNA, "Where is my order?")
    customer_writes(BORIS, "Hello <there>", language="ru")
    status, body = admin.call("GET", "/conversations")
    assert status == 200, body
    assert [(c["id"], c["user_id"], c["status"], c["unread"]) for c in body["conversations"]] == [
        ("C2", BORIS, "open", 1),
        ("C1", ANNA, "open", 1),
    ]
    assert body["conversations"][0]["preview"] == "Hello <there>"
    assert body["next_cursor"] is None
    # A page at a time, with a cursor
    first = admin.call("GET", "/conversations?limit=1")[1]
    assert [c["id"] for c in first["conversations"]] == ["C2"]
    second = admin.call("GET", f"/conversations?limit=1&cursor={first['next_cursor']}")[1]
    assert [c["id"] for c in second["conversations"]] == ["C1"]
    assert second["next_cursor"] is None
    assert admin.call("GET", "/conversations?cursor=garbage")[0] == 400


def test_a_conversation_by_id_or_by_user_id_shows_its_messages_and_the_tickets(admin):
    customer_writes(ANNA, "Where is my order?")
    open_ticket(ANNA)
    status, body = admin.call("GET", "/conversations/C1")
    assert status == 200, body
    assert body["conversation"]["id"] == "C1"
    assert [(m["direction"], m["parts"][0]["text"]) for m in body["messages"]] == [
        ("from_customer", "Where is my order?")
    ]
    assert [t["ref"] for t in body["tickets"]] == ["Ж-1"]
    # A bare number is a Telegram user id: their latest conversation
    assert admin.call("GET", f"/conversations/{ANNA}")[1]["conversation"]["id"] == "C1"
    assert admin.call("GET", "/conversations/C99")[0] == 404
    assert admin.call("GET", "/conversations/999")[0] == 404
    assert admin.call("GET", "/conversations/abc")[0] == 422


def test_a_reply_is_queued_in_the_customers_language_and_answers_the_conversation(admin):
    customer_writes(BORIS, "Hello", language="ru")
    status, body = admin.call("POST", "/conversations/C1/reply", {"text": "Good <news>"})
    assert status == 202, body
    assert (body["status"], body["conversation"]) == ("queued", "C1")
    assert admin.queued() == [
        {"user_id": BORIS, "destination": "customer", "text": "💬 <b>Поддержка:</b> Good &lt;news&gt;"}
    ]
    conversation = admin.call("GET", "/conversations/C1")[1]["conversation"]
    assert (conversation["status"], conversation["unread"]) == ("answered", 0)
    assert conversation["first_answer_at"] is not None
    # AND bad input or an unknown conversation is refused, with nothing queued
    assert admin.call("POST", "/conversations/C1/reply", {"text": "   "})[0] == 422
    assert admin.call("POST", "/conversations/C1/reply", {"text": "x" * 4001})[0] == 422
    assert admin.call("POST", "/conversations/C1/reply", {})[0] == 422
    assert admin.call("POST", "/conversations/C9/reply", {"text": "hi"})[0] == 404
    assert admin.queued() == []


def test_close_moves_through_the_lifecycle_and_a_second_close_is_refused(admin):
    customer_writes(ANNA, "Thanks")
    status, body = admin.call("POST", "/conversations/C1/close")
    assert status == 200, body
    assert (body["status"], body["closed_by"]) == ("closed", "operator")
    # THEN the customer is asked to rate it
    (asked,) = admin.queued()
    assert asked["text"].startswith("The conversation with support is closed.")
    # AND closing again is a move the lifecycle refuses: 409 naming what is allowed
    status, body = admin.call("POST", "/conversations/C1/close")
    assert status == 409
    assert body == {
        "detail": "a conversation cannot go from closed to closed (allowed: rated, open)",
        "status": "closed",
        "allowed": ["rated", "open"],
    }
    assert admin.queued() == []


def test_reopen_is_the_only_way_back_and_is_refused_while_another_is_open(admin):
    customer_writes(ANNA, "Hi")
    status, body = admin.call("POST", "/conversations/C1/reopen")
    assert (status, body["status"], body["allowed"]) == (409, "open", ["answered", "closed"])
    admin.call("POST", "/conversations/C1/close")
    admin.queued()
    status, body = admin.call("POST", "/conversations/C1/reopen")
    assert (status, body["status"], body["closed_by"]) == (200, "open", None)
    # A rating button of its close is outdated now: only a closed conversation is rated
    from supportbot.support import rating

    assert not rating.rate(ANNA, *rating.rating_pressed("-|rate:C1:4"))
    # A customer's message continues the reopened conversation
    assert customer_writes(ANNA, "Thanks").conversation == 1
    # WHEN it is closed again and she starts another, reopening the first is refused
    admin.call("POST", "/conversations/C1/close")
    customer_writes(ANNA, "New question")
    status, body = admin.call("POST", "/conversations/C1/reopen")
    assert status == 409
    assert body["detail"] == "the customer has another open conversation, C2"


def test_tickets_move_by_ref_or_old_number_with_the_version_read(admin):
    customer_writes(ANNA, "Hi")
    photo = open_ticket(ANNA, "photo", "p")
    incident = open_ticket(ANNA, "incident", "i")
    assert (photo.ref, incident.ref) == ("Ф-1", "Ж-1")  # a sequence per kind
    status, body = admin.call("GET", "/tickets")
    assert [t["ref"] for t in body["tickets"]] == ["Ж-1", "Ф-1"]
    assert [t["ref"] for t in admin.call("GET", "/tickets?kind=photo")[1]["tickets"]] == ["Ф-1"]
    # WHEN the admin takes the complaint, by its ref, with the version read
    status, body = admin.call("PATCH", "/tickets/Ж-1", {"status": "in_progress", "version": 1})
    assert status == 200, body
    assert (body["ticket"]["status"], body["ticket"]["version"]) == ("in_progress", 2)
    assert admin.queued()[0]["text"] == "🔔 Your request Ж-1 is now: in progress."
    # AND the old bare number finds the ticket too
    number = body["ticket"]["number"]
    status, body = admin.call(
        "PATCH", f"/tickets/{number}", {"status": "closed", "outcome": "resolved", "version": 2}
    )
    assert status == 200, body
    assert (body["ticket"]["status"], body["ticket"]["outcome"]) == ("closed", "resolved")


def test_a_stale_version_is_409_and_changes_nothing(admin):
    """Bug: PATCH /tickets could not detect a stale page (it took any change from any page)."""
    ticket = open_ticket(ANNA)
    assert admin.call("PATCH", f"/tickets/{ticket.ref}", {"status": "in_progress", "version": 1})[0] == 200
    admin.queued()
    # WHEN a page read at version 1 closes it
    status, body = admin.call("PATCH", f"/tickets/{ticket.ref}", {"status": "closed", "version": 1})
    # THEN it is refused: the ticket changed since
    assert status == 409
    assert (body["status"], body["allowed"]) == ("in_progress", ["closed"])
    assert "changed since version 1" in body["detail"]
    assert admin.queued() == []


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("in_progress", "open", ["closed"]),
        ("closed", "open", []),
        ("closed", "in_progress", []),
    ],
)
def test_a_move_the_ticket_lifecycle_refuses_is_409_with_the_allowed_moves(admin, start, target, allowed):
    from supportbot.support import tickets

    ticket = open_ticket(ANNA)
    if start == "in_progress":
        tickets.move(ticket, "in_progress")
    else:
        tickets.move(ticket, "closed", outcome="resolved")
    status, body = admin.call(
        "PATCH", f"/tickets/{ticket.ref}", {"status": target, "version": ticket.version}
    )
    assert status == 409
    assert (body["status"], body["allowed"]) == (start, allowed)


def test_an_admin_closed_photo_request_is_not_shown_as_photos_sent(admin):
    """Bug: an admin-closed photo request showed "photos sent" to the customer."""
    from supportbot.config import get_config
    from supportbot.support import tickets
    from supportbot.support.surfaces import ticket_text

    ticket = open_ticket(ANNA, "photo")
    assert admin.call("PATCH", f"/tickets/{ticket.ref}", {"status": "closed", "version": 1})[0] == 200
    closed = tickets.find(ticket.ref)
    assert closed.outcome == "resolved"
    assert "photos sent" not in ticket_text(get_config(), closed)
    assert admin.queued()[0]["text"] == "🔔 Статус обращения Ф-1: решено."  # no session: the default language
    # A photo-only outcome is refused for a complaint
    incident = open_ticket(ANNA, "incident", "x")
    status, body = admin.call(
        "PATCH", f"/tickets/{incident.ref}", {"status": "closed", "outcome": "photos_sent", "version": 1}
    )
    assert status == 409
    assert "cannot close as photos_sent" in body["detail"]


def test_unknown_tickets_and_bad_bodies(admin):
    open_ticket(ANNA)
    assert admin.call("PATCH", "/tickets/Ж-99", {"status": "closed", "version": 1})[0] == 404
    assert admin.call("PATCH", "/tickets/Ж-1", {"status": "lost", "version": 1})[0] == 422
    assert admin.call("PATCH", "/tickets/Ж-1", {"status": "closed"})[0] == 422
    assert admin.call("PATCH", "/tickets/X-1", {"status": "closed", "version": 1})[0] == 422


def record_failed(item):
    """The outbox's consumer meeting a destination that refuses ``item`` for good."""
    from supportbot.config import get_config
    from supportbot.support.outbox import OutboxConsumer, OutboxRecord, PermanentDeliveryError

    def refuse(_item):
        raise PermanentDeliveryError("Telegram refused: Forbidden")

    body = f'{{"pk": "{item.pk}", "sk": "{item.sk}"}}'
    OutboxConsumer(get_config(), refuse).handle(OutboxRecord(body, "receipt", 1))


def test_stats_count_users_open_conversations_undelivered_messages_ratings_and_tickets(admin):
    from supportbot.config import get_config
    from supportbot.support import conversations
    from supportbot.support.messages import BLINGER, ECHO, NOTICE_ROLE, NewMessage
    from supportbot.support.outbox import store

    customer_writes(ANNA, "Hi")
    refused = customer_writes(BORIS, "Hi")
    conversations.close(conversations.find(2), conversations.BY_CUSTOMER)
    conversations.rate(BORIS, 2, 5)
    conversations.rate(BORIS, 2, 4)  # a later press changes the rating: still one rated
    from supportbot.support import tickets

    tickets.move(open_ticket(ANNA, "photo", "p"), tickets.IN_PROGRESS)
    open_ticket(ANNA)
    echo = store(
        get_config(),
        NewMessage(BORIS, BLINGER, [{"kind": "text", "text": "x"}], {ECHO: True}, role=NOTICE_ROLE),
    )
    for item in (refused, refused, echo):
        record_failed(item)
    assert admin.call("GET", "/conversations/C2")[1]["conversation"]["undelivered"] == 1
    status, body = admin.call("GET", "/stats")
    assert status == 200
    assert body == {
        "users": 2,
        "conversations": 2,
        "conversations_open": 1,
        "undelivered": 1,  # Борис's message the outbox recorded failed (twice: counted once)
        "ratings": {"rated": 1, "average": 4.0},
        "tickets_by_status": {"open": 1, "in_progress": 1, "closed": 0},
        "tickets_by_kind": {"photo": 1, "incident": 1},
    }


def test_retry_queues_a_failed_message_again_once_and_it_is_no_longer_undelivered(admin):
    from supportbot.support import conversations
    from supportbot.support.messages import load_message

    customer_writes(ANNA, "Hi")
    status, queued = admin.call("POST", "/conversations/C1/reply", {"text": "Your order is on its way"})
    import boto3

    boto3.client("sqs").purge_queue(QueueUrl=admin.queue_url)  # the first delivery, done with
    reply = next(
        m for m in admin.call("GET", "/conversations/C1")[1]["messages"] if m["msg_id"] == queued["msg_id"]
    )
    _, moment, msg_id = reply["id"].split(".")
    item = load_message(f"U#{ANNA}", f"M#{moment}#{msg_id}")
    record_failed(item)
    thread = admin.call("GET", "/conversations/C1")[1]
    failed = next(m for m in thread["messages"] if m["id"] == reply["id"])
    assert (failed["status"], thread["conversation"]["undelivered"]) == ("failed", 1)
    # WHEN an admin presses Retry
    status, body = admin.call("POST", f"/messages/{reply['id']}/retry")
    # THEN it is queued again and no longer counted undelivered
    assert (status, body) == (202, {"msg_id": queued["msg_id"], "status": "queued", "conversation": "C1"})
    assert [m["text"] for m in admin.queued()] == ["💬 <b>Support:</b> Your order is on its way"]
    assert admin.call("GET", "/conversations/C1")[1]["conversation"]["undelivered"] == 0
    assert conversations.counts().undelivered == 0
    # AND a second press (or a message that did not fail) is refused, an unknown one is 404
    status, body = admin.call("POST", f"/messages/{reply['id']}/retry")
    assert (status, body["status"]) == (409, "queued")
    assert admin.call("POST", f"/messages/{ANNA}.20260101T000000000000.abc/retry")[0] == 404
    assert admin.call("POST", "/messages/nonsense/retry")[0] == 422
