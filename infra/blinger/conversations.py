"""Conversations as the Blinger stand-in keeps them: one per client_id, messages in both directions.

The bot's post is checked here (`parse_customer_message`) with the contract's field rules; the
`Inbox` holds the state behind one lock and counts changes in `version` so the page can poll.

>>> inbox = Inbox()
>>> msg = parse_customer_message(
...     {"custom_channel_id": "tg", "client_id": "42", "type": "text", "data": "Hi"}, channel_id="tg"
... )
>>> inbox.receive(msg).direction, inbox.get("42").unread, inbox.version
('in', 1, 1)
>>> parse_customer_message({"custom_channel_id": "tg", "client_id": "42", "type": "video", "data": "x"}, "tg")
Traceback (most recent call last):
...
infra.blinger.conversations.BadMessageError: type must be one of text, image, file
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MESSAGE_TYPES = ("text", "image", "file")


def now() -> str:
    """UTC time as ISO 8601 with a Z, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class BadMessageError(ValueError):
    """The bot's post breaks the contract; `status` is the HTTP answer (400, or 403 for the channel)."""

    def __init__(self, text: str, status: int = 400) -> None:
        super().__init__(text)
        self.status = status


class UnknownConversationError(KeyError):
    """No conversation with this client_id (Blinger's operator can only answer an existing one)."""


@dataclass
class CustomerMessage:
    """A valid post from the bot, normalised (client_id always a string)."""

    client_id: str
    type: str
    data: str
    client_name: str | None = None
    client_phone: str | None = None
    info: dict[str, Any] | None = None
    echo: bool = False
    echo_outgoing: bool = False


@dataclass
class Delivery:
    """One call the console made to the bot's webhook, and how it went."""

    url: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int | None = None  # None: no HTTP answer (refused, timed out)
    error: str | None = None
    time: str = field(default_factory=now)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Message:
    """`direction` "in": customer to operator (posted by the bot); "out": operator to customer.

    `status`: "received" (in), "echo" (an echo the bot posted), or for operator messages
    "pending" -> "delivered" / "failed" with `delivery_status` (the bot's HTTP answer) and `error`.
    """

    id: int
    direction: str
    type: str
    data: str
    status: str
    time: str = field(default_factory=now)
    operator: str | None = None
    delivery_status: int | None = None
    error: str | None = None
    echo: bool = False
    echo_outgoing: bool = False


@dataclass
class Operator:
    id: int
    name: str
    email: str


@dataclass
class Conversation:
    """`id` is Blinger's conversation id (a new one when a closed conversation gets a new message);
    `user_id` Blinger's own id for the end user; `status` "open", "assigned" or "closed"."""

    id: int
    user_id: int
    client_id: str
    client_name: str | None = None
    client_phone: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    status: str = "open"
    operator: Operator | None = None
    unread: int = 0
    messages: list[Message] = field(default_factory=list)
    date_created: str = field(default_factory=now)
    date_updated: str = field(default_factory=now)

    def to_json(self, with_messages: bool = True) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        last = self.messages[-1] if self.messages else None
        data["last_message"] = dataclasses.asdict(last) if last else None
        if not with_messages:
            del data["messages"]
        return data


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise BadMessageError(f"{name} must be a string")
    return value


def _optional_bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise BadMessageError(f"{name} must be a boolean")
    return value


def parse_customer_message(body: object, channel_id: str) -> CustomerMessage:
    """Check the bot's post against the contract; raise BadMessageError saying what is wrong.

    A missing custom_channel_id is a malformed body (400, like any missing required field); a
    present but different one is a valid request this token may not make (403), as the token
    check would answer: the two mistakes are different and the bot's logs should say which.
    """
    if not isinstance(body, dict):
        raise BadMessageError("body must be a JSON object")
    missing = [name for name in ("custom_channel_id", "client_id", "type", "data") if body.get(name) is None]
    if missing:
        raise BadMessageError("missing required field(s): " + ", ".join(missing))
    if not isinstance(body["custom_channel_id"], str):
        raise BadMessageError("custom_channel_id must be a string")
    if body["custom_channel_id"] != channel_id:
        raise BadMessageError("unknown custom_channel_id for this token", status=403)
    client_id = body["client_id"]
    if isinstance(client_id, bool) or not isinstance(client_id, str | int) or str(client_id) == "":
        raise BadMessageError("client_id must be a non-empty string or an integer")
    kind, data = body["type"], body["data"]
    if kind not in MESSAGE_TYPES:
        raise BadMessageError("type must be one of " + ", ".join(MESSAGE_TYPES))
    if not isinstance(data, str):
        raise BadMessageError("data must be a string")
    if not data.strip():
        raise BadMessageError("data is empty")
    if kind != "text" and not data.startswith(("http://", "https://")):
        raise BadMessageError(f"data of a {kind} must be an http(s) URL Blinger can fetch")
    info = body.get("info")
    if info is not None and not isinstance(info, dict):
        raise BadMessageError("info must be a JSON object")
    return CustomerMessage(
        client_id=str(client_id),
        type=kind,
        data=data,
        client_name=_optional_str(body, "client_name"),
        client_phone=_optional_str(body, "client_phone"),
        info=info,
        echo=_optional_bool(body, "echo"),
        echo_outgoing=_optional_bool(body, "echo_outgoing"),
    )


class Inbox:
    """Every conversation, behind one lock; readers get deep copies, never the live objects."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._conversations: dict[str, Conversation] = {}
            self._operators: dict[str, Operator] = {}
            self._next = {"conversation": 1, "user": 1, "message": 1, "operator": 1}
            self.version = 0

    def _id(self, kind: str) -> int:
        self._next[kind] += 1
        return self._next[kind] - 1

    def _changed(self, conversation: Conversation) -> None:
        conversation.date_updated = now()
        self.version += 1

    def _live(self, client_id: str) -> Conversation:
        try:
            return self._conversations[client_id]
        except KeyError:
            raise UnknownConversationError(client_id) from None

    def receive(self, msg: CustomerMessage) -> Message:
        """Append the bot's post to its client's conversation (created, or reopened when closed)."""
        with self._lock:
            conv = self._conversations.get(msg.client_id)
            if conv is None:
                conv = Conversation(
                    id=self._id("conversation"), user_id=self._id("user"), client_id=msg.client_id
                )
                self._conversations[msg.client_id] = conv
            elif conv.status == "closed" and not msg.echo_outgoing:
                conv.id, conv.status, conv.operator = self._id("conversation"), "open", None
            conv.client_name = msg.client_name or conv.client_name
            conv.client_phone = msg.client_phone or conv.client_phone
            if msg.info is not None:
                conv.info = copy.deepcopy(msg.info)
            message = Message(
                id=self._id("message"),
                direction="out" if msg.echo_outgoing else "in",
                type=msg.type,
                data=msg.data,
                status="echo" if msg.echo or msg.echo_outgoing else "received",
                echo=msg.echo,
                echo_outgoing=msg.echo_outgoing,
            )
            conv.messages.append(message)
            if message.direction == "in":
                conv.unread += 1
            self._changed(conv)
            return copy.deepcopy(message)

    def add_reply(self, client_id: str, kind: str, data: str, operator: str | None) -> Message:
        """An operator's message, "pending" until `set_delivery` records the bot's answer."""
        if kind not in MESSAGE_TYPES:
            raise ValueError("type must be one of " + ", ".join(MESSAGE_TYPES))
        if not isinstance(data, str) or not data.strip():
            raise ValueError("data must be a non-empty string")
        if kind != "text" and not data.startswith(("http://", "https://")):
            raise ValueError(f"data of a {kind} must be an http(s) URL")
        with self._lock:
            conv = self._live(client_id)
            message = Message(
                id=self._id("message"),
                direction="out",
                type=kind,
                data=data,
                status="pending",
                operator=operator,
            )
            conv.messages.append(message)
            conv.unread = 0  # answering means the operator has read the thread
            self._changed(conv)
            return copy.deepcopy(message)

    def set_delivery(self, client_id: str, message_id: int, delivery: Delivery) -> Message:
        with self._lock:
            conv = self._live(client_id)
            message = next(m for m in conv.messages if m.id == message_id)
            message.status = "delivered" if delivery.ok else "failed"
            message.delivery_status, message.error = delivery.status, delivery.error
            self._changed(conv)
            return copy.deepcopy(message)

    def operator(self, name: str) -> Operator:
        """The operator of this name (created on first use, with a stable id and a made-up email)."""
        with self._lock:
            if name not in self._operators:
                number = self._id("operator")
                self._operators[name] = Operator(
                    id=number, name=name, email=f"operator{number}@blinger.local"
                )
            return copy.deepcopy(self._operators[name])

    def set_status(self, client_id: str, status: str, operator: Operator | None = None) -> Conversation:
        with self._lock:
            conv = self._live(client_id)
            conv.status, conv.operator = status, copy.deepcopy(operator)
            self._changed(conv)
            return copy.deepcopy(conv)

    def mark_read(self, client_id: str) -> None:
        with self._lock:
            conv = self._live(client_id)
            if conv.unread:
                conv.unread = 0
                self._changed(conv)

    def by_id(self, conversation_id: int) -> Conversation | None:
        """The conversation Blinger numbers ``conversation_id`` (its current one for that client)."""
        with self._lock:
            found = next((c for c in self._conversations.values() if c.id == conversation_id), None)
            return copy.deepcopy(found)

    def get(self, client_id: str) -> Conversation | None:
        with self._lock:
            conv = self._conversations.get(client_id)
            return copy.deepcopy(conv)

    def snapshot(self) -> dict[str, Any]:
        """Everything the inbox holds, as JSON (the local stack saves it on stop)."""
        with self._lock:
            return {
                "conversations": [dataclasses.asdict(c) for c in self._conversations.values()],
                "operators": [dataclasses.asdict(o) for o in self._operators.values()],
                "next": dict(self._next),
                "version": self.version,
            }

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a `snapshot`."""
        with self._lock:
            self._conversations = {}
            for raw in data["conversations"]:
                conv = Conversation(**{k: v for k, v in raw.items() if k not in ("messages", "operator")})
                conv.operator = Operator(**raw["operator"]) if raw.get("operator") else None
                conv.messages = [Message(**m) for m in raw["messages"]]
                self._conversations[conv.client_id] = conv
            self._operators = {o["name"]: Operator(**o) for o in data["operators"]}
            self._next = dict(data["next"])
            self.version = int(data["version"]) + 1  # pages polling an older version see a change

    def all(self) -> list[Conversation]:
        """Latest message first, as an inbox lists them."""
        with self._lock:
            convs = copy.deepcopy(list(self._conversations.values()))
        return sorted(convs, key=lambda c: c.messages[-1].id if c.messages else 0, reverse=True)
