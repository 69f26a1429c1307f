"""The in-memory Telegram world the stand-in serves: bot, users, chats, messages, files, updates.

One model for both uses: tests play users through the `user_*` helpers (which produce Update dicts
exactly as Telegram would) and assert on what the bot did (`bot_messages`, `buttons`, `calls`);
the local sandbox later drives the same object from a web chat and delivers `pending` updates by
webhook or getUpdates. Everything is guarded by one re-entrant lock (`world.lock`), and
`world.changed` (a Condition on it) wakes long-polling readers when an update is queued or
anything else changes; `world.version` counts the changes (the sandbox page's change feed).

>>> w = World()
>>> _ = w.add_user(7, first_name="Ann")
>>> w.user_sends_text(7, "/start")["message"]["entities"]
[{'type': 'bot_command', 'offset': 0, 'length': 6}]
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from infra.botapi.limits import FloodControl
from infra.botapi.models import (
    JSON,
    Call,
    CallbackQuery,
    Chat,
    Failure,
    Message,
    StoredFile,
    Topic,
    User,
    Webhook,
    WorldError,
)
from infra.botapi.validation import check_object

__all__ = ["Call", "CallbackQuery", "Chat", "Message", "StoredFile", "User", "Webhook", "World", "WorldError"]

# What a user's message may carry besides text, in the order Message lists them in the spec.
CONTENT_KEYS = (
    "document",
    "photo",
    "sticker",
    "video_note",
    "voice",
    "audio",
    "video",
    "contact",
    "location",
    "venue",
)
_OWN = object()  # default for user_sends_contact(contact_user_id=...): the sender's own id
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")


class World:
    """State of one simulated Telegram, for one bot.

    Users are created on first use (`user_sends_text(5, ...)` makes "User5") unless added with
    `add_user` first; a user's private chat exists as soon as the user does.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",  # noqa: S107 - a fake token for a local stand-in
        bot_username: str = "test_support_bot",
        bot_first_name: str = "Support",
        *,
        clock: Callable[[], float] = time.time,
        callback_timeout: float = 15.0,
        long_poll_cap: float = 2.0,
        check_results: bool = True,
        rate_limits: bool = True,
    ) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.token = token
        self.bot = User(int(token.split(":")[0]), bot_first_name, username=bot_username, is_bot=True)
        self.clock = clock
        self.callback_timeout = callback_timeout
        self.long_poll_cap = long_poll_cap
        self.check_results = check_results  # answer 500 if a result breaks the spec (stand-in bug)
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[int, dict[int, Message]] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.callback_answers: list[JSON] = []
        self.files: dict[str, StoredFile] = {}
        self.updates: list[JSON] = []  # every update ever produced
        self.pending: list[JSON] = []  # not yet confirmed by getUpdates (or delivered)
        self.calls: list[Call] = []
        self.commands: dict[str, list[JSON]] = {}
        self.webhook: Webhook | None = None
        self.failures: list[Failure] = []
        # Telegram's flood limits (limits.py); off for tests that are not about them.
        self.flood = FloodControl(lambda: self.clock(), enabled=rate_limits)
        self.version = 0  # grows on every change a reader may want to see (see touch())
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(100_000_001)

    # ---- set-up -------------------------------------------------------------------------------
    def add_user(
        self,
        user_id: int,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        phone_number: str | None = None,
    ) -> User:
        """A Telegram user who has opened the bot (so their private chat exists)."""
        with self.lock:
            user = User(user_id, first_name, last_name, username, language_code, phone_number)
            self.users[user_id] = user
            self.chats.setdefault(
                user_id,
                Chat(user_id, "private", username=username, first_name=first_name, last_name=last_name),
            )
            self.messages.setdefault(user_id, {})
            self.touch()
            return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        members: tuple[int, ...] = (),
        type: str = "supergroup",
        *,
        forum: bool = False,
        can_manage_topics: bool = True,
    ) -> Chat:
        """A group the bot is a member of (chat ids of groups are negative); a ``forum`` has
        topics, which the bot may create and manage when it is an admin with ``can_manage_topics``."""
        with self.lock:
            chat = Chat(
                chat_id,
                type,
                title=title,
                members=set(members),
                is_forum=forum,
                can_manage_topics=forum and can_manage_topics,
            )
            self.chats[chat_id] = chat
            self.messages.setdefault(chat_id, {})
            self.touch()
            return chat

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to them fail with 403 until they write again."""
        with self.lock:
            self._user(user_id).blocked_bot = True

    def unblock(self, user_id: int) -> None:
        with self.lock:
            self._user(user_id).blocked_bot = False

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` ("*": any) get this Telegram-shaped error.

        429 defaults to "Too Many Requests: retry after 3" with parameters.retry_after=3; use
        error_code=500/502 for server trouble.
        """
        if error_code == 429 and retry_after is None:
            retry_after = 3
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(error_code, "Bad Request")
        body: JSON = {"ok": False, "error_code": error_code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        with self.lock:
            self.failures.append(Failure(method, error_code, body, times))

    def fail_next_http(
        self, method: str, status: int = 502, body: bytes = b"<html>502 Bad Gateway</html>", times: int = 1
    ) -> None:
        """Like a proxy in front of Telegram failing: a non-JSON answer with this status."""
        with self.lock:
            self.failures.append(Failure(method, status, body, times))

    def take_failure(self, method: str) -> Failure | None:
        with self.lock:
            for f in self.failures:
                if f.method in (method, "*"):
                    f.times -= 1
                    if f.times <= 0:
                        self.failures.remove(f)
                    return f
            return None

    # ---- simulated users ----------------------------------------------------------------------
    def user_sends_text(self, user_id: int, text: str, reply_to_message_id: int | None = None) -> JSON:
        """The user types `text` in their private chat with the bot."""
        with self.lock:
            m = self._incoming(user_id, user_id, text=text, entities=_command_entities(text))
            m.reply_to_message_id = reply_to_message_id
            return self.user_update("message", self.message_dict(m))

    def user_sends_contact(
        self,
        user_id: int,
        phone_number: str,
        contact_user_id: int | object | None = _OWN,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> JSON:
        """The user shares a contact: their own by default; another user's id, or None for none."""
        with self.lock:
            user = self._user(user_id)
            contact: JSON = {"phone_number": phone_number, "first_name": first_name or user.first_name}
            if last_name or (contact_user_id is _OWN and user.last_name):
                contact["last_name"] = last_name or user.last_name
            uid = user_id if contact_user_id is _OWN else contact_user_id
            if uid is not None:
                contact["user_id"] = uid
            m = self._incoming(user_id, user_id, contact=contact)
            return self.user_update("message", self.message_dict(m))

    def user_sends_photo(
        self,
        user_id: int,
        data: bytes,
        caption: str | None = None,
        media_group_id: str | None = None,
        reply_to_message_id: int | None = None,
        mime_type: str = "image/jpeg",
    ) -> JSON:
        """The user sends a photo (stored, so the bot can getFile and download it)."""
        with self.lock:
            if reply_to_message_id is not None:
                self.reply_target(user_id, reply_to_message_id)
            f = self.store_file(data, "photo", mime_type=mime_type)
            m = self._incoming(user_id, user_id, photo=self.photo_sizes(f), media_group_id=media_group_id)
            m.reply_to_message_id = reply_to_message_id
            self._set_caption(m, caption)
            return self.user_update("message", self.message_dict(m))

    def user_sends_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> JSON:
        with self.lock:
            f = self.store_file(data, "document", file_name=file_name, mime_type=mime_type)
            m = self._incoming(
                user_id, user_id, document=self.document_dict(f), media_group_id=media_group_id
            )
            self._set_caption(m, caption)
            return self.user_update("message", self.message_dict(m))

    def user_sends_media(
        self, user_id: int, kind: str, data: bytes, caption: str | None = None, **fields: Any
    ) -> JSON:
        """The user sends a voice message, an audio, a video, a video note or a sticker (``kind``,
        the Message field), stored so the bot can getFile it; ``fields`` add to the object
        (``duration``, ``emoji``, ``mime_type``, ``file_name``...)."""
        with self.lock:
            f = self.store_file(
                data, kind, file_name=fields.get("file_name"), mime_type=fields.get("mime_type")
            )
            media = {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": len(f.data)}
            m = self._incoming(user_id, user_id, **{kind: media | fields})
            self._set_caption(m, caption)
            return self.emit("message", self.message_dict(m))

    def user_sends_location(self, user_id: int, latitude: float, longitude: float) -> JSON:
        with self.lock:
            m = self._incoming(user_id, user_id, location={"latitude": latitude, "longitude": longitude})
            return self.emit("message", self.message_dict(m))

    def user_presses(
        self, user_id: int, message_id: int, callback_data: str, chat_id: int | None = None
    ) -> JSON:
        """The user taps an inline button of a bot message; refused unless that button is there."""
        with self.lock:
            chat_id = user_id if chat_id is None else chat_id
            user = self._user(user_id)
            m = self.messages.get(chat_id, {}).get(message_id)
            if m is None or m.deleted:
                raise WorldError(f"no message {message_id} in chat {chat_id} to press a button on")
            markup = m.inline_markup or {}
            datas = [b.get("callback_data") for row in markup.get("inline_keyboard", []) for b in row]
            if callback_data not in datas:
                raise WorldError(
                    f"message {message_id} has no button with callback_data {callback_data!r}: {datas}"
                )
            user.blocked_bot = False
            q = CallbackQuery(
                str(4_000_000_000_000 + next(self._ids)),
                user_id,
                chat_id,
                message_id,
                callback_data,
                self.clock(),
            )
            self.callback_queries[q.id] = q
            instance = hashlib.sha1(f"{chat_id}:{self.bot.id}".encode()).hexdigest()[:16]  # noqa: S324
            payload = {
                "id": q.id,
                "from": user.to_api(),
                "message": self.message_dict(m),
                "chat_instance": str(int(instance, 16)),
                "data": callback_data,
            }
            return self.user_update("callback_query", payload)

    def group_member_sends_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> JSON:
        """A member writes in a group the bot is in (e.g. the warehouse or support group), in a
        forum's topic when ``message_thread_id`` is given."""
        with self.lock:
            self._group(chat_id, user_id, reply_to_message_id)
            if message_thread_id is not None:
                self.topic(chat_id, message_thread_id)
            m = self._incoming(
                chat_id,
                user_id,
                text=text,
                entities=_command_entities(text),
                message_thread_id=message_thread_id,
            )
            m.reply_to_message_id = reply_to_message_id
            return self.user_update("message", self.message_dict(m))

    def group_member_sends_photo(
        self,
        chat_id: int,
        user_id: int,
        data: bytes,
        caption: str | None = None,
        reply_to_message_id: int | None = None,
        mime_type: str = "image/jpeg",
        media_group_id: str | None = None,
    ) -> JSON:
        """A member posts a photo in a group, e.g. as a reply to the bot's message there; an album
        is several such photos sharing `media_group_id` (one update each, each with the reply)."""
        with self.lock:
            self._group(chat_id, user_id, reply_to_message_id)
            f = self.store_file(data, "photo", mime_type=mime_type)
            m = self._incoming(chat_id, user_id, photo=self.photo_sizes(f), media_group_id=media_group_id)
            m.reply_to_message_id = reply_to_message_id
            self._set_caption(m, caption)
            return self.user_update("message", self.message_dict(m))

    def group_member_replies(self, chat_id: int, user_id: int, reply_to_message_id: int, text: str) -> JSON:
        """A member replies (Telegram's "Reply") to a message in a group."""
        return self.group_member_sends_text(chat_id, user_id, text, reply_to_message_id)

    def member_sends(
        self,
        chat_id: int,
        user_id: int,
        *,
        reply_to_message_id: int | None = None,
        media_group_id: str | None = None,
        caption: str | None = None,
        message_thread_id: int | None = None,
        **content: Any,
    ) -> JSON:
        """A user sends anything a Telegram client can (`content`: one of CONTENT_KEYS with its
        object, or text) in their private chat (`chat_id` = `user_id`) or in a group, in a forum's
        topic when ``message_thread_id`` is given."""
        with self.lock:
            if chat_id == user_id:
                if reply_to_message_id is not None:
                    self.reply_target(chat_id, reply_to_message_id)
                if message_thread_id is not None:
                    raise WorldError("a private chat has no topics")
            else:
                self._group(chat_id, user_id, reply_to_message_id)
                if message_thread_id is not None:
                    self.topic(chat_id, message_thread_id)
            if "text" in content:
                content["entities"] = _command_entities(content["text"])
            m = self._incoming(
                chat_id,
                user_id,
                media_group_id=media_group_id,
                message_thread_id=message_thread_id,
                **content,
            )
            m.reply_to_message_id = reply_to_message_id
            self._set_caption(m, caption)
            return self.user_update("message", self.message_dict(m))

    def user_edits_text(self, user_id: int, message_id: int, text: str, chat_id: int | None = None) -> JSON:
        """The user edits the text (or the caption) of a message of theirs, in their private chat
        or ``chat_id``: Telegram sends an ``edited_message`` update."""
        with self.lock:
            chat_id = user_id if chat_id is None else chat_id
            m = self.messages.get(chat_id, {}).get(message_id)
            if m is None or m.deleted or m.sender_id != user_id:
                raise WorldError(f"user {user_id} has no message {message_id} in chat {chat_id} to edit")
            if m.caption is not None:
                m.caption = m.raw_caption = text
            elif m.text is not None:
                m.text = m.raw_text = text
                m.entities = _command_entities(text)
            else:
                raise WorldError(f"message {message_id} has no text to edit")
            m.edit_date = self.now()
            return self.user_update("edited_message", self.message_dict(m))

    def user_edits_photo(
        self, user_id: int, message_id: int, data: bytes, caption: str | None = None
    ) -> JSON:
        """The user replaces the photo of a message of theirs (a new file; the caption kept unless
        given): Telegram sends an ``edited_message`` update."""
        with self.lock:
            m = self.messages.get(user_id, {}).get(message_id)
            if m is None or m.deleted or m.sender_id != user_id or m.photo is None:
                raise WorldError(f"user {user_id} has no photo message {message_id} to edit")
            m.photo = self.photo_sizes(self.store_file(data, "photo", mime_type="image/jpeg"))
            if caption is not None:
                m.caption = m.raw_caption = caption
            m.edit_date = self.now()
            return self.user_update("edited_message", self.message_dict(m))

    # ---- queries for assertions ---------------------------------------------------------------
    def message(self, chat_id: int, message_id: int) -> Message:
        with self.lock:
            return self.messages[chat_id][message_id]

    def bot_messages(self, chat_id: int) -> list[Message]:
        """The bot's messages still visible in the chat, oldest first."""
        with self.lock:
            return [
                m
                for m in self.messages.get(chat_id, {}).values()
                if m.sender_id == self.bot.id and not m.deleted
            ]

    def last_bot_message(self, chat_id: int) -> Message:
        found = self.bot_messages(chat_id)
        if not found:
            raise WorldError(f"the bot sent nothing (visible) to chat {chat_id}")
        return found[-1]

    @staticmethod
    def buttons(message: Message) -> list[list[str]]:
        """Rows of button texts of the message's keyboard (inline or reply), [] if none."""
        markup = message.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[b["text"] if isinstance(b, dict) else str(b) for b in row] for row in rows]

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    # ---- building blocks for methods.py and the sandbox --------------------------------------
    def next_id(self) -> int:
        """A process-wide growing number for ids (files, callback queries, media groups)."""
        return next(self._ids)

    def counters(self) -> tuple[int, int]:
        """The next id and update id, for a saved world (each is consumed: ids only need to grow)."""
        with self.lock:
            return next(self._ids), next(self._update_ids)

    def continue_counters(self, next_id: int, next_update_id: int) -> None:
        """Go on from a saved world's `counters`."""
        with self.lock:
            self._ids = itertools.count(next_id)
            self._update_ids = itertools.count(next_update_id)

    def now(self) -> int:
        return int(self.clock())

    def new_message(self, chat_id: int, sender_id: int, **content: Any) -> Message:
        """Store a message with the chat's next message_id (ids grow per chat, as in Telegram)."""
        with self.lock:
            box = self.messages.setdefault(chat_id, {})
            message_id = max(box, default=0) + 1
            m = Message(chat_id, message_id, sender_id, self.now(), **content)
            box[message_id] = m
            return m

    def user_update(self, kind: str, payload: JSON) -> JSON:
        """Queue what a simulated user did, checked against the spec first: a user can only send
        what Telegram sends (`emit` queues anything, for tests of malformed updates)."""
        if self.check_results:
            check_object("Update", {"update_id": 1, kind: payload})
        return self.emit(kind, payload)

    def emit(self, kind: str, payload: JSON) -> JSON:
        """Queue an update (for getUpdates / webhook delivery) and return it, as it is."""
        with self.lock:
            update = {"update_id": next(self._update_ids), kind: payload}
            self.updates.append(update)
            self.pending.append(update)
            self.touch()
            return update

    def touch(self) -> int:
        """Record that something changed: bump `version` and wake everyone waiting on `changed`."""
        with self.lock:
            self.version += 1
            self.changed.notify_all()
            return self.version

    def wait_for_change(self, since: int, timeout: float) -> int:
        """Block until `version` exceeds `since` or `timeout` seconds pass; return the version."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self.lock:
            while self.version <= since:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.changed.wait(remaining)
            return self.version

    def store_file(
        self,
        data: bytes,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
    ) -> StoredFile:
        with self.lock:
            n = next(self._ids)
            ext = {"photo": ".jpg"}.get(kind) or (
                ("." + file_name.rsplit(".", 1)[-1]) if file_name and "." in file_name else ""
            )
            folder = {"photo": "photos", "document": "documents"}.get(kind, kind + "s")
            digest = hashlib.sha256(data + n.to_bytes(8, "big")).hexdigest()
            f = StoredFile(
                file_id=f"{kind[:2].upper()}{n:06d}{digest[:24]}",
                file_unique_id=f"AQAD{digest[24:36]}",
                kind=kind,
                data=data,
                file_path=f"{folder}/file_{n}{ext}",
                file_name=file_name,
                mime_type=mime_type,
                url=url,
            )
            self.files[f.file_id] = f
            return f

    def file_by_path(self, file_path: str) -> StoredFile | None:
        with self.lock:
            return next((f for f in self.files.values() if f.file_path == file_path), None)

    @staticmethod
    def photo_sizes(f: StoredFile) -> list[JSON]:
        width, height = _image_size(f.data)
        return [
            {
                "file_id": f.file_id,
                "file_unique_id": f.file_unique_id,
                "file_size": len(f.data),
                "width": width,
                "height": height,
            }
        ]

    @staticmethod
    def document_dict(f: StoredFile) -> JSON:
        d: JSON = {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": len(f.data)}
        if f.file_name:
            d["file_name"] = f.file_name
        if f.mime_type:
            d["mime_type"] = f.mime_type
        return d

    def message_dict(self, m: Message, *, with_reply: bool = True) -> JSON:
        """The Message object exactly as the Bot API would return or deliver it."""
        with self.lock:
            sender = self.bot if m.sender_id == self.bot.id else self.users[m.sender_id]
            d: JSON = {
                "message_id": m.message_id,
                "from": sender.to_api(),
                "chat": self.chats[m.chat_id].to_api(),
                "date": m.date,
            }
            if m.edit_date is not None:
                d["edit_date"] = m.edit_date
            if m.media_group_id is not None:
                d["media_group_id"] = m.media_group_id
            if m.message_thread_id is not None:
                d["message_thread_id"] = m.message_thread_id
                d["is_topic_message"] = True
            if m.forum_topic_created is not None:
                d["forum_topic_created"] = m.forum_topic_created
            if with_reply and m.reply_to_message_id is not None:
                replied = self.messages[m.chat_id].get(m.reply_to_message_id)
                if replied is not None and not replied.deleted:
                    d["reply_to_message"] = self.message_dict(replied, with_reply=False)
            if m.text is not None:
                d["text"] = m.text
                if m.entities:
                    d["entities"] = m.entities
            for key in CONTENT_KEYS:
                if getattr(m, key) is not None:
                    d[key] = getattr(m, key)
            if m.caption:
                d["caption"] = m.caption
                if m.caption_entities:
                    d["caption_entities"] = m.caption_entities
            if m.inline_markup:
                d["reply_markup"] = m.inline_markup
            return d

    def _user(self, user_id: int) -> User:
        user = self.users.get(user_id)
        return user if user is not None else self.add_user(user_id, first_name=f"User{user_id}")

    def _group(self, chat_id: int, user_id: int, reply_to_message_id: int | None) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise WorldError(f"no group {chat_id}")
        if reply_to_message_id is not None:
            self.reply_target(chat_id, reply_to_message_id)
        self._user(user_id)
        chat.members.add(user_id)
        return chat

    def topic(self, chat_id: int, message_thread_id: int) -> Topic:
        """A live topic of a forum (a deleted one is gone for its members too)."""
        chat = self.chats.get(chat_id)
        topic = chat.topics.get(message_thread_id) if chat is not None else None
        if topic is None or topic.deleted:
            raise WorldError(f"no topic {message_thread_id} in chat {chat_id}")
        return topic

    def reply_target(self, chat_id: int, message_id: int) -> Message:
        m = self.messages.get(chat_id, {}).get(message_id)
        if m is None or m.deleted:
            raise WorldError(f"no message {message_id} in chat {chat_id} to reply to")
        return m

    def _incoming(self, chat_id: int, user_id: int, **content: Any) -> Message:
        user = self._user(user_id)
        user.blocked_bot = False  # writing to the bot again means they unblocked it
        if "text" in content:
            content["raw_text"] = content["text"]
        return self.new_message(chat_id, user_id, **content)

    @staticmethod
    def _set_caption(m: Message, caption: str | None) -> None:
        if caption:
            m.caption = m.raw_caption = caption


def _command_entities(text: str) -> list[JSON]:
    m = _COMMAND.match(text)
    return (
        [{"type": "bot_command", "offset": 0, "length": len(m.group(0).encode("utf-16-le")) // 2}]
        if m
        else []
    )


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or GIF (enough for tests); other data reads as 320x320."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    return 320, 320
