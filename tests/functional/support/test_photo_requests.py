"""Product photo requests, both sides: a customer asks for photos of an order (or an article), the
request reaches the warehouse group with buttons, staff take it and answer with an album, and the
customer receives the album with the ticket number; Telegram's delivery rules on the way back."""

from __future__ import annotations

import time

import boto3
import pytest

from infra.botapi.world import CallbackQuery
from infra.demo import CUSTOMER_PHONE, PARTNER_PHONE
from supportbot.config import get_config
from supportbot.storage.failed_updates import FailedUpdateItem
from supportbot.storage.sessions import SessionItem, load_session
from supportbot.support import albums
from supportbot.support.destinations import Destinations
from supportbot.support.messages import FAILED, QUEUED, load_message, user_messages
from supportbot.support.outbox import OutboxConsumer, OutboxRecord
from supportbot.support.tickets import CLOSED, IN_PROGRESS, OPEN
from supportbot.support.tickets import of_user as user_tickets
from supportbot.telegram.client import get_bot
from tests.functional.conftest import reset_singletons
from tests.functional.harness import Harness, UserChat, press_raw
from tests.functional.test_concurrency import Race

WAREHOUSE = -1001234567890
STAFF = 500000001
OTHER_GROUP = -1009999999999
ANNA = 100000101
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x40\x00\x00\x00\xf0" + b"\x00" * 64


@pytest.fixture
def queue_url(desk, harness, monkeypatch):
    """The support desk's outbox queue, and the warehouse group configured for the bot."""
    monkeypatch.setenv("WAREHOUSE_CHAT_ID", str(WAREHOUSE))
    reset_singletons()
    harness.world.add_user(STAFF, first_name="Пётр")
    harness.world.add_group(WAREHOUSE, "Склад", members=(STAFF,))
    return desk.queue_url


def run_outbox(queue_url: str) -> int:
    """Deliver what is visible on the outbox queue, as the function's event source mapping would,
    failures included (``desk.run_outbox`` raises them): a failed message stays on the queue,
    hidden for the delay the consumer set. Returns how many were delivered."""
    sqs = boto3.client("sqs")
    config = get_config()
    consumer = OutboxConsumer(config, Destinations(config, get_bot(), album_settle=0), client=sqs)
    delivered = 0
    while messages := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages", []):
        for message in messages:
            count = int(message["Attributes"]["ApproximateReceiveCount"])
            try:
                consumer.handle(OutboxRecord(message["Body"], message["ReceiptHandle"], count))
            except Exception:  # noqa: S112 - Lambda reports it as a batch item failure: retried later
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            delivered += 1
    return delivered


def login(harness: Harness, user_id: int, phone: str, language: str = "ru") -> UserChat:
    chat = harness.user(user_id, language=language)
    chat.send("/start")
    chat.share_contact(phone)
    return chat


def request_for_first_order(anna: UserChat, queue_url: str):
    """Anna asks for photos of her newest order with a note; the outbox posts it to the warehouse."""
    anna.tap("📷 Фото товара")
    assert anna.last.text.startswith("Фото товара\n\nВыберите заказ")
    note = anna.tap("№10265 · 1 234,50 ₽")
    assert note.text.startswith("Запрос фото: заказ №10265.")
    assert anna.labels(note) == ["➡️ Без комментария", "⬅️ Назад", "🏠 Главное меню"]
    confirm = anna.send("Этикетку и коробку")
    assert (
        confirm.text
        == "Отправить на склад запрос фото?\n\nЧто: заказ №10265\nКомментарий: Этикетку и коробку"
    )
    sent = anna.tap("✅ Отправить")
    assert run_outbox(queue_url) == 1
    return sent


def warehouse_request(harness: Harness):
    (message,) = harness.world.bot_messages(WAREHOUSE)
    return message


def staff_press(harness: Harness, label: str, message=None) -> str:
    """A staff member presses a button of the request; returns the callback answer's text."""
    world = harness.world
    target = message or warehouse_request(harness)
    data = next(
        b["callback_data"]
        for row in target.inline_markup["inline_keyboard"]
        for b in row
        if b["text"] == label
    )
    harness.deliver(world.user_presses(STAFF, target.message_id, data, chat_id=WAREHOUSE))
    return world.callback_answers[-1].get("text", "")


def staff_album(harness: Harness, reply_to: int, count: int, album: str = "album-1") -> None:
    for n in range(count):
        harness.deliver(
            harness.world.group_member_sends_photo(
                WAREHOUSE, STAFF, PNG + bytes([n]), reply_to_message_id=reply_to, media_group_id=album
            )
        )


def test_an_order_request_reaches_the_warehouse_and_its_album_comes_back(harness, queue_url):
    # GIVEN Anna, a customer, logged in
    anna = login(harness, ANNA, CUSTOMER_PHONE)
    # WHEN she asks for photos of an order, with a note
    sent = request_for_first_order(anna, queue_url)
    # THEN she is told the request's number, and the ticket is open
    (ticket,) = user_tickets(ANNA, "photo")
    assert sent.text.startswith(f"✅ Запрос {ticket.ref} отправлен на склад.")
    assert (ticket.status, ticket.details["order"], ticket.details["note"]) == (
        OPEN,
        "10265",
        "Этикетку и коробку",
    )
    # AND the warehouse group got the request with its number, the order and the note, and buttons
    request = warehouse_request(harness)
    assert request.text.split("\n")[:5] == [
        f"📷 Запрос фото {ticket.ref}",
        "Заказ №10265 · Электрический чайник",
        "Комментарий клиента: Этикетку и коробку",
        "",
        "Статус: новый",
    ]
    assert harness.world.buttons(request) == [["🙋 Беру", "🚫 Не могу"]]

    # WHEN a staff member takes it
    assert staff_press(harness, "🙋 Беру") == f"Запрос {ticket.ref} ваш."
    # THEN the request shows who is on it, and only "Can't do" is left; Anna sees it in progress
    request = warehouse_request(harness)
    assert "Статус: 🔄 в работе — Пётр" in request.text
    assert harness.world.buttons(request) == [["🚫 Не могу"]]
    assert user_tickets(ANNA, "photo")[0].status == IN_PROGRESS

    # WHEN they reply to the request with an album of 3 photos, and the outbox runs
    staff_album(harness, request.message_id, 3)
    assert run_outbox(queue_url) == 1
    # THEN Anna receives ONE album of the 3 photos, the ticket number in its caption
    (album_call,) = harness.world.calls_to("sendMediaGroup")
    assert album_call.params["chat_id"] == ANNA
    assert len(album_call.params["media"]) == 3
    photos = [m for m in harness.world.bot_messages(ANNA) if m.photo]
    assert len(photos) == 3
    assert len({m.media_group_id for m in photos}) == 1
    assert photos[0].caption == f"📷 Фото по вашему запросу {ticket.ref}"
    # AND it was stored as one message of 3 image parts, by Telegram file_id
    (stored,) = [m for m in user_messages(ANNA) if m.destination == "customer"]
    assert [(p.kind, bool(p.file_id)) for p in stored.parts] == [("image", True)] * 3
    # AND the ticket is closed, the request says so and has no buttons left
    assert user_tickets(ANNA, "photo")[0].status == CLOSED
    request = warehouse_request(harness)
    assert "Статус: ✅ фото отправлены клиенту — Пётр" in request.text
    assert harness.world.buttons(request) == []
    # AND Anna sees it in her requests
    anna.tap("📋 Мои запросы фото")  # edits the screen above the album
    assert anna.menu.text == f"Ваши запросы фото\n\n{ticket.ref} · заказ №10265 · фото отправлены"
    # AND the warehouse's updates never entered the customers' state machine
    assert load_session(STAFF).last_update_id == 0


def test_two_presses_of_send_handled_at_once_open_one_ticket(harness, queue_url, monkeypatch, atomic_aws):
    # GIVEN Anna on the confirmation screen of a photo request
    anna = login(harness, ANNA, CUSTOMER_PHONE)
    anna.tap("📷 Фото товара")
    anna.tap("№10265 · 1 234,50 ₽")
    confirm = anna.tap("➡️ Без комментария")
    send = next(
        b["callback_data"]
        for row in confirm.inline_markup["inline_keyboard"]
        for b in row
        if b["text"] == "✅ Отправить"
    )
    presses = [harness.world.user_presses(ANNA, confirm.message_id, send) for _ in range(2)]
    # WHEN she taps Send twice and both presses are handled at once (both read the same session)
    race = Race(monkeypatch, first_update_id=presses[0]["update_id"])
    assert [r["statusCode"] for r in race.run(harness, presses)] == [200, 200]
    # THEN one ticket is opened and the warehouse gets one request
    assert race.conflicts == [presses[1]["update_id"]]
    assert len(user_tickets(ANNA, "photo")) == 1
    assert run_outbox(queue_url) == 1


def test_a_typed_article_without_a_note_and_the_warehouse_cannot(harness, queue_url):
    # GIVEN Ann, a customer, at the photo request
    ann = login(harness, ANNA, CUSTOMER_PHONE, language="en")
    ann.tap("📷 Product photo")
    # WHEN she types something that is not an article number
    hint = ann.send("AB 12 34")
    # THEN she is told what an article number looks like, and can still choose an order
    assert hint.text.startswith("An article number is 1 to 40 letters")
    assert "№10265 · ₽1,234.50" in ann.labels(hint)
    # WHEN she types an article, skips the note and sends
    ann.send("AB-1234")
    confirm = ann.tap("➡️ No note")
    assert confirm.text == "Send this photo request to the warehouse?\n\nWhat: article AB-1234"
    ann.tap("✅ Send")
    assert run_outbox(queue_url) == 1
    (ticket,) = user_tickets(ANNA, "photo")
    # THEN the warehouse sees the article and no note
    request = warehouse_request(harness)
    assert request.text.split("\n")[:4] == [
        f"📷 Запрос фото {ticket.ref}",
        "Артикул: AB-1234",
        "",
        "Статус: новый",
    ]

    # WHEN the warehouse cannot do it
    assert staff_press(harness, "🚫 Не могу") == f"Запрос {ticket.ref} закрыт, клиенту сообщили."
    run_outbox(queue_url)
    # THEN Ann is told, in her language, and the ticket is closed
    assert ann.last.text.startswith(f"Sorry, the warehouse cannot take photos for request {ticket.ref}.")
    assert user_tickets(ANNA, "photo")[0].status == CLOSED
    assert "Статус: ❌ фото не будет — Пётр" in warehouse_request(harness).text
    # AND a stale "Take it" (pressed on an old copy of the message) is answered, changing nothing
    stale = group_press_raw(harness, warehouse_request(harness), f"wh:take:{ticket.number}")
    assert stale == f"Запрос {ticket.ref} уже закрыт."
    assert user_tickets(ANNA, "photo")[0].status == CLOSED
    # AND a button that is not a request's gets a clear answer
    assert group_press_raw(harness, warehouse_request(harness), "0|orders").startswith("Эта кнопка устарела")
    # AND her list says how it ended
    ann.send("/start")
    ann.tap("📷 Product photo")
    listing = ann.tap("📋 My photo requests")
    assert listing.text.endswith(f"{ticket.ref} · article AB-1234 · the warehouse could not take photos")


def group_press_raw(harness: Harness, message, data: str) -> str:
    """A staff member's callback with ``data`` on ``message``, whatever its buttons are now."""
    world = harness.world
    with world.lock:
        query_id = str(6_000_000_000_000 + world.next_id())
        world.callback_queries[query_id] = CallbackQuery(
            query_id, STAFF, WAREHOUSE, message.message_id, data, world.clock()
        )
        payload = {
            "id": query_id,
            "from": world.users[STAFF].to_api(),
            "message": world.message_dict(message),
            "chat_instance": "77",
            "data": data,
        }
        update = world.emit("callback_query", payload)
    harness.deliver(update)
    return world.callback_answers[-1].get("text", "")


def test_partners_get_no_photo_request(harness, queue_url):
    # GIVEN a partner (a seller: the goods are their own stock)
    peter = login(harness, 100000102, PARTNER_PHONE, language="en")
    # THEN the main menu and an order card offer no photo request
    assert "📷 Product photo" not in peter.labels(peter.menu)
    peter.tap("📦 Orders of my goods")
    card = peter.tap(peter.labels(peter.menu)[0])
    assert "📷 Request photos" not in peter.labels(card)


def test_a_partner_pressing_a_photo_button_is_told_it_is_for_customers(harness, queue_url):
    # GIVEN a partner at the main menu (which shows no photo button)
    peter = login(harness, 100000102, PARTNER_PHONE, language="en")
    token = peter.menu.inline_markup["inline_keyboard"][0][0]["callback_data"].split("|")[0]
    # WHEN a modified client presses the customers' "Product photo" anyway
    harness.deliver(press_raw(peter, f"{token}|photo"))
    # THEN the customers-only guard shows why, with the way home
    assert peter.menu.text == "Product photos from the warehouse are for customers."
    assert peter.labels(peter.menu) == ["🏠 Main menu"]
    assert load_session(100000102).machine["s"] == "photo_customers_only"


def test_warehouse_buttons_use_the_one_format_and_old_ones_still_work(harness, queue_url):
    # GIVEN a request posted to the warehouse
    anna = login(harness, ANNA, CUSTOMER_PHONE)
    request_for_first_order(anna, queue_url)
    (ticket,) = user_tickets(ANNA, "photo")
    request = warehouse_request(harness)
    # THEN its buttons carry the bot's callback format, with the session-less token
    assert [b["callback_data"] for row in request.inline_markup["inline_keyboard"] for b in row] == [
        f"-|wh:take:{ticket.number}",
        f"-|wh:cant:{ticket.number}",
    ]
    # WHEN staff press "Take it" on a copy sent before this format  THEN it still works
    assert group_press_raw(harness, request, f"wh:take:{ticket.number}") == f"Запрос {ticket.ref} ваш."
    assert user_tickets(ANNA, "photo")[0].status == IN_PROGRESS


def test_the_order_card_offers_photos_to_customers(harness, queue_url):
    anna = login(harness, ANNA, CUSTOMER_PHONE)
    anna.tap("📦 Мои заказы")
    anna.tap("№10265 · 1 234,50 ₽")
    note = anna.tap("📷 Запросить фото")
    assert note.text.startswith("Запрос фото: заказ №10265.")
    # Back returns to the card
    assert anna.tap("⬅️ Назад").text.startswith("Заказ №10265")


def test_other_groups_and_stray_replies_are_ignored(harness, queue_url):
    world = harness.world
    # GIVEN another group the bot is in, and a message of staff in the warehouse group
    world.add_group(OTHER_GROUP, "Флудилка", members=(STAFF,))
    world.add_user(STAFF + 1, first_name="Ира")
    harness.deliver(world.group_member_sends_text(OTHER_GROUP, STAFF, "/start"))
    chat = world.group_member_sends_text(WAREHOUSE, STAFF + 1, "Кто сегодня на складе?")
    harness.deliver(chat)
    # WHEN a photo replies to that message (not a request), and a photo is posted in the other group
    harness.deliver(
        world.group_member_sends_photo(
            WAREHOUSE, STAFF, PNG, reply_to_message_id=chat["message"]["message_id"]
        )
    )
    harness.deliver(world.group_member_sends_photo(OTHER_GROUP, STAFF, PNG))
    # THEN nothing is stored, queued or said anywhere, and no update failed
    assert run_outbox(queue_url) == 0
    assert world.bot_messages(WAREHOUSE) == world.bot_messages(OTHER_GROUP) == []
    assert [c.method for c in world.calls if c.method.startswith("send")] == []
    assert list(FailedUpdateItem.scan()) == []
    assert SessionItem.count() == 0


def test_album_photos_handled_at_the_same_moment_all_reach_the_customer(
    harness, queue_url, monkeypatch, atomic_aws
):
    # GIVEN a request, and an album whose photos are handled at once: each finds no stored message yet
    anna = login(harness, ANNA, CUSTOMER_PHONE)
    request_for_first_order(anna, queue_url)
    monkeypatch.setattr(albums, "album_message", lambda user_id, album_key: None)
    # WHEN the warehouse answers with 3 photos
    staff_album(harness, warehouse_request(harness).message_id, 3)
    # THEN they are one stored message of 3 photos, delivered as one album: none is lost
    (stored,) = [m for m in user_messages(ANNA) if m.destination == "customer"]
    assert len({p.file_id for p in stored.parts}) == 3
    assert run_outbox(queue_url) == 1
    (album_call,) = harness.world.calls_to("sendMediaGroup")
    assert len(album_call.params["media"]) == 3


def test_a_rate_limited_album_is_sent_after_retry_after(harness, queue_url):
    # GIVEN a request answered with an album
    anna = login(harness, ANNA, CUSTOMER_PHONE)
    request_for_first_order(anna, queue_url)
    staff_album(harness, warehouse_request(harness).message_id, 2)
    # WHEN Telegram answers the album with 429, retry after 1 s
    harness.world.fail_next("sendMediaGroup", 429, retry_after=1)
    assert run_outbox(queue_url) == 0
    (stored,) = [m for m in user_messages(ANNA) if m.destination == "customer"]
    # held back, not failed: no reason recorded, and the receive counts as a hold, not an attempt
    assert (stored.status, stored.reason, stored.holds) == (QUEUED, None, 1)
    # THEN it is not retried before the wait is over, and is delivered once after it
    assert run_outbox(queue_url) == 0
    time.sleep(1.2)
    assert run_outbox(queue_url) == 1
    assert load_message(stored.pk, stored.sk).attempts == 1
    assert len([c for c in harness.world.calls_to("sendMediaGroup") if c.status == 200]) == 1
    assert len([m for m in harness.world.bot_messages(ANNA) if m.photo]) == 2


def test_a_blocked_bot_is_marked_and_not_retried_until_the_user_writes(harness, queue_url):
    # GIVEN a request answered with a photo, and Anna has blocked the bot
    anna = login(harness, ANNA, CUSTOMER_PHONE)
    request_for_first_order(anna, queue_url)
    request = warehouse_request(harness)
    harness.world.block(ANNA)
    harness.deliver(
        harness.world.group_member_sends_photo(WAREHOUSE, STAFF, PNG, reply_to_message_id=request.message_id)
    )
    # WHEN the outbox delivers it
    assert run_outbox(queue_url) == 1  # done with: not retried
    # THEN it is recorded as failed, and her session is marked
    (stored,) = [m for m in user_messages(ANNA) if m.destination == "customer"]
    assert stored.status == FAILED
    assert "blocked" in stored.reason
    assert load_session(ANNA).bot_blocked_at is not None
    # AND a later message to her is not even tried
    calls = len(harness.world.calls)
    harness.deliver(
        harness.world.group_member_sends_photo(WAREHOUSE, STAFF, PNG, reply_to_message_id=request.message_id)
    )
    assert run_outbox(queue_url) == 1
    assert [c.method for c in harness.world.calls[calls:] if c.params.get("chat_id") == ANNA] == []
    # WHEN she writes again, the mark is gone
    anna.send("/start")
    assert load_session(ANNA).bot_blocked_at is None


def test_a_request_posted_in_todays_format_keeps_working_after_migrate(harness, queue_url):
    """Buttons and texts already in the group (``wh:take:1042``, "#1042") act on the migrated ticket."""
    from infra.migrate import migrate
    from supportbot.support import tickets
    from supportbot.support.tickets import TicketItem, ticket_key
    from supportbot.telegram.replies import inline_markup
    from tests.functional.test_migrate import old_ticket

    anna = login(harness, ANNA, CUSTOMER_PHONE)
    old_ticket(ANNA, 1042, "photo", "open")
    migrate()
    buttons = [
        [
            {"text": "🙋 Беру", "callback_data": "wh:take:1042"},
            {"text": "🚫 Не могу", "callback_data": "wh:cant:1042"},
        ]
    ]
    get_bot().send_message(
        WAREHOUSE,
        "📷 <b>Запрос фото #1042</b>\n\nСтатус: новый",
        parse_mode="HTML",
        reply_markup=inline_markup(buttons),
    )
    # WHEN staff take it with today's button
    assert staff_press(harness, "🙋 Беру") == "Запрос Ф-1042 ваш."
    assert tickets.find("Ф-1042").status == IN_PROGRESS
    # AND answer the old post with a photo
    post = warehouse_request(harness)
    harness.deliver(
        harness.world.group_member_sends_photo(WAREHOUSE, STAFF, PNG, reply_to_message_id=post.message_id)
    )
    run_outbox(queue_url)
    # THEN Anna gets it, and the ticket is closed with photos sent
    assert anna.last.caption == "📷 Фото по вашему запросу Ф-1042"
    closed = TicketItem.get(f"U#{ANNA}", ticket_key(1042))
    assert (closed.status, closed.outcome) == (CLOSED, "photos_sent")
    # AND a button of an unknown ticket answers that it is outdated
    assert (
        group_press_raw(harness, post, "wh:take:999999")
        == "Эта кнопка устарела или не относится к запросам фото."
    )
