"""Telegram for the local stack: the sandbox (default) or the real Bot API (``TELEGRAM_BOT_TOKEN``).

Sandbox: the strict Bot API stand-in (`infra.botapi`) with the demo customer and partner as
users; the webhook is registered with ``setWebhook`` over HTTP exactly as ``make set-webhook``
registers the deployed one, and from then on the stand-in delivers updates to the local API.

Real Telegram: Telegram cannot reach localhost, so `RealTelegramPoller` does what Telegram's
webhook delivery would: ``deleteWebhook``, then long-poll ``getUpdates`` and post each update to
the local webhook with the sandbox's own `post_update`, executing the method call a webhook
answer may carry against the real API. It is deliberately thin (it cannot be exercised against
the real service here); its tests point it at a stand-in without a webhook.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import requests

from infra.botapi import BotApiServer, World
from infra.botapi.delivery import post_update, split_call
from infra.botapi.snapshot import restore, snapshot
from infra.botapi.webhook import telegram_backoff
from infra.set_webhook import ALLOWED_UPDATES, set_webhook

logger = logging.getLogger(__name__)
LOCAL_TOKEN = "1000000001:LOCAL-SANDBOX-TOKEN"  # noqa: S105 - the sandbox's fake bot token
CUSTOMER_USER_ID = 1001
PARTNER_USER_ID = 1002
WAREHOUSE_USER_ID = 1003
WAREHOUSE_USER_PHONE = "+79000001003"  # every Telegram account has one (their contact shares it)
WAREHOUSE_CHAT_ID = -1_001_999_000_001  # the bot's WAREHOUSE_CHAT_ID in the sandbox
SUPPORT_CHAT_ID = -1_001_999_000_002  # the bot's SUPPORT_CHAT_ID: the Telegram desk's forum
# The demo support group's two operators: (user id, first name, last name, phone).
OPERATORS = ((1004, "Ольга", "Оператор", "+79000001004"), (1005, "Иван", "Оператор", "+79000001005"))
POLL_TIMEOUT = 25


def add_demo_users(world: World) -> None:
    """The demo customer and partner have opened the bot (with their demo phone numbers); a
    warehouse worker and the bot are in the warehouse group, where photo requests go; two
    operators and the bot are in the support group.

    infra.demo is imported here, not at the top: it imports supportbot, whose table names are
    read at import, and the local stack sets them only once moto is up.
    """
    from infra.demo import CUSTOMER_NAME, CUSTOMER_PHONE, PARTNER_NAME, PARTNER_PHONE

    world.add_user(
        CUSTOMER_USER_ID, first_name=CUSTOMER_NAME, language_code="ru", phone_number=CUSTOMER_PHONE
    )
    world.add_user(PARTNER_USER_ID, first_name=PARTNER_NAME, language_code="ru", phone_number=PARTNER_PHONE)
    world.add_user(
        WAREHOUSE_USER_ID,
        first_name="Склад",
        last_name="Кладовщик",
        language_code="ru",
        phone_number=WAREHOUSE_USER_PHONE,
    )
    world.add_group(WAREHOUSE_CHAT_ID, "Склад", members=(WAREHOUSE_USER_ID,))
    add_support_group(world)


def add_demo_operators(secret: str | None) -> None:
    """The support group's two operators as the bot's operators (``operators.py``), matched by
    their Telegram ids, so the desk's commands that need who (``/note``, ``/ban``, ``/assign me``)
    work in the sandbox. Their keys are never shown: they act in the group, not the admin page.
    Kept when they exist already (a restored stack)."""
    from supportbot import operators  # table names are set only once moto is up (see above)

    bootstrap = operators.Caller(operators.BOOTSTRAP_ID, "bootstrap", operators.ADMIN)
    for user_id, first_name, last_name, _ in OPERATORS:
        if operators.operator_by_telegram_id(user_id) is None:
            operators.create_operator(
                f"{first_name} {last_name}", operators.OPERATOR, user_id, secret, bootstrap
            )


def add_support_group(world: World) -> None:
    """The demo support group (``SUPPORT_DESK=telegram``): a forum where the bot is an admin with
    ``can_manage_topics``, and two operators. Added to a world saved before it existed, too."""
    if SUPPORT_CHAT_ID in world.chats:
        return
    for user_id, first_name, last_name, phone in OPERATORS:
        if user_id not in world.users:
            world.add_user(
                user_id, first_name=first_name, last_name=last_name, language_code="ru", phone_number=phone
            )
    world.add_group(
        SUPPORT_CHAT_ID, "Поддержка", members=tuple(user_id for user_id, *_ in OPERATORS), forum=True
    )


class Sandbox:
    """The stand-in on ``port`` (8081) with the webhook pointed at the local API.

    The port is bound at construction (the functions' environment needs the URL); the demo users
    are added by `start`, once the environment is set.
    """

    def __init__(self, port: int = 8081, rate_limits: bool = True) -> None:
        self.world = World(token=LOCAL_TOKEN, bot_username="local_support_bot", rate_limits=rate_limits)
        self.server = BotApiServer(self.world, port=port)

    @property
    def url(self) -> str:
        return self.server.base_url

    def start(self, webhook_url: str, secret: str, saved: dict[str, Any] | None = None) -> Sandbox:
        """Serve (the world of a previous run when ``saved``, else the demo users) and set the webhook."""
        if saved is not None:
            restore(self.world, saved)
            add_support_group(self.world)
        else:
            add_demo_users(self.world)
        self.server.start()
        answer = set_webhook(webhook_url, LOCAL_TOKEN, secret, api_url=self.url)
        if not answer.get("ok"):
            raise RuntimeError(f"the sandbox refused setWebhook: {answer}")
        return self

    def pause_deliveries(self) -> None:
        """No more updates to the webhook (the Bot API still serves the bot's calls)."""
        if self.server.deliverer is not None:
            self.server.deliverer.stop()

    def snapshot(self) -> dict[str, Any]:
        return snapshot(self.world)

    def stop(self) -> None:
        self.server.stop()


class RealTelegramPoller:
    """getUpdates from ``api_url`` → the local webhook, one update at a time, in order."""

    def __init__(
        self, token: str, api_url: str, webhook_url: str, secret: str, poll_timeout: int = POLL_TIMEOUT
    ):
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.webhook_url = webhook_url
        self.secret = secret
        self.poll_timeout = poll_timeout
        self.session = requests.Session()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="telegram-poller", daemon=True)

    def call(self, method: str, params: dict[str, Any] | None = None, http_timeout: float = 10) -> Any:
        """A Bot API call; raises with Telegram's description when it answers ``ok: false``."""
        url = f"{self.api_url}/bot{self.token}/{method}"
        answer = self.session.post(url, json=params or {}, timeout=http_timeout).json()
        if not answer.get("ok"):
            raise RuntimeError(f"{method}: {answer.get('description')}")
        return answer["result"]

    def start(self) -> RealTelegramPoller:
        me = self.call("getMe")
        self.call("deleteWebhook")  # getUpdates is refused while a webhook is set
        self.username = me.get("username")
        logger.info("Long-polling Telegram as @%s", self.username)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)  # a long poll in progress is abandoned (daemon thread)

    def _run(self) -> None:
        offset = 0
        while not self._stop.is_set():
            try:
                params = {"offset": offset, "timeout": self.poll_timeout, "allowed_updates": ALLOWED_UPDATES}
                updates = self.call("getUpdates", params, http_timeout=self.poll_timeout + 10)
            except Exception:
                if self._stop.is_set():
                    return
                logger.exception("getUpdates failed; retrying in 3 s")
                self._stop.wait(3)
                continue
            for update in updates:
                if self._stop.is_set():
                    return
                self.deliver(update)
                offset = update["update_id"] + 1

    def deliver(self, update: dict[str, Any]) -> None:
        """Post one update to the local webhook (retrying while it fails), then run its answer's call."""
        failures = 0
        while not self._stop.is_set():
            result = post_update(self.webhook_url, self.secret, update, timeout=60)
            if result.ok:
                break
            failures += 1
            logger.warning(
                "Local webhook: %s (update %s, attempt %d)", result.error, update["update_id"], failures
            )
            self._stop.wait(telegram_backoff(failures))  # as the sandbox (and Telegram) retries
        else:
            return
        if result.method_call is not None:
            method, params = split_call(result.method_call)
            try:
                self.call(method, params)
            except Exception:
                logger.exception("%s from the webhook's answer failed", method)
