"""A strict local stand-in for the Telegram Bot API (and the core of the local Telegram sandbox).

The bot under test talks to it over real HTTP exactly as to api.telegram.org; every call is
validated against the official spec (`telegram-bot-api.json`, Bot API 10.1) and refused in
Telegram's words when Telegram would refuse it. Tests play users through the `World`.

A pytest fixture for bot tests (pyTelegramBotAPI's URLs are module globals: let monkeypatch
restore them)::

    @pytest.fixture
    def telegram(monkeypatch):
        world = World(token="123456:TEST-TOKEN")
        world.add_user(1001, first_name="Ann")
        with BotApiServer(world) as server:
            monkeypatch.setattr(telebot.apihelper, "API_URL", server.api_url)
            monkeypatch.setattr(telebot.apihelper, "FILE_URL", server.file_url)
            yield world  # world.user_sends_text(1001, "/start"), world.last_bot_message(1001) ...

Modules: `spec` (the spec as data), `formatting` (Telegram's HTML subset and lengths),
`validation` (validate_call, check_object), `world` (state and simulated users), `methods`
(behaviour and the dispatch pipeline), `server` (HTTP), and the sandbox grown from it:
`delivery` (post_update: one webhook delivery, shared with the real-Telegram path), `webhook`
(WebhookDeliverer: per-chat ordered delivery with Telegram's retries), `sandbox` (the JSON API
under /sandbox/api/), `render` (entities -> safe HTML), `static/` (the web chat page).

The local stack's Telegram sandbox (web chat at http://127.0.0.1:8081/)::

    world = World(token="123456:TEST-TOKEN")
    world.add_user(700000001, first_name="Ann", phone_number="+79990001122")
    world.add_group(-1001234567890, "Warehouse", members=(700000001,))
    server = BotApiServer(world, port=8081).start()  # bot: TELEGRAM_API_URL=server.base_url
    requests.post(f"{server.base_url}/bot{world.token}/setWebhook", json={"url": hook, "secret_token": s})
    ...
    server.stop()

>>> import requests
>>> world = World(token="123456:TEST-TOKEN")
>>> _ = world.add_user(42, first_name="Ann")
>>> with BotApiServer(world) as server:
...     url = f"{server.base_url}/bot123456:TEST-TOKEN/sendMessage"
...     html = {"chat_id": 42, "parse_mode": "HTML"}
...     ok = requests.post(url, params={**html, "text": "<b>Hi</b>"}, timeout=5).json()
...     bad_html = requests.post(url, params={**html, "text": "<b>Hi"}, timeout=5).json()
...     plain = requests.post(url, json={"chat_id": 42, "text": "<b>Hi"}, timeout=5).json()
>>> ok["result"]["text"], ok["result"]["entities"]
('Hi', [{'type': 'bold', 'offset': 0, 'length': 2}])
>>> bad_html["description"]
'Bad Request: can\\'t parse entities: Can\\'t find end tag corresponding to start tag "b"'
>>> plain["result"]["text"], world.last_bot_message(42).text
('<b>Hi', '<b>Hi')
"""

from __future__ import annotations

from infra.botapi.delivery import DeliveryResult, post_update, split_call
from infra.botapi.methods import HANDLERS, Reply, dispatch
from infra.botapi.server import BotApiServer
from infra.botapi.spec import Spec, load_spec
from infra.botapi.validation import BotApiError, SpecViolation, UploadedFile, check_object, validate_call
from infra.botapi.webhook import DeliveryConfig, WebhookDeliverer, telegram_backoff
from infra.botapi.world import Call, CallbackQuery, Chat, Message, StoredFile, User, World, WorldError

__all__ = [
    "HANDLERS",
    "BotApiError",
    "BotApiServer",
    "Call",
    "CallbackQuery",
    "Chat",
    "DeliveryConfig",
    "DeliveryResult",
    "Message",
    "Reply",
    "Spec",
    "SpecViolation",
    "StoredFile",
    "UploadedFile",
    "User",
    "WebhookDeliverer",
    "World",
    "WorldError",
    "check_object",
    "dispatch",
    "load_spec",
    "post_update",
    "split_call",
    "telegram_backoff",
    "validate_call",
]
