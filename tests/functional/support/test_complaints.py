"""Complaints: the admin-defined tree drives the conversation; a submitted complaint becomes an
incident ticket that reaches support (the Blinger stand-in) with every answer and the photo."""

from __future__ import annotations

import json
import os

import boto3
import pytest

from infra.blinger import BlingerConsole
from infra.demo import CUSTOMER_NAME, CUSTOMER_PHONE, PARTNER_PHONE
from supportbot import pipeline
from supportbot.config import get_config
from supportbot.content import ContentItem, get_content_store
from supportbot.storage.sessions import KEPT, SessionConflictError, load_session, save_session
from supportbot.support import conversations, files, outbox
from supportbot.support.blinger_ids import blinger_client_id
from supportbot.support.destinations import Destinations
from supportbot.support.messages import SENT, user_messages
from supportbot.support.outbox import OutboxConsumer, OutboxRecord
from supportbot.support.tickets import TicketItem
from supportbot.support.tickets import of_user as user_tickets
from supportbot.telegram.client import get_bot
from tests.bench.admin_lists import item_size
from tests.functional.conftest import reset_singletons
from tests.functional.harness import BOT_TOKEN, UserChat, press_raw

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x40\x00\x00\x00\xf0" + b"\x00" * 64
BUCKET = "test-attachments"
USER_ID = 100000077
DESCRIPTION = "Коробка смята, у чайника отколот носик."


@pytest.fixture
def support(harness, monkeypatch):
    """The outbox queue and attachments bucket (moto) and Blinger's stand-in, configured for the bot."""
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="outbox.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    boto3.client("s3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_REGION"]}
    )
    with BlingerConsole(token="blinger-app-token", channel_id="telegram") as blinger:
        monkeypatch.setenv("OUTBOX_QUEUE_URL", queue_url)
        monkeypatch.setenv("ATTACHMENTS_BUCKET", BUCKET)
        monkeypatch.setenv("BLINGER_API_URL", blinger.send_url)
        monkeypatch.setenv("BLINGER_TOKEN", "blinger-app-token")
        monkeypatch.setenv("BLINGER_CHANNEL_ID", "telegram")
        reset_singletons()
        outbox.sqs_client.cache_clear()
        files.s3_client.cache_clear()
        blinger.queue_url = queue_url
        yield blinger
    reset_singletons()


def run_outbox(queue_url: str) -> int:
    """Deliver what the outbox queue holds, as the outbox function's event source mapping would."""
    sqs = boto3.client("sqs")
    config = get_config()
    consumer = OutboxConsumer(config, Destinations(config, get_bot()), client=sqs)
    handled = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return handled
        for message in messages:
            count = int(message["Attributes"]["ApproximateReceiveCount"])
            consumer.handle(OutboxRecord(message["Body"], message["ReceiptHandle"], count))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            handled += 1


@pytest.fixture
def anna(harness, support):
    # GIVEN Anna (Telegram @anna_k), logged in as a customer, at the main menu
    harness.world.add_user(USER_ID, first_name="Анна", username="anna_k", language_code="ru")
    anna = UserChat(harness, USER_ID)
    anna.send("/start")
    anna.share_contact(CUSTOMER_PHONE)
    return anna


def order_button(chat: UserChat) -> str:
    return next(label for label in chat.labels(chat.menu) if label.startswith("№"))


def send_photo(harness, chat: UserChat, data: bytes = PNG) -> None:
    harness.deliver(harness.world.user_sends_photo(chat.user_id, data))


def answers_of(chat: UserChat) -> dict:
    return load_session(chat.user_id).machine.get("d", {}).get("complaint", {})


def to_damaged_goods(anna: UserChat) -> None:
    anna.tap("⚠️ Жалоба")
    anna.tap("Проблема с заказом")
    anna.tap("Товар повреждён")


def test_a_three_level_complaint_with_every_input_kind_reaches_support(harness, support, anna):
    # WHEN Anna complains about damaged goods: the order, a photo, a description
    anna.tap("⚠️ Жалоба")
    assert anna.labels(anna.menu)[:3] == ["Проблема с заказом", "Доставка", "Другое"]
    anna.tap("Проблема с заказом")
    screen = anna.tap("Товар повреждён")
    assert "Выберите заказ" in screen.text
    order = order_button(anna)
    number = order.removeprefix("№").split(" ")[0]
    screen = anna.tap(order)
    assert "Фото повреждения" in screen.text
    assert "Пришлите одну фотографию" in screen.text
    send_photo(harness, anna)
    assert "Описание" in anna.last.text
    anna.send(DESCRIPTION)
    # THEN she reviews everything before sending
    review = anna.last.text
    assert "Проверьте и отправьте жалобу" in review
    assert f"заказ №{number}" in review
    assert "Фото повреждения: фото" in review
    assert "• Проблема с заказом" not in review  # it asked nothing
    assert DESCRIPTION in review
    # AND the description's prompt no longer stands above the summary: the screen is the review
    assert "Опишите, что повреждено" not in review
    assert review.startswith("Описание\n\nПроверьте и отправьте жалобу:")
    # WHEN she sends it
    done = anna.tap("✅ Отправить жалобу")
    # THEN she is told the ticket number
    (ticket,) = user_tickets(USER_ID, "incident")
    assert ticket.ref == "Ж-1"
    assert f"Жалоба {ticket.ref} отправлена в поддержку" in done.text
    # AND the ticket holds the path and every answer
    assert ticket.title == "Проблема с заказом → Товар повреждён"
    assert ticket.details["path"] == ["Проблема с заказом", "Товар повреждён", "Фото повреждения", "Описание"]
    answers = ticket.details["answers"]
    assert [answer["kind"] for answer in answers] == ["order", "photo", "text"]
    assert answers[0]["order_number"] == number
    assert answers[1]["file_key"].startswith(f"incidents/{USER_ID}/")
    assert answers[2]["text"] == DESCRIPTION
    # AND the photo was copied to the attachments bucket
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=answers[1]["file_key"])
    assert stored["Body"].read() == PNG
    # AND the answers are gone from her session
    assert answers_of(anna) == {}

    # WHEN the outbox function runs
    assert run_outbox(support.queue_url) == 1
    # THEN support got the summary with the number and the customer, then the photo as a link
    conversation = support.conversation(blinger_client_id(USER_ID))
    summary, photo = conversation.messages
    assert summary.type == "text"
    assert f"Жалоба {ticket.ref}" in summary.data
    assert "Раздел: Проблема с заказом → Товар повреждён" in summary.data
    assert f"заказ №{number}" in summary.data
    assert DESCRIPTION in summary.data
    assert f"Клиент: {CUSTOMER_NAME}, {CUSTOMER_PHONE}, @anna_k" in summary.data
    assert (conversation.client_name, conversation.client_phone) == (CUSTOMER_NAME, CUSTOMER_PHONE)
    assert conversation.info["ticket"] == ticket.ref
    assert conversation.info["username"] == "@anna_k"
    assert photo.type == "image"
    assert photo.data.startswith(f"https://{BUCKET}.s3.")
    assert answers[1]["file_key"] in photo.data
    assert "Signature" in photo.data
    # AND never a Telegram file URL: it would hand out the bot token
    for call in support.calls:
        assert BOT_TOKEN not in json.dumps(call.body)
        assert "/file/bot" not in json.dumps(call.body)
    (message,) = user_messages(USER_ID)
    assert message.status == SENT
    # AND the complaint's conversation is about the order she picked
    (stored,) = conversations.of_user(USER_ID)
    assert stored.order == {"id": answers[0]["order_id"], "number": number}

    # WHEN Anna opens "My complaints"
    mine = anna.tap("📋 Мои жалобы")
    # THEN her complaint is listed with its status
    assert f"{ticket.ref} · Проблема с заказом → Товар повреждён" in mine.text
    assert "принята" in mine.text


def test_back_and_up_inside_the_tree_keep_the_answers(harness, support, anna):
    # GIVEN Anna has picked the order and sent the photo
    to_damaged_goods(anna)
    order = order_button(anna)
    anna.tap(order)
    send_photo(harness, anna)
    collected = answers_of(anna)
    assert set(collected) == {"dmg", "dmg_p"}
    # WHEN she goes Back to the photo step, Back to the order step (Up would lead there too, so
    # only Back is shown), then forward again
    screen = anna.tap("⬅️ Назад")
    assert "Фото получено" in screen.text
    assert "⬆️ Наверх" not in anna.labels(anna.menu)
    screen = anna.tap("⬅️ Назад")
    assert "Выбран заказ" in screen.text
    assert f"✅ {order}" in anna.labels(anna.menu)
    anna.tap("Далее ▶️")
    screen = anna.tap("Далее ▶️")
    # THEN nothing was lost: the description is all that is missing
    assert answers_of(anna) == collected
    anna.send(DESCRIPTION)
    assert "✅ Отправить жалобу" in anna.labels(anna.menu)


def test_a_complaint_in_a_session_stored_before_flows_had_scopes_carries_on(harness, support, anna):
    # GIVEN Anna halfway through a complaint, her session stored in the format before flows
    # (version 1: one flat data dict, no flow), as the bot deployed before this one left it
    to_damaged_goods(anna)
    anna.tap(order_button(anna))
    send_photo(harness, anna)
    collected = answers_of(anna)
    item = load_session(anna.user_id)
    item.machine = {"v": 1, **{k: v for k, v in item.machine.items() if k not in ("v", "f")}}
    save_session(item)
    # WHEN she goes on with the description
    review = anna.send(DESCRIPTION)
    # THEN nothing was lost: the review shows the order and the photo, and the flow owns the answers
    assert "Фото повреждения: фото" in review.text
    assert "✅ Отправить жалобу" in anna.labels(anna.menu)
    stored = load_session(anna.user_id).machine
    assert (stored["v"], stored["f"], set(stored["d"]["complaint"])) == (
        2,
        "complaint",
        {*collected, "dmg_t"},
    )


def test_home_and_starting_over_clear_the_answers(harness, support, anna):
    to_damaged_goods(anna)
    anna.tap(order_button(anna))
    anna.tap("🏠 Главное меню")
    # WHEN she starts a complaint again from the main menu
    to_damaged_goods(anna)
    # THEN it starts empty
    assert answers_of(anna) == {}
    assert "Выберите заказ" in anna.menu.text


def test_another_branch_drops_the_answers_of_the_one_left(harness, support, anna):
    to_damaged_goods(anna)
    anna.tap(order_button(anna))
    anna.tap("⬅️ Назад")
    anna.tap("⬅️ Назад")
    # WHEN she chooses another kind of problem instead
    anna.tap("Пришёл не тот товар")
    # THEN the damaged-goods answers would not go with it
    assert answers_of(anna) == {}


def test_wrong_inputs_are_refused_with_what_is_expected(harness, support, anna):
    to_damaged_goods(anna)
    # WHEN Anna types where an order is to be picked
    anna.send("мой заказ 10234")
    assert "Выберите заказ кнопкой из списка" in anna.last.text
    # WHEN she presses an order button that is not hers (a modified client)
    token = anna.menu.inline_markup["inline_keyboard"][0][0]["callback_data"].split("|")[0]
    harness.deliver(press_raw(anna, f"{token}|o:P10000"))
    assert "Этого заказа нет среди ваших" in anna.callback_answers[-1]
    assert answers_of(anna) == {}
    # WHEN she picks hers, then sends text where a photo is expected
    anna.tap(order_button(anna))
    anna.send("фото потом")
    assert "Здесь нужна фотография" in anna.last.text
    # AND a file instead of a photo
    harness.deliver(
        harness.world.user_sends_document(anna.user_id, PNG, file_name="box.png", mime_type="image/png")
    )
    assert "пришлите её как фото, не файлом" in anna.last.text
    assert set(answers_of(anna)) == {"dmg"}
    # WHEN she sends the photo, then a description that is too short, then one too long
    send_photo(harness, anna)
    anna.send("плохо")
    assert "Слишком коротко" in anna.last.text
    anna.send("я" * 201)
    assert "Слишком длинно: 201 символов, а можно не больше 200" in anna.last.text
    # THEN nothing of it was taken, and no ticket exists
    assert set(answers_of(anna)) == {"dmg", "dmg_p"}
    assert user_tickets(USER_ID) == []


def test_a_photo_where_text_is_expected_is_refused(harness, support, anna):
    anna.tap("⚠️ Жалоба")
    anna.tap("Другое")
    send_photo(harness, anna)
    assert "Здесь нужен ответ текстом" in anna.last.text
    assert answers_of(anna) == {}


def test_a_node_deleted_while_the_user_is_in_it_says_so(harness, support, anna):
    to_damaged_goods(anna)
    anna.tap(order_button(anna))
    # WHEN an admin deletes the photo step Anna is on (seen once the content cache expires)
    ContentItem.get("complaints", "dmg_p").delete()
    ContentItem.get("complaints", "dmg_t").delete()
    get_content_store().ttl = 0
    send_photo(harness, anna)
    # THEN she is told the section changed, and can start again
    assert "Этот раздел жалоб изменился или был удалён" in anna.last.text
    screen = anna.tap("⚠️ Начать заново")
    assert "Что случилось?" in screen.text
    assert answers_of(anna) == {}


def test_pressing_submit_twice_files_one_ticket(harness, support, anna):
    anna.tap("⚠️ Жалоба")
    anna.tap("Другое")
    anna.send("Не могу найти чек в личном кабинете.")
    review = anna.menu
    submit = next(
        b["callback_data"]
        for row in review.inline_markup["inline_keyboard"]
        for b in row
        if b["text"] == "✅ Отправить жалобу"
    )
    # WHEN Anna presses Submit twice before the screen changes
    harness.deliver(press_raw(anna, submit, review))
    harness.deliver(press_raw(anna, submit, review))
    # THEN one ticket and one message to support
    assert len(user_tickets(USER_ID, "incident")) == 1
    assert len(user_messages(USER_ID)) == 1


def test_a_submit_re_run_after_a_lost_session_race_files_the_same_ticket(harness, support, anna, monkeypatch):
    anna.tap("⚠️ Жалоба")
    anna.tap("Другое")
    anna.send("Не могу найти чек в личном кабинете.")
    # GIVEN the session save after submitting loses a race once, so the update is run again
    real_save = pipeline.save_session
    conflicts = iter([True])

    def save_losing_once(item):
        if next(conflicts, False):
            raise SessionConflictError(item.user_id)
        return real_save(item)

    monkeypatch.setattr(pipeline, "save_session", save_losing_once)
    done = anna.tap("✅ Отправить жалобу")
    # THEN the re-run found the complaint filed: one ticket, one message, its number shown
    (ticket,) = user_tickets(USER_ID, "incident")
    assert len(user_messages(USER_ID)) == 1
    assert ticket.ref in done.text


def to_the_last_step_with_the_longest_answers(harness, anna: UserChat) -> None:
    to_damaged_goods(anna)
    for _ in range(3):
        anna.tap("▶️")
    anna.tap(order_button(anna))
    send_photo(harness, anna)
    anna.send("ж" * 200)


def stored_session_size(chat: UserChat) -> int:
    """The session item's size as DynamoDB counts it for write units (attribute names plus values;
    the JSON of pynamodb's request, measured before, also counted its type wrappers and the
    escaping of the JSON attributes' quotes, about 230 bytes DynamoDB does not bill), with the
    dedupe window full on a busy bot: ``KEPT`` ids of the user's, 9,999,999 bot-wide ids apart (55
    hours apart at 50 updates a second), so their distances from the newest take 7 to 9 digits
    (984 bytes for the full complaint; at the very widest, 10 digits each, as update ids are
    31-bit, 1006)."""
    item = load_session(chat.user_id)
    newest = 2_000_000_000
    item.last_update_id = newest
    item.kept_below = ",".join(str(n * 9_999_999) for n in range(1, KEPT))
    return item_size(item.serialize())


def test_flows_left_halfway_do_not_add_up_in_the_session(harness, support, anna):
    # GIVEN Anna leaves a complaint at its last step, with the longest description allowed
    to_the_last_step_with_the_longest_answers(harness, anna)
    anna.tap("🏠 Главное меню")
    # WHEN she then asks for photos with the longest note allowed
    anna.tap("📷 Фото товара")
    anna.tap(order_button(anna))
    confirm = anna.send("ж" * 200)
    assert confirm.text.startswith("Отправить на склад запрос фото?")
    # THEN the stored item is still one write unit: the main menu ended the complaint
    assert stored_session_size(anna) < 1024, load_session(anna.user_id).serialize()


def test_the_session_stays_under_one_kilobyte_after_a_full_complaint(harness, support, anna):
    # GIVEN Anna at the last step, with the longest description allowed
    to_the_last_step_with_the_longest_answers(harness, anna)
    assert "✅ Отправить жалобу" in anna.labels(anna.menu)
    # THEN the stored item, the answers included, is one write unit
    assert stored_session_size(anna) < 1024, load_session(anna.user_id).serialize()
    # AND after submitting
    anna.tap("✅ Отправить жалобу")
    assert stored_session_size(anna) < 512


def test_my_complaints_when_there_are_none(harness, support):
    harness.world.add_user(USER_ID + 1, first_name="Пётр", language_code="en")
    peter = UserChat(harness, USER_ID + 1)
    peter.send("/start")
    peter.share_contact(PARTNER_PHONE)
    peter.tap("⚠️ Complaint")
    screen = peter.tap("📋 My complaints")
    assert "You have no complaints yet." in screen.text
    assert TicketItem.count() == 0


def test_an_english_customer_sees_the_tree_in_english_and_the_ticket_is_in_russian(harness, support):
    # GIVEN Emma, whose Telegram speaks English, logged in with the demo customer's phone
    harness.world.add_user(USER_ID + 2, first_name="Emma", language_code="en")
    emma = UserChat(harness, USER_ID + 2)
    emma.send("/start")
    emma.share_contact(CUSTOMER_PHONE)
    # WHEN she opens the complaint menu THEN its sections are in English (infra/demo.py)
    top = emma.tap("⚠️ Complaint")
    assert emma.labels(top)[:3] == ["Problem with an order", "Delivery", "Other"]
    # AND a step shows its English title and prompt, under the bot's own English words
    step = emma.tap("Other")
    assert step.text.startswith("Other\n\nDescribe the problem in your own words.")
    emma.send("The parcel was opened before it reached me.")
    assert "• Other: “The parcel was opened before it reached me.”" in emma.last.text
    emma.tap("✅ Send the complaint")
    # THEN the ticket names the section in the default language, for operators
    (ticket,) = user_tickets(USER_ID + 2)
    assert ticket.title == "Другое"
