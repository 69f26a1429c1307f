"""Telegram's size limits cost no message: what is over them arrives whole, in order, split as
Telegram takes it (the outbox to a customer, as the strict Bot API stand-in checks every call)."""

from __future__ import annotations

from supportbot.config import get_config
from supportbot.support.messages import CUSTOMER, SENT, NewMessage, load_message
from supportbot.support.outbox import enqueue
from supportbot.telegram.html import utf16_len
from tests.functional.support.conftest import customer_asked_support

ANN = 100000001
CLIENT = "tg-100000001"


def asked_support(harness, desk):
    """Ann has written to support, so Blinger knows her (and may answer)."""
    return customer_asked_support(harness, desk, "Tell me everything about the warranty")


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
    assert (len(set(albums[:10])), len(set(albums[10:]))) == (1, 1)
    assert albums[0] != albums[10]
    assert len(harness.world.calls_to("sendMediaGroup")) == 2


def desk_messages():
    from supportbot.support.messages import user_messages

    return user_messages(ANN)


# -- what Telegram refuses for good is reported where it was written ---------------------------------


def echoes(desk) -> list[str]:
    conversation = desk.blinger.conversation(CLIENT)
    return [m.data for m in conversation.messages if m.echo_outgoing]


def test_a_refused_operator_answer_reaches_blinger_as_an_echo_and_the_inbox_as_a_mark(harness, desk):
    from supportbot_admin.conversations import get_thread
    from supportbot_admin.stats import get_stats

    asked_support(harness, desk)
    # GIVEN Telegram refuses the next message for good (400)
    harness.world.fail_next("sendMessage", 400, "Bad Request: chat not found")
    # WHEN the operator answers: Blinger is told it was accepted (nothing is known yet)
    assert desk.forward(desk.blinger.reply(CLIENT, "text", "Your warranty is 12 months"))[0] == 200
    desk.run_outbox()  # the answer is refused; the echo is queued
    desk.run_outbox()  # the echo reaches Blinger
    # THEN the operators read in Blinger's thread that it was not delivered, and why
    assert echoes(desk) == [
        "⚠️ Не доставлено клиенту: Telegram rejected the message: Bad Request: chat not found"
    ]
    # AND the admin inbox marks the message as failed with the reason; the stats count it
    (answer,) = [m for m in get_thread(str(ANN)).messages if m.direction == "to_customer"][-1:]
    assert (answer.status, answer.reason) == (
        "failed",
        "Telegram rejected the message: Bad Request: chat not found",
    )
    assert all("Не доставлено" not in (p.text or "") for m in get_thread(str(ANN)).messages for p in m.parts)
    assert get_stats().undelivered == 1
    # AND handling the same refusal again does not echo twice
    desk.run_outbox()
    assert len(echoes(desk)) == 1


def test_a_customer_who_blocked_the_bot_is_refused_before_queueing_after_the_first_refusal(harness, desk):
    asked_support(harness, desk)
    harness.world.block(ANN)
    # WHEN the operator answers a customer who has blocked the bot: Telegram refuses it (403)
    assert desk.forward(desk.blinger.reply(CLIENT, "text", "Hello?"))[0] == 200
    desk.run_outbox()
    desk.run_outbox()
    assert echoes(desk) == [
        "⚠️ Не доставлено клиенту: Telegram refused: Forbidden: bot was blocked by the user"
    ]
    # THEN, known now, the next answer is refused by the webhook itself: Blinger shows it failed
    status, body = desk.forward(desk.blinger.reply(CLIENT, "text", "Are you there?"))
    assert (status, body) == (409, {"ok": False, "error": "the customer has blocked the bot: not delivered"})
    assert desk.queued() == 0
    # AND once the customer writes again, answers go through
    harness.world.unblock(ANN)
    harness.deliver(harness.world.user_sends_text(ANN, "I am back"))
    assert desk.forward(desk.blinger.reply(CLIENT, "text", "Welcome back"))[0] == 200
