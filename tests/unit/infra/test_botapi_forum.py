"""Forum supergroups in the stand-in: topics (create, edit, close, reopen, delete), sends into a
topic with message_thread_id, copyMessage; each with Telegram's refusals, results spec-checked."""

from __future__ import annotations

from typing import Any

import pytest

from infra.botapi import World, WorldError, check_object, dispatch

from .conftest import TOKEN, USER_ID

GROUP = -1001234567890
OPERATOR = 2002


def call(world: World, method: str, **params: Any) -> tuple[int, Any]:
    reply = dispatch(world, TOKEN, method, params)
    assert isinstance(reply.body, dict)
    return reply.status, reply.body.get("result", reply.body.get("description"))


@pytest.fixture
def forum(world: World) -> World:
    world.add_group(GROUP, "Support", members=(OPERATOR,), forum=True)
    return world


def test_a_topic_is_created_posted_into_and_its_members_write_in_it(forum: World) -> None:
    status, topic = call(forum, "createForumTopic", chat_id=GROUP, name="Ann · customer · C7")
    assert status == 200
    check_object("ForumTopic", topic)
    thread = topic["message_thread_id"]
    status, sent = call(forum, "sendMessage", chat_id=GROUP, message_thread_id=thread, text="card")
    assert status == 200
    assert (sent["message_thread_id"], sent["is_topic_message"], sent["chat"]["is_forum"]) == (
        thread,
        True,
        True,
    )
    update = forum.group_member_sends_text(GROUP, OPERATOR, "hello", message_thread_id=thread)
    assert update["message"]["message_thread_id"] == thread
    with pytest.raises(WorldError, match="no topic 999"):
        forum.group_member_sends_text(GROUP, OPERATOR, "hello", message_thread_id=999)


def test_a_deleted_topic_takes_its_messages_and_refuses_sends(forum: World) -> None:
    thread = call(forum, "createForumTopic", chat_id=GROUP, name="Ann")[1]["message_thread_id"]
    message_id = call(forum, "sendMessage", chat_id=GROUP, message_thread_id=thread, text="x")[1][
        "message_id"
    ]
    assert call(forum, "deleteForumTopic", chat_id=GROUP, message_thread_id=thread) == (200, True)
    assert forum.message(GROUP, message_id).deleted
    assert call(forum, "sendMessage", chat_id=GROUP, message_thread_id=thread, text="y") == (
        400,
        "Bad Request: message thread not found",
    )
    assert call(forum, "editForumTopic", chat_id=GROUP, message_thread_id=thread, name="z") == (
        400,
        "Bad Request: TOPIC_ID_INVALID",
    )


def test_topics_are_renamed_closed_and_reopened_once_each(forum: World) -> None:
    thread = call(forum, "createForumTopic", chat_id=GROUP, name="Ann")[1]["message_thread_id"]
    assert call(forum, "editForumTopic", chat_id=GROUP, message_thread_id=thread, name="✅ Ann") == (
        200,
        True,
    )
    assert forum.chats[GROUP].topics[thread].name == "✅ Ann"
    assert call(forum, "closeForumTopic", chat_id=GROUP, message_thread_id=thread) == (200, True)
    assert call(forum, "closeForumTopic", chat_id=GROUP, message_thread_id=thread)[0] == 400
    assert call(forum, "reopenForumTopic", chat_id=GROUP, message_thread_id=thread) == (200, True)
    assert call(forum, "reopenForumTopic", chat_id=GROUP, message_thread_id=thread) == (
        400,
        "Bad Request: TOPIC_NOT_MODIFIED",
    )
    assert call(forum, "editForumTopic", chat_id=GROUP, message_thread_id=thread, name="")[0] == 400


def test_without_the_right_or_outside_a_forum_no_topic_is_made(world: World) -> None:
    world.add_group(GROUP, "Support", forum=True, can_manage_topics=False)
    world.add_group(-100555, "Warehouse")
    assert call(world, "createForumTopic", chat_id=GROUP, name="Ann") == (
        400,
        "Bad Request: not enough rights to create a topic",
    )
    assert call(world, "createForumTopic", chat_id=-100555, name="Ann") == (
        400,
        "Bad Request: the chat is not a forum",
    )
    assert call(world, "createForumTopic", chat_id=-1, name="Ann") == (400, "Bad Request: chat not found")
    assert call(world, "closeForumTopic", chat_id=GROUP, message_thread_id=5) == (
        400,
        "Bad Request: not enough rights to manage topics",
    )


def test_a_copy_keeps_the_content_and_drops_the_link(forum: World) -> None:
    thread = call(forum, "createForumTopic", chat_id=GROUP, name="Ann")[1]["message_thread_id"]
    photo = forum.user_sends_photo(USER_ID, b"jpeg", caption="broken lid")["message"]
    status, copy = call(
        forum,
        "copyMessage",
        chat_id=GROUP,
        from_chat_id=USER_ID,
        message_id=photo["message_id"],
        message_thread_id=thread,
    )
    assert status == 200
    check_object("MessageId", copy)
    copied = forum.message(GROUP, copy["message_id"])
    assert (copied.caption, copied.photo, copied.message_thread_id) == ("broken lid", photo["photo"], thread)
    assert copied.sender_id == forum.bot.id
    # an operator's answer in the topic goes back the same way, to the customer's chat
    answer = forum.group_member_sends_text(GROUP, OPERATOR, "we'll send a new one", message_thread_id=thread)
    status, back = call(
        forum, "copyMessage", chat_id=USER_ID, from_chat_id=GROUP, message_id=answer["message"]["message_id"]
    )
    assert status == 200
    assert forum.message(USER_ID, back["message_id"]).text == "we'll send a new one"


def test_what_cannot_be_copied_is_refused(forum: World) -> None:
    thread = call(forum, "createForumTopic", chat_id=GROUP, name="Ann")[1]["message_thread_id"]
    assert call(forum, "copyMessage", chat_id=GROUP, from_chat_id=USER_ID, message_id=999) == (
        400,
        "Bad Request: message to copy not found",
    )
    assert call(forum, "copyMessage", chat_id=USER_ID, from_chat_id=GROUP, message_id=thread) == (
        400,
        "Bad Request: message can't be copied",
    )
    forum.block(USER_ID)
    text = forum.group_member_sends_text(GROUP, OPERATOR, "hi", message_thread_id=thread)["message"]
    assert call(forum, "copyMessage", chat_id=USER_ID, from_chat_id=GROUP, message_id=text["message_id"]) == (
        403,
        "Forbidden: bot was blocked by the user",
    )


def test_an_album_is_copied_as_one_album_and_what_is_gone_is_skipped(forum: World) -> None:
    thread = call(forum, "createForumTopic", chat_id=GROUP, name="Ann")[1]["message_thread_id"]
    first = forum.user_sends_photo(USER_ID, b"one", caption="both lids", media_group_id="g1")["message"]
    second = forum.user_sends_photo(USER_ID, b"two", media_group_id="g1")["message"]
    gone = forum.user_sends_text(USER_ID, "typo")["message"]
    forum.messages[USER_ID][gone["message_id"]].deleted = True
    ids = [first["message_id"], second["message_id"], gone["message_id"]]
    status, copies = call(
        forum, "copyMessages", chat_id=GROUP, from_chat_id=USER_ID, message_ids=ids, message_thread_id=thread
    )
    assert status == 200
    check_object("Array of MessageId", copies)
    assert len(copies) == 2  # the deleted one is skipped, as Telegram does
    one, two = (forum.message(GROUP, copy["message_id"]) for copy in copies)
    assert (one.photo, one.caption, two.photo) == (first["photo"], "both lids", second["photo"])
    assert one.media_group_id == two.media_group_id
    assert one.media_group_id not in (None, "g1")  # an album of its own
    assert {one.message_thread_id, two.message_thread_id} == {thread}
    status, bare = call(
        forum, "copyMessages", chat_id=GROUP, from_chat_id=USER_ID, message_ids=ids[:1], remove_caption=True
    )
    assert (status, forum.message(GROUP, bare[0]["message_id"]).caption) == (200, None)


def test_copy_messages_refuses_bad_lists_and_a_topic_gone(forum: World) -> None:
    text = forum.user_sends_text(USER_ID, "hello")["message"]["message_id"]
    later = forum.user_sends_text(USER_ID, "again")["message"]["message_id"]
    refusals = [
        ([], "Bad Request: no messages to copy"),
        (list(range(1, 102)), "Bad Request: too many messages to copy"),
        ([later, text], "Bad Request: message identifiers must be in strictly increasing order"),
        ([999], "Bad Request: message to copy not found"),
    ]
    for ids, description in refusals:
        assert call(forum, "copyMessages", chat_id=GROUP, from_chat_id=USER_ID, message_ids=ids) == (
            400,
            description,
        )
    thread = call(forum, "createForumTopic", chat_id=GROUP, name="Ann")[1]["message_thread_id"]
    call(forum, "deleteForumTopic", chat_id=GROUP, message_thread_id=thread)
    posted = len(forum.messages[GROUP])
    assert call(
        forum,
        "copyMessages",
        chat_id=GROUP,
        from_chat_id=USER_ID,
        message_ids=[text],
        message_thread_id=thread,
    ) == (400, "Bad Request: message thread not found")
    assert len(forum.messages[GROUP]) == posted  # nothing was posted


def test_every_kind_a_customer_sends_is_copied_as_what_it_is(forum: World) -> None:
    sent = [
        forum.user_sends_media(USER_ID, "voice", b"ogg", duration=2),
        forum.user_sends_media(USER_ID, "video", b"mp4", caption="the box", duration=2, width=1, height=1),
        forum.user_sends_media(USER_ID, "video_note", b"mp4", duration=2, length=1),
        forum.user_sends_media(USER_ID, "sticker", b"webp", emoji="👍", width=1, height=1, type="regular"),
        forum.user_sends_location(USER_ID, 55.75, 37.61),
    ]
    for update in sent:
        original = update["message"]
        status, copy = call(
            forum, "copyMessage", chat_id=GROUP, from_chat_id=USER_ID, message_id=original["message_id"]
        )
        assert status == 200
        copied = forum.message_dict(forum.message(GROUP, copy["message_id"]))
        kind = next(k for k in ("voice", "video", "video_note", "sticker", "location") if k in original)
        assert copied[kind] == original[kind]
        assert copied.get("caption") == original.get("caption")


def test_a_caption_is_edited_on_any_captioned_media_and_refused_on_the_rest(forum: World) -> None:
    voice = forum.user_sends_media(USER_ID, "voice", b"ogg", duration=2)["message"]["message_id"]
    sticker = forum.user_sends_media(USER_ID, "sticker", b"webp", emoji="👍")["message"]["message_id"]
    copies = [
        call(forum, "copyMessage", chat_id=GROUP, from_chat_id=USER_ID, message_id=m)[1]["message_id"]
        for m in (voice, sticker)
    ]
    status, edited = call(
        forum, "editMessageCaption", chat_id=GROUP, message_id=copies[0], caption="late words"
    )
    assert (status, edited["caption"]) == (200, "late words")
    assert call(forum, "editMessageCaption", chat_id=GROUP, message_id=copies[1], caption="x") == (
        400,
        "Bad Request: there is no caption in the message to edit",
    )


def test_a_user_replaces_a_photo(forum: World) -> None:
    photo = forum.user_sends_photo(USER_ID, b"old", caption="lid")["message"]
    edited = forum.user_edits_photo(USER_ID, photo["message_id"], b"new")["edited_message"]
    assert edited["photo"] != photo["photo"]
    assert (edited["caption"], "edit_date" in edited) == ("lid", True)
    assert forum.user_edits_photo(USER_ID, photo["message_id"], b"newer", caption="lid, again")[
        "edited_message"
    ]["caption"] == ("lid, again")
    with pytest.raises(WorldError, match="no photo message"):
        forum.user_edits_photo(USER_ID, 999, b"x")
