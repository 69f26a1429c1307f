"""Conversation-style driving of the real Telegram webhook handler.

The handler runs in-process with API Gateway v2 events; its Bot API calls go over HTTP to the
strict stand-in (infra.botapi), which also plays the users. A callback answer returned in the
webhook's HTTP response is executed against the stand-in, as Telegram would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

from infra.botapi import BotApiServer, Message, World
from infra.botapi.world import CallbackQuery
from tests.functional.events import webhook_event

BOT_TOKEN = "123456:TEST-TOKEN"


@dataclass
class Harness:
    world: World
    server: BotApiServer
    app: Any
    lambda_context: Any

    def deliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """POST one update to the webhook like Telegram; returns the HTTP response."""
        response = self.app.lambda_handler(webhook_event(update), self.lambda_context)
        assert response["statusCode"] == 200, response
        if response.get("headers", {}).get("Content-Type") == "application/json":
            call = json.loads(response["body"])
            method = call.pop("method")
            answer = requests.post(
                f"{self.server.api_url.format(BOT_TOKEN, method)}", json=call, timeout=5
            ).json()
            assert answer["ok"], answer
        return response

    def user(self, user_id: int, language: str = "ru", first_name: str = "Анна") -> UserChat:
        self.world.add_user(user_id, first_name=first_name, language_code=language)
        return UserChat(self, user_id)


@dataclass
class UserChat:
    """One Telegram user in their private chat with the bot."""

    harness: Harness
    user_id: int

    @property
    def world(self) -> World:
        return self.harness.world

    def send(self, text: str) -> Message:
        self.harness.deliver(self.world.user_sends_text(self.user_id, text))
        return self.last

    def share_contact(self, phone: str, contact_user_id: Any = ..., forwarded: bool = False) -> Message:
        kwargs = {} if contact_user_id is ... else {"contact_user_id": contact_user_id}
        update = self.world.user_sends_contact(self.user_id, phone, **kwargs)
        if forwarded:
            update["message"]["forward_origin"] = {"type": "hidden_user", "date": 1, "sender_user_name": "X"}
        self.harness.deliver(update)
        return self.last

    def tap(self, label: str, message: Message | None = None) -> Message:
        """Press the button labelled ``label`` on the newest message with a keyboard (or ``message``)."""
        target = message or self.menu
        data = next(
            (
                b["callback_data"]
                for row in target.inline_markup["inline_keyboard"]
                for b in row
                if b["text"] == label
            ),
            None,
        )
        assert data is not None, f"no button {label!r} on {self.labels(target)}"
        self.harness.deliver(self.world.user_presses(self.user_id, target.message_id, data))
        return self.last

    @property
    def last(self) -> Message:
        return self.world.last_bot_message(self.user_id)

    @property
    def menu(self) -> Message:
        """The newest bot message that has an inline keyboard: the screen the user acts on."""
        for message in reversed(self.world.bot_messages(self.user_id)):
            if message.inline_markup and not message.deleted:
                return message
        raise AssertionError("no bot message with an inline keyboard")

    @staticmethod
    def labels(message: Message) -> list[str]:
        markup = message.inline_markup or {}
        return [button["text"] for row in markup.get("inline_keyboard", []) for button in row]

    @property
    def callback_answers(self) -> list[str]:
        return [call.params.get("text", "") for call in self.world.calls_to("answerCallbackQuery")]


def press_raw(chat: UserChat, data: str, message: Message | None = None) -> dict[str, Any]:
    """A callback query with ``data`` on ``message`` (default: the current menu), whether or not the
    bot ever issued that data: what an old or modified client can send. Returns the update."""
    world = chat.world
    target = message or chat.menu
    with world.lock:
        query_id = str(5_000_000_000_000 + world.next_id())
        query = CallbackQuery(query_id, chat.user_id, chat.user_id, target.message_id, data, world.clock())
        world.callback_queries[query.id] = query
        payload = {
            "id": query.id,
            "from": world.users[chat.user_id].to_api(),
            "message": world.message_dict(target),
            "chat_instance": "4242",
            "data": data,
        }
        return world.emit("callback_query", payload)


def message_raw(chat: UserChat, **content: Any) -> dict[str, Any]:
    """A message of a kind the world has no helper for (sticker, location, voice...); returns the update."""
    world = chat.world
    with world.lock:
        message = world.new_message(chat.user_id, chat.user_id)
        return world.emit("message", {**world.message_dict(message), **content})
