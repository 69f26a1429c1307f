"""Telegram's size limits cost no message: what is over them arrives whole, in order, split as
Telegram takes it (the outbox to a customer, as the strict Bot API stand-in checks every call)."""

from __future__ import annotations

from infra.demo import CUSTOMER_PHONE
from supportbot.config import get_config
from supportbot.support.messages import CUSTOMER, SENT, NewMessage, load_message
from supportbot.support.outbox import enqueue
from supportbot.telegram.html import utf16_len

ANN = 100000001
CLIENT = "tg-100000001"


def asked_support(harness, desk):
    """Ann has written to support, so Blinger knows her (and may answer)."""
    ann = harness.user(ANN, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap("💬 Ask a question")
    ann.send("Tell me everything about the warranty")
    desk.run_outbox()
    return ann


def test_a_long_operator_answer_arrives_whole_and_in_order(harness, desk):
    asked_support(harness, desk)
    before = len(harness.world.bot_messages(ANN))
    # GIVEN the operator's answer of 5,100 characters, in paragraphs, with Cyrillic and emoji
    paragraphs = [f"Пункт {n}: гарантия действует 12 месяцев 🛠️ " + "подробности " * 8 for n in range(1, 50)]
    answer = "\n\n".join(p.strip() for p in paragraphs)
    assert utf16_len(answer) > 5_100
    # WHEN Blinger delivers it and the outbox runs
    status, body = desk.forward(desk.blinger.reply(CLIENT, "text", answer))
    assert (status, body["ok"]) == (200, True)
    desk.run_outbox()
    # THEN Ann has it as two messages (Telegram takes 4,096 characters each), in order, none lost
    received = harness.world.bot_messages(ANN)[before:]
    assert len(received) == 2
    assert all(utf16_len(m.text) <= 4096 for m in received)
    shown = "\n\n".join(m.text for m in received)
    assert shown == "💬 Support: " + answer.strip()
    # AND the stored message says sent, with both parts recorded
    (stored,) = [m for m in desk_messages() if m.destination == CUSTOMER]
    fresh = load_message(stored.pk, stored.sk)
    assert (fresh.status, fresh.sent_parts, len(fresh.parts)) == (SENT, 2, 2)


def test_a_20000_character_answer_arrives_as_five_messages(harness, desk):
    asked_support(harness, desk)
    before = len(harness.world.bot_messages(ANN))
    answer = " ".join(f"слово{n}" for n in range(2_100))  # about 20,000 characters
    assert 19_000 < len(answer) < 21_000
    assert desk.forward(desk.blinger.reply(CLIENT, "text", answer))[0] == 200
    desk.run_outbox()
    received = harness.world.bot_messages(ANN)[before:]
    assert len(received) == 5
    words = " ".join(m.text for m in received).removeprefix("💬 Support: ").split()
    assert words == answer.split()


def test_a_long_caption_arrives_as_the_photo_followed_by_the_text(harness, desk):
    asked_support(harness, desk)
    before = len(harness.world.bot_messages(ANN))
    photo = harness.world.store_file(b"\x89PNG fake", "photo").file_id
    caption = "📷 " + "Фото товара со всех сторон. " * 60  # 1,700 characters
    enqueue(get_config(), NewMessage(ANN, CUSTOMER, [{"kind": "image", "file_id": photo, "text": caption}]))
    desk.run_outbox()
    first, second = harness.world.bot_messages(ANN)[before:]
    assert (first.photo is not None, first.caption) == (True, None)
    assert second.text == caption.strip()


def test_an_album_of_twelve_photos_arrives_as_two_albums_in_order(harness, desk):
    asked_support(harness, desk)
    before = len(harness.world.bot_messages(ANN))
    photos = [harness.world.store_file(f"photo {n}".encode(), "photo").file_id for n in range(12)]
    parts = [{"kind": "image", "file_id": file_id, "text": f"№{n}"} for n, file_id in enumerate(photos)]
    enqueue(get_config(), NewMessage(ANN, CUSTOMER, parts))
    desk.run_outbox()
    received = harness.world.bot_messages(ANN)[before:]
    assert [m.caption for m in received] == [f"№{n}" for n in range(12)]
    albums = [m.media_group_id for m in received]
    assert len(set(albums[:10])) == 1 and len(set(albums[10:])) == 1 and albums[0] != albums[10]
    assert len(harness.world.calls_to("sendMediaGroup")) == 2


def desk_messages():
    from supportbot.support.messages import user_messages

    return user_messages(ANN)
