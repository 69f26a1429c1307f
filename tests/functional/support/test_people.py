"""A person's data on request (supportbot/people.py): a customer with a full history is exported
completely, then erased; afterwards no table and no object of the bucket holds their Telegram id or
phone. The bot's "Delete my data" and the admin API's by-id and by-phone paths."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import boto3
import pytest

from infra.demo import CUSTOMER_PHONE, PARTNER_PHONE
from infra.template import load_template, table_definitions
from supportbot.backend.phones import normalize_phone
from supportbot.config import DESKS
from supportbot.notifications.store import (
    BroadcastItem,
    PendingOrderItem,
    RecipientItem,
    broadcast_key,
    pending_key,
    recipient_key,
)
from supportbot.pacing import BucketItem, chat_scope
from supportbot.storage.failed_updates import record_failed_update
from supportbot.storage.transactions import transaction
from supportbot.support import conversations, tickets
from supportbot.support.messages import user_messages
from supportbot.support.rating import rate
from tests.functional.admin.conftest import ADMIN_KEY, AdminClient
from tests.functional.harness import UserChat
from tests.functional.support.conftest import BUCKET
from tests.functional.support.test_photo_requests import (
    PNG,
    STAFF,
    WAREHOUSE,
    request_for_first_order,
    run_outbox,
    staff_album,
    staff_press,
    warehouse_request,
)

VERA = 100000777
OLGA = 100000999  # another customer: what is hers stays, counters included
BROADCAST = "20261201120000-abcdef"
TABLE_VARIABLES = table_definitions(load_template())


@pytest.fixture
def history(harness, desk, monkeypatch):
    """Vera (the demo customer's phone) with a full history: a support dialog with a photo, a photo
    request answered with an album, a complaint with a photo, a rating, a message support could not
    deliver, a broadcast she received, an order notification pending, a failed update, a paced
    chat. Olga, another customer, has a live conversation and got the same broadcast."""
    from tests.functional.conftest import reset_singletons

    monkeypatch.setenv("WAREHOUSE_CHAT_ID", str(WAREHOUSE))
    monkeypatch.setenv("ADMIN_API_KEY", ADMIN_KEY)
    monkeypatch.setenv("MESSAGE_RETENTION_DAYS", "30")
    monkeypatch.setenv("OPERATOR_KEY_SECRET", "operator-key-test-secret")  # operators' keys can be issued
    reset_singletons()
    harness.world.add_user(STAFF, first_name="Пётр")
    harness.world.add_group(WAREHOUSE, "Склад", members=(STAFF,))
    olga = harness.user(OLGA, first_name="Ольга")
    olga.send("/start")
    olga.share_contact(PARTNER_PHONE)
    olga.tap("💬 Задать вопрос")
    olga.send("Здравствуйте")
    desk.run_outbox()
    vera = harness.user(VERA, first_name="Вера")
    vera.send("/start")
    vera.share_contact(CUSTOMER_PHONE)
    # a support dialog with a photo
    vera.tap("💬 Задать вопрос")
    vera.send("Где мой заказ?")
    harness.deliver(harness.world.user_sends_photo(VERA, PNG + b"dialog"))
    desk.run_outbox()
    vera.send("/menu")
    # a photo request answered with an album
    request_for_first_order(vera, desk.queue_url)
    staff_press(harness, "🙋 Беру")
    staff_album(harness, warehouse_request(harness).message_id, 2)
    run_outbox(desk.queue_url)
    # a complaint with a photo
    vera.send("/menu")
    vera.tap("⚠️ Жалоба")
    vera.tap("Проблема с заказом")
    vera.tap("Товар повреждён")
    vera.tap(next(label for label in vera.labels(vera.menu) if label.startswith("№")))
    harness.deliver(harness.world.user_sends_photo(VERA, PNG + b"complaint"))
    vera.send("Коробка смята")
    vera.tap("✅ Отправить жалобу")
    run_outbox(desk.queue_url)
    # a rated conversation, a failed update kept for replay, the chat's pacing bucket
    dialog = conversations.of_user(VERA)[-1]  # her first: the support dialog
    with transaction() as write:  # one of its messages recorded undelivered, as the outbox does
        conversations.count_undelivered(write, next(iter(conversations.messages_query(dialog)())))
    conversations.close(dialog, conversations.BY_OPERATOR)
    assert rate(VERA, dialog.ref, 5)
    # a broadcast both got, an order notification waiting out its window
    BroadcastItem(
        broadcast_key(BROADCAST),
        "-",
        id=BROADCAST,
        created="2026-12-01T12:00:00+00:00",
        status="running",
        text="Скидки",
        audience={},
        start_at=0,
        total=2,
        sent=2,
        fanned_out=1,
    ).save()
    for user_id in (VERA, OLGA):
        RecipientItem(broadcast_key(BROADCAST), recipient_key(user_id), user_id=user_id, status="sent").save()
    PendingOrderItem(
        pending_key(VERA, "o-1"),
        user_id=VERA,
        order_id="o-1",
        number="10237",
        event_type="order.status_changed",
        occurred=1,
        since=1,
    ).save()
    record_failed_update({"update_id": 9, "message": {"from": {"id": VERA}}}, VERA, "boom")
    BucketItem(chat_scope(VERA), tat=1.0, expires_at=datetime.now(UTC) + timedelta(hours=1)).save()
    assert len(tickets.of_user(VERA)) == 2
    return vera


def test_every_stored_message_expires_with_its_conversation_retention_days_after_its_last_activity(history):
    # GIVEN Vera's history (MESSAGE_RETENTION_DAYS=30)
    messages = user_messages(VERA, limit=1000)
    assert {m.destination for m in messages} == {"blinger", "customer", "warehouse"}
    held = {int(c.number): c for c in conversations.of_user(VERA)}
    # THEN every stored message belongs to a conversation, which expires (DynamoDB's TTL, whole
    # seconds) 30 days after its last activity; its messages go with it (functions/retention)
    for message in messages:
        conversation = held[int(message.conversation)]
        assert conversation.expires_at == (conversation.last_activity_at + timedelta(days=30)).replace(
            microsecond=0
        ), message.sk
        assert conversation.last_activity_at >= message.created_at
    # WHEN she writes again (a new conversation), then once more
    history.send("/menu")
    history.tap("💬 Задать вопрос")
    history.send("Ещё вопрос")
    live = conversations.get(VERA, conversations.live_number(VERA) or 0)
    assert live is not None
    first = live.last_activity_at
    history.send("И ещё")
    # THEN its expiry moved with its last activity, set in the message's own transaction
    live.refresh()
    assert live.last_activity_at > first
    assert live.expires_at == (live.last_activity_at + timedelta(days=30)).replace(microsecond=0)


def traces(user_id: int, phone: str) -> list[str]:
    """Every item of every table and every object of the bucket that holds the id or the phone."""
    dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    needles = {str(user_id), phone, phone.lstrip("+")}
    found = []
    for variable in TABLE_VARIABLES:
        table = os.environ[variable]
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                text = json.dumps(item, ensure_ascii=False)
                if any(needle in text for needle in needles):
                    found.append(f"{table}: {text[:200]}")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for entry in page.get("Contents", []):
            body = s3.get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read()
            if any(needle in entry["Key"] or needle.encode() in body for needle in needles):
                found.append(f"s3: {entry['Key']}")
    return found


def admin_client() -> AdminClient:
    from functions.admin import app

    return AdminClient(app, "")


def test_the_export_is_complete_and_the_erase_leaves_no_trace(history, desk):
    phone = normalize_phone(CUSTOMER_PHONE)
    assert traces(VERA, phone)  # the check below can fail: it sees the history
    admin = admin_client()
    # WHEN the admin exports Vera's data
    status, export = admin.call("GET", f"/people/{VERA}/export")
    # THEN it holds every stored message, both tickets, the rating, the session, her customer
    # profile and orders, and a presigned link to each file she sent
    assert status == 200, export
    assert set(export) >= {
        "person",
        "sessions",
        "conversations",
        "messages",
        "tickets",
        "ratings",
        "attachments",
    }
    assert export["person"]["telegram_ids"] == [VERA]
    assert phone in export["person"]["phones"]
    assert {m["sk"] for m in export["messages"]} == {m.sk for m in user_messages(VERA, limit=1000)}
    assert sorted(t["number"] for t in export["tickets"]) == sorted(t.number for t in tickets.of_user(VERA))
    assert [r["rating"] for r in export["ratings"]] == [5]
    assert {c["number"] for c in export["conversations"]} == {c.number for c in conversations.of_user(VERA)}
    assert [(b["pk"], b["status"]) for b in export["broadcasts"]] == [(broadcast_key(BROADCAST), "sent")]
    assert [n["order_id"] for n in export["notifications"]] == ["o-1"]
    assert [s["user_id"] for s in export["sessions"]] == [VERA]
    assert any(item["sk"] == "PROFILE" for item in export["person"]["customer"])
    # her login's token (a live credential of the business system) is not exported
    from supportbot.storage.sessions import SessionItem

    token = SessionItem.get(VERA).auth["t"]
    assert token
    assert token not in json.dumps(export)
    assert set(export["sessions"][0]["a"]) == {"k", "n"}
    assert any(isinstance(m.get("context"), dict) for m in export["messages"])  # data, not JSON text
    keys = {a["key"] for a in export["attachments"]}
    assert any(key.startswith(f"support/{VERA}/") for key in keys)
    assert any(key.startswith(f"incidents/{VERA}/") for key in keys)
    assert all("Signature" in a["url"] for a in export["attachments"])
    before = conversations.counts()
    assert (int(before.total), int(before.live), int(before.undelivered)) == (
        len(export["conversations"]) + 1,
        1,
        1,
    )
    # AND an operator's key reaches none of the people routes (admin only: access.py's ROUTES)
    status, operator = admin.call("POST", "/operators", {"name": "Olga", "role": "operator"})
    assert status == 201, operator
    digits = phone.removeprefix("+")
    for method, path in [
        ("GET", f"/people/{VERA}/export"),
        ("DELETE", f"/people/{VERA}"),
        ("GET", f"/people/by-phone/{digits}/export"),
        ("DELETE", f"/people/by-phone/{digits}"),
    ]:
        assert admin.call(method, path, key=operator["key"]) == (403, {"detail": "needs role admin"})
    assert admin.call("GET", f"/people/{VERA}/export")[0] == 200  # nothing was erased
    # (her rating and her two tickets are in the stats' counters before the erase)
    before = conversations.counts()
    assert (int(before.rated), int(before.rating_sum)) == (1, 5)
    ticket_counts = tickets.counts()
    assert (
        sum(int(getattr(ticket_counts, f"{k}_{s}") or 0) for k in tickets.KINDS for s in tickets.STATUSES)
        == 2
    )
    # WHEN the admin erases her
    status, answer = admin.call("DELETE", f"/people/{VERA}")
    # THEN the answer counts what went per table and names what the bot cannot erase
    assert status == 200, answer
    assert answer["erased"]["sessions"] == 1
    assert answer["erased"]["conversations"] >= len(export["messages"]) + 2
    assert answer["erased"]["backend"] >= 2  # the profile, the orders, the login token
    assert (answer["erased"]["failed_updates"], answer["erased"]["pacing"]) == (1, 1)
    assert answer["attachments"] == len(keys)
    assert any("Blinger" in line for line in answer["not_erased"])
    # AND no table and no object in the bucket holds her id or phone
    assert traces(VERA, phone) == []
    # AND the counters kept on write count Olga's conversation alone (live, nothing undelivered),
    # as the conversations left in the table do; the broadcast counts Olga's message alone
    counted = conversations.counts()
    left = [
        conversation
        for desk in DESKS
        for conversation in conversations.ConversationItem.by_activity.query(conversations.inbox_key(desk))
    ]
    assert [int(c.user_id) for c in left] == [OLGA]
    assert (int(counted.total), int(counted.live), int(counted.undelivered)) == (1, 1, 0)
    # AND her rating and her tickets are no longer in the stats' counters (Olga has none)
    assert (int(counted.rated), int(counted.rating_sum)) == (0, 0)
    ticket_counts = tickets.counts()
    assert {
        f"{kind}_{status}": int(getattr(ticket_counts, f"{kind}_{status}") or 0)
        for kind in tickets.KINDS
        for status in tickets.STATUSES
    } == dict.fromkeys((f"{k}_{s}" for k in tickets.KINDS for s in tickets.STATUSES), 0)
    broadcast = BroadcastItem.get(broadcast_key(BROADCAST), "-")
    assert (int(broadcast.total), int(broadcast.sent)) == (1, 1)
    assert RecipientItem.get(broadcast_key(BROADCAST), recipient_key(OLGA)).status == "sent"
    # AND a second erase, and an export, find nothing
    assert admin.call("DELETE", f"/people/{VERA}")[0] == 404
    assert admin.call("GET", f"/people/{VERA}/export")[0] == 404


def test_an_export_too_big_for_lambdas_answer_is_a_link_to_it_in_the_bucket(history, monkeypatch):
    from supportbot import people

    admin = admin_client()
    _, inline = admin.call("GET", f"/people/{VERA}/export")
    # GIVEN an export bigger than a Lambda answer may be (the limit lowered for the test)
    monkeypatch.setattr(people, "MAX_INLINE_EXPORT", 1000)
    # WHEN the admin exports
    status, answer = admin.call("GET", f"/people/{VERA}/export")
    # THEN the answer is a presigned link to the same JSON, kept under the person's exports/
    assert status == 200, answer
    assert set(answer) == {"export_url", "bytes"}
    key = urlsplit(answer["export_url"]).path.split(f"/{BUCKET}/", 1)[-1].lstrip("/")
    assert key.startswith(f"exports/{VERA}/")
    assert "Signature" in answer["export_url"]
    stored = json.loads(boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert stored["messages"] == inline["messages"]
    assert answer["bytes"] > 1000
    # AND erasing the person deletes the export too
    admin.call("DELETE", f"/people/{VERA}")
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=f"exports/{VERA}/")


def test_by_phone_finds_every_account_that_logged_in_with_it(history, harness):
    # GIVEN a second Telegram account that logged in with the same phone
    other = harness.user(100000778, first_name="Вера")
    other.send("/start")
    other.share_contact(CUSTOMER_PHONE)
    admin = admin_client()
    phone = normalize_phone(CUSTOMER_PHONE)
    # WHEN the admin exports and erases by phone (the "+" as a browser sends it)
    status, export = admin.call("GET", f"/people/by-phone/{phone.replace('+', '%2B')}/export")
    assert status == 200, export
    assert export["person"]["telegram_ids"] == [VERA, 100000778]
    status, answer = admin.call("DELETE", f"/people/by-phone/{phone}")
    # THEN both accounts are gone
    assert status == 200, answer
    assert answer["erased"]["sessions"] == 2
    assert traces(VERA, phone) == []
    assert traces(100000778, phone) == []
    assert admin.call("GET", f"/people/by-phone/{phone}/export")[0] == 404
    assert admin.call("GET", "/people/by-phone/not-a-phone/export")[0] == 422


def test_delete_my_data_in_the_bot_erases_everything_and_start_begins_from_nothing(history, harness):
    vera: UserChat = history
    phone = normalize_phone(CUSTOMER_PHONE)
    # GIVEN she has a live conversation too
    vera.send("/menu")
    vera.tap("💬 Задать вопрос")
    vera.send("Удалите, пожалуйста, мои данные")
    assert int(conversations.counts().live) == 2
    # WHEN Vera asks the bot to delete her data from the main menu
    vera.send("/menu")
    confirm = vera.tap("🗑 Удалить мои данные")
    # THEN she is told what goes and what the bot cannot erase, and asked to confirm
    assert "Удалить все ваши данные?" in confirm.text
    assert "Бот не может удалить" in confirm.text
    assert vera.labels(confirm) == ["✅ Да, удалить всё", "↩️ Нет, оставить"]
    # WHEN she keeps it, nothing is erased
    assert vera.tap("↩️ Нет, оставить").text.startswith("Главное меню")
    assert traces(VERA, phone)
    # WHEN she confirms
    vera.tap("🗑 Удалить мои данные")
    done = vera.tap("✅ Да, удалить всё")
    # THEN she is told, and nothing about her is left, not even her session
    assert done.text == "Ваши данные удалены. Чтобы снова пользоваться ботом, отправьте /start."
    assert not done.inline_markup
    assert traces(VERA, phone) == []
    counted = conversations.counts()
    assert (int(counted.total), int(counted.live), int(counted.undelivered)) == (1, 1, 0)  # Olga's
    # AND /start begins from nothing: the login screen
    start = vera.send("/start")
    assert "номер" in start.text.lower()


def test_an_operator_s_ban_is_exported_whole_and_erased(history):
    from supportbot.support import bans

    ban = bans.ban(VERA, 24, "op-000000000001", "Olga")
    admin = admin_client()
    status, export = admin.call("GET", f"/people/{VERA}/export")
    assert status == 200, export
    (exported,) = export["bans"]
    assert (exported["sk"], exported["user_id"], exported["by_id"], exported["by_name"]) == (
        "BAN",
        VERA,
        "op-000000000001",
        "Olga",
    )
    assert datetime.fromisoformat(exported["until"]) == ban.until
    assert admin.call("DELETE", f"/people/{VERA}")[0] == 200
    assert bans.active(VERA) is None
