"""Product photo requests at the warehouse: the ticket, its post in the warehouse group, the staff's
buttons, and their photos relayed to the customer.

The warehouse is a Telegram group (``WAREHOUSE_CHAT_ID``) the bot is a member of. Its updates never
reach the customers' state machine: the webhook hands every group update to :func:`process_group_update`,
which handles the warehouse group's and ignores any other group's.

How a group message leads back to its ticket, with nothing recorded at delivery: the request's
buttons carry the ticket number, in the bot's one callback format with the session-less token
(``-|wh:take:1042``; buttons sent before it, ``wh:take:1042``, still work) and the request's first line names it
(``#1042``, kept after the buttons are gone, so late photos still find it); the item
``TICKET#<number>`` names the customer whose partition holds the ticket. A reply to any other
message, or a message that is not the bot's, maps to nothing and is ignored.

Staff answer by replying to the request with photos: a single photo, or an album (one update per
photo, sharing ``media_group_id``), which becomes ONE stored message whose parts are the photos'
Telegram ``file_id`` (nothing is downloaded) and reaches the customer as one album with the ticket
number in its caption. Every message to the customer or the warehouse goes through the outbox,
each enqueue keyed by the input that caused it, so a repeated update stores nothing twice.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import TransactWriteError, UpdateError
from telebot.apihelper import ApiTelegramException

from statemachine import SESSIONLESS, callback_data, sessionless_arg
from supportbot.config import Config, PerConfig
from supportbot.i18n import Translator, translator
from supportbot.storage.conditions import condition_failed
from supportbot.storage.transactions import transaction
from supportbot.support.messages import (
    CLOSED,
    CUSTOMER,
    IN_PROGRESS,
    OPEN,
    WAREHOUSE,
    MarkerItem,
    MessageItem,
    NewMessage,
    TicketItem,
    load_message,
    next_ticket_number,
    ticket_key,
    user_key,
)
from supportbot.support.outbox import append_parts, enqueue
from supportbot.telegram.client import get_bot
from supportbot.telegram.replies import NOT_MODIFIED, callback_answer, inline_markup

if TYPE_CHECKING:
    from telebot import TeleBot, types

logger = Logger(child=True)

PHOTO = "photo"
# How a closed request ended: photos sent, or the warehouse could not take them.
PHOTOS, REFUSED = "photos", "refused"
TAKE, CANT = "take", "cant"
BUTTONS = "wh"
BUTTON = re.compile(r"(?P<action>take|cant):(?P<number>\d{1,9})", re.ASCII)
LEGACY_BUTTON = re.compile(r"wh:(?P<action>take|cant):(?P<number>\d{1,9})", re.ASCII)
NUMBER = re.compile(r"#(\d{1,9})\b")
ONCE_TTL = timedelta(days=30)


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
def open_photo_request(
    config: Config, user_id: int, once: str, subject: Subject, note: str | None, language: str
) -> int:
    """Open a photo request and post it to the warehouse; returns its ticket number.

    ``once`` names the input (the customer's "send" press): a handler re-run after a lost session
    race gets the same number back, and the warehouse gets the request once.
    """
    marker = f"IN#{once}"
    number = _number_for(marker)
    if number is None:
        number = _store_ticket(marker, user_id, {**subject.details(), "note": note, "lang": language})
    ticket = find_ticket(number)
    if ticket is None:
        raise RuntimeError(f"ticket #{number} of {once} is missing")
    t = warehouse_translator(config)
    text = request_text(ticket, t)
    enqueue(
        config,
        NewMessage(user_id, WAREHOUSE, [{"kind": "text", "text": text}], request_context(ticket, t)),
        once=f"{once}-post",
    )
    return number


def _number_for(marker: str) -> int | None:
    try:
        return int(MarkerItem.get(marker, "-", consistent_read=True).value or 0) or None
    except MarkerItem.DoesNotExist:
        return None


def _store_ticket(marker: str, user_id: int, details: dict[str, Any]) -> int:
    """The ticket, its pointer and the ``once`` marker, in one transaction."""
    number = next_ticket_number()
    now = datetime.now(UTC)
    ticket = TicketItem(
        user_key(user_id),
        ticket_key(number),
        number=number,
        user_id=user_id,
        kind=PHOTO,
        title=details.get("order") or details.get("article") or "",
        details={k: v for k, v in details.items() if v},
        created_at=now,
        updated_at=now,
    )
    try:
        with transaction() as write:
            write.save(
                MarkerItem(marker, "-", value=number, expires_at=now + ONCE_TTL),
                condition=MarkerItem.pk.does_not_exist(),
            )
            write.save(MarkerItem(pointer_key(number), "-", value=user_id))
            write.save(ticket)
    except TransactWriteError:
        existing = _number_for(marker)  # a concurrent run of the same input stored it first
        if existing is None:
            raise
        return existing
    return number


def pointer_key(number: int) -> str:
    return f"TICKET#{number}"


def find_ticket(number: int) -> TicketItem | None:
    """The ticket numbered ``number``, whoever's it is."""
    try:
        user_id = MarkerItem.get(pointer_key(number), "-", consistent_read=True).value
        return TicketItem.get(user_key(int(user_id or 0)), ticket_key(number), consistent_read=True)
    except (MarkerItem.DoesNotExist, TicketItem.DoesNotExist):
        return None


# ---- what the warehouse sees ------------------------------------------------------------------------
def warehouse_translator(config: Config) -> Translator:
    """The warehouse group reads the bot's default language."""
    return translator(config.default_language)


def request_text(ticket: TicketItem, t: Translator) -> str:
    """The request as posted in the group; its first line names the ticket (``#1042``)."""
    details = ticket.details or {}
    lines = [t("warehouse.request", number=ticket.number)]
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
        return t(f"warehouse.status_{outcome_of(ticket)}", staff=staff)
    if ticket.status == IN_PROGRESS:
        return t("warehouse.status_in_progress", staff=staff)
    return t("warehouse.status_open")


def outcome_of(ticket: TicketItem) -> str:
    return PHOTOS if (ticket.details or {}).get("outcome") != REFUSED else REFUSED


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
    return {"ticket": int(ticket.number), "buttons": request_buttons(ticket, t)}


# ---- the warehouse side: group updates --------------------------------------------------------------
def is_group_update(update: types.Update) -> bool:
    """Whether the update comes from a group (never for the customers' state machine)."""
    query = update.callback_query
    message = update.message or update.edited_message or (query.message if query is not None else None)
    return message is not None and message.chat.type != "private"


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
        ticket = find_ticket(int(found["number"])) if found else None
        if found is None or ticket is None or ticket.kind != PHOTO:
            return callback_answer(query.id, [t("warehouse.unknown")], alert=True)
        staff = _name(query.from_user)
        action = found["action"]
        if action == TAKE and ticket.status == OPEN and self._move(ticket, OPEN, IN_PROGRESS, staff=staff):
            notice = t("warehouse.taken", number=ticket.number)
        elif action == CANT and ticket.status in (OPEN, IN_PROGRESS) and self._refuse(ticket, staff):
            notice = t("warehouse.refused", number=ticket.number)
        elif ticket.status == IN_PROGRESS:
            notice = t(
                "warehouse.already_taken", number=ticket.number, staff=(ticket.details or {}).get("staff")
            )
        else:
            notice = t("warehouse.closed", number=ticket.number)
        self._show(ticket, message_id)  # the current status, whatever was pressed
        return callback_answer(query.id, [notice])

    def _refuse(self, ticket: TicketItem, staff: str) -> bool:
        if not self._move(ticket, str(ticket.status), CLOSED, staff=staff, outcome=REFUSED):
            return False
        t = customer_translator(ticket, self.config)
        enqueue(
            self.config,
            NewMessage(
                int(ticket.user_id),
                CUSTOMER,
                [{"kind": "text", "text": t("photo.refused_customer", number=ticket.number)}],
                {"ticket": int(ticket.number)},
            ),
            once=f"wh-refused-{ticket.number}",
        )
        return True

    @staticmethod
    def _move(ticket: TicketItem, expected: str, status: str, **details: str) -> bool:
        """Change the status if nobody changed it first (two staff pressing at once)."""
        try:
            ticket.update(
                actions=[
                    TicketItem.status.set(status),
                    TicketItem.details.set({**(ticket.details or {}), **details}),
                    TicketItem.updated_at.set(datetime.now(UTC)),
                ],
                condition=TicketItem.status == expected,
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            ticket.refresh(consistent_read=True)
            return False
        return True

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
        if first and not (ticket.status == CLOSED and outcome_of(ticket) == PHOTOS):
            self._move(ticket, str(ticket.status), CLOSED, staff=_name(message.from_user), outcome=PHOTOS)
        reply = message.reply_to_message
        if first and reply is not None:
            self._show(ticket, reply.message_id)

    def _replied_ticket(self, message: types.Message) -> TicketItem | None:
        reply = message.reply_to_message
        bot_id = int(self.bot.token.split(":")[0])
        if reply is None or reply.from_user is None or reply.from_user.id != bot_id:
            return None
        found = NUMBER.search((reply.text or "").split("\n", 1)[0])
        ticket = find_ticket(int(found[1])) if found else None
        return ticket if ticket is not None and ticket.kind == PHOTO else None

    def _relay(
        self, ticket: TicketItem, message: types.Message, part: dict[str, Any], update_id: int
    ) -> bool:
        """Store the photo for the customer: a new message, or the next part of its album.

        True when it starts a new message (the album's first photo, or a single one)."""
        update_once = f"wh-{self.config.warehouse_chat_id}-{update_id}"
        once = update_once
        album = message.media_group_id
        if album:
            album_once = f"wh-album-{self.config.warehouse_chat_id}-{album}"
            stored = _stored(ticket, album_once)
            if stored is not None and append_parts(stored, [part], once=update_once):
                return False
            once = album_once if stored is None else update_once
        t = customer_translator(ticket, self.config)
        caption = t("photo.album_caption", number=ticket.number)
        first = {**part, "text": "\n\n".join(filter(None, [caption, part.get("text")]))}
        context = {"ticket": int(ticket.number), "album": bool(album)}
        item = enqueue(self.config, NewMessage(int(ticket.user_id), CUSTOMER, [first], context), once=once)
        if once != update_once and all(p.file_id != part["file_id"] for p in item.parts):
            # Another photo of the album, handled at the same moment, started it: this one joins it
            # (or, that message already delivered, goes as one of its own).
            if append_parts(item, [part], once=update_once):
                return False
            enqueue(
                self.config, NewMessage(int(ticket.user_id), CUSTOMER, [first], context), once=update_once
            )
        return True

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


def _stored(ticket: TicketItem, album_once: str) -> MessageItem | None:
    """The stored message an album's first photo started, if any."""
    try:
        marker = MarkerItem.get(f"IN#{album_once}", "-", consistent_read=True)
    except MarkerItem.DoesNotExist:
        return None
    return load_message(user_key(int(ticket.user_id)), str(marker.ref))


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
    """The customer's language when they asked (kept on the ticket)."""
    return translator(str((ticket.details or {}).get("lang") or config.default_language))


# Built at the first group update, again when re-read secrets change the configuration.
get_warehouse = PerConfig(lambda config: Warehouse(config, get_bot()))


def process_group_update(update: types.Update) -> dict[str, Any] | None:
    return get_warehouse().process(update)
