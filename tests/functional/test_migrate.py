"""make migrate on items as the version before conversations wrote them (their exact attributes)."""

from __future__ import annotations

import json
import os

import boto3
import pytest

ANNA, BORIS = 7001, 7002
T0 = "2026-11-30T10:00:00.000000+0000"


def at(minute: int) -> str:
    return f"2026-11-30T10:{minute:02d}:00.000000+0000"


def put(**item):
    client = boto3.client("dynamodb")
    client.put_item(TableName=os.environ["CONVERSATIONS_TABLE"], Item=item)


def old_message(user_id, minute, destination, text, context='{"language":"en"}', status="sent", **more):
    sk = f"M#20261130T10{minute:02d}00000000#m{minute:02d}{user_id}"
    put(
        pk={"S": f"U#{user_id}"},
        sk={"S": sk},
        msg_id={"S": f"m{minute:02d}{user_id}"},
        user_id={"N": str(user_id)},
        destination={"S": destination},
        parts={"L": [{"M": {"kind": {"S": "text"}, "text": {"S": text}}}]},
        sent_parts={"N": "1"},
        status={"S": status},
        attempts={"N": "1"},
        context={"S": context},
        created_at={"S": at(minute)},
        **more,
    )


def old_ticket(user_id, number, kind, status, details='{"lang":"en"}'):
    put(
        pk={"S": f"U#{user_id}"},
        sk={"S": f"T#{number:08d}"},
        gsi1pk={"S": "TICKET"},
        number={"N": str(number)},
        user_id={"N": str(user_id)},
        kind={"S": kind},
        status={"S": status},
        title={"S": "A-17"},
        details={"S": details},
        created_at={"S": T0},
        updated_at={"S": T0},
    )
    if kind == "photo":  # the warehouse's pointer of today
        put(pk={"S": f"TICKET#{number}"}, sk={"S": "-"}, value={"N": str(user_id)})


@pytest.fixture
def old_data(aws):
    # Anna: a conversation Blinger closed and she rated 4, then a new question answered by support
    old_message(ANNA, 1, "blinger", "Where is my kettle?")
    old_message(ANNA, 2, "customer", "💬 <b>Support:</b> Tomorrow")
    put(
        pk={"S": f"U#{ANNA}"},
        sk={"S": "R#000000000077"},
        conversation_id={"N": "77"},
        operator={"S": "Olga"},
        rating={"N": "4"},
        asked_at={"S": at(3)},
        rated_at={"S": at(4)},
    )
    old_message(ANNA, 10, "blinger", "And the lid?")
    old_message(ANNA, 11, "customer", "💬 <b>Support:</b> Also tomorrow")
    # Boris: one open question; tickets numbered by one counter across kinds
    old_message(BORIS, 5, "blinger", "Hello")
    # AND an operator's answer Telegram refused, with the "not delivered" echo of main's outbox
    # (pacing's holds and booked time on it, as issue 12's outbox writes them)
    refused = '{"language":"ru","answer":true,"via":"blinger"}'
    old_message(
        BORIS, 6, "customer", "💬 Soon", refused, "failed", reason={"S": "Forbidden"}, holds={"N": "2"}
    )
    old_message(BORIS, 7, "blinger", "⚠️ Не доставлено клиенту: Forbidden", '{"echo_outgoing":true}', "failed")
    old_ticket(BORIS, 1, "photo", "closed", '{"lang":"ru","outcome":"photos","staff":"Пётр"}')
    old_ticket(BORIS, 2, "incident", "answered")
    old_ticket(ANNA, 3, "photo", "closed", '{"lang":"en"}')  # closed by an admin: no outcome
    put(pk={"S": "COUNTER"}, sk={"S": "tickets"}, value={"N": "3"})


def test_migrate_makes_conversations_and_refs_of_todays_items_and_is_idempotent(old_data):
    from infra.migrate import migrate
    from supportbot.support import conversations, rating, tickets
    from supportbot.support.messages import user_messages

    counts = migrate()
    assert (counts.tickets, counts.conversations, counts.ratings) == (3, 3, 1)
    # Anna: C of the rated conversation (with Blinger's id), then a live answered one
    newest, rated = conversations.of_user(ANNA)
    assert (rated.status, rated.rating, rated.desk_ref, rated.assignee, rated.messages) == (
        "rated",
        4,
        "77",
        "Olga",
        2,
    )
    assert (newest.status, newest.messages, newest.preview) == ("answered", 2, "💬 Support: Also tomorrow")
    assert conversations.live_number(ANNA) == int(newest.number)
    assert {m.conversation for m in user_messages(ANNA)} == {rated.number, newest.number}
    (boris,) = conversations.of_user(BORIS)
    # the refused answer is his one undelivered message; its echo is a notice, no question of his
    assert (boris.status, boris.unread, boris.messages, boris.undelivered) == ("answered", 0, 3, 1)
    # AND the stats' counters hold what the migration made: every conversation, the live ones
    counted = conversations.counts()
    assert (counted.total, counted.live, counted.undelivered) == (3, 2, 1)
    # Tickets keep their numbers as refs, found by ref and by the old bare number
    assert tickets.find("Ф-1").outcome == "photos_sent"
    assert tickets.find("2").ref == "Ж-2"
    assert tickets.find("Ж-2").status == "in_progress"
    assert tickets.find("Ф-3").outcome == "resolved"  # not "photos sent"
    # Each kind's sequence goes on after its highest old number
    assert tickets.open_ticket(BORIS, "incident", "ticket:x", "t", {}).ref == "Ж-3"
    assert tickets.open_ticket(BORIS, "photo", "ticket:y", "t", {}).ref == "Ф-4"
    # A rating button of today's format still rates the right conversation
    assert rating.rate(ANNA, *rating.rating_pressed("rate:77:5"))
    assert conversations.get(ANNA, int(rated.number)).rating == 5
    # AND a second run changes nothing
    again = migrate()
    assert (again.tickets, again.conversations, again.messages, again.ratings) == (0, 0, 0, 0)
    assert len(conversations.of_user(ANNA)) == 2
    assert (conversations.counts().total, conversations.counts().live) == (3, 2)


def test_a_later_customer_message_continues_the_migrated_live_conversation(old_data):
    from infra.migrate import migrate
    from supportbot.config import get_config
    from supportbot.support import conversations
    from supportbot.support.messages import BLINGER, NewMessage
    from supportbot.support.outbox import store

    migrate()
    (boris,) = conversations.of_user(BORIS)
    item = store(get_config(), NewMessage(BORIS, BLINGER, [{"kind": "text", "text": "Still there?"}]))
    assert item.conversation == boris.number
    assert conversations.get(BORIS, int(boris.number)).status == "open"
    assert conversations.get(BORIS, int(boris.number)).unread == 1


def old_session(user_id, login=None):
    """A session as the version before order events saved it: the phone inside the login."""
    item = {"user_id": {"N": str(user_id)}, "l": {"S": "ru"}, "u": {"N": "0"}, "v": {"N": "1"}}
    if login is not None:
        item["a"] = {"S": json.dumps(login)}
    boto3.client("dynamodb").put_item(TableName=os.environ["SESSIONS_TABLE"], Item=item)


def test_old_sessions_get_the_phone_and_type_the_indexes_find(aws):
    from infra.migrate import migrate
    from supportbot.storage.sessions import SessionItem, load_session, sessions_with_phone

    # GIVEN a customer and a partner logged in before order events, a guest, and an unknown type
    old_session(ANNA, {"t": "tok-a", "k": "customer", "p": "+79001112233", "n": "Anna"})
    old_session(BORIS, {"t": "tok-b", "k": "partner", "p": "+79004445566", "n": ""})
    old_session(7003)
    old_session(7004, {"t": "tok-c", "k": "courier", "p": "+79007778899", "n": ""})
    old_session(7005, {"t": "tok-d", "k": "customer", "p": "", "n": ""})  # no phone to index
    # WHEN make migrate runs
    assert migrate().sessions == 3
    # THEN an order event for Anna's phone finds her, and a broadcast to each type its users
    assert [s.user_id for s in sessions_with_phone("+79001112233")] == [ANNA]
    assert [s.user_id for s in SessionItem.audiences.query("c")] == [ANNA]
    assert [s.user_id for s in SessionItem.audiences.query("p")] == [BORIS]
    # AND the login is whole, its phone stored once (as a save of today writes it)
    anna = load_session(ANNA)
    assert (anna.auth, anna.phone) == ({"t": "tok-a", "k": "customer", "n": "Anna"}, "+79001112233")
    assert (load_session(7004).phone, load_session(7004).audience) == ("+79007778899", None)
    # AND a second run changes nothing
    assert migrate().sessions == 0


def test_a_user_saving_meanwhile_wins_over_the_session_migration(aws, monkeypatch):
    from infra.migrate import migrate
    from supportbot.storage.sessions import SessionItem, load_session

    old_session(ANNA, {"t": "tok-a", "k": "customer", "p": "+79001112233", "n": "Anna"})
    scan = SessionItem.scan

    def user_saves_after_the_scan(*args, **kwargs):
        for item in scan(*args, **kwargs):
            fresh = load_session(int(item.user_id))
            fresh.language = "en"  # the user's own save between the scan and the update
            fresh.save()
            yield item

    monkeypatch.setattr(SessionItem, "scan", user_saves_after_the_scan)
    assert migrate().sessions == 0
    # THEN the user's save stands (the migration did not overwrite it with its older copy)
    assert load_session(ANNA).language == "en"


def test_tickets_and_ratings_of_the_version_before_counters_are_listed_and_counted_once(old_data):
    from infra.migrate import migrate
    from supportbot.config import get_config
    from supportbot.support import conversations, tickets
    from supportbot.support.conversations import ConversationItem
    from supportbot.support.messages import BLINGER, NewMessage
    from supportbot.support.outbox import store
    from supportbot.support.tickets import TicketItem

    # GIVEN a ticket and a rating as the version with refs (before the lists and counters) wrote them
    store(get_config(), NewMessage(8001, BLINGER, [{"kind": "text", "text": "Hi"}]))
    conversation = conversations.close(conversations.latest(8001), conversations.BY_CUSTOMER)
    conversation.update(
        actions=[
            ConversationItem.status.set("rated"),
            ConversationItem.rating.set(3),
            ConversationItem.inbox.set("C"),
            ConversationItem.list_pk.remove(),
            ConversationItem.list_sk.remove(),
        ]
    )
    ticket = tickets.open_ticket(8001, "incident", "ticket:8001:x", "Late", {})
    ticket.update(actions=[TicketItem.list_pk.remove(), TicketItem.list_sk.remove()])
    with tickets.transaction() as write:
        tickets.count(write, "incident", open=-1)
    # AND a failed update and a customer's profile from before their lists
    client = boto3.client("dynamodb")
    client.put_item(
        TableName=os.environ["FAILED_UPDATES_TABLE"],
        Item={"update_id": {"N": "5"}, "update": {"S": "{}"}, "error": {"S": "x"}, "recorded_at": {"S": T0}},
    )
    # AND one of a known user, listed but stored before the pointers in the users' partitions
    client.put_item(
        TableName=os.environ["FAILED_UPDATES_TABLE"],
        Item={
            "update_id": {"N": "6"},
            "user_id": {"N": "8001"},
            "listed": {"S": "F"},
            "update": {"S": "{}"},
            "error": {"S": "x"},
            "recorded_at": {"S": at(1)},
            "expires_at": {"N": "1800000000"},
        },
    )
    for sk in ("PROFILE", "ORDER#A-1"):
        client.put_item(
            TableName=os.environ["BACKEND_TABLE"],
            Item={"pk": {"S": "CUSTOMER#+79000000001"}, "sk": {"S": sk}},
        )
    # AND a login token item as the version before signed tokens stored it
    client.put_item(
        TableName=os.environ["BACKEND_TABLE"],
        Item={
            "pk": {"S": "TOKEN#" + "0" * 64},
            "sk": {"S": "TOKEN"},
            "phone": {"S": "+79000000001"},
            "telegram_user_id": {"N": "8001"},
            "expires_at": {"N": "1800000000"},
        },
    )
    # WHEN the migration runs (twice)
    counts = migrate()
    assert (counts.tickets, counts.listed) == (3, 7)
    assert "7 item(s) listed" in str(counts)
    # the conversation is in its desk's inbox and in the list of its status
    assert conversation.ref in [c.ref for c in ConversationItem.by_activity.query("C#inbox")]
    assert conversation.ref in [c.ref for c in ConversationItem.by_status.query("C#rated")]
    from supportbot.backend.builtin import CUSTOMERS_KEY, BackendItem
    from supportbot.storage.failed_updates import LISTED, FailedUpdateItem

    assert [int(r.update_id) for r in FailedUpdateItem.recorded.query(LISTED)] == [5, 6]
    assert [c.pk for c in BackendItem.customers.query(CUSTOMERS_KEY)] == ["CUSTOMER#+79000000001"]
    assert counts.tokens == 1  # nothing reads it any more: it goes
    # the failed update of a known user got its pointer, by which the person's export finds it
    from supportbot.storage.failed_updates import failed_updates_of

    assert counts.pointers == 1
    assert [int(r.update_id) for r in failed_updates_of(8001)] == [6]
    assert [i.sk for i in BackendItem.scan()] == ["ORDER#A-1", "PROFILE"]
    again = migrate()
    assert (again.listed, again.ratings, again.tokens, again.pointers) == (0, 0, 0, 0)
    # THEN every ticket is in its list and counted once, and so are the ratings
    counted = tickets.counts()
    assert [
        counted.by("photo", "closed"),
        counted.by("incident", "in_progress"),
        counted.by("incident", "open"),
    ] == [
        2,
        1,
        1,
    ]
    assert {t.ref for t in TicketItem.lists.query(tickets.list_key("photo", "closed"))} == {"Ф-1", "Ф-3"}
    stats = conversations.counts()
    assert (stats.rated, stats.rating_sum) == (2, 3 + 4)  # this one and Anna's migrated rating
    # AND a later press counts only the difference
    conversations.rate(8001, int(conversation.number), 5)
    assert (conversations.counts().rated, conversations.counts().rating_sum) == (2, 5 + 4)
