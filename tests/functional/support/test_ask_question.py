"""Ask a question: the customer's texts, photos, files and albums reach Blinger (the stand-in) through
the outbox, files as presigned links to our bucket, never as Telegram file URLs."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import boto3
import pytest

from infra.demo import CUSTOMER_NAME, CUSTOMER_PHONE
from supportbot.support import conversations
from supportbot.support.messages import BLINGER, SENT, user_messages
from tests.functional.harness import BOT_TOKEN
from tests.functional.support.conftest import BUCKET

PHOTO = b"\xff\xd8\xff\xe0" + b"kettle photo" * 40
ANN = 100000001
ASK = "💬 Ask a question"
SENT_TEXT = "✅ Sent to support. The answer will come to this chat."


@pytest.fixture
def ann(harness, desk):
    # GIVEN Ann, a logged-in customer whose Telegram username is @ann_k
    ann = harness.user(ANN, language="en", first_name="Ann")
    harness.world.users[ANN].username = "ann_k"
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    return ann


def stored_object(url: str) -> bytes:
    """The S3 object a presigned URL points at (bucket-in-host style)."""
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.hostname.startswith(f"{BUCKET}.")
    key = unquote(parts.path.lstrip("/"))
    return boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_question_with_a_photo_reaches_blinger_as_a_presigned_link(harness, desk, ann):
    # WHEN Ann opens "Ask a question" and sends a text, then a photo with a caption
    screen = ann.tap(ASK)
    assert screen.text.startswith("Question to support")
    assert ann.labels(screen) == ["✖️ End dialog", "🏠 Main menu"]
    reply = ann.send("Where is my order?")
    assert reply.text == SENT_TEXT
    assert ann.labels(reply) == ["✖️ End dialog", "🏠 Main menu"]
    harness.deliver(harness.world.user_sends_photo(ANN, PHOTO, caption="The box looks like this"))
    assert ann.last.text == SENT_TEXT
    # AND the outbox delivers
    assert desk.run_outbox() == 2
    # THEN Blinger has her conversation: who she is, the text, the photo as a link, its caption
    conversation = desk.blinger.conversation("tg-100000001")
    assert conversation.client_name == CUSTOMER_NAME
    assert conversation.client_phone == CUSTOMER_PHONE
    assert conversation.info == {"user_type": "customer", "telegram_username": "@ann_k"}
    assert [(m.type, m.direction) for m in conversation.messages] == [
        ("text", "in"),
        ("image", "in"),
        ("text", "in"),
    ]
    text, image, caption = conversation.messages
    assert (text.data, caption.data) == ("Where is my order?", "The box looks like this")
    # AND the image link is a presigned URL of our bucket holding the photo, with no bot token anywhere
    assert "X-Amz-Signature=" in image.data
    assert "X-Amz-Expires=" in image.data
    assert stored_object(image.data) == PHOTO
    for call in desk.blinger.calls:
        assert BOT_TOKEN not in call.raw.decode()
        assert "/file/bot" not in call.raw.decode()
    # AND both stored messages are recorded as sent
    assert [(m.destination, m.status) for m in user_messages(ANN)] == [(BLINGER, SENT), (BLINGER, SENT)]


def test_document_goes_as_a_file_link(harness, desk, ann):
    ann.tap(ASK)
    harness.deliver(harness.world.user_sends_document(ANN, b"%PDF-1.4 receipt", file_name="receipt.pdf"))
    assert ann.last.text == SENT_TEXT
    desk.run_outbox()
    (message,) = desk.blinger.conversation("tg-100000001").messages
    assert message.type == "file"
    assert urlsplit(message.data).path.endswith("receipt.pdf")
    assert stored_object(message.data) == b"%PDF-1.4 receipt"


def test_album_is_one_stored_message_posted_in_order_with_one_confirmation(harness, desk, ann):
    # GIVEN Ann in the dialog
    ann.tap(ASK)
    before = len(harness.world.bot_messages(ANN))
    # WHEN she sends an album of three photos (Telegram: three updates with one media_group_id)
    photos = [PHOTO + bytes([n]) for n in range(3)]
    harness.deliver(harness.world.user_sends_photo(ANN, photos[0], caption="Damage", media_group_id="alb1"))
    for photo in photos[1:]:
        harness.deliver(harness.world.user_sends_photo(ANN, photo, media_group_id="alb1"))
    # THEN she got one confirmation for the album, not three
    assert [m.text for m in harness.world.bot_messages(ANN)[before:]] == [SENT_TEXT]
    # AND the album is one stored message with every part, in order
    (stored,) = user_messages(ANN)
    assert [part.kind for part in stored.parts] == ["image", "text", "image", "image"]
    # WHEN the outbox delivers
    assert desk.run_outbox() == 1
    # THEN Blinger got consecutive posts in order: the photos (the caption after the first)
    messages = desk.blinger.conversation("tg-100000001").messages
    assert [m.type for m in messages] == ["image", "text", "image", "image"]
    images = [m.data for m in messages if m.type == "image"]
    assert [stored_object(url) for url in images] == photos
    assert messages[1].data == "Damage"
    assert user_messages(ANN)[0].status == SENT


def test_album_part_after_the_album_was_sent_starts_a_new_message(harness, desk, ann):
    # GIVEN an album whose first part was already delivered
    ann.tap(ASK)
    harness.deliver(harness.world.user_sends_photo(ANN, PHOTO, media_group_id="alb2"))
    desk.run_outbox()
    # WHEN a late part of the same album arrives
    harness.deliver(harness.world.user_sends_photo(ANN, PHOTO + b"late", media_group_id="alb2"))
    desk.run_outbox()
    # THEN it is stored and delivered on its own: nothing lost, order kept
    assert [len(m.parts) for m in user_messages(ANN)] == [1, 1]
    messages = desk.blinger.conversation("tg-100000001").messages
    assert [stored_object(m.data) for m in messages] == [PHOTO, PHOTO + b"late"]


def test_contact_support_about_an_order_attaches_it(harness, desk, ann):
    # GIVEN Ann looking at an order card
    ann.tap("📦 My orders")
    card = ann.tap("№10265 · ₽1,234.50")
    # WHEN she taps "Contact support about this order" and writes
    screen = ann.tap("💬 Contact support about this order", card)
    assert screen.text.startswith("Question about order №10265")
    ann.send("The kettle leaks")
    desk.run_outbox()
    # THEN the operator reads which order it is about, first, and sees it in the customer's info
    conversation = desk.blinger.conversation("tg-100000001")
    assert [m.data for m in conversation.messages] == [
        "Вопрос по заказу №10265 (Электрический чайник)",
        "The kettle leaks",
    ]
    assert (conversation.info["order"], conversation.info["order_id"]) == ("№10265", "A10000")
    # AND later messages carry the order in info but do not repeat the intro
    ann.send("It started yesterday")
    desk.run_outbox()
    conversation = desk.blinger.conversation("tg-100000001")
    assert [m.data for m in conversation.messages][2:] == ["It started yesterday"]
    assert conversation.info["order"] == "№10265"
    # AND the conversation is about that order, as the admin inbox and the reports read it
    (stored,) = conversations.of_user(ANN)
    assert stored.order == {"id": "A10000", "number": "10265"}


def test_end_dialog_and_main_menu_stay_reachable(harness, desk, ann):
    ann.tap(ASK)
    # WHEN Ann types /start in the dialog
    menu = ann.send("/start")
    # THEN it is the main menu, not a message to support
    assert ASK in ann.labels(menu)
    assert user_messages(ANN) == []
    # AND "End dialog" ends it: what she types next is not sent to support
    ann.tap(ASK)
    menu = ann.tap("✖️ End dialog")
    assert ASK in ann.labels(menu)
    assert "Dialog ended" in ann.callback_answers[-1]
    ann.send("hello?")
    assert user_messages(ANN) == []
    assert desk.queued() == 0


def test_commands_in_the_dialog_are_commands_not_messages(harness, desk, ann):
    # GIVEN Ann in the dialog, where every text goes to support
    ann.tap(ASK)
    # WHEN she types /help  THEN she gets the hint and stays in the dialog; nothing goes to support
    screen = ann.send("/help")
    assert screen.text.startswith("Use the buttons under the messages. Commands: /menu")
    assert "✖️ End dialog" in ann.labels(screen)
    # WHEN she types /menu  THEN the main menu
    assert ASK in ann.labels(ann.send("/menu"))
    assert user_messages(ANN) == []


def test_a_repeated_update_is_sent_to_support_once(harness, desk, ann):
    # GIVEN Ann in the dialog
    ann.tap(ASK)
    update = harness.world.user_sends_text(ANN, "Is anyone there?")
    # WHEN Telegram delivers the same update twice (after a timeout, say)
    harness.deliver(update)
    harness.deliver(update)
    desk.run_outbox()
    # THEN support got it once
    assert [m.data for m in desk.blinger.conversation("tg-100000001").messages] == ["Is anyone there?"]


def test_a_rerun_after_a_lost_session_race_stores_nothing_twice(harness, desk, ann, monkeypatch):
    # GIVEN the first save of Ann's next update loses a race (another instance saved first)
    from supportbot import pipeline
    from supportbot.storage.sessions import SessionConflictError

    ann.tap(ASK)
    real_save = pipeline.save_session
    calls = []

    def save_once_conflicting(item):
        calls.append(item.last_update_id)
        if len(calls) == 1:
            raise SessionConflictError(item.user_id)
        real_save(item)

    monkeypatch.setattr(pipeline, "save_session", save_once_conflicting)
    # WHEN she sends a photo (the handler runs twice: copy, store, queue)
    harness.deliver(harness.world.user_sends_photo(ANN, PHOTO))
    assert len(calls) == 2
    desk.run_outbox()
    # THEN one message was stored and posted
    assert len(user_messages(ANN)) == 1
    assert len(desk.blinger.conversation("tg-100000001").messages) == 1
