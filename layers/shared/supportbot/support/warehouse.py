"""Product photo requests at the warehouse: the ticket, its post in the warehouse group, the staff's
buttons, and their photos relayed to the customer.

The warehouse is a Telegram group (``WAREHOUSE_CHAT_ID``) the bot is a member of. Its updates never
reach the customers' state machine: the webhook hands every group update to :func:`process_group_update`,
which handles the warehouse group's and ignores any other group's.

How a group message leads back to its ticket, with nothing recorded at delivery: the request's
buttons carry the ticket's internal number in the bot's one callback format with the session-less
token (``-|wh:take:1042``; buttons sent before it, ``wh:take:1042``, still work) and the request's
first line names its ref (``Ф-12``; ``#1042`` in requests posted before refs existed), kept after
the buttons are gone, so late photos still find it (``tickets.find``). A reply to any other message,
or a message that is not the bot's, maps to nothing and is ignored. Staff's presses and photos move
the ticket through its lifecycle (``tickets.move``): Take ``open → in_progress``, Can't ``→ closed``
(``refused``), the first photos ``→ closed`` (``photos_sent``).

Staff answer by replying to the request with photos: a single photo, or an album, which becomes ONE
stored message (``albums.py``) whose parts are the photos' Telegram ``file_id`` (nothing is
downloaded) and reaches the customer as one album with the ticket's ref in its caption. Every
message to the customer or the warehouse goes through the outbox, each enqueue keyed by the input
that caused it, so a repeated update stores nothing twice.
"""

from __future__ import annotations

import contextlib
import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from telebot.apihelper import ApiTelegramException

from statemachine import SESSIONLESS, callback_data, sessionless_arg
from supportbot.config import Config, PerConfig
from supportbot.i18n import Translator, translator
from supportbot.storage.sessions import customer_language
from supportbot.support import tickets
from supportbot.support.albums import collect
from supportbot.support.lifecycle import RefusedMove, StaleVersion
from supportbot.support.messages import CUSTOMER, WAREHOUSE, NewMessage
from supportbot.support.outbox import enqueue
from supportbot.support.surfaces import notify_ticket
from supportbot.support.tickets import CLOSED, IN_PROGRESS, OPEN, PHOTO, PHOTOS_SENT, REFUSED, TicketItem
from supportbot.telegram.client import get_bot
from supportbot.telegram.replies import NOT_MODIFIED, callback_answer, inline_markup

if TYPE_CHECKING:
    from telebot import TeleBot, types

logger = Logger(child=True)

TAKE, CANT = "take", "cant"
BUTTONS = "wh"
BUTTON = re.compile(r"(?P<action>take|cant):(?P<number>\d{1,9})", re.ASCII)
LEGACY_BUTTON = re.compile(r"wh:(?P<action>take|cant):(?P<number>\d{1,9})", re.ASCII)
# The ticket a request's first line names: its ref, or "#1042" in requests posted before refs.
NAMED = re.compile(r"(Ф-\d{1,9}|#\d{1,9})\b")


@dataclass(frozen=True)
class Subject:
    """What the customer wants photographed: one of their orders, or an article number."""

    order_id: str | None = None
    order_number: str | None = None
    title: str | None = None
    article: str | None = None

    def details(self) -> dict[str, str]:
        fields = {"order_id": self.order_id, "order": self.order_number, "title": self.title}
        return {k: v for k, v in {**fields, "article": self.article}.items() if v}


# ---- the customer side: opening a request ---------------------------------------------------------
def open_photo_request(config: Config, user_id: int, key: str, subject: Subject, note: str | None) -> str:
    """Open a photo request and post it to the warehouse; returns its ref (``Ф-12``).

    ``key`` names the input (the customer's "send" press): a handler re-run after a lost session
    race gets the same ticket back, and the warehouse gets the request once.
    """
    details = {**subject.details(), "note": note}
    title = details.get("order") or details.get("article") or ""
    ticket = tickets.open_ticket(user_id, PHOTO, key, title=title, details=details)
    t = warehouse_translator(config)
    message = NewMessage(
        user_id, WAREHOUSE, [{"kind": "text", "text": request_text(ticket, t)}], request_context(ticket, t)
    )
    item = enqueue(config, message, once=f"out:wh-post:{int(ticket.number)}")
    if ticket.conversation is None and item.conversation:
        ticket.update(actions=[TicketItem.conversation.set(int(item.conversation))])
    return ticket.label


# ---- what the warehouse sees ------------------------------------------------------------------------
def warehouse_translator(config: Config) -> Translator:
    """The warehouse group reads the bot's default language."""
    return translator(config.default_language)


def request_text(ticket: TicketItem, t: Translator) -> str:
    """The request as posted in the group; its first line names the ticket (``#1042``)."""
    details = ticket.details or {}
    lines = [t("warehouse.request", number=ticket.label)]
    if details.get("order"):
        if details.get("title"):
            lines.append(t("warehouse.order_title", order=details["order"], title=details["title"]))
        else:
            lines.append(t("warehouse.order", order=details["order"]))
    if details.get("article"):
        lines.append(t("warehouse.article", article=details["article"]))
    if details.get("note"):
        lines.append(t("warehouse.note", note=details["note"]))
    lines += ["", status_line(ticket, t)]
    if ticket.status != CLOSED:
        lines += ["", t("warehouse.hint")]
    return "\n".join(lines)


def status_line(ticket: TicketItem, t: Translator) -> str:
    staff = (ticket.details or {}).get("staff") or "—"
    if ticket.status == CLOSED:
        return t(f"warehouse.status_{ticket.outcome or tickets.RESOLVED}", staff=staff)
    if ticket.status == IN_PROGRESS:
        return t("warehouse.status_in_progress", staff=staff)
    return t("warehouse.status_open")


def request_buttons(ticket: TicketItem, t: Translator) -> list[list[dict[str, str]]]:
    """Take it while nobody has; Can't do until it is closed; nothing once closed."""
    row = []
    if ticket.status == OPEN:
        row.append({"text": t("warehouse.take"), "callback_data": button_data(TAKE, ticket)})
    if ticket.status in (OPEN, IN_PROGRESS):
        row.append({"text": t("warehouse.cant"), "callback_data": button_data(CANT, ticket)})
    return [row] if row else []


def button_data(action: str, ticket: TicketItem) -> str:
    return callback_data(SESSIONLESS, BUTTONS, f"{action}:{ticket.number}")


def pressed(data: str) -> re.Match[str] | None:
    """The action and ticket number of a warehouse button's callback data, else None."""
    arg = sessionless_arg(data, BUTTONS)
    return BUTTON.fullmatch(arg) if arg is not None else LEGACY_BUTTON.fullmatch(data)


def request_context(ticket: TicketItem, t: Translator) -> dict[str, Any]:
    return {"ticket": ticket.label, "buttons": request_buttons(ticket, t)}


# ---- the warehouse side: group updates --------------------------------------------------------------
class Warehouse:
    """Handles the warehouse group's updates; returns a callback answer for the webhook response."""

    def __init__(self, config: Config, bot: TeleBot) -> None:
        self.config = config
        self.bot = bot
        self.t = warehouse_translator(config)

    def process(self, update: types.Update) -> dict[str, Any] | None:
        chat_id = self.config.warehouse_chat_id
        query = update.callback_query
        if query is not None and query.message is not None and query.message.chat.id == chat_id:
            return self.on_button(query, query.message.message_id)
        message = update.message
        if message is not None and message.chat.id == chat_id:
            self.on_message(update.update_id, message)
            return None
        logger.info(
            "Group update not from the warehouse group ignored", extra={"update_id": update.update_id}
        )
        return None

    # -- buttons
    def on_button(self, query: types.CallbackQuery, message_id: int) -> dict[str, Any]:
        t = self.t
        found = pressed(query.data or "")
        ticket = tickets.find(int(found["number"])) if found else None
        if found is None or ticket is None or ticket.kind != PHOTO:
            return callback_answer(query.id, [t("warehouse.unknown")], alert=True)
        staff = _name(query.from_user)
        label = ticket.label
        try:
            if found["action"] == TAKE:
                tickets.move(ticket, IN_PROGRESS, staff=staff)
                notice = t("warehouse.taken", number=label)
            else:
                tickets.move(ticket, CLOSED, outcome=REFUSED, staff=staff)
                notify_ticket(self.config, ticket)
                notice = t("warehouse.refused", number=label)
        except (RefusedMove, StaleVersion):
            # Taken or closed already (by another member, or the admin): say so, show the status.
            if ticket.status == IN_PROGRESS:
                notice = t("warehouse.already_taken", number=label, staff=(ticket.details or {}).get("staff"))
            else:
                notice = t("warehouse.closed", number=label)
        self._show(ticket, message_id)  # the current status, whatever was pressed
        return callback_answer(query.id, [notice])

    # -- replies with photos
    def on_message(self, update_id: int, message: types.Message) -> None:
        part = _part(message)
        if part is None:
            return  # staff talking among themselves, even in replies: not for the customer
        ticket = self._replied_ticket(message)
        if ticket is None:
            logger.info("Warehouse photo not replying to a request ignored", extra={"update_id": update_id})
            return
        first = self._relay(ticket, message, part, update_id)
        if first and ticket.status != CLOSED:
            with contextlib.suppress(RefusedMove, StaleVersion):  # closed meanwhile: photos still go
                tickets.move(ticket, CLOSED, outcome=PHOTOS_SENT, staff=_name(message.from_user))
        reply = message.reply_to_message
        if first and reply is not None:
            self._show(ticket, reply.message_id)

    def _replied_ticket(self, message: types.Message) -> TicketItem | None:
        reply = message.reply_to_message
        bot_id = int(self.bot.token.split(":")[0])
        if reply is None or reply.from_user is None or reply.from_user.id != bot_id:
            return None
        found = NAMED.search((reply.text or "").split("\n", 1)[0])
        ticket = tickets.find(found[1].lstrip("#")) if found else None
        return ticket if ticket is not None and ticket.kind == PHOTO else None

    def _relay(
        self, ticket: TicketItem, message: types.Message, part: dict[str, Any], update_id: int
    ) -> bool:
        """Store the photo for the customer: a new message, or the next part of its album.

        True when it starts a new message (the album's first photo, or a single one)."""
        chat = self.config.warehouse_chat_id
        album = message.media_group_id
        t = customer_translator(ticket, self.config)
        caption = t("photo.album_caption", number=ticket.label)
        first = {**part, "text": "\n\n".join(filter(None, [caption, part.get("text")]))}
        context = {"ticket": ticket.label, "album": bool(album)}
        conversation = int(ticket.conversation) if ticket.conversation else None
        new = NewMessage(int(ticket.user_id), CUSTOMER, [first], context, conversation=conversation)
        _, started = collect(
            self.config,
            new,
            part_key=f"wh:{chat}:{update_id}",
            album_key=f"wh-album:{chat}:{album}" if album else None,
            appended=[part],  # the caption is the album's first part's only
        )
        return started

    def _show(self, ticket: TicketItem, message_id: int) -> None:
        """Edit the request in the group to its current status (best effort: the status is stored)."""
        t = self.t
        try:
            self.bot.edit_message_text(
                request_text(ticket, t),
                self.config.warehouse_chat_id,
                message_id,
                parse_mode="HTML",
                reply_markup=inline_markup(request_buttons(ticket, t)),
            )
        except ApiTelegramException as error:
            if NOT_MODIFIED not in error.description:  # a double tap changes nothing: not an error
                logger.warning("Warehouse request not updated", extra={"reason": error.description})


def _part(message: types.Message) -> dict[str, Any] | None:
    """A photo (its largest size) or a file, by Telegram ``file_id``; the caption escaped."""
    caption = html.escape(message.caption, quote=False) if message.caption else None
    if message.photo:
        return {"kind": "image", "file_id": message.photo[-1].file_id, "text": caption}
    if message.document is not None:
        return {
            "kind": "file",
            "file_id": message.document.file_id,
            "file_name": message.document.file_name,
            "text": caption,
        }
    return None


def _name(user: types.User | None) -> str:
    if user is None:
        return "—"
    return " ".join(filter(None, [user.first_name, user.last_name])) or (user.username or str(user.id))


def customer_translator(ticket: TicketItem, config: Config) -> Translator:
    return translator(customer_language(int(ticket.user_id), config.default_language))


# Built at the first group update, again when re-read secrets change the configuration.
get_warehouse = PerConfig(lambda config: Warehouse(config, get_bot()))


def process_group_update(update: types.Update) -> dict[str, Any] | None:
    return get_warehouse().process(update)
