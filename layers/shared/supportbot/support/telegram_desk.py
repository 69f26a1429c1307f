"""The Telegram desk (docs/ARCHITECTURE.md, "Desks"): one forum topic per conversation in the
support group ``SUPPORT_CHAT_ID``, opened by the customer's card; the customer's messages are
posted into it by the outbox (paced per group chat like every send, ``destinations.py``).

The topic's thread id is the conversation's ``desk_ref``, in the group ``desk_chat``. A topic
deleted in the group is made again on the next message, and so is one of a conversation whose
topic is in the group the desk had before (``SUPPORT_CHAT_ID`` changed), with a line saying the
earlier history is in the admin inbox, so no customer is cut off. Without ``can_manage_topics`` nothing can be posted: the operators are told
once in the group's General topic and the message is retried with the outbox's delays (dead-lettered
past ``OUTBOX_MAX_ATTEMPTS``, shown in the admin inbox), never dropped.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import PutError
from telebot import TeleBot
from telebot.apihelper import ApiTelegramException

from supportbot.backend import Backend, BackendError, make_backend
from supportbot.config import Config
from supportbot.i18n import Translator, translator
from supportbot.storage.sessions import Auth, load_session
from supportbot.support import conversations, desk_topics, once
from supportbot.support import tickets as ticket_store
from supportbot.support.conversations import ConversationItem
from supportbot.support.messages import KINDS, MessageItem, Part, keep_copies
from supportbot.support.outbox import DeliveryError, HeldBack, PermanentDeliveryError

TOPIC_NAME_MAX = 128  # Telegram's limit on a topic's name
NO_RIGHTS = ("not enough rights", "CHAT_ADMIN_REQUIRED")
TOPIC_GONE = ("message thread not found", "TOPIC_ID_INVALID", "TOPIC_DELETED")
COPY_GONE = ("message to copy not found",)  # the customer deleted it before it was copied
NOT_MODIFIED = ("message is not modified",)
MAX_COPIES = 100  # copyMessages takes 1-100 message ids
RECENT_ORDERS = 3  # the card's "last orders"
logger = Logger(child=True)


def refused_for(error: ApiTelegramException, reasons: tuple[str, ...]) -> bool:
    return error.error_code == 400 and any(reason in str(error.description) for reason in reasons)


def posts(parts: list[Part], start: int, album: bool) -> list[tuple[int, int, list[int]]]:
    """The posts that put ``parts[start:]`` into the topic, in order: (first part, parts covered,
    the customer's message ids to copy, none: posted from the part). A message's parts (a file and
    its caption) are one copy; an album's messages are copied together (``copyMessages``: ids in
    increasing order, at most ``MAX_COPIES``), so the topic shows them as one album."""
    out: list[tuple[int, int, list[int]]] = []
    index = start
    while index < len(parts):
        # A customer's own part names its message; a copy of another chat's (``COPY``) goes as is.
        source = parts[index].message_id if parts[index].kind in KINDS else None
        end = index + 1
        if source is None:
            out.append((index, 1, []))
            index = end
            continue
        while end < len(parts) and parts[end].message_id == source:
            end += 1
        ids = out[-1][2] if out else []
        if album and ids and int(source) > ids[-1] and len(ids) < MAX_COPIES:
            first, _, _ = out.pop()
            out.append((first, end - first, [*ids, int(source)]))
        else:
            out.append((index, end - index, [int(source)]))
        index = end
    return out


def who(context: dict[str, Any], t: Translator) -> tuple[str, str]:
    """The customer's name and type (customer, partner, guest) as operators read them."""
    info = context.get("info") or {}
    return str(context.get("client_name") or t.raw("desk.no_name")), t.raw(
        f"desk.type_{info.get('user_type', 'guest')}"
    )


def topic_name(conversation: ConversationItem, context: dict[str, Any], t: Translator) -> str:
    """The customer's name, their type and the conversation's ref, within Telegram's limit."""
    name, kind = who(context, t)
    suffix = f" · {kind} · {conversation.ref}"
    return name[: TOPIC_NAME_MAX - len(suffix)] + suffix


def card(conversation: ConversationItem, context: dict[str, Any], t: Translator, shop: list[str]) -> str:
    """The topic's first post: who writes, then ``shop`` (``shop_lines``: their order and
    tickets), for operators (plain text, no markup to escape)."""
    from supportbot.people import shown_phone  # only a new topic's card shows a phone

    info = context.get("info") or {}
    phone = context.get("client_phone")
    name, kind = who(context, t)
    lines = [
        t.raw("desk.card_title").format(ref=conversation.ref),
        t.raw("desk.card_name").format(name=name),
        t.raw("desk.card_phone").format(phone=shown_phone(phone) or "—"),
        t.raw("desk.card_type").format(type=kind),
        t.raw("desk.card_username").format(username=info.get("telegram_username") or "—"),
        t.raw("desk.card_language").format(language=context.get("language") or "—"),
        *shop,
    ]
    return "\n".join(lines)


def shop_lines(backend: Backend, user_id: int, context: dict[str, Any], t: Translator) -> list[str]:
    """The card's lines from the shop: the order the conversation is about with its status, the
    customer's open tickets and their last few orders. Orders are read with the customer's login
    (a guest has none); the business system down or the login expired leaves the orders out (the
    order named by its number): the card never waits for the shop."""
    from supportbot.bot.orders import status_words  # the order screens' words for a status

    about = context.get("order") or {}
    order_line = recent_line = None
    auth = Auth.from_dict(load_session(user_id).auth)
    if auth is not None:
        try:
            if about.get("id"):
                order = backend.get_order(auth.token, str(about["id"]))
                order_line = t.raw("desk.card_order").format(
                    number=order.number, status=status_words(order, t)
                )
            recent = backend.list_orders(auth.token, 1, RECENT_ORDERS).items
            shown = "; ".join(f"№{order.number} {status_words(order, t)}" for order in recent)
            recent_line = t.raw("desk.card_recent").format(orders=shown or "—")
        except BackendError as error:
            logger.warning("The card goes without the shop's orders", extra={"reason": type(error).__name__})
            recent_line = t.raw("desk.card_orders_unavailable")
    if order_line is None and about.get("id"):
        order_line = t.raw("desk.card_order").format(number=about.get("number") or about["id"], status="—")
    tickets = [ticket for ticket in ticket_store.of_user(user_id) if ticket.status != ticket_store.CLOSED]
    listed = ", ".join(f"{ticket.label} {ticket.title}".strip() for ticket in tickets)
    tickets_line = t.raw("desk.card_tickets").format(tickets=listed or "—")
    return [line for line in (order_line, tickets_line, recent_line) if line]


class TelegramDesk:
    """Finds or makes the topic of a message's conversation, for ``Destinations``."""

    def __init__(self, config: Config, bot: TeleBot, call: Callable[[Callable[[], Any]], Any]) -> None:
        """``call`` runs a Bot API call with the outbox's reading of Telegram's answers
        (``Destinations._telegram``: 429 held back, 400 permanent, the rest retried)."""
        if config.support_chat_id is None:
            raise PermanentDeliveryError("SUPPORT_CHAT_ID is not set: no support group to post to")
        self.config = config
        self.bot = bot
        self.call = call
        self.chat_id = config.support_chat_id
        self.t = translator(config.default_language)  # read by operators
        self.conversation: ConversationItem | None = None  # the message's, as topic() read it

    @functools.cached_property
    def backend(self) -> Backend:
        """The shop's system the card reads orders from, made on first use: only a new topic's
        card reads it."""
        return make_backend(self.config)

    def conversation_of(self, item: MessageItem) -> ConversationItem:
        conversation = conversations.get(int(item.user_id), int(item.conversation or 0))
        if conversation is None:
            raise PermanentDeliveryError(f"conversation {item.conversation} of the message is gone")
        return conversation

    def topic(self, item: MessageItem, pace: Callable[[], None], gone: bool = False) -> int:
        """The conversation's topic in this group, else (or when ``gone``) a new one with the
        card, once ``pace`` found room in the group for the card (held back otherwise, nothing
        made); the card of a topic made again, or made here for a conversation whose topic is in
        the group the desk had before, says where the earlier history is."""
        conversation = self.conversation = self.conversation_of(item)
        known = desk_topics.thread_in(conversation, self.chat_id)
        if known is not None and not gone:
            return known
        moved = known is None and desk_topics.topic_of(conversation) is not None
        context = item.context or {}
        pace()
        name = desk_topics.status_name(conversation, self.t)
        try:
            created = self.call(lambda: self.bot.create_forum_topic(self.chat_id, name))
        except PermanentDeliveryError as error:
            if not refused(error, NO_RIGHTS):
                raise
            self.tell_no_rights()
            # Retried with the outbox's delays: an admin may give the right meanwhile.
            raise DeliveryError(f"the bot cannot manage topics in the support group: {error}") from error
        thread = int(created.message_thread_id)
        # Stored before the card is posted: a retry never makes a second topic.
        desk_topics.link(conversation, self.chat_id, thread)
        lines = [
            card(conversation, context, self.t, shop_lines(self.backend, int(item.user_id), context, self.t))
        ]
        if gone:
            lines.append(self.t.raw("desk.topic_recreated"))
        elif moved:
            lines.append(self.t.raw("desk.topic_moved"))
        text = "\n\n".join(lines)
        self.call(lambda: self.bot.send_message(self.chat_id, text, message_thread_id=thread))
        return thread

    def tell_no_rights(self) -> None:
        """Once (a marker per group), in General: what the bot needs. Marked once sent, so a
        notice Telegram did not take is tried again with the message's next attempt."""
        key = f"desk:no-rights:{self.chat_id}"
        if once.claimed(key) is not None:
            return  # told already (within the marker's 30 days)
        try:
            self.call(lambda: self.bot.send_message(self.chat_id, self.t.raw("desk.no_rights")))
        except (DeliveryError, PermanentDeliveryError, HeldBack):
            return  # not told: tried again with the message's next attempt
        with contextlib.suppress(PutError):  # two deliveries told at once: marked by the other
            once.marker(key).save(condition=once.fresh())

    def copy(self, item: MessageItem, sources: list[int], thread: int) -> bool:
        """Copy the customer's messages ``sources`` into the topic (``copyMessage``, an album's with
        ``copyMessages``), keeping which copy is which for their edits (``external["copies"]``);
        False when the customer deleted them first (the stored parts are posted instead)."""
        user = int(item.user_id)
        try:
            if len(sources) == 1:
                made = [
                    self.call(
                        lambda: self.bot.copy_message(
                            self.chat_id, user, sources[0], message_thread_id=thread
                        )
                    )
                ]
            else:
                made = self.call(
                    lambda: self.bot.copy_messages(self.chat_id, user, sources, message_thread_id=thread)
                )
        except PermanentDeliveryError as error:
            if refused(error, COPY_GONE):
                return False
            raise
        keep_copies(item, sources, made)  # none when Telegram skipped some: edits then post "edited:"
        return True


def refused(error: PermanentDeliveryError, reasons: tuple[str, ...]) -> bool:
    """Whether the outbox's permanent failure is Telegram's 400 for one of ``reasons``."""
    cause = error.__cause__
    return isinstance(cause, ApiTelegramException) and refused_for(cause, reasons)
