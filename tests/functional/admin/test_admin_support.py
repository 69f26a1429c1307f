"""Conversations, tickets and stats through the admin API; replies reach the customer via the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

ANNA, BORIS = 1001, 1002


def store_message(user_id, destination, text, language="en", at=None, status="queued"):
    from supportbot.support.messages import NewMessage, new_message_item

    item = new_message_item(
        NewMessage(user_id, destination, [{"kind": "text", "text": text}], {"language": language}), now=at
    )
    item.status = status
    item.save()
    return item


def store_ticket(number, user_id, kind="incident", status="open", title="Damaged box"):
    from supportbot.support.messages import TicketItem, ticket_key, user_key

    now = datetime.now(UTC)
    TicketItem(
        user_key(user_id),
        ticket_key(number),
        number=number,
        user_id=user_id,
        kind=kind,
        status=status,
        title=title,
        created_at=now,
        updated_at=now,
    ).save()


def seed():
    start = datetime.now(UTC) - timedelta(hours=1)
    store_message(ANNA, "blinger", "Where is my order?", at=start, status="sent")
    store_message(
        ANNA, "customer", "💬 <b>Support:</b> On its way", at=start + timedelta(minutes=1), status="sent"
    )
    store_message(BORIS, "blinger", "Hello", language="ru", at=start + timedelta(minutes=2), status="failed")
    store_ticket(1, ANNA, "incident", "open")
    store_ticket(2, BORIS, "photo", "closed", title="A-17")
    store_ticket(3, BORIS, "incident", "in_progress")
    from supportbot.support.rating import ask_for_rating

    ask_for_rating(ANNA, 77, "Olga")  # Blinger closed Anna's conversation after her messages


def test_conversations_list_users_with_counts_open_tickets_and_the_last_message(admin):
    seed()
    status, body = admin.call("GET", "/conversations")
    assert status == 200
    by_user = {c["user_id"]: c for c in body["conversations"]}
    assert [c["user_id"] for c in body["conversations"]] == [BORIS, ANNA]  # newest first
    anna = by_user[ANNA]
    assert (anna["messages"], anna["from_customer"], anna["to_customer"], anna["open_tickets"]) == (
        2,
        1,
        1,
        1,
    )
    assert anna["open"] is False  # closed in Blinger after her last message
    assert anna["last_message"]["direction"] == "to_customer"
    boris = by_user[BORIS]
    assert (boris["failed"], boris["open_tickets"], boris["open"]) == (1, 1, True)


def test_a_thread_shows_messages_with_direction_and_status_and_the_tickets(admin):
    seed()
    status, body = admin.call("GET", f"/conversations/{ANNA}")
    assert status == 200
    assert [(m["direction"], m["status"], m["parts"][0]["text"]) for m in body["messages"]] == [
        ("from_customer", "sent", "Where is my order?"),
        ("to_customer", "sent", "💬 <b>Support:</b> On its way"),
    ]
    assert [t["number"] for t in body["tickets"]] == [1]
    assert admin.call("GET", "/conversations/999")[0] == 404
    assert admin.call("GET", "/conversations/abc")[0] == 422
    assert admin.call("GET", "/conversations/0")[0] == 422


def test_a_reply_is_stored_and_queued_to_the_customer_in_their_language(admin):
    seed()
    status, body = admin.call("POST", f"/conversations/{BORIS}/reply", {"text": "Good <news>"})
    assert status == 202, body
    assert body["status"] == "queued"
    # THEN the outbox holds it for Boris, escaped, in Russian (his language)
    assert admin.queued() == [
        {"user_id": BORIS, "destination": "customer", "text": "💬 <b>Поддержка:</b> Good &lt;news&gt;"}
    ]
    thread = admin.call("GET", f"/conversations/{BORIS}")[1]
    assert thread["messages"][-1]["direction"] == "to_customer"
    # AND bad input or a stranger is refused, with nothing queued
    assert admin.call("POST", f"/conversations/{BORIS}/reply", {"text": "   "})[0] == 422
    assert admin.call("POST", f"/conversations/{BORIS}/reply", {"text": "x" * 4001})[0] == 422
    assert admin.call("POST", f"/conversations/{BORIS}/reply", {})[0] == 422
    assert admin.call("POST", "/conversations/999/reply", {"text": "hi"})[0] == 404
    assert admin.queued() == []


def test_tickets_are_listed_by_kind_and_status_and_a_status_change_tells_the_customer(admin):
    seed()
    status, body = admin.call("GET", "/tickets")
    assert status == 200
    assert [t["number"] for t in body["tickets"]] == [3, 2, 1]
    assert [t["number"] for t in admin.call("GET", "/tickets?kind=incident")[1]["tickets"]] == [3, 1]
    assert [t["number"] for t in admin.call("GET", "/tickets?kind=incident&status=open")[1]["tickets"]] == [1]
    assert admin.call("GET", "/tickets?status=lost")[0] == 422
    # WHEN the admin answers ticket 1
    status, body = admin.call("PATCH", "/tickets/1", {"status": "answered"})
    assert status == 200, body
    assert body["ticket"]["status"] == "answered"
    # THEN Anna is told, in her language
    assert admin.queued() == [
        {"user_id": ANNA, "destination": "customer", "text": "🔔 Your request №1 is now: answered."}
    ]
    # AND the same status again tells nobody; unknown tickets and statuses are refused
    assert admin.call("PATCH", "/tickets/1", {"status": "answered"})[1]["notified"] is None
    assert admin.call("PATCH", "/tickets/99", {"status": "closed"})[0] == 404
    assert admin.call("PATCH", "/tickets/1", {"status": "lost"})[0] == 422
    assert admin.queued() == []


def test_a_status_change_racing_another_is_refused_and_tells_the_customer_once(admin, monkeypatch):
    from supportbot.support.messages import TicketItem, ticket_key, user_key
    from supportbot_admin import conversations

    seed()
    read = TicketItem.get

    def read_then_another_admin_closes(*args, **kwargs):
        ticket = read(*args, **kwargs)
        TicketItem(user_key(ANNA), ticket_key(1)).update(actions=[TicketItem.status.set("closed")])
        return ticket

    monkeypatch.setattr(conversations.TicketItem, "get", read_then_another_admin_closes)
    # WHEN the admin answers ticket 1 while another change lands between its read and its write
    status, body = admin.call("PATCH", "/tickets/1", {"status": "answered"})
    # THEN it is refused, the other change stands and the customer is not told twice
    assert status == 409, body
    assert "read it again" in body["message"]
    assert read(user_key(ANNA), ticket_key(1)).status == "closed"
    assert admin.queued() == []


def test_tickets_the_bot_creates_are_in_the_index(admin):
    from supportbot.support.messages import ticket_by_number

    store_ticket(5, ANNA)
    assert ticket_by_number(5).user_id == ANNA
    assert ticket_by_number(6) is None


def test_stats_count_users_open_conversations_and_tickets_by_status(admin):
    seed()
    from supportbot.storage.sessions import SessionItem

    for user_id in (ANNA, BORIS, 1003):
        SessionItem(user_id).save()
    status, body = admin.call("GET", "/stats")
    assert status == 200
    assert body == {
        "users": 3,
        "conversations": 2,
        "conversations_open": 1,
        "undelivered": 1,  # Борис's message to Blinger the seed stores as failed
        "tickets_by_status": {"open": 1, "closed": 1, "in_progress": 1},
        "tickets_by_kind": {"incident": 2, "photo": 1},
    }
