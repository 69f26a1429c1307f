"""Ask a question: a dialog with support in Blinger.

Everything the customer sends in the dialog is stored and queued for Blinger through the outbox;
operators' answers come back through the Blinger webhook. Texts go as texts; photos and stickers
as images, documents, voice messages, audios, videos and video notes as files (each copied to our
bucket: Blinger gets a link to our copy); a location as a text with a map link, a shared contact
as a text. A caption follows its file as a text. Every part names the customer's Telegram message
it came from (``message_id``): the Telegram desk copies that message as what it is instead
(``support/telegram_desk.py``). An edit of a message already relayed (Telegram's
``edited_message``) goes to the desk as "edited: ..." wherever the customer is by then
(``relay_edit``): the operator has the earlier words and must not act on them; the Telegram desk
edits its copy instead where it can.

Guests (not logged in: before login, or after a phone the shop does not know) have the same
dialog in a state of its own, outside the login guard (``GUEST_DIALOG``): no order is attached,
no phone is sent, and Blinger's ``info`` says ``"user_type": "guest"``. Ending it, or Home, leads
back to the login screen.

Idempotency: handlers run before the session is saved, and a lost race re-runs them, so every
enqueue names its Telegram message (``once="tg:<user>:<message_id>"``): a re-run stores and
queues nothing new.

Every message goes into the customer's conversation (``support/conversations.py``). The dialog
remembers the conversation it writes to (``"c"``); once that one is closed (by an operator in
Blinger or in the admin inbox), the next message is not sent: the screen says support closed it
and offers a new question, so a "thanks, found it!" never silently starts a new conversation.
"End dialog" closes the conversation as the customer's (``support/surfaces.py`` tells Blinger and
asks for a rating).

Bans (``support/bans.py``): a banned customer's messages are stored as ever, in the conversation
(the inbox shows them), and never sent to the desk; the first one a ban holds back answers with
the ban and its end, later ones get no answer at all.

What a message reads before it is stored (the live pointer, the ban, and on the dialog's first
message the business hours and the answer times) is one consistent BatchGetItem (``read_first``).

Business hours (``support/business_hours.py``): a conversation's first message outside them is
confirmed with when operators are back, in ``TIME_ZONE`` (named); it reaches the desk as any other.
Inside them it is confirmed with the place in the queue and the expected wait
(``support/waiting.py``), once: a re-run of that update finds the conversation live.
Past ``SPAM_LIMIT_PER_MINUTE`` messages a minute the customer is asked once a burst to slow down
(``support/spam.py``, counted in the session); every message is still stored and queued, in order.

Albums (``support/albums.py``, the collector the warehouse uses too): one stored message per album,
posted to Blinger part by part, in order, once no part came for a moment. The customer gets one
confirmation per album.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from statemachine import CONTACT, DOCUMENT, PHOTO, TEXT, Action, Button, Kind, Nav, Screen, State
from supportbot.backend import NotFoundError
from supportbot.bot.auth import GUEST_DIALOG, SUPPORT, deps, guest, login
from supportbot.bot.widgets import local_time
from supportbot.i18n import Translator, translator
from supportbot.storage.batch import get_together
from supportbot.support import bans, business_hours, conversations, spam, waiting
from supportbot.support.albums import collect
from supportbot.support.files import MAX_DOWNLOAD, copy_from_telegram
from supportbot.support.lifecycle import RefusedMove
from supportbot.support.messages import (
    BANNED,
    BLINGER,
    COPY,
    MessageItem,
    NewMessage,
    load_message,
    user_key,
)
from supportbot.support.once import claimed
from supportbot.support.outbox import enqueue
from supportbot.support.surfaces import close_conversation
from supportbot.telegram.client import get_bot
from supportbot.telegram.replies import KeepScreen

if TYPE_CHECKING:
    from telebot import types

    from statemachine import Context
    from supportbot.bot.deps import BotDeps
    from supportbot.config import Config

# Files other than photos and documents, by Message field: how Blinger shows each, and the name
# the copy gets when Telegram gives none (the extension gives the copy its content type).
MEDIA = {
    "voice": ("file", "voice.ogg"),
    "audio": ("file", "audio.mp3"),
    "video": ("file", "video.mp4"),
    "video_note": ("file", "video_note.mp4"),
    "sticker": ("image", "sticker.webp"),
}
MEDIA_KINDS = Kind(*MEDIA)
PLACES = Kind("location", "venue")
MAP_LINK = "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
DATA_KEY = "support"
"""The flow's ``ctx.data["support"]`` (as in sessions stored before flows had scopes):
{"intro": order text still to send, "c": the conversation's number, "closed": the number of the
one found closed}."""


@dataclass(frozen=True)
class Sent:
    """Marks an update whose message went to support: the screen is the short confirmation."""


@dataclass(frozen=True)
class Away:
    """Marks a conversation's first message sent outside business hours: when operators are back
    (None: the schedule never opens)."""

    back: datetime | None


@dataclass(frozen=True)
class SlowDown:
    """Marks the first message of a burst past ``SPAM_LIMIT_PER_MINUTE``: asked to slow down."""


@dataclass(frozen=True)
class Closed:
    """Marks an update that found the dialog's conversation closed (its number)."""

    number: int


@dataclass(frozen=True)
class Banned:
    """Marks the first message a ban held back: the screen tells the customer until when."""

    until: datetime


def render_support(ctx: Context) -> Screen:
    t = deps(ctx).t
    closed = next((effect for effect in ctx.effects if isinstance(effect, Closed)), None)
    if closed is not None:
        return Screen(
            t("support.closed_prompt", ref=conversations.conversation_ref(closed.number)),
            [[NEW.button(t("support.new_question"))], [Button.home(t("nav.home"))]],
        )
    buttons = [[END.button(t("support.end"))], [Button.home(t("nav.home"))]]
    banned = next((effect for effect in ctx.effects if isinstance(effect, Banned)), None)
    if banned is not None:
        until = local_time(banned.until.isoformat(), deps(ctx).config.time_zone)
        return Screen(t("support.banned", until=until), buttons)
    if any(isinstance(effect, SlowDown) for effect in ctx.effects):
        return Screen(t("support.slow_down"), buttons)
    if any(isinstance(effect, Sent) for effect in ctx.effects):
        away = next((effect for effect in ctx.effects if isinstance(effect, Away)), None)
        if away is None:
            queue = next((effect for effect in ctx.effects if isinstance(effect, waiting.Waiting)), None)
            return Screen(sent_text(t, queue), buttons)
        zone = deps(ctx).config.time_zone
        if away.back is None:
            return Screen(t("support.away_unknown"), buttons)
        return Screen(t("support.away", back=local_time(away.back.isoformat(), zone), zone=zone), buttons)
    number = ctx.params.get("number")
    if guest(ctx):
        text = t("support.intro_guest")
    else:
        text = t("support.intro_order", number=number) if number else t("support.intro")
    return Screen(text, buttons)


def sent_text(t: Translator, queue: waiting.Waiting | None) -> str:
    """The confirmation; a conversation's first message inside the hours adds the place in the
    queue when others wait ahead, and how long operators take now when they answered lately."""
    lines = [t("support.sent")]
    if queue is not None and queue.over:
        lines.append(t("support.queue_over", bound=waiting.QUEUE_BOUND))
    elif queue is not None and queue.position > 1:
        lines.append(t("support.queue_position", position=queue.position))
    if queue is not None and queue.wait is not None:
        minutes = max(1, round(queue.wait / 60))
        wait = (
            t("support.wait_minutes", n=minutes)
            if minutes < 60
            else t("support.wait_hours", n=round(minutes / 60))
        )
        lines.append(t("support.expected_wait", wait=wait))
    return "\n".join(lines)


def open_dialog(ctx: Context) -> Nav:
    """From the main menu: a dialog about nothing in particular."""
    return ctx.start(SUPPORT)


def open_for_order(ctx: Context) -> Nav | None:
    """From an order card: the dialog with that order attached (in ``info`` and a first message)."""
    return ask_about_order(ctx, str(ctx.params["id"]))


def ask_about_order(ctx: Context, order_id: str) -> Nav | None:
    """The dialog about ``order_id`` (the order card's button, an order notification's)."""
    d = deps(ctx)
    try:
        order = d.backend.get_order(login(ctx).token, order_id)
    except NotFoundError:
        ctx.notify(d.t("order.not_found"))
        return None
    template = operators(d).raw("support.order_question")
    intro = template.format(number=order.number, title=order.title or "—")
    return ctx.start(SUPPORT, data={DATA_KEY: {"intro": intro}}, order=order.id, number=order.number)


def end_dialog(ctx: Context) -> Nav:
    d = deps(ctx)
    live = conversations.live_number(d.user.id)
    conversation = conversations.get(d.user.id, live) if live else None
    if conversation is not None:
        with contextlib.suppress(RefusedMove):  # closed a moment ago by an operator: ended either way
            close_conversation(d.config, conversation, conversations.BY_CUSTOMER)
    ctx.notify(d.t("support.ended"))
    return ctx.home()


def on_text(ctx: Context) -> None:
    forward(ctx, [{"kind": "text", "text": ctx.input.text or ""}])


def on_photo(ctx: Context) -> None:
    message = telegram_message(ctx)
    largest = max(message.photo or [], key=lambda size: size.width * size.height)
    part = attachment(ctx, "image", largest.file_id, largest.file_size, None)
    if part is not None:
        forward(ctx, [part, *caption(message)])


def on_document(ctx: Context) -> None:
    message = telegram_message(ctx)
    document = message.document
    if document is None:  # the DOCUMENT route only matches messages with one
        return
    part = attachment(ctx, "file", document.file_id, document.file_size, document.file_name)
    if part is not None:
        forward(ctx, [part, *caption(message)])


def on_media(ctx: Context) -> None:
    message = telegram_message(ctx)
    media = getattr(message, ctx.input.kind, None)
    if media is None:  # MEDIA_KINDS only matches messages with one
        return
    kind, name = MEDIA[ctx.input.kind]
    if ctx.input.kind == "sticker" and (media.is_animated or media.is_video):
        kind, name = "file", "sticker.webm" if media.is_video else "sticker.tgs"
    name = getattr(media, "file_name", None) or name
    part = attachment(ctx, kind, media.file_id, media.file_size, name)
    if part is not None:
        forward(ctx, [part, *caption(message)])


def on_place(ctx: Context) -> None:
    message = telegram_message(ctx)
    venue, location = message.venue, message.location or getattr(message.venue, "location", None)
    if location is None:  # PLACES only matches messages with one
        return
    lat, lon = f"{location.latitude:.6f}", f"{location.longitude:.6f}"
    lines = [operators(deps(ctx)).raw("support.location").format(latitude=lat, longitude=lon)]
    if venue is not None:
        lines.append(" · ".join(filter(None, (venue.title, venue.address))))
    lines.append(MAP_LINK.format(lat=lat, lon=lon))
    forward(ctx, [{"kind": "text", "text": "\n".join(lines)}])


def on_contact(ctx: Context) -> None:
    contact = telegram_message(ctx).contact
    if contact is None:  # CONTACT only matches messages with one
        return
    name = " ".join(filter(None, (contact.first_name, contact.last_name)))
    text = operators(deps(ctx)).raw("support.contact").format(name=name or "—", phone=contact.phone_number)
    forward(ctx, [{"kind": "text", "text": text}])


def operators(d: BotDeps) -> Translator:
    """Words for operators: the business's language, plain text (Blinger shows it as typed)."""
    return translator(d.config.default_language)


def attachment(
    ctx: Context, kind: str, file_id: str, file_size: int | None, file_name: str | None
) -> dict[str, Any] | None:
    """The file copied to our bucket (Blinger gets a presigned URL, never Telegram's: it holds the
    bot token); None, with a word to the customer, when it is too large for bots to download."""
    d = deps(ctx)
    if file_size and file_size > MAX_DOWNLOAD:
        ctx.notify(d.t("support.too_large"))
        return None
    bucket = d.config.attachments_bucket
    if not bucket:
        raise RuntimeError("ATTACHMENTS_BUCKET is not configured")
    prefix = f"support/{d.user.id}/{telegram_message(ctx).message_id}"
    key = copy_from_telegram(get_bot(), bucket, file_id, prefix, file_name)
    return {"kind": kind, "file_key": key, "file_name": file_name}


def caption(message: types.Message) -> list[dict[str, Any]]:
    # Blinger's image and file messages carry only a URL: the caption follows as a text.
    return [{"kind": "text", "text": message.caption}] if message.caption else []


def forward(ctx: Context, parts: list[dict[str, Any]]) -> None:
    """Store and queue ``parts`` for Blinger; later parts of an album join the album's message."""
    d = deps(ctx)
    message = telegram_message(ctx)
    once = f"tg:{d.user.id}:{message.message_id}"
    state: dict[str, Any] = ctx.data.setdefault(DATA_KEY, {})
    # Only the dialog's first message can start a conversation (a dialog whose conversation is no
    # longer live stops as closed below): what a first message tells is read with it.
    read = read_first(d.user.id, opening_too=not state.get("c"))
    live = read.live
    closed = state.get("closed") or (state["c"] if state.get("c") and state["c"] != live else None)
    if closed:
        # The conversation this dialog wrote to was closed: ask, never start another silently.
        ctx.data[DATA_KEY] = {"closed": closed}
        ctx.emit(Closed(int(closed)))
        return
    album_id = message.media_group_id
    # The desk in Telegram copies the message itself (support/telegram_desk.py); others take the parts.
    media = media_unique_id(message)
    parts = [
        {
            **part,
            "message_id": message.message_id,
            **({"file_unique_id": media} if part["kind"] != "text" else {}),
        }
        for part in parts
    ]
    intro = state.pop("intro", None)
    if intro:
        parts = [{"kind": "text", "text": intro}, *parts]
    context = blinger_context(d, ctx)
    if album_id:
        context["album"] = album_id
    item, first = collect(
        d.config,
        NewMessage(
            d.user.id, BLINGER, parts, context, conversation=live, live=True, banned=read.ban is not None
        ),
        part_key=once,
        album_key=f"tg-album:{d.user.id}:{album_id}" if album_id else None,
    )
    state["c"] = int(item.conversation or 0)
    if item.status == BANNED:
        held_back(ctx, read.ban, once)
        return
    # One confirmation per album: the first part's; a conversation's first message outside
    # business hours is told when operators are back (it is queued for the desk all the same).
    if first and live is None and read.opening is not None:
        schedule, times = read.opening
        now = datetime.now(UTC)
        if schedule.is_open(now):
            ctx.emit(waiting.waiting(now, times))  # the place in the queue and the expected wait, once
        else:
            ctx.emit(Away(schedule.next_open(now, ZoneInfo(d.config.time_zone))))
    ctx.user_data[spam.KEY], slow = spam.too_fast(
        ctx.user_data.get(spam.KEY), message.date, d.config.spam_limit_per_minute
    )
    if slow:
        ctx.emit(SlowDown())
    ctx.emit(Sent() if first else KeepScreen())


def media_unique_id(message: types.Message) -> str | None:
    """The file a message carries (its largest photo, its document, voice...), None for none."""
    if message.photo:
        return str(max(message.photo, key=lambda size: size.width * size.height).file_unique_id)
    for field in ("document", *MEDIA):
        media = getattr(message, field, None)
        if media is not None:
            return str(media.file_unique_id)
    return None


@dataclass(frozen=True)
class Read:
    """What a message to support reads before it is stored, in one BatchGetItem: the customer's live
    conversation (its ``LIVE`` pointer) and ban in force; on the dialog's first message, also what
    a conversation's first message tells (``opening``: the business hours and the answer times)."""

    live: int | None
    ban: bans.BanItem | None
    opening: tuple[business_hours.Schedule, waiting.AnswerTimesItem] | None


def read_first(user_id: int, opening_too: bool) -> Read:
    items: list[Any] = [conversations.live_pointer(user_id), bans.item_of(user_id)]
    if opening_too:
        items += [business_hours.SettingsItem(*business_hours.KEY), waiting.AnswerTimesItem(*waiting.KEY)]
    pointer, ban, *rest = get_together(items)
    read = Read(conversations.number_of(pointer), bans.in_force(ban), None)
    if not rest:
        return read
    settings, times = rest
    return Read(read.live, read.ban, (business_hours.of_item(settings), waiting.answer_times_of(times)))


def held_back(ctx: Context, ban: bans.BanItem | None, once: str) -> None:
    """A ban kept the message from the desk: told on the ban's first such message, then silence."""
    if ban is not None and bans.tell_once(ban, once):
        ctx.emit(Banned(ban.until))
    else:
        ctx.emit(KeepScreen())


def blinger_context(d: BotDeps, ctx: Context) -> dict[str, Any]:
    """What Blinger shows the operator about the customer (and the language to answer them in)."""
    user = d.user
    full_name = " ".join(filter(None, (user.first_name, user.last_name)))
    auth = None if guest(ctx) else login(ctx)
    info: dict[str, Any] = {"user_type": auth.user_type if auth else "guest"}
    if user.username:
        info["telegram_username"] = f"@{user.username}"
    context: dict[str, Any] = {
        "client_name": (auth.name if auth else "") or full_name,
        "client_phone": auth.phone if auth else None,
        "info": info,
        "language": d.t.language,
    }
    if ctx.params.get("order"):
        number = ctx.params.get("number") or ctx.params["order"]
        # Flat text, as a helpdesk shows info: a nested object reads as raw JSON there.
        info["order"] = f"№{number}"
        info["order_id"] = ctx.params["order"]
        context["order"] = {"id": ctx.params["order"], "number": number}
    return context


def relay_edit(config: Config, message: types.Message) -> bool:
    """An edit of a message the customer sent to support goes to the desk as "edited: ...", with
    the first message's customer details; an edit of anything else is nothing to support (False).
    Idempotent per edit (a redelivered update queues nothing new)."""
    user = message.from_user
    text = message.text if message.text is not None else message.caption
    if user is None or message.chat.type != "private":
        return False
    first = relayed(user.id, message)
    if first is None or first.destination != BLINGER:
        return False
    edit = copy_edit(first, message, text or "")
    # Without words only a replaced file is news, and only the Telegram desk can show it.
    if text is None and (edit is not None or config.support_desk != "telegram"):
        return False
    t = translator(config.default_language)
    edited = t.raw("support.edited").format(text=text if text is not None else t.raw("support.edited_file"))
    context = {k: v for k, v in (first.context or {}).items() if k != "album"}
    parts: list[dict[str, Any]] = [{"kind": "text", "text": edited}]
    if config.support_desk == "telegram" and edit is not None:
        context["edit"] = edit
    elif config.support_desk == "telegram":
        # The file itself was replaced, which no edit of the copy shows: after the words, the
        # message as it is now (copied again).
        copy = {
            "kind": COPY,
            "from_chat": user.id,
            "message_id": message.message_id,
            "text": message.html_caption,
        }
        parts.append({**copy, "file_name": message.content_type})
    once = f"tg:{user.id}:{message.message_id}:edit:{message.edit_date or message.date}"
    enqueue(config, NewMessage(user.id, BLINGER, parts, context), once=once)
    return True


def relayed(user_id: int, message: types.Message) -> MessageItem | None:
    """The stored message that holds ``message``: its own, or its album's (an album's first part
    is stored under the album's key, ``forward``)."""
    keys = [f"tg:{user_id}:{message.message_id}"]
    if message.media_group_id:
        keys.append(f"tg-album:{user_id}:{message.media_group_id}")
    for key in keys:
        marker = claimed(key)
        if marker is not None and marker.ref:
            return load_message(user_key(user_id), str(marker.ref))
    return None


def copy_edit(first: MessageItem, message: types.Message, text: str) -> dict[str, Any] | None:
    """What the Telegram desk needs to edit its copy of the message (``first`` holds it): None
    when the edit replaced the file, which an edit of the copy cannot show ("edited:" is posted,
    then the message copied again)."""
    stored = [part for part in first.parts if part.message_id == message.message_id]
    if any(part.file_unique_id and part.file_unique_id != media_unique_id(message) for part in stored):
        return None
    field = "text" if message.text is not None else "caption"
    return {"of": first.sk, "message_id": message.message_id, "field": field, "text": text}


def telegram_message(ctx: Context) -> types.Message:
    return ctx.input.payload  # type: ignore[return-value]


ASK = Action("ask", open_dialog, to=SUPPORT)
ASK_ABOUT_ORDER = Action("ask", open_for_order, to=SUPPORT)
END = Action("end", end_dialog, to="main")
NEW = Action("new", open_dialog, to=SUPPORT)

# Every text but the commands (tried first) is a message to support.
MESSAGES = [
    (TEXT, on_text),
    (PHOTO, on_photo),
    (DOCUMENT, on_document),
    (MEDIA_KINDS, on_media),
    (PLACES, on_place),
    (CONTACT, on_contact),
]
STATES = [State(SUPPORT, render_support, messages=MESSAGES, actions=[END, NEW], parent="main", flow=SUPPORT)]
# Outside the login guard (bot/machine.py): a guest's dialog.
GUEST_STATES = [
    State(GUEST_DIALOG, render_support, messages=MESSAGES, actions=[END, NEW], parent="login", flow=SUPPORT)
]
