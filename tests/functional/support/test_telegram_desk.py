"""The Telegram desk: a support group with one topic per conversation (issue 18), driven through
the strict Bot API stand-in with the outbox run as its function would."""

from __future__ import annotations

import pytest

from infra.demo import CUSTOMER_PHONE, PARTNER_PHONE
from supportbot.support import conversations
from supportbot.support.messages import SENT, user_messages
from supportbot.support.outbox import DeliveryError
from tests.functional.conftest import reset_singletons
from tests.functional.support.conftest import customer_asked_support

GROUP = -1001234567890
NEW_GROUP = -1009876543210
OPERATOR = 3003


@pytest.fixture
def group(harness, desk, monkeypatch):
    """The support group as a forum where the bot may manage topics, chosen as the desk."""
    monkeypatch.setenv("SUPPORT_DESK", "telegram")
    monkeypatch.setenv("SUPPORT_CHAT_ID", str(GROUP))
    reset_singletons()
    return harness.world.add_group(GROUP, "Support", members=(OPERATOR,), forum=True)


def topic_texts(world, thread):
    """What the bot posted in a topic, after the service message that created it."""
    return [
        m.text or m.caption
        for m in world.bot_messages(GROUP)
        if m.message_thread_id == thread and m.forum_topic_created is None
    ]


def test_a_customer_message_opens_a_topic_with_the_card_and_lands_in_it(harness, desk, group):
    ann = customer_asked_support(harness, desk, "Where is my parcel?")
    conversation = conversations.latest(ann.user_id)
    thread = int(conversation.desk_ref)
    topic = group.topics[thread]
    assert topic.name == f"❓ {conversation.customer['name']} · клиент · {conversation.ref}"
    card, question = topic_texts(harness.world, thread)
    assert card.splitlines()[:2] == [f"Обращение {conversation.ref}", f"Имя: {conversation.customer['name']}"]
    assert "Where is my parcel?" in question
    # the card shows the phone masked as the admin page does (one format wherever a person sees it)
    from supportbot_admin.conversations import conversation_out

    shown = f"+7 {CUSTOMER_PHONE[2:5]} ***-{CUSTOMER_PHONE[-4:-2]}-{CUSTOMER_PHONE[-2:]}"
    assert card.split("Телефон: ")[1].splitlines()[0] == shown
    assert conversation_out(conversation).customer_phone == shown
    # the next message goes into the same topic: no second topic
    ann.send("It was due yesterday")
    desk.run_outbox()
    assert len(group.topics) == 1
    assert "It was due yesterday" in topic_texts(harness.world, thread)[-1]
    assert [m.status for m in user_messages(ann.user_id) if m.destination == "blinger"] == [SENT, SENT]


def test_a_deleted_topic_is_made_again_and_the_message_is_not_lost(harness, desk, group):
    ann = customer_asked_support(harness, desk, "Hello")
    first = int(conversations.latest(ann.user_id).desk_ref)
    harness.world.chats[GROUP].topics[first].deleted = True  # an operator deleted it in the group
    ann.send("Are you there?")
    desk.run_outbox()
    second = int(conversations.latest(ann.user_id).desk_ref)
    assert second != first
    card, message = topic_texts(harness.world, second)
    assert "admin inbox" in card or "админ-инбокс" in card
    assert "Are you there?" in message


def test_after_the_shop_moves_to_a_new_group_the_next_message_opens_a_topic_there(
    harness, desk, group, monkeypatch
):
    ann = customer_asked_support(harness, desk, "Hello")
    old_thread = int(conversations.latest(ann.user_id).desk_ref)
    # the shop's operators move to a new forum group: SUPPORT_CHAT_ID changes
    moved = harness.world.add_group(NEW_GROUP, "Support 2", members=(OPERATOR,), forum=True)
    monkeypatch.setenv("SUPPORT_CHAT_ID", str(NEW_GROUP))
    reset_singletons()
    # another customer's topic there may have the thread id Ann's had in the old group
    bob = harness.user(100000002, language="en", first_name="Bob")
    bob.send("/start")
    bob.share_contact(PARTNER_PHONE)
    bob.tap("💬 Ask a question")
    bob.send("Bob's question")
    desk.run_outbox()
    bobs = int(conversations.latest(bob.user_id).desk_ref)
    ann.send("Are you there?")
    desk.run_outbox()
    conversation = conversations.latest(ann.user_id)
    thread = int(conversation.desk_ref)
    assert thread != bobs
    assert thread in moved.topics
    card, message = [
        m.text or m.caption
        for m in harness.world.bot_messages(NEW_GROUP)
        if m.message_thread_id == thread and m.forum_topic_created is None
    ]
    assert "админ-инбокс" in card
    assert "Are you there?" in message
    assert not any(
        "Are you there?" in (m.text or "")
        for m in harness.world.bot_messages(NEW_GROUP)
        if m.message_thread_id == bobs
    )
    assert [m.status for m in user_messages(ann.user_id) if m.destination == "blinger"] == [SENT, SENT]
    # the old group's pointer went with the move; the new topic's finds the conversation
    from supportbot.support import desk_topics

    assert desk_topics.conversation_of(GROUP, old_thread) is None
    assert desk_topics.conversation_of(NEW_GROUP, thread).ref == conversation.ref


def test_without_the_right_operators_are_told_once_and_the_message_waits_for_it(harness, desk, group):
    from supportbot.config import get_config
    from supportbot.support.destinations import Destinations
    from supportbot.telegram.client import get_bot

    group.can_manage_topics = False
    ann = harness.user(100000001, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap("💬 Ask a question")
    ann.send("Hello")
    with pytest.raises(DeliveryError, match="cannot manage topics"):
        desk.run_outbox()
    (stored,) = [m for m in user_messages(ann.user_id) if m.destination == "blinger"]
    assert (stored.status, stored.attempts) == ("queued", 1)  # retried with the outbox's delays
    # the retry (as the outbox makes it once the delay passed) fails again without telling again
    deliver = Destinations(get_config(), get_bot(), album_settle=0)
    with pytest.raises(DeliveryError, match="cannot manage topics"):
        deliver(stored)
    general = [m.text for m in harness.world.bot_messages(GROUP) if m.message_thread_id is None]
    assert len(general) == 1
    assert "администратором" in general[0]
    # an admin gives the bot the right: the next try delivers it into a new topic
    group.can_manage_topics = True
    deliver(stored)
    thread = int(conversations.latest(ann.user_id).desk_ref)
    assert "Hello" in topic_texts(harness.world, thread)[-1]


def erase(user_id):
    from supportbot import people
    from tests.functional.support.conftest import BUCKET

    return people.erase(people.find(people.by_telegram_id(user_id), BUCKET), BUCKET)


def test_an_erase_deletes_the_persons_topics_with_their_messages(harness, desk, group):
    ann = customer_asked_support(harness, desk, "Please forget me")
    thread = int(conversations.latest(ann.user_id).desk_ref)
    answer = erase(ann.user_id)
    assert answer["topics"] == 1
    assert group.topics[thread].deleted
    in_topic = [m for m in harness.world.messages[GROUP].values() if m.message_thread_id == thread]
    assert in_topic
    assert all(m.deleted for m in in_topic)
    assert not any("topic" in line for line in answer["not_erased"])


def test_a_topic_already_gone_does_not_stop_the_erase(harness, desk, group):
    ann = customer_asked_support(harness, desk, "Hello")
    thread = int(conversations.latest(ann.user_id).desk_ref)
    group.topics[thread].deleted = True  # deleted in the group before the erase
    assert erase(ann.user_id)["topics"] == 0
    assert conversations.latest(ann.user_id) is None  # the rest was erased


def test_a_topic_telegram_refuses_to_delete_is_named_and_the_rest_erased(harness, desk, group):
    ann = customer_asked_support(harness, desk, "Hello")
    thread = int(conversations.latest(ann.user_id).desk_ref)
    group.can_manage_topics = False
    answer = erase(ann.user_id)
    assert answer["topics"] == 0
    assert any(f"topic {thread}" in line and "not enough rights" in line for line in answer["not_erased"])
    assert not group.topics[thread].deleted
    assert conversations.latest(ann.user_id) is None
