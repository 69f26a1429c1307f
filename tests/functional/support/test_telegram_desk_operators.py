"""The Telegram desk's operator side (issue 18): what operators do in a conversation's topic of the
support group reaches the customer with copyMessage through the outbox, and the topic's commands
act on the conversation; driven through the strict Bot API stand-in."""

from __future__ import annotations

import pytest

from supportbot.support import conversations, desk_topics
from supportbot.support.messages import CUSTOMER, FAILED, OPERATOR_ROLE, SENT, user_messages
from tests.functional.conftest import reset_singletons
from tests.functional.support.conftest import customer_asked_support

GROUP = -1001234567890
OPERATOR = 3003  # a member of the group matched to an operator by telegram_id
STRANGER = 3004  # a member who is no operator


@pytest.fixture
def group(harness, desk, monkeypatch):
    """The support group as a forum where the bot may manage topics, chosen as the desk."""
    monkeypatch.setenv("SUPPORT_DESK", "telegram")
    monkeypatch.setenv("SUPPORT_CHAT_ID", str(GROUP))
    reset_singletons()
    return harness.world.add_group(GROUP, "Support", members=(OPERATOR, STRANGER), forum=True)


@pytest.fixture(autouse=True)
def no_failed_updates(harness):
    """The webhook answers 200 whatever happens: every test here also says nothing failed."""
    yield
    from supportbot.storage.failed_updates import FailedUpdateItem

    assert [item.error for item in FailedUpdateItem.scan()] == []


@pytest.fixture
def ann(harness, desk, group):
    """A customer whose question opened a topic."""
    return customer_asked_support(harness, desk, "Where is my parcel?")


def thread_of(user_id):
    return int(conversations.latest(user_id).desk_ref)


def in_topic(harness, ann, **content):
    """The operator posts ``content`` in Ann's topic; the outbox runs."""
    harness.deliver(
        harness.world.member_sends(GROUP, OPERATOR, message_thread_id=thread_of(ann.user_id), **content)
    )


def to_customer(harness, user_id):
    return [m for m in harness.world.bot_messages(user_id)]


def topic_posts(harness, thread):
    return [
        m.text or m.caption or ""
        for m in harness.world.bot_messages(GROUP)
        if m.message_thread_id == thread and m.forum_topic_created is None
    ]


def test_an_operators_text_reaches_the_customer_as_their_answer(harness, desk, ann):
    before = len(to_customer(harness, ann.user_id))
    in_topic(harness, ann, text="It left the warehouse today")
    desk.run_outbox()
    got = to_customer(harness, ann.user_id)[before:]
    assert [m.text for m in got] == ["It left the warehouse today"]
    assert harness.world.calls_to("copyMessage")
    conversation = conversations.latest(ann.user_id)
    assert conversation.status == conversations.ANSWERED
    assert conversation.first_answer_at is not None
    assert conversation.unread == 0
    (answer,) = [
        m for m in user_messages(ann.user_id) if m.destination == CUSTOMER and m.role == OPERATOR_ROLE
    ]
    assert answer.status == SENT
    assert answer.conversation == conversation.number
    assert answer.parts[0].text == "It left the warehouse today"
    # the same update again (a replay) sends nothing twice
    update = harness.world.updates[-1]
    harness.deliver(update)
    desk.run_outbox()
    assert len(to_customer(harness, ann.user_id)[before:]) == 1


KINDS = {
    "photo": lambda world: {
        "photo": world.photo_sizes(world.store_file(b"img", "photo")),
        "caption": "The box",
    },
    "document": lambda world: {
        "document": world.document_dict(world.store_file(b"%PDF", "document", "bill.pdf"))
    },
    "voice": lambda world: {"voice": {"file_id": "VO1", "file_unique_id": "v1", "duration": 2}},
    "sticker": lambda world: {
        "sticker": {
            "file_id": "ST1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        }
    },
    "video_note": lambda world: {
        "video_note": {"file_id": "VN1", "file_unique_id": "n1", "length": 240, "duration": 3}
    },
    "location": lambda world: {"location": {"latitude": 55.75, "longitude": 37.61}},
    "contact": lambda world: {"contact": {"phone_number": "+70000000000", "first_name": "Depot"}},
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_of_operator_message_reaches_the_customer_as_it_is(harness, desk, ann, kind):
    before = len(to_customer(harness, ann.user_id))
    in_topic(harness, ann, **KINDS[kind](harness.world))
    desk.run_outbox()
    (got,) = to_customer(harness, ann.user_id)[before:]
    assert getattr(got, kind) is not None
    if kind == "photo":
        assert got.caption == "The box"
    (answer,) = [m for m in user_messages(ann.user_id) if m.role == OPERATOR_ROLE]
    assert (answer.status, answer.parts[0].kind, answer.parts[0].file_name) == (SENT, "copy", kind)
    assert conversations.latest(ann.user_id).status == conversations.ANSWERED


def test_an_operators_album_reaches_the_customer_as_one_album(harness, desk, ann):
    world = harness.world
    before = len(to_customer(harness, ann.user_id))
    for n, caption in enumerate(("Front", None, None)):
        photo = world.photo_sizes(world.store_file(b"img%d" % n, "photo"))
        in_topic(harness, ann, photo=photo, caption=caption, media_group_id="album-1")
    desk.run_outbox()
    got = to_customer(harness, ann.user_id)[before:]
    assert len(got) == 3
    assert len({m.media_group_id for m in got}) == 1
    assert got[0].media_group_id is not None
    assert got[0].caption == "Front"
    assert len(world.calls_to("copyMessages")) == 1
    (answer,) = [m for m in user_messages(ann.user_id) if m.role == OPERATOR_ROLE]
    assert ([p.kind for p in answer.parts], answer.status) == (["copy"] * 3, SENT)
    # the album's first photo is stored under the album's key: its caption's edit finds it too
    first = next(
        m for m in world.messages[GROUP].values() if m.sender_id == OPERATOR and m.caption == "Front"
    )
    harness.deliver(world.user_edits_text(OPERATOR, first.message_id, "Front side", chat_id=GROUP))
    desk.run_outbox()
    assert to_customer(harness, ann.user_id)[before:][0].caption == "Front side"


def operator_message(harness, ann):
    """The operator's latest message in the group."""
    return [m for m in harness.world.messages[GROUP].values() if m.sender_id == OPERATOR][-1]


def test_an_operators_edit_edits_the_customers_copy_and_the_inbox_text(harness, desk, ann):
    world = harness.world
    before = len(to_customer(harness, ann.user_id))
    in_topic(harness, ann, text="It left on Monday")
    desk.run_outbox()
    mine = operator_message(harness, ann)
    harness.deliver(world.user_edits_text(OPERATOR, mine.message_id, "It left on Tuesday", chat_id=GROUP))
    desk.run_outbox()
    (copy,) = to_customer(harness, ann.user_id)[before:]
    assert copy.text == "It left on Tuesday"
    (answer,) = [m for m in user_messages(ann.user_id) if m.role == OPERATOR_ROLE]
    assert answer.parts[0].text == "It left on Tuesday"
    # the same edit delivered again changes nothing and says nothing
    posts = len(topic_posts(harness, thread_of(ann.user_id)))
    harness.deliver(world.updates[-1])
    desk.run_outbox()
    assert len(topic_posts(harness, thread_of(ann.user_id))) == posts


def test_an_edit_before_the_copy_is_made_goes_with_the_copy(harness, desk, ann):
    world = harness.world
    before = len(to_customer(harness, ann.user_id))
    photo = world.photo_sizes(world.store_file(b"img", "photo"))
    in_topic(harness, ann, photo=photo, caption="Box")
    harness.deliver(
        world.user_edits_text(
            OPERATOR, operator_message(harness, ann).message_id, "Box, opened", chat_id=GROUP
        )
    )
    desk.run_outbox()
    (copy,) = to_customer(harness, ann.user_id)[before:]
    assert copy.caption == "Box, opened"
    # and a later edit of the caption edits the copy's caption
    harness.deliver(
        world.user_edits_text(
            OPERATOR, operator_message(harness, ann).message_id, "Box, sealed", chat_id=GROUP
        )
    )
    desk.run_outbox()
    assert to_customer(harness, ann.user_id)[before:][0].caption == "Box, sealed"


def test_an_edit_telegram_refuses_is_told_in_the_topic(harness, desk, ann):
    world = harness.world
    in_topic(harness, ann, text="Hello")
    desk.run_outbox()
    world.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
    harness.deliver(
        world.user_edits_text(OPERATOR, operator_message(harness, ann).message_id, "Hi", chat_id=GROUP)
    )
    desk.run_outbox()
    assert "message can't be edited" in topic_posts(harness, thread_of(ann.user_id))[-1]


def test_an_edit_telegram_could_not_take_then_is_retried_by_the_outbox_and_shown(harness, desk, ann):
    from supportbot.config import get_config
    from supportbot.support.destinations import Destinations
    from supportbot.support.outbox import DeliveryError
    from supportbot.telegram.client import get_bot

    world = harness.world
    before = len(to_customer(harness, ann.user_id))
    in_topic(harness, ann, text="It left on Monday")
    desk.run_outbox()
    world.fail_next("editMessageText", 502)  # Telegram's servers in trouble for a moment
    harness.deliver(
        world.user_edits_text(
            OPERATOR, operator_message(harness, ann).message_id, "It left on Tuesday", chat_id=GROUP
        )
    )
    with pytest.raises(DeliveryError):
        desk.run_outbox()
    (edit,) = [m for m in user_messages(ann.user_id) if (m.context or {}).get("edit")]
    assert (edit.destination, edit.status, edit.attempts) == (CUSTOMER, "queued", 1)
    # the retry (as the outbox makes it once its delay passed) edits the customer's copy
    Destinations(get_config(), get_bot(), album_settle=0)(edit)
    (copy,) = to_customer(harness, ann.user_id)[before:]
    assert copy.text == "It left on Tuesday"
    assert not any("could not" in post for post in topic_posts(harness, thread_of(ann.user_id)))


def test_edits_of_commands_notes_and_outside_topics_change_nothing(harness, desk, ann, olga):
    from supportbot.support import triage

    world = harness.world
    command(harness, desk, ann, "# first thought")
    posts = len(topic_posts(harness, thread_of(ann.user_id)))
    harness.deliver(
        world.user_edits_text(OPERATOR, operator_message(harness, ann).message_id, "# second", chat_id=GROUP)
    )
    harness.deliver(world.group_member_sends_text(GROUP, OPERATOR, "In General"))
    harness.deliver(
        world.user_edits_text(
            OPERATOR, operator_message(harness, ann).message_id, "Still General", chat_id=GROUP
        )
    )
    desk.run_outbox()
    assert len(topic_posts(harness, thread_of(ann.user_id))) == posts
    assert [n.text for n in triage.notes_of(conversations.latest(ann.user_id))] == ["first thought"]


def test_a_message_the_customer_cannot_get_is_told_in_the_topic(harness, desk, ann):
    harness.world.block(ann.user_id)
    in_topic(harness, ann, text="Hello?")
    desk.run_outbox()
    (answer,) = [m for m in user_messages(ann.user_id) if m.role == OPERATOR_ROLE]
    assert answer.status == FAILED
    assert "blocked" in answer.reason
    line = topic_posts(harness, thread_of(ann.user_id))[-1]
    assert "Не доставлено клиенту" in line
    assert "blocked" in line


def test_the_bots_own_posts_service_messages_general_and_strangers_topics_are_not_relayed(harness, desk, ann):
    world = harness.world
    before = len(to_customer(harness, ann.user_id))
    thread = thread_of(ann.user_id)
    # General: no topic
    harness.deliver(world.group_member_sends_text(GROUP, OPERATOR, "Morning, everyone"))
    # a topic that is no conversation's (an operator made it by hand)
    group = world.chats[GROUP]
    from infra.botapi.models import Topic

    group.topics[999] = Topic(999, "Chat", 0x6FB9F0)
    harness.deliver(world.group_member_sends_text(GROUP, OPERATOR, "Lunch?", message_thread_id=999))
    # the bot's own post in the topic, as Telegram would deliver it to a bot that sees it
    card = next(m for m in world.bot_messages(GROUP) if m.message_thread_id == thread and m.text)
    own = world.message_dict(card)
    harness.deliver({"update_id": 900_000_001, "message": own})
    # a service message (the topic was renamed)
    service = world.message_dict(world.new_message(GROUP, OPERATOR, message_thread_id=thread))
    service["forum_topic_edited"] = {"name": "Renamed"}
    harness.deliver({"update_id": 900_000_002, "message": service})
    desk.run_outbox()
    assert to_customer(harness, ann.user_id)[before:] == []
    assert not [m for m in user_messages(ann.user_id) if m.role == OPERATOR_ROLE]


def test_the_topic_pointer_finds_the_conversation_and_an_erase_deletes_it(harness, desk, ann):
    from supportbot import people
    from tests.functional.support.conftest import BUCKET

    thread = thread_of(ann.user_id)
    assert desk_topics.conversation_of(GROUP, thread).number == conversations.latest(ann.user_id).number
    people.erase(people.find(people.by_telegram_id(ann.user_id), BUCKET), BUCKET)
    assert desk_topics.conversation_of(GROUP, thread) is None


# ---- commands ---------------------------------------------------------------------------------------
@pytest.fixture
def olga(harness):
    """The member OPERATOR is the operator Olga (matched by telegram_id)."""
    from supportbot import operators

    bootstrap = operators.Caller(operators.BOOTSTRAP_ID, "bootstrap", operators.ADMIN)
    operator, _ = operators.create_operator("Olga", operators.OPERATOR, OPERATOR, "test-secret", bootstrap)
    return operator


def command(harness, desk, ann, text, member=OPERATOR):
    """``member`` writes ``text`` in Ann's topic; the outbox runs; returns the bot's answer there."""
    thread = thread_of(ann.user_id)
    before = len(topic_posts(harness, thread))
    harness.deliver(harness.world.member_sends(GROUP, member, message_thread_id=thread, text=text))
    desk.run_outbox()
    posts = topic_posts(harness, thread)[before:]
    return posts[-1] if posts else None


def customer_texts(harness, ann, before):
    return [m.text for m in to_customer(harness, ann.user_id)[before:]]


def test_close_asks_the_customer_to_rate_and_reopen_opens_it_again(harness, desk, ann):
    before = len(to_customer(harness, ann.user_id))
    answer = command(harness, desk, ann, "/close")
    conversation = conversations.latest(ann.user_id)
    assert (conversation.status, conversation.closed_by) == (conversations.CLOSED, conversations.BY_OPERATOR)
    assert f"{conversation.ref} закрыто" in answer
    (rate,) = to_customer(harness, ann.user_id)[before:]
    assert harness.world.buttons(rate)  # the rating buttons, as the inbox's Close sends
    topic = harness.world.chats[GROUP].topics[thread_of(ann.user_id)]
    assert topic.closed
    assert topic.name.startswith(desk_topics.CLOSED_MARK)
    assert "Не сделано" in command(harness, desk, ann, "/close")  # closed already
    answer = command(harness, desk, ann, "/reopen")
    assert conversations.latest(ann.user_id).status == conversations.OPEN
    assert "снова открыто" in answer
    assert not topic.closed
    assert not topic.name.startswith(desk_topics.CLOSED_MARK)
    assert "Не сделано" in command(harness, desk, ann, "/reopen")  # open already


def test_notes_from_the_topic_are_the_inbox_notes_and_never_reach_the_customer(harness, desk, ann, olga):
    from supportbot.support import triage

    before = len(to_customer(harness, ann.user_id))
    assert "Заметка сохранена" in command(harness, desk, ann, "/note Asked for a refund twice")
    assert "Заметка сохранена" in command(harness, desk, ann, "# VIP customer")
    harness.deliver(harness.world.updates[-1])  # that update again (an admin's Replay): no second note
    notes = triage.notes_of(conversations.latest(ann.user_id))
    assert [(n.text, n.author_id, n.author_name) for n in notes] == [
        ("Asked for a refund twice", olga.operator_id, "Olga"),
        ("VIP customer", olga.operator_id, "Olga"),
    ]
    assert "/note" in command(harness, desk, ann, "/note")  # nothing to note: how to
    # a photo captioned as a note is neither a note nor sent
    thread = thread_of(ann.user_id)
    photo = harness.world.photo_sizes(harness.world.store_file(b"img", "photo"))
    harness.deliver(
        harness.world.member_sends(GROUP, OPERATOR, message_thread_id=thread, photo=photo, caption="#secret")
    )
    desk.run_outbox()
    assert "только текст" in topic_posts(harness, thread)[-1]
    assert customer_texts(harness, ann, before) == []
    assert len(triage.notes_of(conversations.latest(ann.user_id))) == 2


def test_a_member_who_is_no_operator_is_refused_where_an_operator_is_needed(harness, desk, ann, olga):
    from supportbot.support import bans, triage

    for text in ("/note hi", "# hi", "/ban", "/unban", "/assign", "/assign me"):
        assert "вы не оператор" in command(harness, desk, ann, text, member=STRANGER), text
    assert triage.notes_of(conversations.latest(ann.user_id)) == []
    assert bans.active(ann.user_id) is None
    assert conversations.latest(ann.user_id).assignee is None


def test_ban_and_unban_from_the_topic(harness, desk, ann, olga):
    from supportbot.support import bans

    assert "заблокирован на 24" in command(harness, desk, ann, "/ban")
    ban = bans.active(ann.user_id)
    assert (ban.by_id, ban.by_name) == (olga.operator_id, "Olga")
    assert "на 3 ч" in command(harness, desk, ann, "/ban 3")
    for wrong in ("/ban 0", "/ban soon", f"/ban {bans.MAX_HOURS + 1}"):
        assert "/ban часы" in command(harness, desk, ann, wrong)
    # while banned, what she writes is stored and not posted here
    posts = len(topic_posts(harness, thread_of(ann.user_id)))
    ann.send("Let me in")
    desk.run_outbox()
    assert len(topic_posts(harness, thread_of(ann.user_id))) == posts
    assert "Блокировка снята" in command(harness, desk, ann, "/unban")
    assert bans.active(ann.user_id) is None
    assert "не заблокирован" in command(harness, desk, ann, "/unban")


def test_tags_from_the_topic(harness, desk, ann):
    from supportbot.support import triage

    assert command(harness, desk, ann, "/tag Refund") == "Метки: #refund"
    assert command(harness, desk, ann, "/tag urgent") == "Метки: #refund #urgent"
    assert command(harness, desk, ann, "/tag -refund") == "Метки: #urgent"
    assert command(harness, desk, ann, "/tag -urgent") == "Метки: —"
    assert "/tag метка" in command(harness, desk, ann, "/tag")
    assert "/tag метка" in command(harness, desk, ann, "/tag no spaces")
    for n in range(triage.TAG_LIMIT):
        command(harness, desk, ann, f"/tag t{n}")
    assert "не больше" in command(harness, desk, ann, "/tag one-more")
    assert conversations.latest(ann.user_id).tags == [f"t{n}" for n in range(triage.TAG_LIMIT)]


def test_assign_me_or_an_operator_by_name(harness, desk, ann, olga):
    from supportbot import operators

    bootstrap = operators.Caller(operators.BOOTSTRAP_ID, "bootstrap", operators.ADMIN)
    pavel, _ = operators.create_operator("Pavel", operators.OPERATOR, None, "test-secret", bootstrap)
    assert command(harness, desk, ann, "/assign me") == "Обращение назначено: Olga."
    assert conversations.latest(ann.user_id).assignee == olga.operator_id
    assert command(harness, desk, ann, "/assign pavel") == "Обращение назначено: Pavel."
    assert conversations.latest(ann.user_id).assignee == pavel.operator_id
    assert command(harness, desk, ann, f"/assign {OPERATOR}") == "Обращение назначено: Olga."
    assert command(harness, desk, ann, "/assign") == "Обращение назначено: Olga."
    assert "Нет оператора «nobody»" in command(harness, desk, ann, "/assign nobody")


def test_unknown_commands_get_the_help(harness, desk, ann):
    before = len(to_customer(harness, ann.user_id))
    for text in ("/start", "/what@test_support_bot now"):
        assert "/close" in command(harness, desk, ann, text)
    # another bot's command in the group is neither ours nor the customer's
    assert command(harness, desk, ann, "/close@other_bot") is None
    assert conversations.latest(ann.user_id).live
    assert customer_texts(harness, ann, before) == []


def test_order_shows_the_customers_order_to_the_operator(harness, desk, ann):
    from infra.demo import NEWEST_NUMBER

    before = len(to_customer(harness, ann.user_id))
    card = command(harness, desk, ann, f"/order {NEWEST_NUMBER}")
    assert card.splitlines()[0] == f"📦 Заказ №{NEWEST_NUMBER}: Электрический чайник"
    assert "Статус: " in card
    # an older one, on a later page of her orders
    assert command(harness, desk, ann, f"/order №{NEWEST_NUMBER - 25}").startswith(
        f"📦 Заказ №{NEWEST_NUMBER - 25}"
    )
    assert "нет №1" in command(harness, desk, ann, "/order 1")
    assert "/order номер" in command(harness, desk, ann, "/order")
    assert customer_texts(harness, ann, before) == []  # for the operator only


def test_order_without_the_customers_login_or_the_business_system(harness, desk, ann, monkeypatch):
    from supportbot.backend import UnauthorizedError, UnavailableError
    from supportbot.backend.builtin import BuiltinBackend

    def unavailable(*args):
        raise UnavailableError("down")

    monkeypatch.setattr(BuiltinBackend, "list_orders", unavailable)
    assert "недоступна" in command(harness, desk, ann, "/order 10265")

    def expired(*args):
        raise UnauthorizedError("expired")

    monkeypatch.setattr(BuiltinBackend, "list_orders", expired)
    assert "не вошёл" in command(harness, desk, ann, "/order 10265")
    from supportbot.storage.sessions import load_session

    session = load_session(ann.user_id)
    session.auth = None
    session.save()
    assert "не вошёл" in command(harness, desk, ann, "/order 10265")


def canned_reply(node_id, title, text, translations=None):
    from datetime import UTC, datetime

    from supportbot.canned import CannedReplyItem

    item = CannedReplyItem(
        node_id=node_id,
        title=title,
        text=text,
        translations=translations,
        updated_at=datetime.now(UTC),
        updated_by="bootstrap",
    )
    item.save()
    return item


def test_canned_lists_replies_in_the_customers_language_and_a_press_sends_one(harness, desk, ann):
    world = harness.world
    assert "Готовых ответов пока нет" in command(harness, desk, ann, "/canned")
    canned_reply(
        "aaaaaaaaaaaa",
        "Доставка",
        "Здравствуйте, {name}! Посылка в пути.",
        {"en": {"title": "Delivery", "text": "Hello, {name}! Your parcel is on its way."}},
    )
    canned_reply("bbbbbbbbbbbb", "Заказ", "Заказ {order} уже собран.")
    command(harness, desk, ann, "/canned")
    thread = thread_of(ann.user_id)
    picker = [m for m in world.bot_messages(GROUP) if m.message_thread_id == thread][-1]
    assert world.buttons(picker) == [["Delivery"], ["Заказ"]]  # Ann speaks English
    before = len(to_customer(harness, ann.user_id))
    data = picker.inline_markup["inline_keyboard"][0][0]["callback_data"]
    harness.deliver(world.user_presses(OPERATOR, picker.message_id, data, chat_id=GROUP))
    desk.run_outbox()
    name = conversations.latest(ann.user_id).customer["name"]
    (sent,) = to_customer(harness, ann.user_id)[before:]
    assert sent.text == f"💬 Support: Hello, {name}! Your parcel is on its way."
    assert world.callback_answers[-1]["text"] == "Отправлено: Delivery"
    assert "Delivery" in topic_posts(harness, thread)[-1]  # the topic shows what was sent
    conversation = conversations.latest(ann.user_id)
    assert conversation.status == conversations.ANSWERED
    # a reply naming a value the customer lacks is refused, nothing sent
    second = picker.inline_markup["inline_keyboard"][1][0]["callback_data"]
    harness.deliver(world.user_presses(OPERATOR, picker.message_id, second, chat_id=GROUP))
    desk.run_outbox()
    assert "{order}" in world.callback_answers[-1]["text"]
    assert len(to_customer(harness, ann.user_id)[before:]) == 1


def test_a_canned_button_of_a_reply_deleted_since_says_so(harness, desk, ann):
    world = harness.world
    reply = canned_reply("cccccccccccc", "Hello", "Hello!")
    command(harness, desk, ann, "/canned")
    thread = thread_of(ann.user_id)
    picker = [m for m in world.bot_messages(GROUP) if m.message_thread_id == thread][-1]
    reply.delete()
    data = picker.inline_markup["inline_keyboard"][0][0]["callback_data"]
    harness.deliver(world.user_presses(OPERATOR, picker.message_id, data, chat_id=GROUP))
    assert world.callback_answers[-1]["text"] == "Этого ответа или обращения больше нет."


def test_a_button_of_another_kind_in_the_group_is_answered_and_ignored(harness, desk, ann):
    world = harness.world
    card = next(
        m for m in world.bot_messages(GROUP) if m.message_thread_id == thread_of(ann.user_id) and m.text
    )
    card.reply_markup = {"inline_keyboard": [[{"text": "x", "callback_data": "-|other:1"}]]}
    harness.deliver(world.user_presses(OPERATOR, card.message_id, "-|other:1", chat_id=GROUP))
    assert "text" not in world.callback_answers[-1]


# ---- the topic's status --------------------------------------------------------------------------
def close_from_the_inbox(ann):
    from supportbot.config import get_config
    from supportbot.support.surfaces import close_conversation

    return close_conversation(get_config(), conversations.latest(ann.user_id), conversations.BY_OPERATOR)


def test_a_close_elsewhere_shows_in_the_topic_and_a_topic_closed_by_hand_is_left_so(harness, desk, ann):
    topic = harness.world.chats[GROUP].topics[thread_of(ann.user_id)]
    topic.closed = True  # an operator closed it in Telegram first
    close_from_the_inbox(ann)
    desk.run_outbox()
    assert topic.closed
    assert topic.name.startswith(desk_topics.CLOSED_MARK)
    (status,) = [m for m in user_messages(ann.user_id) if m.parts[0].kind == "topic"]
    assert status.status == SENT


def test_the_topic_shows_waiting_answered_closed_and_is_edited_only_when_that_changes(harness, desk, ann):
    topic = harness.world.chats[GROUP].topics[thread_of(ann.user_id)]
    marks = desk_topics.MARKS

    def edits():
        return len(harness.world.calls_to("editForumTopic"))

    assert topic.name.startswith(marks[conversations.OPEN])  # made waiting for an answer
    ann.send("It was due yesterday")
    ann.send("Tracking says nothing")
    desk.run_outbox()
    assert edits() == 0  # still waiting: no edit per message
    in_topic(harness, ann, text="It left the warehouse today")
    desk.run_outbox()
    assert topic.name.startswith(marks[conversations.ANSWERED])
    assert edits() == 1
    in_topic(harness, ann, text="It arrives tomorrow")
    desk.run_outbox()
    assert edits() == 1
    ann.send("Thanks, and the other one?")
    desk.run_outbox()
    assert topic.name.startswith(marks[conversations.OPEN])
    assert edits() == 2
    assert conversations.latest(ann.user_id).desk_status == conversations.OPEN
    command(harness, desk, ann, "/close")
    assert topic.name.startswith(marks[conversations.CLOSED])
    assert topic.closed
    assert edits() == 3
    assert len(harness.world.calls_to("reopenForumTopic")) == 0  # it never was closed before


@pytest.fixture
def admin_client(desk, monkeypatch):
    """The admin function on the desk's outbox queue (the desk delivers what it queues)."""
    from functions.admin import app
    from tests.functional.admin.conftest import ADMIN_KEY, AdminClient

    monkeypatch.setenv("ADMIN_API_KEY", ADMIN_KEY)
    reset_singletons()
    return AdminClient(app, desk.queue_url)


def test_admin_replies_and_ticket_notices_are_echoed_into_the_topic(harness, desk, ann, admin_client):
    from supportbot.config import get_config
    from supportbot.support import tickets
    from supportbot.support.surfaces import notify_ticket

    conversation = conversations.latest(ann.user_id)
    thread = thread_of(ann.user_id)
    # WHEN a colleague replies from the admin inbox
    reply = {"text": "It ships <today>"}
    assert admin_client.call("POST", f"/conversations/{conversation.ref}/reply", reply)[0] == 202
    # AND a ticket of hers changes
    ticket = tickets.open_ticket(ann.user_id, "incident", f"ticket:{ann.user_id}:t", "Damaged box", {})
    tickets.move(ticket, "in_progress")
    notify_ticket(get_config(), ticket)
    desk.run_outbox()
    # THEN Ann got both, and the operators in the topic see both as what she was told
    texts = [m.text for m in harness.world.bot_messages(ann.user_id)[-2:]]
    assert texts == ["💬 Support: It ships <today>", f"🔔 Your request {ticket.ref} is now: in progress."]
    assert topic_posts(harness, thread)[-2:] == [
        "↪️ Отправлено клиенту:\n💬 Support: It ships <today>",
        f"↪️ Отправлено клиенту:\n🔔 Your request {ticket.ref} is now: in progress.",
    ]
    # AND the topic shows it answered; the echoes are no messages of the thread
    topic = harness.world.chats[GROUP].topics[thread]
    assert topic.name.startswith(desk_topics.MARKS[conversations.ANSWERED])
    status, body = admin_client.call("GET", f"/conversations/{conversation.ref}")
    assert status == 200
    assert [m["parts"][0]["text"] for m in body["messages"] if m["direction"] == "to_desk"] == []


def test_a_canned_reply_pressed_in_the_topic_is_not_echoed_back_into_it(harness, desk, ann):
    from supportbot.config import get_config
    from supportbot.support.surfaces import tell_customer

    before = len(topic_posts(harness, thread_of(ann.user_id)))
    number = int(conversations.latest(ann.user_id).number)
    tell_customer(get_config(), ann.user_id, "Done", number, once="t:1", extra={"via": "telegram"})
    desk.run_outbox()
    assert topic_posts(harness, thread_of(ann.user_id))[before:] == []


def reopen_from_the_inbox(ann):
    from supportbot.config import get_config
    from supportbot.support.surfaces import reopen_conversation

    return reopen_conversation(get_config(), conversations.latest(ann.user_id))


def test_a_reopen_after_the_topic_was_deleted_makes_no_topic_for_it(harness, desk, ann):
    group = harness.world.chats[GROUP]
    close_from_the_inbox(ann)
    desk.run_outbox()
    group.topics[thread_of(ann.user_id)].deleted = True
    reopen_from_the_inbox(ann)
    desk.run_outbox()
    assert len(group.topics) == 1  # not made again just to show a status
    status = [m for m in user_messages(ann.user_id) if m.parts[0].kind == "topic"][-1]
    assert status.status == SENT


def test_a_status_telegram_refuses_otherwise_is_a_failed_desk_post(harness, desk, ann):
    close_from_the_inbox(ann)
    desk.run_outbox()
    harness.world.fail_next("editForumTopic", 400, "Bad Request: CHAT_ADMIN_REQUIRED")
    reopen_from_the_inbox(ann)
    desk.run_outbox()
    status = [m for m in user_messages(ann.user_id) if m.parts[0].kind == "topic"][-1]
    assert status.status == FAILED
    assert "CHAT_ADMIN_REQUIRED" in status.reason


def test_a_status_refused_after_a_post_does_not_fail_the_post(harness, desk, ann):
    harness.world.fail_next("editForumTopic", 400, "Bad Request: CHAT_ADMIN_REQUIRED")
    close_from_the_inbox(ann)  # its rating request's echo is posted first, then the status
    desk.run_outbox()
    echo, status = [m for m in user_messages(ann.user_id) if m.destination == "blinger"][-2:]
    assert echo.status == SENT
    # the status part after it shows the close
    assert (status.parts[0].kind, status.status) == ("topic", SENT)
    assert harness.world.chats[GROUP].topics[thread_of(ann.user_id)].closed


def test_a_status_shown_as_the_conversation_is_erased_leaves_nothing_of_it(harness, desk, ann):
    from supportbot.i18n import translator
    from supportbot.telegram.client import get_bot

    conversation = conversations.latest(ann.user_id)
    conversation.delete()  # erased after the delivery read it
    conversation.status = conversations.CLOSED
    desk_topics.apply_status(
        get_bot(),
        GROUP,
        int(conversation.desk_ref),
        conversation,
        lambda call: call(),
        lambda: None,
        translator("ru"),
    )
    assert conversations.get(ann.user_id, int(conversation.number)) is None


def test_a_topic_status_is_shown_only_at_the_telegram_desk(harness, desk, ann):
    from supportbot.config import get_config
    from supportbot.support.destinations import Destinations
    from supportbot.support.messages import TOPIC, NewMessage
    from supportbot.support.outbox import PermanentDeliveryError, store
    from supportbot.telegram.client import get_bot

    item = store(get_config(), NewMessage(ann.user_id, "customer", [{"kind": TOPIC, "text": "closed"}]))
    with pytest.raises(PermanentDeliveryError, match="only shown in the Telegram desk"):
        Destinations(get_config(), get_bot(), album_settle=0)(item)


# ---- races and leftovers -------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["/tag urgent", "/assign me"])
def test_a_change_landing_meanwhile_asks_to_send_the_command_again(
    harness, desk, ann, olga, monkeypatch, text
):
    from supportbot.support import triage

    def changed(*args, **kwargs):
        raise triage.Changed

    monkeypatch.setattr(triage, "set_tag", changed)
    monkeypatch.setattr(triage, "assign", changed)
    assert "повторите команду" in command(harness, desk, ann, text)


def test_a_topic_whose_conversation_is_gone_is_ignored(harness, desk, ann):
    before = len(to_customer(harness, ann.user_id))
    thread = thread_of(ann.user_id)
    conversations.latest(ann.user_id).delete()  # by hand: its pointer stays
    harness.deliver(harness.world.member_sends(GROUP, OPERATOR, message_thread_id=thread, text="Hello?"))
    desk.run_outbox()
    assert to_customer(harness, ann.user_id)[before:] == []


def test_order_looks_through_the_newest_pages_only(harness, desk, ann, monkeypatch):
    from infra.demo import NEWEST_NUMBER
    from supportbot.support import desk_inbound

    monkeypatch.setattr(desk_inbound, "ORDER_PAGES", 1)
    assert f"нет №{NEWEST_NUMBER - 25}" in command(harness, desk, ann, f"/order {NEWEST_NUMBER - 25}")


def test_an_undelivered_message_of_a_conversation_gone_is_told_nowhere(harness, desk, ann):
    from supportbot.config import get_config
    from supportbot.support.messages import NewMessage, new_message_item
    from supportbot.support.surfaces import report_undelivered

    item = new_message_item(
        NewMessage(ann.user_id, CUSTOMER, [{"kind": "text", "text": "x"}], {"via": "telegram"}),
        conversation=999,
    )
    assert report_undelivered(get_config(), item, "gone") is None


def test_the_bots_answers_in_the_topic_are_no_customer_waiting(harness, desk, ann):
    from supportbot.support.answer_time import waiting_since

    assert waiting_since(ann.user_id) is not None  # her question waits
    in_topic(harness, ann, text="On its way")
    desk.run_outbox()
    command(harness, desk, ann, "/tag parcel")  # the bot answers in the topic: a notice to the desk
    assert waiting_since(ann.user_id) is None


def test_an_answer_is_attributed_to_the_operator_or_else_the_members_telegram_name(harness, desk, ann, olga):
    in_topic(harness, ann, text="Olga here")
    harness.deliver(
        harness.world.member_sends(GROUP, STRANGER, message_thread_id=thread_of(ann.user_id), text="Me too")
    )
    answers = [m for m in user_messages(ann.user_id) if m.role == OPERATOR_ROLE]
    assert [m.context["operator"] for m in answers] == ["Olga", f"User{STRANGER}"]
    assert "(Olga)" in command(harness, desk, ann, "/close")
