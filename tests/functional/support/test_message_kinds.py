"""Every kind of message a customer can send: in the support dialog it reaches Blinger (files as
links to our bucket's copy, a location with a map link, a contact as text); outside the dialog each
gets an answer that says where it would be taken; an edit of a relayed message follows it."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import boto3
import pytest

from infra.demo import CUSTOMER_PHONE
from infra.set_webhook import ALLOWED_UPDATES
from tests.functional.support.conftest import BUCKET

ANN = 100000001
ASK = "💬 Ask a question"
SENT_TEXT = "✅ Sent to support. The answer will come to this chat."
DATA = b"\x1a\x45\xdf\xa3" + b"media bytes" * 30

# (Message field, extra fields, the Blinger message type, the copy's name ends with)
MEDIA = [
    ("voice", {"duration": 3, "mime_type": "audio/ogg"}, "file", "voice.ogg"),
    ("audio", {"duration": 200, "file_name": "song.mp3", "mime_type": "audio/mpeg"}, "file", "song.mp3"),
    ("video", {"duration": 5, "width": 640, "height": 360, "mime_type": "video/mp4"}, "file", "video.mp4"),
    ("video_note", {"duration": 4, "length": 240}, "file", "video_note.mp4"),
    (
        "sticker",
        {
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "emoji": "👍",
        },
        "image",
        "sticker.webp",
    ),
    (
        "sticker",
        {"width": 512, "height": 512, "is_animated": False, "is_video": True, "type": "regular"},
        "file",
        "sticker.webm",
    ),
]


@pytest.fixture
def ann(harness, desk):
    ann = harness.user(ANN, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    return ann


def stored_object(url: str) -> tuple[str, bytes]:
    parts = urlsplit(url)
    key = unquote(parts.path.lstrip("/"))
    assert parts.hostname is not None
    assert parts.hostname.startswith(f"{BUCKET}.")
    return key, boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()


@pytest.mark.parametrize(("field", "extra", "blinger_type", "name"), MEDIA)
def test_a_media_message_in_the_dialog_reaches_blinger_as_a_link_to_our_copy(
    harness, desk, ann, field, extra, blinger_type, name
):
    # WHEN Ann, in the support dialog, sends it (with a caption where Telegram allows one)
    ann.tap(ASK)
    caption = "Listen to this" if field in ("voice", "audio", "video") else None
    harness.deliver(harness.world.user_sends_media(ANN, field, DATA, caption=caption, **extra))
    # THEN it is confirmed
    assert ann.last.text == SENT_TEXT
    desk.run_outbox()
    # AND Blinger gets a link to our bucket's copy (never Telegram's URL), then the caption
    messages = desk.blinger.conversation("tg-100000001").messages
    assert [m.type for m in messages] == [blinger_type, *(["text"] if caption else [])]
    key, body = stored_object(messages[0].data)
    assert body == DATA
    assert key.endswith(name)
    if caption:
        assert messages[1].data == caption


def test_a_location_and_a_contact_reach_blinger_as_texts(harness, desk, ann):
    ann.tap(ASK)
    # WHEN Ann sends her location and then a contact
    harness.deliver(harness.world.user_sends_location(ANN, 55.751244, 37.618423))
    assert ann.last.text == SENT_TEXT
    harness.deliver(
        harness.world.user_sends_contact(ANN, "+79990001122", contact_user_id=None, first_name="Courier")
    )
    assert ann.last.text == SENT_TEXT
    desk.run_outbox()
    # THEN the operator reads both as texts (in the business's language), the location with a map link
    location, contact = desk.blinger.conversation("tg-100000001").messages
    assert location.type == contact.type == "text"
    assert location.data.splitlines() == [
        "📍 Геопозиция: 55.751244, 37.618423",
        "https://www.openstreetmap.org/?mlat=55.751244&mlon=37.618423#map=17/55.751244/37.618423",
    ]
    assert contact.data == "👤 Контакт: Courier, +79990001122"


@pytest.mark.parametrize(
    ("send", "what"),
    [
        (lambda w: w.user_sends_media(ANN, "voice", DATA, duration=2), "voice message"),
        (lambda w: w.user_sends_media(ANN, "audio", DATA, duration=2), "audio"),
        (lambda w: w.user_sends_media(ANN, "video", DATA, duration=2, width=1, height=1), "video"),
        (lambda w: w.user_sends_media(ANN, "video_note", DATA, duration=2, length=1), "video message"),
        (
            lambda w: w.user_sends_media(
                ANN, "sticker", DATA, width=1, height=1, is_animated=False, is_video=False, type="regular"
            ),
            "sticker",
        ),
        (lambda w: w.user_sends_location(ANN, 1.0, 2.0), "location"),
        (lambda w: w.user_sends_document(ANN, b"%PDF", file_name="a.pdf"), "file"),
        (lambda w: w.user_sends_contact(ANN, "+79990001122", contact_user_id=None), "contact"),
    ],
)
def test_outside_the_dialog_each_kind_is_answered_with_where_it_is_taken(harness, desk, ann, send, what):
    # GIVEN Ann at the main menu WHEN she sends it
    harness.deliver(send(harness.world))
    # THEN she is told this screen does not take it and where to send it; nothing is queued
    assert ann.last.text.startswith(
        f"This screen does not take a {what}. To send it to support, open “💬 Ask a question” in the main menu."
    )
    assert desk.queued() == 0


def test_before_login_a_media_message_is_answered_with_the_login_hint(harness, desk):
    harness.user(ANN + 5, language="en", first_name="Zoe").send("/start")
    harness.deliver(harness.world.user_sends_media(ANN + 5, "voice", DATA, duration=1))
    chat = harness.world.messages[ANN + 5]
    assert chat[max(chat)].text.startswith("Please log in first: tap “Share my phone number” below.")
    assert desk.queued() == 0


def test_an_edit_of_a_relayed_message_reaches_the_desk_and_other_edits_do_not(harness, desk, ann):
    # GIVEN Ann wrote to support, then left the dialog
    ann.tap(ASK)
    sent = harness.world.user_sends_text(ANN, "My order is 10234")
    harness.deliver(sent)
    ann.tap("🏠 Main menu")
    desk.run_outbox()
    # WHEN she edits that message (Telegram sends edited_message; set-webhook asks for it)
    assert "edited_message" in ALLOWED_UPDATES
    edit = harness.world.user_edits_text(ANN, sent["message"]["message_id"], "My order is 10243")
    harness.deliver(edit)
    # AND Telegram delivers the same update again
    harness.deliver(edit)
    desk.run_outbox()
    # THEN the operator gets the edit once, marked, with who she is; her screen does not change
    messages = desk.blinger.conversation("tg-100000001").messages
    assert [m.data for m in messages] == ["My order is 10234", "✏️ Изменено: My order is 10243"]
    assert desk.blinger.conversation("tg-100000001").client_phone == CUSTOMER_PHONE
    assert ann.last.text.startswith("Main menu · ")
    # WHEN she edits a message that never went to support (typed at the main menu)
    other = harness.world.user_sends_text(ANN, "hello")
    harness.deliver(other)
    harness.deliver(harness.world.user_edits_text(ANN, other["message"]["message_id"], "hello!"))
    # THEN nothing goes to the desk
    assert desk.queued() == 0


def test_a_photo_replaced_without_words_is_nothing_blinger_can_show(harness, desk, ann):
    # GIVEN Ann sent support a photo without a caption
    ann.tap(ASK)
    photo = harness.world.user_sends_photo(ANN, b"jpeg")["message"]["message_id"]
    harness.deliver(harness.world.updates[-1])
    desk.run_outbox()
    # WHEN she replaces it (no words before or after) THEN nothing is queued: an edit reaches
    # Blinger as its words, and there are none (the Telegram desk copies the new photo instead)
    harness.deliver(harness.world.user_edits_photo(ANN, photo, b"other jpeg"))
    assert desk.queued() == 0
