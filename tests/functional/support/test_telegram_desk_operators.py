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
