"""The sandbox's JSON API under `/sandbox/api/` (no token; the server answers loopback clients only).

A person (the web chat page) or a test plays Telegram users through it; every action goes through
the same `World` helpers the unit tests use, so it produces exactly Telegram's updates, which the
deliverer then posts to the bot's webhook (or getUpdates hands out).

    GET  state?since=V&wait=S           users, chats, webhook status, version (long-polls while
                                        version <= V, up to 20 s)
    GET  users                          POST users {first_name, last_name?, username?,
                                        language_code: ru|en, phone_number?, id?}
    GET  chats                          POST groups {title, id?, type?, members?: [user ids]}
    POST chats/<id>/members {user_id}   a user joins a group
    GET  chats/<id>/messages?since=V&wait=S&limit=N
                                        rendered messages, the reply keyboard, callback answers,
                                        the 429s the bot got for this chat (`rate_limited`);
                                        {"changed": false} when nothing changed within the wait
    POST users/<id> {phone_number?, first_name?, last_name?}   change a user
    POST chats/<id>/messages {user_id, text, reply_to_message_id?}   every send takes
                                        message_thread_id? too: a forum topic to write in
    POST chats/<id>/edit {user_id, message_id, text}   edit an own text message (edited_message)
    POST chats/<id>/contact {user_id, contact_user_id? | phone_number + first_name + last_name?}
                                        own contact by default (every user has a phone number),
                                        another user's, or anyone's
    POST chats/<id>/files               multipart: user_id, file (and file1, file2...: an album),
                                        send_as: photo|document|voice|video_note, caption?,
                                        duration?, reply_to_message_id?
    POST chats/<id>/sticker {user_id, emoji}   (one of STICKERS)
    POST chats/<id>/location {user_id, latitude, longitude}
    POST chats/<id>/venue {user_id, latitude, longitude, title, address}
    POST chats/<id>/press {user_id, message_id, callback_data}   an inline button
    POST chats/<id>/reply_button {user_id, text}   a reply-keyboard button (request_contact ->
                                        the contact; otherwise its text is sent)
    GET  files/<file_id>                a stored file's bytes (photos in the page)

Every action (reply_to_message_id allowed on all sends) answers the update(s) it produced; each
update is checked against the spec before it is queued. Errors: 4xx with {"error": "..."}. Message text and captions come back as `html` built by
`render.render_html` (everything escaped), next to the plain `text`.

>>> w = World()
>>> status, body = handle(w, "POST", "users", {}, {"first_name": "Ann", "phone_number": "+79990001122"})
>>> status, body["first_name"], body["language_code"]
(201, 'Ann', 'ru')
>>> handle(w, "POST", "users", {}, {"first_name": ""})
(400, {'error': 'first_name must be 1-64 characters'})
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from infra.botapi.formatting import utf16_len
from infra.botapi.models import JSON, Chat, Message, Topic, User, WorldError
from infra.botapi.render import render_html
from infra.botapi.validation import UploadedFile
from infra.botapi.world import World

MAX_WAIT = 20.0
MAX_MESSAGES = 300
MAX_REFUSALS = 20  # the 429s (Telegram's flood limits) the chat's page is told about, newest
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
_PHONE = re.compile(r"\+?[0-9]{5,20}")
_SAFE_URL = re.compile(r"https?://", re.IGNORECASE)
FIRST_USER_ID = 700_000_001
FIRST_GROUP_ID = -1_001_000_000_001

Result = tuple[int, JSON]


class SandboxError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def handle(world: World, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> Result:
    """Serve one sandbox API request; `path` is what follows `/sandbox/api/`."""
    parts = [p for p in path.split("/") if p]
    try:
        return _route(world, method, parts, query, body)
    except SandboxError as e:
        return e.status, {"error": e.message}
    except WorldError as e:
        return 400, {"error": str(e)}


def file_for(world: World, file_id: str) -> tuple[bytes, str] | None:
    """(data, content type) of a stored file with content, for GET files/<file_id>."""
    with world.lock:
        f = world.files.get(file_id)
        if f is None or not f.data:
            return None
        return f.data, f.mime_type or "application/octet-stream"


# ---- routing ----------------------------------------------------------------------------------
def _route(
    world: World, method: str, parts: list[str], query: dict[str, str], body: dict[str, Any]
) -> Result:
    match method, parts:
        case "GET", ["state"]:
            _wait(world, query)
            return 200, state(world)
        case "GET", ["users"]:
            return 200, {"users": [_user(u) for u in _people(world)]}
        case "POST", ["users"]:
            return 201, _user(create_user(world, body))
        case "POST", ["users", user_id]:
            return 200, _user(update_user(world, _int(user_id, "user id"), body))
        case "GET", ["chats"]:
            return 200, {"chats": _chats(world)}
        case "POST", ["groups"]:
            return 201, _chat(world, create_group(world, body))
        case "POST", ["chats", chat_id, "members"]:
            return 200, _join(world, _chat_id(world, chat_id), body)
        case "GET", ["chats", chat_id, "messages"]:
            return 200, messages(world, _chat_id(world, chat_id), query)
        case "POST", ["chats", chat_id, action]:
            return 200, act(world, _chat_id(world, chat_id), action, body)
    raise SandboxError(404, "no such sandbox endpoint")


def _wait(world: World, query: dict[str, str]) -> bool:
    """Long-poll: with ?since=V, block until world.version > V (at most ?wait= / 20 s)."""
    if "since" not in query:
        return True
    since = _int(query["since"], "since")
    wait = min(max(_float(query.get("wait", str(MAX_WAIT)), "wait"), 0.0), MAX_WAIT)
    return world.wait_for_change(since, wait) > since


# ---- reading ----------------------------------------------------------------------------------
def state(world: World) -> JSON:
    with world.lock:
        hook = world.webhook
        webhook: JSON = {"url": hook.url if hook else "", "pending_update_count": len(world.pending)}
        if hook and hook.last_error_date is not None:
            webhook["last_error_date"] = hook.last_error_date
            webhook["last_error_message"] = hook.last_error_message
        return {
            "version": world.version,
            "bot": {"id": world.bot.id, "username": world.bot.username, "first_name": world.bot.first_name},
            "users": [_user(u) for u in _people(world)],
            "chats": _chats(world),
            "webhook": webhook,
        }


def messages(world: World, chat_id: int, query: dict[str, str]) -> JSON:
    if not _wait(world, query):
        return {"version": world.version, "changed": False}
    limit = min(max(_int(query.get("limit", str(MAX_MESSAGES)), "limit"), 1), MAX_MESSAGES)
    with world.lock:
        chat = world.chats[chat_id]
        box = world.messages.get(chat_id, {})
        shown = [render_message(world, m) for m in list(box.values())[-limit:]]
        answers = [
            {
                "seq": n,
                "user_id": world.callback_queries[a["callback_query_id"]].user_id,
                "text": a.get("text", ""),
                "show_alert": bool(a.get("show_alert")),
                "url": a.get("url"),
            }
            for n, a in enumerate(world.callback_answers)
            if a.get("callback_query_id") in world.callback_queries
            and world.callback_queries[a["callback_query_id"]].chat_id == chat_id
        ]
        refused = [
            {"seq": r.seq, "method": r.method, "retry_after": r.retry_after, "date": int(r.at)}
            for r in world.flood.refusals
            if r.chat_id == chat_id
        ]
        return {
            "version": world.version,
            "changed": True,
            "chat": _chat(world, chat),
            "messages": shown,
            "reply_keyboard": _reply_keyboard(chat.reply_keyboard),
            "callback_answers": answers,
            "rate_limited": refused[-MAX_REFUSALS:],
            "rate_limited_count": len(refused),
        }


def render_message(world: World, m: Message) -> JSON:
    """A message as the page shows it: safe HTML, file URLs, keyboards; deleted ones emptied."""
    from_bot = m.sender_id == world.bot.id
    sender = world.bot if from_bot else world.users.get(m.sender_id)
    out: JSON = {
        "message_id": m.message_id,
        "chat_id": m.chat_id,
        "date": m.date,
        "edit_date": m.edit_date,
        "deleted": m.deleted,
        "from_bot": from_bot,
        "from": {"id": m.sender_id, "name": _name(sender) if sender else str(m.sender_id)},
    }
    if m.deleted:
        return out
    out.update(
        text=m.text,
        html=render_html(m.text, m.entities) if m.text is not None else None,
        caption=m.caption,
        caption_html=render_html(m.caption, m.caption_entities) if m.caption else None,
        photo=_photo(world, m.photo),
        document=_document(world, m.document),
        contact=m.contact,
        sticker=_sticker_view(world, m.sticker),
        voice=_media_view(world, m.voice),
        audio=_media_view(world, m.audio),
        video=_media_view(world, m.video),
        video_note=_media_view(world, m.video_note),
        location=m.location,
        venue=m.venue,
        inline_keyboard=_inline_keyboard(m.inline_markup),
        media_group_id=m.media_group_id,
        message_thread_id=m.message_thread_id,
        topic_created=(m.forum_topic_created or {}).get("name"),
        reply_to=_reply_to(world, m),
    )
    return out


def _photo(world: World, sizes: list[JSON] | None) -> JSON | None:
    if not sizes:
        return None
    best = sizes[-1]
    f = world.files.get(best["file_id"])
    return {
        "file_id": best["file_id"],
        "width": best.get("width"),
        "height": best.get("height"),
        "url": _file_url(f.file_id, f.data, f.url) if f else None,
    }


def _document(world: World, doc: JSON | None) -> JSON | None:
    if not doc:
        return None
    f = world.files.get(doc["file_id"])
    return {
        "file_id": doc["file_id"],
        "file_name": doc.get("file_name") or "file",
        "mime_type": doc.get("mime_type"),
        "file_size": doc.get("file_size"),
        "url": _file_url(f.file_id, f.data, f.url) if f else None,
    }


def _sticker_view(world: World, sticker: JSON | None) -> JSON | None:
    if not sticker:
        return None
    f = world.files.get(sticker["file_id"])
    return {"emoji": sticker.get("emoji"), "url": _file_url(f.file_id, f.data, f.url) if f else None}


def _media_view(world: World, media: JSON | None) -> JSON | None:
    """A voice message, audio, video or video note: its duration and where the page can play it."""
    if not media:
        return None
    f = world.files.get(media["file_id"])
    return {
        "duration": media.get("duration"),
        "mime_type": media.get("mime_type") or (f.mime_type if f else None),
        "url": _file_url(f.file_id, f.data, f.url) if f else None,
    }


def snippet(m: Message) -> str:
    """One line naming a message, as a chat list or a reply quote shows it."""
    if m.text or m.caption:
        return m.text or m.caption or ""
    if m.photo:
        return "📷 Photo"
    if m.document:
        return "📎 " + str(m.document.get("file_name") or "File")
    if m.sticker:
        return f"{m.sticker.get('emoji') or ''} Sticker".strip()
    if m.voice:
        return "🎤 Voice message"
    if m.video_note:
        return "⏺ Video message"
    if m.video:
        return "🎬 Video"
    if m.audio:
        return "🎵 Audio"
    if m.forum_topic_created:
        return "🗂 Topic created: " + str(m.forum_topic_created.get("name") or "")
    if m.venue:
        return "📍 " + str(m.venue.get("title") or "Venue")
    if m.location:
        return "📍 Location"
    if m.contact:
        return "👤 " + str(m.contact.get("first_name") or "Contact")
    return "…"


def _file_url(file_id: str, data: bytes, url: str | None) -> str | None:
    if data:
        return f"/sandbox/api/files/{file_id}"
    return url if url and _SAFE_URL.match(url) else None  # sent by URL: not fetched locally


def _inline_keyboard(markup: JSON | None) -> list[list[JSON]]:
    rows = (markup or {}).get("inline_keyboard") or []
    out = []
    for row in rows:
        buttons = []
        for b in row:
            kind = next((k for k in b if k != "text"), "")
            url = b.get("url") if isinstance(b.get("url"), str) and _SAFE_URL.match(b["url"]) else None
            buttons.append(
                {"text": b.get("text", ""), "kind": kind, "callback_data": b.get("callback_data"), "url": url}
            )
        out.append(buttons)
    return out


def _reply_keyboard(markup: JSON | None) -> JSON | None:
    if not markup or "keyboard" not in markup:
        return None
    rows = [
        [
            {
                "text": b if isinstance(b, str) else b.get("text", ""),
                "request_contact": bool(isinstance(b, dict) and b.get("request_contact")),
            }
            for b in row
        ]
        for row in markup["keyboard"]
    ]
    return {
        "rows": rows,
        "one_time": bool(markup.get("one_time_keyboard")),
        "resize": bool(markup.get("resize_keyboard")),
        "placeholder": markup.get("input_field_placeholder"),
    }


def _reply_to(world: World, m: Message) -> JSON | None:
    if m.reply_to_message_id is None:
        return None
    target = world.messages.get(m.chat_id, {}).get(m.reply_to_message_id)
    if target is None or target.deleted:
        return {"message_id": m.reply_to_message_id, "from_name": "", "snippet": "(deleted)"}
    sender = world.bot if target.sender_id == world.bot.id else world.users.get(target.sender_id)
    return {
        "message_id": target.message_id,
        "from_name": _name(sender) if sender else "",
        "snippet": snippet(target)[:100],
    }


def _people(world: World) -> list[User]:
    return sorted((u for u in world.users.values() if not u.is_bot), key=lambda u: u.id)


def _user(u: User) -> JSON:
    return {
        "id": u.id,
        "name": _name(u),
        "first_name": u.first_name,
        "last_name": u.last_name,
        "username": u.username,
        "language_code": u.language_code,
        "phone_number": u.phone_number,
        "blocked_bot": u.blocked_bot,
    }


def _name(u: User) -> str:
    return " ".join(p for p in (u.first_name, u.last_name) if p)


def _chats(world: World) -> list[JSON]:
    return [_chat(world, c) for c in sorted(world.chats.values(), key=lambda c: (c.type == "private", c.id))]


def _chat(world: World, chat: Chat) -> JSON:
    box = world.messages.get(chat.id, {})
    last = next((m for m in reversed(box.values()) if not m.deleted), None)
    user = world.users.get(chat.id)
    return {
        "id": chat.id,
        "type": chat.type,
        "title": chat.title or (_name(user) if user else str(chat.id)),
        "members": sorted(chat.members),
        "last_message": snippet(last)[:80] if last else None,
        "last_message_id": last.message_id if last else None,
        "is_forum": chat.is_forum,
        "topics": [_topic(box, topic) for topic in chat.topics.values() if not topic.deleted],
    }


def _topic(box: dict[int, Message], topic: Topic) -> JSON:
    """A forum topic as the page lists it: its name, whether it is closed, its newest message."""
    last = next(
        (
            m
            for m in reversed(box.values())
            if m.message_thread_id == topic.message_thread_id and not m.deleted
        ),
        None,
    )
    return {
        "id": topic.message_thread_id,
        "name": topic.name,
        "icon_color": topic.icon_color,
        "icon_custom_emoji_id": topic.icon_custom_emoji_id,
        "closed": topic.closed,
        "last_message": snippet(last)[:80] if last else None,
    }


# ---- acting -----------------------------------------------------------------------------------
def create_user(world: World, body: dict[str, Any]) -> User:
    first_name = str(body.get("first_name") or "").strip()
    if not 1 <= len(first_name) <= 64:
        raise SandboxError(400, "first_name must be 1-64 characters")
    last_name = str(body.get("last_name") or "").strip() or None
    username = str(body.get("username") or "").strip().removeprefix("@") or None
    if username is not None and not _USERNAME.fullmatch(username):
        raise SandboxError(400, "username must be 5-32 letters, digits or _, starting with a letter")
    language = str(body.get("language_code") or "ru")
    if language not in ("ru", "en"):
        raise SandboxError(400, "language_code must be ru or en")
    phone = re.sub(r"[\s()-]", "", str(body.get("phone_number") or ""))
    if phone and not _PHONE.fullmatch(phone):
        raise SandboxError(400, "phone_number must be digits, optionally starting with +")
    with world.lock:
        if username and any(
            u.username and u.username.lower() == username.lower() for u in world.users.values()
        ):
            raise SandboxError(409, f"username @{username} is taken")
        if body.get("id") is not None:
            user_id = _int(str(body["id"]), "id")
            if user_id <= 0 or user_id in world.users or user_id in world.chats:
                raise SandboxError(409, f"user id {user_id} is taken or invalid")
        else:
            user_id = max([FIRST_USER_ID - 1, *(u for u in world.users if u < 10**12)]) + 1
        if not phone:
            phone = _default_phone(user_id)
        return world.add_user(
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language,
            phone_number=phone,
        )


def update_user(world: World, user_id: int, body: dict[str, Any]) -> User:
    """Change a user's phone number (what their contact shares) or names, or block the bot
    (``blocked_bot``: sends to them fail with 403 until they write again, as on Telegram)."""
    with world.lock:
        user = world.users.get(user_id)
        if user is None or user.is_bot:
            raise SandboxError(404, f"no user {user_id}")
        if "phone_number" in body:
            user.phone_number = _phone(body["phone_number"])
        if "first_name" in body:
            first_name = str(body["first_name"] or "").strip()
            if not 1 <= len(first_name) <= 64:
                raise SandboxError(400, "first_name must be 1-64 characters")
            user.first_name = world.chats[user_id].first_name = first_name
        if "last_name" in body:
            user.last_name = world.chats[user_id].last_name = str(body["last_name"] or "").strip() or None
        if "blocked_bot" in body:
            user.blocked_bot = body["blocked_bot"] is True
        world.touch()
        return user


def create_group(world: World, body: dict[str, Any]) -> Chat:
    title = str(body.get("title") or "").strip()
    if not 1 <= len(title) <= 128:
        raise SandboxError(400, "title must be 1-128 characters")
    kind = str(body.get("type") or "supergroup")
    if kind not in ("group", "supergroup"):
        raise SandboxError(400, "type must be group or supergroup")
    members = [_int(str(m), "members") for m in body.get("members") or []]
    with world.lock:
        for m in members:
            if m not in world.users:
                raise SandboxError(404, f"no user {m}")
        if body.get("id") is not None:
            chat_id = _int(str(body["id"]), "id")
            if chat_id >= 0 or chat_id in world.chats:
                raise SandboxError(409, f"group id {chat_id} is taken or not negative")
        else:
            chat_id = min([FIRST_GROUP_ID + 1, *(c for c in world.chats if c < 0)]) - 1
        return world.add_group(chat_id, title, tuple(members), type=kind)


def _join(world: World, chat_id: int, body: dict[str, Any]) -> JSON:
    with world.lock:
        chat = world.chats[chat_id]
        if chat.type == "private":
            raise SandboxError(400, "a private chat has no members to add")
        chat.members.add(_sender(world, body).id)
        world.touch()
        return _chat(world, chat)


def act(world: World, chat_id: int, action: str, body: dict[str, Any]) -> JSON:
    """A user does something in a chat; the answer names the update(s) it produced (an album is
    one update per item, sharing a media_group_id)."""
    with world.lock:
        user = _sender(world, body)
        chat = world.chats[chat_id]
        if chat.type == "private" and chat_id != user.id:
            raise SandboxError(403, f"user {user.id} cannot write in {chat_id}'s private chat")
        reply_to = _optional_int(body.get("reply_to_message_id"), "reply_to_message_id")
        thread = _optional_int(body.get("message_thread_id"), "message_thread_id")
        send = functools.partial(
            world.member_sends, chat_id, user.id, reply_to_message_id=reply_to, message_thread_id=thread
        )
        match action:
            case "messages":
                updates = [send(text=_text(body.get("text"), "text"))]
            case "contact":
                updates = [send(contact=_contact(world, user, body))]
            case "files":
                updates = _send_files(world, send, body)
            case "sticker":
                updates = [send(sticker=_sticker(world, body))]
            case "location":
                updates = [send(location=_location(body))]
            case "venue":
                updates = [send(location=(where := _location(body)), venue=_venue(body, where))]
            case "edit":
                message_id = _int(str(body.get("message_id", "")), "message_id")
                updates = [
                    world.user_edits_text(
                        user.id, message_id, _text(body.get("text"), "text"), chat_id=chat_id
                    )
                ]
            case "press":
                message_id = _int(str(body.get("message_id", "")), "message_id")
                data = body.get("callback_data")
                if not isinstance(data, str):
                    raise SandboxError(400, "callback_data is required")
                updates = [world.user_presses(user.id, message_id, data, chat_id=chat_id)]
            case "reply_button":
                updates = [_press_reply_button(world, chat, user, str(body.get("text") or ""))]
            case _:
                raise SandboxError(404, "no such sandbox action")
        return {
            "update_id": updates[0]["update_id"],
            "update": updates[0],
            "updates": updates,
            "version": world.version,
        }


def _contact(world: World, user: User, body: dict[str, Any]) -> JSON:
    """The user's own contact by default; another sandbox user's (``contact_user_id``) or anyone's
    (``phone_number`` + ``first_name``, no user id: not on Telegram)."""
    other = body.get("contact_user_id")
    if other in (None, "", user.id, str(user.id)) and not body.get("phone_number"):
        return {"phone_number": _phone_of(world, user), "first_name": user.first_name, "user_id": user.id} | (
            {"last_name": user.last_name} if user.last_name else {}
        )
    if other not in (None, ""):
        person = world.users.get(_int(str(other), "contact_user_id"))
        if person is None or person.is_bot:
            raise SandboxError(404, f"no user {other}")
        contact: JSON = {"phone_number": _phone_of(world, person), "first_name": person.first_name}
        if person.last_name:
            contact["last_name"] = person.last_name
        return contact | {"user_id": person.id}
    first_name = str(body.get("first_name") or "").strip()
    if not 1 <= len(first_name) <= 64:
        raise SandboxError(400, "a contact needs a first_name of 1-64 characters")
    contact = {"phone_number": _phone(body.get("phone_number")), "first_name": first_name}
    last_name = str(body.get("last_name") or "").strip()
    return contact | ({"last_name": last_name} if last_name else {})


def _phone_of(world: World, user: User) -> str:
    """Every Telegram account has a phone number: a user created without one gets one now."""
    if not user.phone_number:
        user.phone_number = _default_phone(user.id)
        world.touch()
    return user.phone_number


def _default_phone(user_id: int) -> str:
    return f"+7999{user_id % 10**7:07d}"


def _phone(raw: Any) -> str:
    phone = re.sub(r"[\s()-]", "", str(raw or ""))
    if not _PHONE.fullmatch(phone):
        raise SandboxError(400, "phone_number must be 5-20 digits, optionally starting with +")
    return phone


SEND_AS = ("photo", "document", "voice", "video_note")
ALBUM_MAX = 10  # Telegram's limit of items in one media group


def _send_files(world: World, send: Callable[..., JSON], body: dict[str, Any]) -> list[JSON]:
    """Uploaded files (form fields ``file``, ``file1``...) as photos, documents, a voice message or
    a video note; several photos or documents are one album, the caption on its first item."""
    kind = str(body.get("send_as") or "photo")
    if kind not in SEND_AS:
        raise SandboxError(400, f"send_as must be one of {', '.join(SEND_AS)}")
    uploads = [v for k, v in sorted(body.items()) if re.fullmatch(r"file\d*", k)]
    if not uploads or not all(isinstance(u, UploadedFile) and u.data for u in uploads):
        raise SandboxError(400, "file must be a non-empty file upload")
    if len(uploads) > (ALBUM_MAX if kind in ("photo", "document") else 1):
        raise SandboxError(400, f"at most {ALBUM_MAX} files in one album, one {kind} at a time")
    caption = str(body.get("caption") or "").strip() or None
    if caption is not None and utf16_len(caption) > 1024:
        raise SandboxError(400, "caption must be at most 1024 characters")
    album = str(10**17 + world.next_id()) if len(uploads) > 1 else None
    updates = []
    for n, upload in enumerate(uploads):
        content = _file_content(world, kind, upload, body)
        updates.append(send(media_group_id=album, caption=caption if n == 0 else None, **content))
    return updates


def _file_content(world: World, kind: str, upload: UploadedFile, body: dict[str, Any]) -> JSON:
    mime = upload.content_type or "application/octet-stream"
    if kind == "photo":
        f = world.store_file(
            upload.data, "photo", mime_type=mime if mime.startswith("image/") else "image/jpeg"
        )
        return {"photo": world.photo_sizes(f)}
    if kind == "document":
        f = world.store_file(upload.data, "document", file_name=upload.filename or "file", mime_type=mime)
        return {"document": world.document_dict(f)}
    duration = max(0, round(_float(str(body.get("duration") or "1"), "duration")))
    if kind == "voice":
        f = world.store_file(
            upload.data, "voice", mime_type=mime if mime.startswith("audio/") else "audio/ogg"
        )
        voice: JSON = {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "duration": duration}
        return {"voice": voice | {"mime_type": f.mime_type, "file_size": len(f.data)}}
    f = world.store_file(
        upload.data, "video_note", mime_type=mime if mime.startswith("video/") else "video/mp4"
    )
    note: JSON = {
        "file_id": f.file_id,
        "file_unique_id": f.file_unique_id,
        "length": 240,
        "duration": duration,
    }
    return {"video_note": note | {"file_size": len(f.data)}}


STICKERS = ("👍", "😀", "😂", "❤️", "😢", "😡", "🔥", "🎉", "🙏", "📦")


def _sticker(world: World, body: dict[str, Any]) -> JSON:
    """A regular 512x512 sticker with the chosen emoji (its file is an SVG of the emoji)."""
    emoji = str(body.get("emoji") or "")
    if emoji not in STICKERS:
        raise SandboxError(400, f"emoji must be one of {' '.join(STICKERS)}")
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">'
        f'<text x="256" y="380" font-size="360" text-anchor="middle">{emoji}</text></svg>'
    ).encode()
    f = world.store_file(svg, "sticker", mime_type="image/svg+xml")
    return {
        "file_id": f.file_id,
        "file_unique_id": f.file_unique_id,
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
        "file_size": len(svg),
    }


def _location(body: dict[str, Any]) -> JSON:
    latitude = _float(str(body.get("latitude", "")), "latitude")
    longitude = _float(str(body.get("longitude", "")), "longitude")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise SandboxError(400, "latitude must be -90..90 and longitude -180..180")
    return {"latitude": latitude, "longitude": longitude}


def _venue(body: dict[str, Any], location: JSON) -> JSON:
    title = str(body.get("title") or "").strip()
    address = str(body.get("address") or "").strip()
    if not (1 <= len(title) <= 256 and 1 <= len(address) <= 256):
        raise SandboxError(400, "a venue needs a title and an address (1-256 characters each)")
    return {"location": location, "title": title, "address": address}


def _press_reply_button(world: World, chat: Chat, user: User, text: str) -> JSON:
    keyboard = _reply_keyboard(chat.reply_keyboard)
    button = next((b for row in (keyboard or {}).get("rows", []) for b in row if b["text"] == text), None)
    if keyboard is None or button is None:
        raise SandboxError(400, f"the chat's keyboard has no button {text!r}")
    if button["request_contact"]:
        update = world.member_sends(chat.id, user.id, contact=_contact(world, user, {}))
    else:
        update = world.member_sends(chat.id, user.id, text=text)
    if keyboard["one_time"]:
        chat.reply_keyboard = None  # the client hides a one-time keyboard after use
        world.touch()
    return update


def _sender(world: World, body: dict[str, Any]) -> User:
    user_id = _int(str(body.get("user_id", "")), "user_id")
    user = world.users.get(user_id)
    if user is None or user.is_bot:
        raise SandboxError(404, f"no user {user_id}")
    return user


def _chat_id(world: World, raw: str) -> int:
    chat_id = _int(raw, "chat id")
    if chat_id not in world.chats:
        raise SandboxError(404, f"no chat {chat_id}")
    return chat_id


def _text(value: Any, name: str) -> str:
    text = str(value or "").strip()
    if not 1 <= utf16_len(text) <= 4096:
        raise SandboxError(400, f"{name} must be 1-4096 characters")
    return text


def _int(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SandboxError(400, f"{name} must be an integer") from None


def _optional_int(raw: Any, name: str) -> int | None:
    return None if raw in (None, "") else _int(str(raw), name)


def _float(raw: str, name: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SandboxError(400, f"{name} must be a number") from None
