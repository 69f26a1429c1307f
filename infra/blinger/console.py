"""BlingerConsole: Blinger's Custom app channel on localhost, and the operator's side of it.

The bot posts customers' messages to `send_url` (its BLINGER_API_URL) with the app token; the
console keeps conversations and delivers operators' replies and conversation events to the bot's
webhook exactly as Blinger does (see docs/blinger.md). A person plays the operator on
the page at `base_url`; tests play it through the same methods (`reply`, `assign`, `close`).
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import secrets
import threading
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote, urlencode

import requests

from infra.blinger.conversations import (
    BadMessageError,
    Conversation,
    Delivery,
    Inbox,
    UnknownConversationError,
    parse_customer_message,
)
from infra.httpserver import BackgroundServer

SEND_PATH = "/api/custom-app/messages"
REST_PATH = "/api/conversations/"  # Blinger's REST API (operator side); the stand-in serves close
DELIVERY_TIMEOUT = 10.0  # seconds the console waits for the bot's webhook


@dataclass
class Call:
    """One request the console received on Blinger's side (the bot's posts, file downloads, strays).

    `body` is the parsed JSON (None when empty or not JSON); `raw` the bytes (empty when too large).
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int
    raw: bytes = b""


@dataclass
class Failure:
    """An injected answer: wait `delay` seconds, then answer `status` (None: then serve normally)."""

    status: int | None
    delay: float


@dataclass
class StoredFile:
    id: str
    name: str
    content_type: str
    data: bytes


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:100] or "file"


class BlingerConsole(BackgroundServer):
    """The Blinger stand-in, served from a daemon thread.

    >>> import requests
    >>> with BlingerConsole(token="app-token", channel_id="telegram") as blinger:
    ...     answer = requests.post(
    ...         blinger.send_url,
    ...         json={"custom_channel_id": "telegram", "client_id": "42", "type": "text", "data": "Hi"},
    ...         headers={"Authorization": "Bearer app-token"},
    ...         timeout=5,
    ...     )
    ...     blinger.conversation("42").messages[0].data, answer.status_code
    ('Hi', 200)

    Missing custom_channel_id is 400 (a missing required field), a different one 403 (see
    `parse_customer_message`). `bot_webhook_url` may be set after construction.
    """

    def __init__(
        self,
        token: str,
        channel_id: str,
        bot_webhook_url: str | None = None,
        events_secret: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_token: str | None = None,
    ) -> None:
        from infra.blinger.server import handler_for  # the handler needs this module's classes

        self.token = token
        self.channel_id = channel_id
        self.bot_webhook_url = bot_webhook_url
        self.events_secret = events_secret
        self.api_token = api_token  # the REST API's `Authentication` token (None: the API refuses all)
        self.inbox = Inbox()
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._deliveries: list[Delivery] = []
        self._failures: list[Failure] = []
        self._files: dict[str, StoredFile] = {}
        self._stopping = threading.Event()
        super().__init__(handler_for(self), host, port)

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def send_url(self) -> str:
        """Where the bot posts customers' messages: its BLINGER_API_URL."""
        return self.base_url + SEND_PATH

    @property
    def rest_url(self) -> str:
        """Base of Blinger's REST API on the console: the bot's BLINGER_REST_URL."""
        return self.base_url + "/api"

    thread_name = "blinger"

    def _on_start(self) -> None:
        self._stopping.clear()

    def _on_stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in an injected delay

    # -- saved state (the local stack keeps it across restarts) -----------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Conversations and operators' uploaded files as JSON (files base64)."""
        with self._lock:
            files = [
                asdict(f) | {"data": base64.b64encode(f.data).decode("ascii")} for f in self._files.values()
            ]
        return {"inbox": self.inbox.snapshot(), "files": files}

    def restore(self, data: dict[str, Any]) -> None:
        self.inbox.restore(data["inbox"])
        with self._lock:
            self._files = {
                f["id"]: StoredFile(**(f | {"data": base64.b64decode(f["data"])})) for f in data["files"]
            }

    # -- test hooks ------------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every request received on Blinger's side, oldest first (the page's own are not kept)."""
        with self._lock:
            return list(self._calls)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every call made to the bot's webhook (replies and events), oldest first."""
        with self._lock:
            return list(self._deliveries)

    def fail_next(self, status: int | None = 500, times: int = 1, delay: float = 0.0) -> None:
        """Answer the bot's next `times` posts with `status`, after sleeping `delay` seconds.

        Nothing is stored for a failed post. `status=None` with a delay is a slow Blinger: the post
        is served normally after the delay (stored even if the bot's client has timed out).
        """
        with self._lock:
            self._failures.extend(Failure(status, delay) for _ in range(times))

    def conversation(self, client_id: str | int) -> Conversation | None:
        """A copy of the client's conversation (messages, name, phone, info, status), or None."""
        return self.inbox.get(str(client_id))

    def conversations(self) -> list[Conversation]:
        return self.inbox.all()

    def reply(self, client_id: str | int, type: str, data: str, operator: str | None = None) -> Delivery:
        """The operator answers: recorded in the thread, then delivered to the bot's webhook.

        Raises UnknownConversationError for a client that never wrote, ValueError for a bad type/data.
        """
        client = str(client_id)
        message = self.inbox.add_reply(client, type, data, operator)
        body = {
            "token": self.token,
            "custom_channel_id": self.channel_id,
            "client_id": client,
            "type": type,
            "data": data,
        }
        delivery = self._post(self.bot_webhook_url, body, {"Authorization": f"Bearer {self.token}"})
        self.inbox.set_delivery(client, message.id, delivery)
        return delivery

    def assign(self, client_id: str | int, operator_name: str = "Operator") -> Delivery:
        """The operator takes the conversation: `on_conversation_assigned` to the bot."""
        operator = self.inbox.operator(operator_name)
        conv = self.inbox.set_status(str(client_id), "assigned", operator)
        return self._event("on_conversation_assigned", conv)

    def unassign(self, client_id: str | int) -> Delivery:
        return self._event("on_conversation_unassigned", self.inbox.set_status(str(client_id), "open"))

    def close(self, client_id: str | int) -> Delivery:
        conv = self.inbox.get(str(client_id))
        operator = conv.operator if conv else None
        return self._event(
            "on_conversation_closed", self.inbox.set_status(str(client_id), "closed", operator)
        )

    def add_file(self, name: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        """Store a file (as an operator's upload) and return its URL on the console."""
        stored = StoredFile(
            secrets.token_hex(8), _safe_name(name), content_type or "application/octet-stream", data
        )
        with self._lock:
            self._files[stored.id] = stored
        return f"{self.base_url}/files/{stored.id}/{quote(stored.name)}"

    def file(self, file_id: str) -> StoredFile | None:
        with self._lock:
            return self._files.get(file_id)

    def reset(self) -> None:
        """Forget conversations, calls, deliveries, pending failures and files."""
        self.inbox.reset()
        with self._lock:
            self._calls.clear()
            self._deliveries.clear()
            self._failures.clear()
            self._files.clear()

    # -- what the HTTP handler calls -----------------------------------------------------------

    def record(self, method: str, path: str, headers: dict[str, str], raw: bytes, status: int) -> None:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._lock:
            self._calls.append(Call(method, path, headers, body, status, raw))

    def customer_message(self, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        """The bot's post to `send_url`: (status, JSON answer). Injected failures come first, as an
        outage would; then the token (401 missing, 403 wrong), then the body."""
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            if failure.delay:
                self._stopping.wait(failure.delay)
            if failure.status is not None:
                return failure.status, {"ok": False, "error": f"injected failure {failure.status}"}
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not auth.strip():
            return 401, {"ok": False, "error": "missing Authorization: Bearer <token>"}
        scheme, _, token = auth.strip().partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode("utf-8"), self.token.encode("utf-8")
        ):
            return 403, {"ok": False, "error": "invalid token"}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return 400, {"ok": False, "error": "body is not JSON"}
        try:
            message = self.inbox.receive(parse_customer_message(body, self.channel_id))
        except BadMessageError as error:
            return error.status, {"ok": False, "error": str(error)}
        return 200, {"ok": True, "message_id": message.id}

    def rest_call(self, action: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        """Blinger's REST API: ``conversations/close`` with ``Authentication`` and ``conversation_id``
        closes that conversation and, unless ``disable_webhook``, sends the bot the
        ``on_conversation_closed`` event (from a thread, as Blinger's webhooks come apart)."""
        token = next((v for k, v in headers.items() if k.lower() == "authentication"), "").strip()
        if not token:
            return 401, {"ok": False, "error": "missing Authentication token"}
        if self.api_token is None or not hmac.compare_digest(token.encode(), self.api_token.encode()):
            return 403, {"ok": False, "error": "invalid token"}
        if action != "close":
            return 404, {"ok": False, "error": f"conversations/{action} is not served by the stand-in"}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return 400, {"ok": False, "error": "body is not JSON"}
        conversation_id = body.get("conversation_id") if isinstance(body, dict) else None
        if isinstance(conversation_id, bool) or not isinstance(conversation_id, int):
            return 400, {"ok": False, "error": "conversation_id must be an integer"}
        conv = self.inbox.by_id(conversation_id)
        if conv is None:
            return 404, {"ok": False, "error": "no such conversation"}
        closed = self.inbox.set_status(conv.client_id, "closed", conv.operator)
        if not body.get("disable_webhook"):
            threading.Thread(target=self._event, args=("on_conversation_closed", closed), daemon=True).start()
        return 200, {"ok": True}

    # -- calls to the bot --------------------------------------------------------------------------

    @property
    def events_url(self) -> str | None:
        """The bot's webhook with the events secret as `key`, as given to Blinger's support."""
        url = self.bot_webhook_url
        if url is None or self.events_secret is None:
            return url
        return url + ("&" if "?" in url else "?") + urlencode({"key": self.events_secret})

    def _event(self, name: str, conv: Conversation) -> Delivery:
        body: dict[str, Any] = {
            "webhook": name,
            "conversation": {
                "id": conv.id,
                "application": {"id": 1, "type": "custom_app", "name": "Custom app"},
                "status": conv.status,
                "date_created": conv.date_created,
                "date_updated": conv.date_updated,
                "from_user": {
                    "user_id": conv.user_id,
                    "title": conv.client_name or conv.client_id,
                    "service_user_id": conv.client_id,
                    "phone": conv.client_phone,
                },
            },
        }
        if conv.operator is not None:
            body["operator"] = asdict(conv.operator)
        return self._post(self.events_url, body, {})

    def _post(self, url: str | None, body: dict[str, Any], headers: dict[str, str]) -> Delivery:
        delivery = Delivery(url=url or "", body=body, headers=headers)
        if url is None:
            delivery.error = "no bot webhook URL configured"
        else:
            try:
                answer = requests.post(url, json=body, headers=headers, timeout=DELIVERY_TIMEOUT)
                delivery.status = answer.status_code
                if not delivery.ok:
                    delivery.error = answer.text[:300]
            except requests.RequestException as error:
                delivery.error = f"{type(error).__name__}: {error}"[:300]
        with self._lock:
            self._deliveries.append(delivery)
        return delivery


__all__ = ["BlingerConsole", "Call", "StoredFile", "UnknownConversationError"]
