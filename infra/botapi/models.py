"""The objects of the simulated Telegram, each able to render itself as the Bot API shows it.

Kept apart from `world.py` so the sandbox (web chat, webhook delivery) can share them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


class WorldError(AssertionError):
    """A test asked a simulated user to do something a real user could not do."""


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    phone_number: str | None = None
    is_bot: bool = False
    blocked_bot: bool = False

    def to_api(self) -> JSON:
        d: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for k in ("last_name", "username", "language_code"):
            if getattr(self, k) is not None:
                d[k] = getattr(self, k)
        return d


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup | channel
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    members: set[int] = field(default_factory=set)
    reply_keyboard: JSON | None = None  # the custom keyboard the client currently shows
    is_forum: bool = False  # a supergroup with topics
    can_manage_topics: bool = False  # the bot is an administrator with this right
    topics: dict[int, Topic] = field(default_factory=dict)  # by message_thread_id

    def to_api(self) -> JSON:
        d: JSON = {"id": self.id, "type": self.type}
        for k in ("title", "username", "first_name", "last_name"):
            if getattr(self, k) is not None:
                d[k] = getattr(self, k)
        if self.is_forum:
            d["is_forum"] = True
        return d


@dataclass
class Topic:
    """A forum topic: its id is the message id of the service message that created it."""

    message_thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False

    def to_api(self) -> JSON:
        d: JSON = {
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            d["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return d


@dataclass
class Message:
    """A message as stored: raw input kept next to what Telegram would show."""

    chat_id: int
    message_id: int
    sender_id: int
    date: int
    text: str | None = None  # visible text (markup stripped, trimmed)
    raw_text: str | None = None  # exactly what the sender passed
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    caption: str | None = None
    raw_caption: str | None = None
    caption_entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None  # any markup sent with it (inline or reply keyboard)
    photo: list[JSON] | None = None
    document: JSON | None = None
    contact: JSON | None = None
    sticker: JSON | None = None
    voice: JSON | None = None
    audio: JSON | None = None
    video: JSON | None = None
    video_note: JSON | None = None
    location: JSON | None = None
    venue: JSON | None = None
    media_group_id: str | None = None
    message_thread_id: int | None = None  # the forum topic it is in
    forum_topic_created: JSON | None = None  # the service message that opens a topic
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    deleted: bool = False

    @property
    def inline_markup(self) -> JSON | None:
        """Message.reply_markup as Telegram reports it: inline keyboards only."""
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            return self.reply_markup
        return None


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    date: float
    answered: bool = False


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # photo | document | ...
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None  # sent by URL: the stand-in does not fetch it


@dataclass
class Call:
    """One request the bot made, as decoded, with the answer it got."""

    method: str
    params: dict[str, Any]
    status: int
    response: JSON


@dataclass
class Failure:
    method: str  # or "*" for any method
    status: int
    body: JSON | bytes
    times: int


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None  # set by the deliverer, shown by getWebhookInfo
    last_error_message: str | None = None
