"""Forum topics in the sandbox's JSON API (what the web chat shows as topics): the group lists its
topics, the feed says which topic each message is in, members write into a topic, and a saved
world keeps its topics."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.botapi import World, dispatch
from infra.botapi.sandbox import handle
from infra.botapi.snapshot import restore, snapshot

from .conftest import TOKEN, USER_ID

GROUP = -1001234567890
OPERATOR = 2002


def bot(world: World, method: str, **params: Any) -> Any:
    reply = dispatch(world, TOKEN, method, params)
    assert reply.status == 200, reply.body
    assert isinstance(reply.body, dict)
    return reply.body["result"]


@pytest.fixture
def forum(world: World) -> World:
    world.add_user(OPERATOR, first_name="Olga")
    world.add_group(GROUP, "Support", members=(OPERATOR,), forum=True)
    return world


def test_a_forum_lists_its_topics_and_the_feed_says_which_topic_a_message_is_in(forum: World) -> None:
    thread = bot(forum, "createForumTopic", chat_id=GROUP, name="Ann · клиент · C1")["message_thread_id"]
    gone = bot(forum, "createForumTopic", chat_id=GROUP, name="Old")["message_thread_id"]
    bot(forum, "deleteForumTopic", chat_id=GROUP, message_thread_id=gone)
    bot(forum, "closeForumTopic", chat_id=GROUP, message_thread_id=thread)
    video = forum.user_sends_media(USER_ID, "video", b"mp4", duration=5, width=1, height=1)["message"]
    bot(
        forum,
        "copyMessage",
        chat_id=GROUP,
        from_chat_id=USER_ID,
        message_id=video["message_id"],
        message_thread_id=thread,
    )
    status, feed = handle(forum, "GET", f"chats/{GROUP}/messages", {}, {})
    assert status == 200
    assert feed["chat"]["is_forum"] is True
    (topic,) = feed["chat"]["topics"]  # the deleted one is gone
    assert topic | {"icon_color": 0} == {
        "id": thread,
        "name": "Ann · клиент · C1",
        "icon_color": 0,
        "icon_custom_emoji_id": None,
        "closed": True,
        "last_message": "🎬 Video",
    }
    created, copied = [m for m in feed["messages"] if m.get("message_thread_id") == thread]
    assert created["topic_created"] == "Ann · клиент · C1"
    assert copied["video"]["duration"] == 5
    assert copied["video"]["url"].startswith("/sandbox/api/files/")


def test_a_member_writes_in_a_topic_and_not_in_one_that_is_not_there(forum: World) -> None:
    thread = bot(forum, "createForumTopic", chat_id=GROUP, name="Ann")["message_thread_id"]
    status, sent = handle(
        forum,
        "POST",
        f"chats/{GROUP}/messages",
        {},
        {"user_id": OPERATOR, "text": "hello", "message_thread_id": thread},
    )
    assert status == 200
    assert (
        sent["update"]["message"]["message_thread_id"],
        sent["update"]["message"]["is_topic_message"],
    ) == (
        thread,
        True,
    )
    status, sticker = handle(
        forum,
        "POST",
        f"chats/{GROUP}/sticker",
        {},
        {"user_id": OPERATOR, "emoji": "👍", "message_thread_id": thread},
    )
    assert (status, sticker["update"]["message"]["message_thread_id"]) == (200, thread)
    assert handle(
        forum,
        "POST",
        f"chats/{GROUP}/messages",
        {},
        {"user_id": OPERATOR, "text": "x", "message_thread_id": 999},
    ) == (400, {"error": f"no topic 999 in chat {GROUP}"})
    assert handle(
        forum,
        "POST",
        f"chats/{USER_ID}/messages",
        {},
        {"user_id": USER_ID, "text": "x", "message_thread_id": thread},
    ) == (400, {"error": "a private chat has no topics"})


def test_a_saved_forum_keeps_its_topics(forum: World) -> None:
    thread = bot(forum, "createForumTopic", chat_id=GROUP, name="Ann")["message_thread_id"]
    again = World(token=TOKEN)
    restore(again, json.loads(json.dumps(snapshot(forum))))
    assert again.topic(GROUP, thread).name == "Ann"
    assert again.chats[GROUP].is_forum
    bot(again, "sendMessage", chat_id=GROUP, message_thread_id=thread, text="still here")
