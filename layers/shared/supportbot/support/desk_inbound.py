"""The Telegram desk's inbound side: what operators do in the support group's topics
(docs/ARCHITECTURE.md, "Desks").

The webhook hands every update of the group ``SUPPORT_CHAT_ID`` here (``pipeline.dispatch``),
never to the customers' state machine or the warehouse. A topic's conversation is found by its
pointer (``desk_topics.conversation_of``: one GetItem). Not acted on: the bot's own posts (and
other bots'), service messages (a topic made, renamed, closed; members joining), anything outside
a topic (General), and topics that are no conversation's. The group is private: whoever writes
in it is a member; where a command needs to know who (a note's author, a ban, "assign me") the
member is matched to an operator by ``telegram_id`` (``operators.py``) and refused when none is.

- An operator's message (text, photo, album part, document, voice, video, sticker, location,
  contact...) reaches the customer as it is, with ``copyMessage`` (nothing downloaded), stored
  first as the operator's answer in the conversation and delivered by the outbox (retries,
  pacing, dead-letter), keyed ``desk:<chat>:<message_id>`` so a replayed update sends it once.
  Telegram refusing it for good (the customer blocked the bot) is told in the topic with the
  reason (``surfaces.report_undelivered``).
- A command (``/close``, ``/reopen``, ``/note``, ``/order``, ``/ban``, ``/unban``, ``/tag``,
  ``/assign``, ``/canned``) or a text starting with ``#`` (an internal note) acts through the same
  functions as the admin inbox; nothing of it reaches the customer but what the command sends
  (the rating request of a close, a canned reply). Unknown commands get a short help.
- What the bot answers in a topic goes through the outbox to the desk (``surfaces.tell_desk``):
  paced with the group's other posts, and a topic deleted meanwhile is made again.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from aws_lambda_powertools import Logger
from telebot import TeleBot, types

from statemachine import SESSIONLESS, callback_data, sessionless_arg
from supportbot import canned, operators
from supportbot.config import Config, PerConfig
from supportbot.i18n import SafeHTML, Translator, translator
from supportbot.storage.sessions import Auth, customer_language, load_session
from supportbot.support import bans, conversations, desk_topics, once, triage
from supportbot.support.albums import collect
from supportbot.support.answer_time import ANSWER, record_first_answer
from supportbot.support.conversations import ConversationItem
from supportbot.support.lifecycle import RefusedMove
from supportbot.support.messages import (
    COPY,
    CUSTOMER,
    OPERATOR_ROLE,
    MessageItem,
    NewMessage,
    load_message,
    user_key,
)
from supportbot.support.outbox import enqueue
from supportbot.support.surfaces import (
    close_conversation,
    reopen_conversation,
    show_topic_status,
    tell_customer,
    tell_desk,
)
from supportbot.telegram.client import get_bot
from supportbot.telegram.replies import callback_answer

logger = Logger(child=True)

# What copyMessage copies; every other content type of a group message is a service message.
RELAYED = (
    "text",
    "photo",
    "document",
    "voice",
    "video",
    "video_note",
    "sticker",
    "audio",
    "animation",
    "location",
    "contact",
    "venue",
    "dice",
    "poll",
)
COMMAND = re.compile(r"/(?P<name>[A-Za-z_]{1,32})(?:@(?P<to>\w+))?(?:\s+(?P<args>.*))?", re.DOTALL)
CANNED = "canned"  # the picker's buttons: -|canned:<conversation number>:<reply id>
CANNED_ARG = re.compile(r"(?P<number>\d{1,12}):(?P<reply>[a-z0-9]{12})", re.ASCII)
CANNED_BUTTONS = 30
NOTE_LIMIT = 4000  # as the admin inbox's notes
ORDER_PAGES = 5  # the customer's newest orders looked through for /order <number>
ORDER_PAGE_SIZE = 20


def is_desk_update(config: Config, update: types.Update) -> bool:
    """Whether the update comes from the Telegram desk's support group."""
    if config.support_desk != "telegram" or config.support_chat_id is None:
        return False
    query = update.callback_query
    message = update.message or update.edited_message or (query.message if query is not None else None)
    return message is not None and message.chat.id == config.support_chat_id


class Desk:
    """Handles the support group's updates; returns a callback answer for the webhook response."""

    def __init__(self, config: Config, bot: TeleBot) -> None:
        self.config = config
        self.bot = bot
        self.chat_id = int(config.support_chat_id or 0)
        self.t = translator(config.default_language)  # read by operators

    def process(self, update: types.Update) -> dict[str, Any] | None:
        if update.callback_query is not None:
            return self.on_button(update.callback_query)
        if update.edited_message is not None:
            self.on_edit(update.edited_message)
            return None
        message = update.message
        thread = topic_of(message) if message is not None else None
        if message is None or thread is None:
            return None  # an edit, the bot's own post, a service message, General
        conversation = desk_topics.conversation_of(self.chat_id, thread)
        if conversation is None:
            logger.info(
                "A topic that is no conversation's; ignored", extra={"thread": message.message_thread_id}
            )
            return None
        said = message.text if message.content_type == "text" else message.caption
        said = said or ""
        command = COMMAND.fullmatch(said.strip()) if message.content_type == "text" else None
        if command is not None and command["to"] and not self.for_us(command["to"]):
            return None  # another bot's command: neither ours nor for the customer
        if command is not None:
            self.command(message, conversation, command["name"].lower(), (command["args"] or "").strip())
        elif said.startswith("#"):
            if message.content_type == "text":
                self.note(message, conversation, said[1:].strip())
            else:
                self.say(message, conversation, self.t("desk.note_text_only"))
        else:
            self.relay(message, conversation)
        return None

    # ---- operator -> customer -------------------------------------------------------------------
    def relay(self, message: types.Message, conversation: ConversationItem) -> None:
        """The message to the customer as it is, as the operator's answer in the conversation."""
        user_id = int(conversation.user_id)
        text = message.html_text if message.content_type == "text" else message.html_caption
        part: dict[str, Any] = {"kind": COPY, "from_chat": self.chat_id, "message_id": message.message_id}
        if text:
            part["text"] = text
        if message.content_type != "text":
            part["file_name"] = message.content_type
        record_first_answer(user_id)
        context = {
            "language": customer_language(user_id, self.config.default_language),
            ANSWER: True,
            "via": "telegram",  # a refusal by Telegram is told in the topic (surfaces.report_undelivered)
            "operator": self.who(message.from_user),  # the reports' operator (support/reports.py)
        }
        album = message.media_group_id
        if album:
            context["album"] = album
        new = NewMessage(
            user_id, CUSTOMER, [part], context, role=OPERATOR_ROLE, conversation=int(conversation.number)
        )
        # An album's messages are one stored message, copied together (one copyMessages).
        collect(
            self.config,
            new,
            part_key=self.key(message),
            album_key=f"desk-album:{self.chat_id}:{album}" if album else None,
        )
        if conversation.live and conversation.desk_status != conversations.ANSWERED:
            # Answered now: posted in the topic already, so nothing else would show it there.
            show_topic_status(self.config, conversation)

    def on_edit(self, message: types.Message) -> None:
        """An operator's edit of a message for the customer: the stored text the inbox shows, and
        an edit of the customer's copy through the outbox (retried, paced; after the message
        itself, in the customer's order, so a copy made meanwhile is edited too). One Telegram
        cannot edit (a copy too old, the customer gone) is told in the topic
        (``surfaces.report_undelivered``)."""
        thread = topic_of(message)
        conversation = desk_topics.conversation_of(self.chat_id, thread) if thread is not None else None
        if conversation is None:
            return
        user_id = int(conversation.user_id)
        stored = self.relayed(message, user_id)
        if stored is None:
            return  # a command's or a note's edit: nothing was sent
        index = next(i for i, part in enumerate(stored.parts) if part.message_id == message.message_id)
        text = message.html_text if message.content_type == "text" else message.html_caption
        stored.update(actions=[MessageItem.parts[index]["text"].set(text or None)])
        edit = {
            "of": stored.sk,
            "message_id": message.message_id,
            "field": "text" if message.content_type == "text" else "caption",
            "text": text or "",
            "html": True,
        }
        context = {
            "edit": edit,
            "via": "telegram",  # a refusal is told in the topic
            "language": customer_language(user_id, self.config.default_language),
        }
        part = {"kind": "text", "text": self.t.raw("support.edited").format(text=text or "")}
        digest = hashlib.sha256((text or "").encode()).hexdigest()[:12]
        enqueue(
            self.config,
            NewMessage(user_id, CUSTOMER, [part], context, conversation=int(conversation.number)),
            # Telegram's edit_date is in seconds: two edits within one are told apart by their words.
            once=f"{self.key(message)}:edit:{message.edit_date or message.date}:{digest}",
        )

    def relayed(self, message: types.Message, user_id: int) -> MessageItem | None:
        """The stored message that took ``message`` to the customer: its own, or its album's."""
        keys = [self.key(message)]
        if message.media_group_id:
            keys.append(f"desk-album:{self.chat_id}:{message.media_group_id}")
        for key in keys:
            marker = once.claimed(key)
            if marker is not None and marker.ref:
                return load_message(user_key(user_id), str(marker.ref))
        return None

    # ---- commands -------------------------------------------------------------------------------
    def command(self, message: types.Message, conversation: ConversationItem, name: str, args: str) -> None:
        handlers = {
            "close": self.close,
            "reopen": self.reopen,
            "note": self.note,
            "order": self.order,
            "ban": self.ban,
            "unban": self.unban,
            "tag": self.tag,
            "assign": self.assign,
            "canned": self.canned,
        }
        handler = handlers.get(name)
        if handler is None:
            self.say(message, conversation, self.t("desk.help"))
            return
        handler(message, conversation, args)

    def close(self, message: types.Message, conversation: ConversationItem, args: str) -> None:
        try:
            closed = close_conversation(self.config, conversation, conversations.BY_OPERATOR)
        except RefusedMove as refused:
            self.say(message, conversation, self.t("desk.refused", detail=refused.detail))
            return
        self.say(message, closed, self.t("desk.closed", ref=closed.ref, name=self.who(message.from_user)))

    def reopen(self, message: types.Message, conversation: ConversationItem, args: str) -> None:
        try:
            reopened = reopen_conversation(self.config, conversation)
        except RefusedMove as refused:
            self.say(message, conversation, self.t("desk.refused", detail=refused.detail))
            return
        self.say(message, reopened, self.t("desk.reopened", ref=reopened.ref))

    def note(self, message: types.Message, conversation: ConversationItem, args: str) -> None:
        operator = self.operator(message, conversation)
        if operator is None:
            return
        if not args or len(args) > NOTE_LIMIT:
            self.say(message, conversation, self.t("desk.note_usage", limit=NOTE_LIMIT))
            return
        # keyed by the topic's message: a replayed update adds no second note
        triage.add_note(
            conversation, args, operator.operator_id, str(operator.name), once_key=f"{self.key(message)}:note"
        )
        self.say(message, conversation, self.t("desk.note_saved", name=str(operator.name)))

    def ban(self, message: types.Message, conversation: ConversationItem, args: str) -> None:
        operator = self.operator(message, conversation)
        if operator is None:
            return
        hours = int(args) if args.isdigit() else bans.DEFAULT_HOURS if not args else 0
        if not 1 <= hours <= bans.MAX_HOURS:
            self.say(message, conversation, self.t("desk.ban_usage", most=bans.MAX_HOURS))
            return
        bans.ban(int(conversation.user_id), hours, operator.operator_id, str(operator.name))
        self.say(message, conversation, self.t("desk.banned", hours=hours, name=str(operator.name)))

    def unban(self, message: types.Message, conversation: ConversationItem, args: str) -> None:
        if self.operator(message, conversation) is None:
            return
        ended = bans.unban(int(conversation.user_id))
        self.say(message, conversation, self.t("desk.unbanned" if ended else "desk.not_banned"))

    def tag(self, message: types.Message, conversation: ConversationItem, args: str) -> None:
        present = not args.startswith("-")
        tag = args.removeprefix("-").lower()
        if not re.fullmatch(triage.TAG_PATTERN, tag):
            self.say(message, conversation, self.t("desk.tag_usage"))
            return
        if (
            present
            and tag not in (conversation.tags or [])
            and len(conversation.tags or []) >= triage.TAG_LIMIT
        ):
            self.say(message, conversation, self.t("desk.tag_limit", limit=triage.TAG_LIMIT))
            return
        try:
            tagged = triage.set_tag(conversation, tag, present)
        except triage.Changed:
            self.say(message, conversation, self.t("desk.changed"))
            return
        self.say(
            message, tagged, self.t("desk.tags", tags=" ".join(f"#{t}" for t in tagged.tags or []) or "—")
        )

    def assign(self, message: types.Message, conversation: ConversationItem, args: str) -> None:
        if args.lower() in ("", "me"):
            chosen = self.operator(message, conversation)
            if chosen is None:
                return
        else:
            wanted = args.lower().removeprefix("@")
            chosen = next(
                (
                    item
                    for item in operators.list_operators()
                    if wanted in (item.operator_id, str(item.name).lower())
                    or (item.telegram_id is not None and wanted == str(int(item.telegram_id)))
                ),
                None,
            )
            if chosen is None:
                self.say(message, conversation, self.t("desk.no_such_operator", name=args))
                return
        try:
            triage.assign(conversation, chosen.operator_id)
        except triage.Changed:
            self.say(message, conversation, self.t("desk.changed"))
            return
        self.say(message, conversation, self.t("desk.assigned", name=str(chosen.name)))

    def canned(self, message: types.Message, conversation: ConversationItem, args: str) -> None:
        language = customer_language(int(conversation.user_id), self.config.default_language)
        replies = canned.all_replies()[:CANNED_BUTTONS]
        if not replies:
            self.say(message, conversation, self.t("desk.canned_none"))
            return
        rows = [
            [
                {
                    "text": canned.localized(item, language).title,
                    "callback_data": callback_data(
                        SESSIONLESS, CANNED, f"{int(conversation.number)}:{item.node_id}"
                    ),
                }
            ]
            for item in replies
        ]
        self.say(message, conversation, self.t("desk.canned_pick", language=language), buttons=rows)

    def order(self, message: types.Message, conversation: ConversationItem, args: str) -> None:
        number = args.removeprefix("№").removeprefix("#").strip()
        if not number:
            self.say(message, conversation, self.t("desk.order_usage"))
            return
        self.say(message, conversation, order_card(self.config, int(conversation.user_id), number, self.t))

    # ---- the canned picker's buttons ----------------------------------------------------------
    def on_button(self, query: types.CallbackQuery) -> dict[str, Any] | None:
        arg = sessionless_arg(query.data or "", CANNED)
        found = CANNED_ARG.fullmatch(arg or "")
        if found is None:
            return callback_answer(query.id, [])
        conversation = conversations.find(int(found["number"]))
        item = canned.get_reply(found["reply"])
        if conversation is None or item is None:
            return callback_answer(query.id, [self.t("desk.canned_gone")], alert=True)
        user_id = int(conversation.user_id)
        language = customer_language(user_id, self.config.default_language)
        try:
            said = canned.render(item, conversation, language)
        except canned.MissingValue as missing:
            return callback_answer(query.id, [self.t("desk.canned_missing", name=missing.name)], alert=True)
        # checked as Telegram HTML when it was saved (supportbot_admin/canned.py)
        text = translator(language)("support.operator", text=SafeHTML(said))
        record_first_answer(user_id)
        key = f"desk-canned:{self.chat_id}:{query.id}"
        name = self.who(query.from_user)
        extra = {ANSWER: True, "via": "telegram", "operator": name}
        tell_customer(
            self.config, user_id, text, int(conversation.number), once=key, role=OPERATOR_ROLE, extra=extra
        )
        title = canned.localized(item, language).title
        line = self.t("desk.canned_sent", title=title, name=name)
        tell_desk(
            self.config, conversation, {"kind": "text", "text": f"{line}\n\n{said}"}, once=f"{key}:desk"
        )
        return callback_answer(query.id, [self.t("desk.canned_answer", title=title)])

    # ---- helpers --------------------------------------------------------------------------------
    def operator(
        self, message: types.Message, conversation: ConversationItem
    ) -> operators.OperatorItem | None:
        """The operator the member is (by telegram_id); None, told in the topic, for none."""
        found = operators.operator_by_telegram_id(int(message.from_user.id))  # type: ignore[union-attr]
        if found is None:
            self.say(message, conversation, self.t("desk.not_operator", name=sender_name(message.from_user)))
        return found

    def who(self, user: types.User | None) -> str:
        """A member as the desk names them: their operator's name, else their Telegram name."""
        found = operators.operator_by_telegram_id(int(user.id)) if user is not None else None
        return str(found.name) if found is not None else sender_name(user)

    def say(
        self,
        message: types.Message,
        conversation: ConversationItem,
        text: str,
        buttons: list[list[dict[str, str]]] | None = None,
        key: str | None = None,
    ) -> None:
        """Answer in the topic (Telegram HTML), once per message (or ``key``) answered."""
        tell_desk(
            self.config,
            conversation,
            {"kind": "text", "text": text},
            once=f"{key or self.key(message)}:answer",
            buttons=buttons,
        )

    def for_us(self, addressee: str) -> bool:
        """Whether ``/command@addressee`` names this bot (getMe, once per bot client)."""
        return addressee.lower() == str(self.bot.user.username or "").lower()

    def key(self, message: types.Message) -> str:
        return f"desk:{self.chat_id}:{message.message_id}"


def topic_of(message: types.Message) -> int | None:
    """The topic of a member's message, of content an operator sends; None for anything else."""
    sender = message.from_user
    if sender is None or sender.is_bot or not message.is_topic_message or message.content_type not in RELAYED:
        return None
    return None if message.message_thread_id is None else int(message.message_thread_id)


def sender_name(user: types.User | None) -> str:
    # Every member's message and press has a sender; "—" only keeps the types honest.
    return (" ".join(p for p in (user.first_name, user.last_name) if p) or str(user.id)) if user else "—"


def order_card(config: Config, user_id: int, number: str, t: Translator) -> str:
    """The customer's order ``number`` as the operator needs it (Telegram HTML), read with the
    customer's own login, among their newest orders; or why it cannot be shown."""
    from supportbot.backend import BackendError, NotFoundError, UnauthorizedError, make_backend
    from supportbot.bot.orders import money, status_words
    from supportbot.bot.widgets import local_time

    auth = Auth.from_dict(load_session(user_id).auth)
    if auth is None:
        return t("desk.order_no_login")
    backend = make_backend(config)
    customer_t = translator(config.default_language)
    try:
        for page in range(1, ORDER_PAGES + 1):
            found = backend.list_orders(auth.token, page, ORDER_PAGE_SIZE)
            order = next((o for o in found.items if o.number == number), None)
            if order is not None:
                return "\n".join(
                    [
                        t("desk.order_title", number=order.number, title=order.title or "—"),
                        t("desk.order_status", status=status_words(order, customer_t)),
                        t("desk.order_amount", amount=money(order, customer_t)),
                        t("desk.order_updated", time=local_time(order.updated_at, config.time_zone)),
                    ]
                )
            if page >= found.pages:
                break
    except (UnauthorizedError, NotFoundError):
        return t("desk.order_no_login")
    except BackendError:
        return t("desk.order_unavailable")
    return t("desk.order_not_found", number=number)


def process_desk_update(update: types.Update) -> dict[str, Any] | None:
    return get_desk().process(update)


get_desk = PerConfig(lambda config: Desk(config, get_bot()))
