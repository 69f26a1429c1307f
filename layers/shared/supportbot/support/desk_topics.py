"""The Telegram desk's topics as state: which conversation a topic is, and the status it shows
(docs/ARCHITECTURE.md, "Desks").

A topic's pointer, ``TOPIC#<chat>#<thread>`` / ``-`` in the Conversations table, names its
conversation (``value`` = the customer's user id, ``ref`` = the conversation's sort key), so an
operator's message in a topic finds its conversation with one GetItem. It is written with the
conversation's ``desk_ref`` in one transaction when the topic is made (the pointer of a topic made
before it, deleted in the group, goes in the same transaction), and deleted by an erase
(``people.py``) and by the conversation's expiry (``retention.py``).

A topic shows its conversation's status: closed (or rated) conversations' topics are named with
:data:`CLOSED_MARK` in front and closed in the group (``closeForumTopic``), reopened ones named
without it and reopened. The change is a part of kind :data:`~supportbot.support.messages.TOPIC`
queued to the desk like any post (``surfaces.show_topic_status``), so it is paced with the
group's other posts and retried; the outbox applies it (:func:`apply_status`) with the status the
conversation has then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from supportbot.storage.transactions import transaction
from supportbot.support import conversations
from supportbot.support.conversations import ConversationItem
from supportbot.support.messages import MarkerItem, MessageItem, user_key
from supportbot.support.outbox import PermanentDeliveryError

if TYPE_CHECKING:  # an erase and a retention read the pointers without the Bot API client
    from telebot import TeleBot

    from supportbot.i18n import Translator

PREFIX = "TOPIC#"
CLOSED_MARK = "✅ "
NOT_MODIFIED = ("TOPIC_NOT_MODIFIED",)


def pointer_key(chat_id: int, thread: int) -> tuple[str, str]:
    return f"{PREFIX}{chat_id}#{thread}", "-"


def link(conversation: ConversationItem, chat_id: int, thread: int) -> None:
    """Make ``thread`` the conversation's topic: its ``desk_ref`` and the topic's pointer, with
    the pointer of the topic it had before (deleted in the group) gone, in one transaction."""
    number = int(conversation.number)
    with transaction() as write:
        write.update(
            conversation,
            actions=[ConversationItem.desk_ref.set(str(thread)), ConversationItem.version.add(1)],
        )
        write.save(
            MarkerItem(
                *pointer_key(chat_id, thread),
                value=int(conversation.user_id),
                ref=conversations.conversation_key(number),
            )
        )
        old = str(conversation.desk_ref or "")
        if old.isdigit() and int(old) != thread:
            write.delete(MarkerItem(*pointer_key(chat_id, int(old))))
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


def pointers_of(held: Iterable[Any], chat_id: int | None) -> list[tuple[str, str]]:
    """The pointer keys of these conversations' topics in the support group ``chat_id``."""
    if chat_id is None:
        return []
    return [
        pointer_key(chat_id, int(conversation.desk_ref))
        for conversation in held
        if isinstance(conversation, ConversationItem)
        and conversation.desk == "telegram"
        and str(conversation.desk_ref or "").isdigit()
    ]


def status_name(conversation: ConversationItem, t: Translator) -> str:
    """The topic's name for the conversation's status: the customer, their type, its ref, and
    :data:`CLOSED_MARK` in front once it is closed."""
    from supportbot.support.telegram_desk import topic_name  # the name's one home

    customer = conversation.customer or {}
    name = str(customer.get("name") or t.raw("desk.no_name"))
    if not conversation.live:
        name = CLOSED_MARK + name
    return topic_name(conversation, {"client_name": name, "info": {"user_type": customer.get("type")}}, t)


def apply_status(
    bot: TeleBot,
    chat_id: int,
    thread: int,
    item: MessageItem,
    call: Callable[[Callable[[], Any]], Any],
    t: Translator,
) -> None:
    """Show the status the conversation of ``item`` has now in its topic ``thread``: the name,
    then closed or open. A topic already so is left as it is; a topic deleted in the group has
    nothing to show (the next message makes a new one)."""
    from telebot.apihelper import ApiTelegramException

    from supportbot.support.telegram_desk import TOPIC_GONE, refused_for

    def refused(error: PermanentDeliveryError, reasons: tuple[str, ...]) -> bool:
        cause = error.__cause__
        return isinstance(cause, ApiTelegramException) and refused_for(cause, reasons)

    conversation = conversations.get(int(item.user_id), int(item.conversation or 0))
    if conversation is None:
        return
    name = status_name(conversation, t)
    steps: list[Callable[[], Any]] = [lambda: bot.edit_forum_topic(chat_id, thread, name=name)]
    if conversation.live:
        steps.append(lambda: bot.reopen_forum_topic(chat_id, thread))
    else:
        steps.append(lambda: bot.close_forum_topic(chat_id, thread))
    for step in steps:
        try:
            call(step)
        except PermanentDeliveryError as error:
            if refused(error, TOPIC_GONE):
                return
            if not refused(error, NOT_MODIFIED):
                raise
