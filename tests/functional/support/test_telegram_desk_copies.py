"""The Telegram desk, customer side (issue 18): every kind of customer message is copied into the
conversation's topic as what it is (copyMessage, an album with one copyMessages, no download and
re-upload), and a customer's edit edits the copy, or is posted as "edited:" where Telegram cannot
edit it. Driven through the strict Bot API stand-in with the outbox run as its function would."""

from __future__ import annotations

import pytest

from supportbot.support import conversations
from supportbot.support.messages import SENT, user_messages
from tests.functional.support.conftest import customer_asked_support
from tests.functional.support.test_message_kinds import DATA, MEDIA
from tests.functional.support.test_telegram_desk import GROUP, group, topic_texts  # noqa: F401 (group: a fixture)

ANN = 100000001
pytestmark = pytest.mark.usefixtures("group")  # the support group, chosen as the desk
# A regular sticker, as the Blinger desk's tests send it.
STICKER = next(extra for field, extra, *_ in MEDIA if field == "sticker")

# What the customer sends (a stand-in world call) and the Message field that says what it is.
KINDS = [
    (lambda w: w.user_sends_text(ANN, "The lid is broken"), "text"),
    (lambda w: w.user_sends_photo(ANN, b"jpeg", caption="the lid"), "photo"),
    (lambda w: w.user_sends_document(ANN, b"%PDF", file_name="receipt.pdf", caption="receipt"), "document"),
    (lambda w: w.user_sends_media(ANN, "voice", DATA, duration=3, mime_type="audio/ogg"), "voice"),
    (
        lambda w: w.user_sends_media(ANN, "video", DATA, caption="unboxing", duration=5, width=64, height=36),
        "video",
    ),
    (lambda w: w.user_sends_media(ANN, "video_note", DATA, duration=4, length=240), "video_note"),
    (lambda w: w.user_sends_media(ANN, "sticker", DATA, **STICKER), "sticker"),
    (lambda w: w.user_sends_location(ANN, 55.751244, 37.618423), "location"),
    (
        lambda w: w.user_sends_contact(ANN, "+79990001122", contact_user_id=None, first_name="Courier"),
        "contact",
    ),
]


def topic_of(user_id: int) -> int:
    return int(conversations.latest(user_id).desk_ref)


def in_topic(world, thread):
    """The bot's posts in a topic after its card (the service message and the card left out)."""
    posts = [
        m
        for m in world.bot_messages(GROUP)
        if m.message_thread_id == thread and m.forum_topic_created is None
    ]
    return posts[1:]


def uploads_to_group(world) -> list[str]:
    """Sends that would carry a file or a retyped text to the group: none when everything is copied."""
    methods = ("sendPhoto", "sendDocument", "sendMediaGroup", "sendVoice", "sendVideo", "sendLocation")
    return [
        c.method for c in world.calls if c.method in methods and str(c.params.get("chat_id")) == str(GROUP)
    ]


@pytest.mark.parametrize(("send", "field"), KINDS)
def test_each_kind_of_message_is_copied_into_the_topic_as_what_it_is(harness, desk, send, field):
    ann = customer_asked_support(harness, desk, "Hello")
    thread = topic_of(ann.user_id)
    original = send(harness.world)
    harness.deliver(original)
    desk.run_outbox()
    *_, copy = in_topic(harness.world, thread)
    shown = harness.world.message_dict(copy)
    assert shown[field] == original["message"][field]
    assert shown.get("caption") == original["message"].get("caption")
    assert copy.sender_id == harness.world.bot.id
    call = harness.world.calls_to("copyMessage")[-1]
    assert (call.params["from_chat_id"], call.params["message_id"]) == (
        ANN,
        original["message"]["message_id"],
    )
    assert call.params["message_thread_id"] == thread
    assert uploads_to_group(harness.world) == []
    assert {m.status for m in user_messages(ANN) if m.destination == "blinger"} == {SENT}


def test_an_album_is_copied_as_one_album_with_one_call(harness, desk):
    ann = customer_asked_support(harness, desk, "Hello")
    thread = topic_of(ann.user_id)
    w = harness.world
    photos = [
        w.user_sends_photo(ANN, b"one", caption="both lids", media_group_id="a1"),
        w.user_sends_photo(ANN, b"two", media_group_id="a1"),
        w.user_sends_document(ANN, b"%PDF", file_name="receipt.pdf", media_group_id="a1"),
    ]
    for update in photos:
        harness.deliver(update)
    desk.run_outbox()
    (call,) = w.calls_to("copyMessages")
    assert call.params["message_ids"] == [p["message"]["message_id"] for p in photos]
    copies = in_topic(w, thread)[-3:]
    assert len({m.media_group_id for m in copies}) == 1
    assert copies[0].media_group_id is not None
    assert [m.caption for m in copies] == ["both lids", None, None]
    assert (copies[0].photo, copies[2].document) == (
        photos[0]["message"]["photo"],
        photos[2]["message"]["document"],
    )
    assert uploads_to_group(w) == []
    # the album's copies are known one by one: an edit of its caption edits that copy
    harness.deliver(w.user_edits_text(ANN, photos[0]["message"]["message_id"], "both lids, cracked"))
    desk.run_outbox()
    assert w.message(GROUP, copies[0].message_id).caption == "both lids, cracked"


def test_a_message_deleted_before_it_was_copied_is_posted_from_what_was_stored(harness, desk):
    ann = customer_asked_support(harness, desk, "Hello")
    thread = topic_of(ann.user_id)
    photo = harness.world.user_sends_photo(ANN, b"jpeg", caption="the lid")
    harness.deliver(photo)
    harness.world.messages[ANN][photo["message"]["message_id"]].deleted = True  # before the outbox ran
    desk.run_outbox()
    # the photo goes as our stored copy, its caption after it: nothing the customer sent is lost
    posted = in_topic(harness.world, thread)[-2:]
    assert posted[0].photo is not None
    assert posted[1].text == "the lid"
    assert [m.status for m in user_messages(ANN) if m.destination == "blinger"] == [SENT, SENT]


def test_an_order_question_posts_its_intro_and_copies_the_message(harness, desk):
    from infra.demo import CUSTOMER_PHONE

    ann = harness.user(ANN, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap("📦 My orders")
    card = ann.tap("№10265 · ₽1,234.50")
    ann.tap("💬 Contact support about this order", card)
    ann.send("The kettle leaks")
    desk.run_outbox()
    intro, question = in_topic(harness.world, topic_of(ANN))
    assert intro.text == "Вопрос по заказу №10265 (Электрический чайник)"  # ours: posted
    assert question.text == "The kettle leaks"  # hers: copied
    assert [c.params["message_id"] for c in harness.world.calls_to("copyMessage")] == [
        max(m.message_id for m in harness.world.messages[ANN].values() if m.text == "The kettle leaks")
    ]


def test_an_album_part_deleted_before_the_copy_is_skipped_and_its_edit_posted(harness, desk):
    ann = customer_asked_support(harness, desk, "Hello")
    thread = topic_of(ann.user_id)
    w = harness.world
    first = w.user_sends_photo(ANN, b"one", caption="lids", media_group_id="a2")
    second = w.user_sends_photo(ANN, b"two", media_group_id="a2")
    harness.deliver(first)
    harness.deliver(second)
    w.messages[ANN][second["message"]["message_id"]].deleted = True
    desk.run_outbox()
    assert len(in_topic(w, thread)) == 2  # "Hello" and the photo still there
    # which copy is which is not known then: an edit is posted
    harness.deliver(w.user_edits_text(ANN, first["message"]["message_id"], "lids, both"))
    desk.run_outbox()
    assert "lids, both" in in_topic(w, thread)[-1].text
    assert w.calls_to("editMessageCaption") == []


def test_an_edited_text_edits_its_copy_and_an_edit_back_changes_nothing(harness, desk):
    ann = customer_asked_support(harness, desk, "My order is 10234")
    thread = topic_of(ann.user_id)
    w = harness.world
    (question,) = [m for m in w.messages[ANN].values() if m.text == "My order is 10234"]
    (copy,) = [m for m in in_topic(w, thread) if m.text == "My order is 10234"]
    harness.deliver(w.user_edits_text(ANN, question.message_id, "My order is 10243"))
    desk.run_outbox()
    assert w.message(GROUP, copy.message_id).text == "My order is 10243"
    assert len(in_topic(w, thread)) == 1  # edited in place, nothing posted
    # Telegram reports an edit that leaves the words as they are (a later edit_date): not modified
    w.clock = lambda: 2_000_000_000
    harness.deliver(w.user_edits_text(ANN, question.message_id, "My order is 10243"))
    desk.run_outbox()
    assert len(in_topic(w, thread)) == 1
    assert [m.status for m in user_messages(ANN) if m.destination == "blinger"] == [SENT, SENT, SENT]


def test_an_edited_caption_edits_the_copy_and_a_replaced_photo_is_posted_as_edited(harness, desk):
    ann = customer_asked_support(harness, desk, "Hello")
    thread = topic_of(ann.user_id)
    w = harness.world
    photo = w.user_sends_photo(ANN, b"jpeg", caption="the lid")["message"]["message_id"]
    harness.deliver(w.updates[-1])
    desk.run_outbox()
    (copy,) = [m for m in in_topic(w, thread) if m.caption == "the lid"]
    harness.deliver(w.user_edits_text(ANN, photo, "the lid, cracked"))
    desk.run_outbox()
    assert w.message(GROUP, copy.message_id).caption == "the lid, cracked"
    # WHEN she replaces the photo itself: a copy cannot show another file, so the words are posted,
    # then the message as it is now
    w.clock = lambda: 2_000_000_000
    edited = w.user_edits_photo(ANN, photo, b"other jpeg", caption="this one")["edited_message"]
    harness.deliver(w.updates[-1])
    desk.run_outbox()
    words, again = in_topic(w, thread)[-2:]
    assert "this one" in words.text
    assert (again.photo, again.caption) == (edited["photo"], "this one")
    assert w.message(GROUP, copy.message_id).caption == "the lid, cracked"  # the earlier copy stays
    assert len(w.calls_to("editMessageCaption")) == 1


def test_an_edit_after_the_topic_was_made_again_is_posted_in_the_new_topic(harness, desk):
    ann = customer_asked_support(harness, desk, "My order is 10234")
    first = topic_of(ann.user_id)
    w = harness.world
    (question,) = [m for m in w.messages[ANN].values() if m.text == "My order is 10234"]
    w.chats[GROUP].topics[first].deleted = True
    for m in w.messages[GROUP].values():
        if m.message_thread_id == first:
            m.deleted = True  # the copy went with its topic
    ann.send("Hello?")
    desk.run_outbox()
    second = topic_of(ann.user_id)
    harness.deliver(w.user_edits_text(ANN, question.message_id, "My order is 10243"))
    desk.run_outbox()
    assert "My order is 10243" in topic_texts(w, second)[-1]


def test_an_edit_of_a_message_whose_record_is_gone_is_posted(harness, desk):
    ann = customer_asked_support(harness, desk, "My order is 10234")
    thread = topic_of(ann.user_id)
    w = harness.world
    (question,) = [m for m in w.messages[ANN].values() if m.text == "My order is 10234"]
    harness.deliver(w.user_edits_text(ANN, question.message_id, "My order is 10243"))
    (stored, _) = [m for m in user_messages(ANN) if m.destination == "blinger"]
    stored.delete()  # erased between the edit and its delivery
    desk.run_outbox()
    assert "My order is 10243" in topic_texts(w, thread)[-1]


def test_an_album_whose_ids_do_not_increase_is_copied_in_several_calls(harness, desk):
    from supportbot.config import get_config
    from supportbot.support.messages import BLINGER, NewMessage
    from supportbot.support.outbox import enqueue

    ann = customer_asked_support(harness, desk, "Hello")
    thread = topic_of(ann.user_id)
    w = harness.world
    first = w.user_sends_photo(ANN, b"one", caption="lids")["message"]["message_id"]
    second = w.user_sends_photo(ANN, b"two")["message"]["message_id"]
    # an album stored in another order than Telegram numbered it (copyMessages takes increasing ids)
    parts = [{"kind": "image", "message_id": second}, {"kind": "image", "message_id": first}]
    (hello,) = [m for m in user_messages(ANN) if m.destination == BLINGER]
    message = NewMessage(
        ANN, BLINGER, parts, {**hello.context, "album": "a3"}, conversation=hello.conversation
    )
    enqueue(get_config(), message)
    desk.run_outbox()
    assert [c.params["message_id"] for c in w.calls_to("copyMessage")][-2:] == [second, first]
    assert [m.caption for m in in_topic(w, thread)[-2:]] == [None, "lids"]
    (album,) = [m for m in user_messages(ANN) if (m.context or {}).get("album")]
    assert set(album.external["copies"]) == {str(second), str(first)}
    assert w.calls_to("copyMessages") == []


# ---- the customer's card ---------------------------------------------------------------------
def card_of(world, user_id: int) -> list[str]:
    thread = topic_of(user_id)
    return next(
        m.text
        for m in world.bot_messages(GROUP)
        if m.message_thread_id == thread and m.forum_topic_created is None
    ).splitlines()


def ask_about_order(harness, desk, text: str = "The kettle leaks"):
    from infra.demo import CUSTOMER_PHONE

    ann = harness.user(ANN, language="en", first_name="Ann")
    harness.world.users[ANN].username = "ann_k"
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap("📦 My orders")
    ann.tap("💬 Contact support about this order", ann.tap("№10265 · ₽1,234.50"))
    ann.send(text)
    return ann


def test_the_card_shows_who_writes_the_order_with_its_status_open_tickets_and_last_orders(harness, desk):
    from infra.demo import CUSTOMER_PHONE
    from supportbot.backend import make_backend
    from supportbot.bot.orders import status_words
    from supportbot.config import get_config
    from supportbot.i18n import translator
    from supportbot.support import tickets

    tickets.open_ticket(ANN, tickets.INCIDENT, "test:incident", "Broken kettle", {})
    ask_about_order(harness, desk)
    desk.run_outbox()
    conversation = conversations.latest(ANN)
    backend, ru = make_backend(get_config()), translator("ru")
    token = backend.auth_by_phone(CUSTOMER_PHONE, ANN).token
    order = backend.get_order(token, "A10000")
    recent = backend.list_orders(token, 1, 3).items
    assert len(recent) == 3
    (ticket,) = tickets.of_user(ANN)
    assert card_of(harness.world, ANN) == [
        f"Обращение {conversation.ref}",
        f"Имя: {conversation.customer['name']}",
        f"Телефон: {card_of(harness.world, ANN)[2].split(': ')[1]}",
        "Тип: клиент",
        "Telegram: @ann_k",
        "Язык: en",
        f"Заказ: №10265, {status_words(order, ru)}",
        f"Открытые заявки: {ticket.label} Broken kettle",
        "Последние заказы: " + "; ".join(f"№{o.number} {status_words(o, ru)}" for o in recent),
    ]
    assert CUSTOMER_PHONE not in "\n".join(card_of(harness.world, ANN))  # masked


def test_the_card_goes_without_the_orders_when_the_shop_does_not_answer(harness, desk, monkeypatch):
    from supportbot.backend import UnavailableError
    from supportbot.backend.builtin import BuiltinBackend

    def down(*args, **kwargs):
        raise UnavailableError("the business system is down")

    ask_about_order(harness, desk)
    # down once the question is asked
    monkeypatch.setattr(BuiltinBackend, "get_order", down)
    monkeypatch.setattr(BuiltinBackend, "list_orders", down)
    desk.run_outbox()
    lines = card_of(harness.world, ANN)
    assert lines[-3:] == [
        "Заказ: №10265, —",
        "Открытые заявки: —",
        "Заказы: система магазина не ответила",
    ]
    assert [m.status for m in user_messages(ANN) if m.destination == "blinger"] == [SENT]  # not held back


def test_a_guests_card_has_no_orders(harness, desk):
    emma = harness.user(ANN, language="en", first_name="Emma")
    emma.send("/start")
    emma.send("💬 Write to support")
    emma.send("Do you ship to Kazan?")
    desk.run_outbox()
    lines = card_of(harness.world, ANN)
    assert lines[1:4] == ["Имя: Emma", "Телефон: —", "Тип: гость"]
    assert lines[-1] == "Открытые заявки: —"
    assert not any(line.startswith(("Заказ", "Последние")) for line in lines)


def test_a_photo_replaced_without_words_reaches_the_topic(harness, desk):
    ann = customer_asked_support(harness, desk, "Hello")
    thread = topic_of(ann.user_id)
    w = harness.world
    photo = w.user_sends_photo(ANN, b"jpeg")["message"]["message_id"]
    harness.deliver(w.updates[-1])
    desk.run_outbox()
    posted = len(in_topic(w, thread))
    # WHEN she replaces the photo, no caption before or after
    edited = w.user_edits_photo(ANN, photo, b"other jpeg")["edited_message"]
    harness.deliver(w.updates[-1])
    desk.run_outbox()
    # THEN the topic is told, and gets the new photo
    words, again = in_topic(w, thread)[posted:]
    assert words.text == "✏️ Изменено: другой файл, ниже"
    assert again.photo == edited["photo"]
