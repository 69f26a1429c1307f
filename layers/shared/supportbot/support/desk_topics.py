"""The Telegram desk's topics as state: which conversation a topic is, and the status it shows
(docs/ARCHITECTURE.md, "Desks").

A conversation's topic is its ``desk_ref`` (the thread) in the group ``desk_chat``: a topic of
another group than ``SUPPORT_CHAT_ID`` (the shop moved to a new group) is none of this one's, and
the next message makes one there (:func:`thread_in`). A topic's pointer, ``TOPIC#<chat>#<thread>``
/ ``-`` in the Conversations table, names its conversation (``value`` = the customer's user id,
``ref`` = the conversation's sort key), so an operator's message in a topic finds its conversation
with one GetItem. It is written with the conversation's ``desk_ref`` and ``desk_chat`` in one
transaction when the topic is made (the pointer of the topic it had before, deleted or in the
old group, goes in the same transaction), and deleted by an erase (``people.py``) and by the
conversation's expiry (``retention.py``).

A topic shows its conversation's status in front of its name (:data:`MARKS`): waiting for an
answer (open), answered, closed (or rated; the topic closed in the group too, ``closeForumTopic``,
and reopened with a reopen). What it shows is kept on the conversation (``desk_status``), so a
topic is edited only when that changes, not with every message. Every delivery to the topic ends
by showing the status the conversation has then (:func:`apply_status`, booked in the group's
bucket as a post, retried with the delivery); a move with nothing to post (a close, a reopen, an
operator's answer from the topic itself) queues a part of kind
:data:`~supportbot.support.messages.TOPIC` to the desk (``surfaces.show_topic_status``) to do it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import UpdateError

from supportbot.storage.transactions import transaction
from supportbot.support import conversations
from supportbot.support.conversations import ConversationItem
from supportbot.support.messages import MarkerItem, user_key
from supportbot.support.outbox import PermanentDeliveryError

if TYPE_CHECKING:  # an erase and a retention read the pointers without the Bot API client
    from telebot import TeleBot

    from supportbot.i18n import Translator

PREFIX = "TOPIC#"
# What a topic's name shows in front: the status as operators need it (rated is closed to them).
MARKS = {
    conversations.OPEN: "❓ ",
    conversations.ANSWERED: "💬 ",
    conversations.CLOSED: "✅ ",
    conversations.RATED: "✅ ",
}
CLOSED_MARK = MARKS[conversations.CLOSED]
NOT_MODIFIED = ("TOPIC_NOT_MODIFIED",)


def pointer_key(chat_id: int, thread: int) -> tuple[str, str]:
    return f"{PREFIX}{chat_id}#{thread}", "-"


def shown(status: str) -> str:
    """What a topic shows of ``status``: the status whose mark it has."""
    return conversations.CLOSED if status == conversations.RATED else status


def link(conversation: ConversationItem, chat_id: int, thread: int) -> None:
    """Make ``thread`` of the group ``chat_id`` the conversation's topic: its ``desk_ref`` and
    ``desk_chat`` and the topic's pointer, with the pointer of the topic it had before (deleted,
    or in the group the desk had before) gone, in one transaction."""
    number = int(conversation.number)
    before = topic_of(conversation)
    with transaction() as write:
        write.update(
            conversation,
            actions=[
                ConversationItem.desk_ref.set(str(thread)),
                ConversationItem.desk_chat.set(chat_id),
                # named for the status read when it was made (status_name)
                ConversationItem.desk_status.set(shown(str(conversation.status))),
                ConversationItem.version.add(1),
            ],
        )
        write.save(
            MarkerItem(
                *pointer_key(chat_id, thread),
                value=int(conversation.user_id),
                ref=conversations.conversation_key(number),
            )
        )
        if before is not None and before != (chat_id, thread):
            write.delete(MarkerItem(*pointer_key(*before)))
    conversation.refresh(consistent_read=True)


def conversation_of(chat_id: int, thread: int) -> ConversationItem | None:
    """The conversation whose topic ``thread`` is (None: not one of ours)."""
    try:
        pointer = MarkerItem.get(*pointer_key(chat_id, thread), consistent_read=True)
    except MarkerItem.DoesNotExist:
        return None
    try:
        return ConversationItem.get(user_key(int(pointer.value or 0)), str(pointer.ref), consistent_read=True)
    except ConversationItem.DoesNotExist:
        return None


def topic_of(conversation: ConversationItem) -> tuple[int, int] | None:
    """The group and thread of the conversation's topic (None: it has none)."""
    thread = str(conversation.desk_ref or "")
    if conversation.desk != "telegram" or not thread.isdigit() or conversation.desk_chat is None:
        return None
    return int(conversation.desk_chat), int(thread)


def thread_in(conversation: ConversationItem, chat_id: int | None) -> int | None:
    """The conversation's topic in the support group ``chat_id``; None when it has none there
    (none yet, or one in the group the desk had before)."""
    topic = topic_of(conversation)
    return topic[1] if topic is not None and topic[0] == chat_id else None


def topics_of(held: Iterable[Any]) -> list[tuple[int, int]]:
    """The topics (group, thread) of these conversations, in whichever group each was made."""
    found = {topic_of(item) for item in held if isinstance(item, ConversationItem)}
    return sorted(topic for topic in found if topic is not None)


def pointers_of(held: Iterable[Any]) -> list[tuple[str, str]]:
    """The pointer keys of these conversations' topics."""
    return [pointer_key(*topic) for topic in topics_of(held)]


def status_name(conversation: ConversationItem, t: Translator) -> str:
    """The topic's name for the conversation's status: its :data:`MARKS` in front of the
    customer, their type and its ref."""
    from supportbot.support.telegram_desk import topic_name  # the name's one home

    customer = conversation.customer or {}
    name = MARKS.get(str(conversation.status), "") + str(customer.get("name") or t.raw("desk.no_name"))
    return topic_name(conversation, {"client_name": name, "info": {"user_type": customer.get("type")}}, t)


def apply_status(
    bot: TeleBot,
    chat_id: int,
    thread: int,
    conversation: ConversationItem,
    call: Callable[[Callable[[], Any]], Any],
    pace: Callable[[], None],
    t: Translator,
) -> None:
    """Show the conversation's status in its topic ``thread`` when the topic shows another: the
    name, then closed or open when that changed too, booked as one post (``pace``); then
    kept as what it shows. A topic already so is left as it is; a topic deleted in the group has
    nothing to show (the next message makes a new one)."""
    from telebot.apihelper import ApiTelegramException

    from supportbot.support.telegram_desk import TOPIC_GONE, refused_for

    def refused(error: PermanentDeliveryError, reasons: tuple[str, ...]) -> bool:
        cause = error.__cause__
        return isinstance(cause, ApiTelegramException) and refused_for(cause, reasons)

    status, before = shown(str(conversation.status)), conversation.desk_status
    if status == before:
        return
    name = status_name(conversation, t)
    steps: list[Callable[[], Any]] = [lambda: bot.edit_forum_topic(chat_id, thread, name=name)]
    if before is None or (before in conversations.LIVE) != conversation.live:
        if conversation.live:
            steps.append(lambda: bot.reopen_forum_topic(chat_id, thread))
        else:
            steps.append(lambda: bot.close_forum_topic(chat_id, thread))
    pace()  # one post's room for the change (its name, and closed or open with it)
    for step in steps:
        try:
            call(step)
        except PermanentDeliveryError as error:
            if refused(error, TOPIC_GONE):
                return
            if not refused(error, NOT_MODIFIED):
                raise
    # Not an item of its own again when the conversation was erased meanwhile.
    with contextlib.suppress(UpdateError):
        conversation.update(
            actions=[ConversationItem.desk_status.set(status)], condition=ConversationItem.pk.exists()
        )
