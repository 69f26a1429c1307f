"""A customer's whole journey through the running local stack, over HTTP only.

The person's side is the sandbox's JSON API (what the web chat page calls); the sandbox delivers
each update to the local API's webhook as Telegram would, the real handler answers through the
sandbox's Bot API, and every step asserts on what the chat then shows. The same script runs over
the real-Telegram path (long polling), with a stand-in playing api.telegram.org.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
import requests

from infra.botapi import BotApiServer, World
from infra.demo import CUSTOMER_NAME, CUSTOMER_PHONE
from infra.localstack.telegram import CUSTOMER_USER_ID, LOCAL_TOKEN
from tests.e2e.conftest import StackProcess, free_port, start_stack

pytestmark = pytest.mark.slow

LOGIN_PROMPT = "Чтобы видеть свои заказы"
WELCOME = f"Добро пожаловать, {CUSTOMER_NAME}! Вы вошли."
MENU = ("📦 Мои заказы", "❓ Частые вопросы", "🚪 Выйти")  # among others as the bot grows
HOME = "🏠 Главное меню"


@dataclass
class Shown:
    """One message as the user sees it."""

    message_id: int
    from_bot: bool
    text: str
    buttons: list[tuple[str, str]]  # (label, callback_data) of the inline keyboard

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.buttons]


class Chat(Protocol):
    """A user's private chat with the bot, however the user is played."""

    def send(self, text: str) -> None: ...
    def share_contact(self) -> None: ...
    def press(self, message: Shown, callback_data: str) -> None: ...
    def messages(self) -> list[Shown]: ...
    def reply_keyboard(self) -> list[dict[str, Any]]: ...


def eventually(check: Callable[[], Any], what: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def bot_messages(chat: Chat) -> list[Shown]:
    return [m for m in chat.messages() if m.from_bot]


def screen(chat: Chat) -> Shown:
    """The newest bot message with buttons: the screen the user acts on."""
    return next(m for m in reversed(bot_messages(chat)) if m.buttons)


def tap(chat: Chat, label: str, then: Callable[[Shown], bool], what: str) -> Shown:
    """Press ``label`` on the current screen and wait until the screen satisfies ``then``."""
    current = screen(chat)
    data = dict(current.buttons).get(label)
    assert data is not None, f"no button {label!r} on {current.labels}"
    chat.press(current, data)
    return eventually(lambda: (s := screen(chat)) and then(s) and s, what)  # type: ignore[return-value]


def is_menu(shown: Shown) -> bool:
    return all(label in shown.labels for label in MENU)


def customer_journey(chat: Chat) -> None:
    """The journey; a failed step shows what the chat showed last."""
    try:
        _customer_journey(chat)
    except AssertionError as error:
        last = [(m.text, m.labels) for m in bot_messages(chat)[-3:]]
        raise AssertionError(f"{error}; the bot's last messages: {last}") from error


def _customer_journey(chat: Chat) -> None:
    """start → share contact → Orders → next page → an order → Back → FAQ → an answer → Main menu."""
    # WHEN the customer starts the bot
    chat.send("/start")
    # THEN she is asked for her phone, with the share-contact reply keyboard
    prompt = eventually(
        lambda: next((m for m in bot_messages(chat) if LOGIN_PROMPT in m.text), None), "login prompt"
    )
    assert prompt.text.startswith("Здравствуйте!")
    assert any(b.get("request_contact") for row in chat.reply_keyboard() for b in row)
    # WHEN she shares her contact
    chat.share_contact()
    # THEN she is welcomed and sees the main menu
    eventually(lambda: any(m.text == WELCOME for m in bot_messages(chat)), "welcome")
    menu = eventually(lambda: is_menu(screen(chat)) and screen(chat), "main menu")
    assert menu.text
    # WHEN she opens her orders and goes to the next page
    tap(chat, "📦 Мои заказы", lambda s: "Страница 1 из 7" in s.text, "orders page 1")
    page2 = tap(chat, "▶️", lambda s: "Страница 2 из 7" in s.text, "orders page 2")
    assert "Ваши заказы (32)." in page2.text
    # AND opens an order on it
    order = next(label for label in page2.labels if label.startswith("№"))
    card = tap(chat, order, lambda s: s.text.startswith("Заказ №"), "order card")
    assert order.split()[0] in card.text
    assert {"🔄 Обновить", "⬅️ К списку", HOME} <= set(card.labels)
    # WHEN she goes back
    back = tap(chat, "⬅️ К списку", lambda s: "Страница" in s.text, "the list again")
    # THEN she lands on the same page
    assert "Страница 2 из 7" in back.text
    # WHEN she goes to the main menu, the FAQ, a topic and a question
    tap(chat, HOME, is_menu, "main menu")
    faq = tap(chat, "❓ Частые вопросы", lambda s: s.text.startswith("Частые вопросы"), "FAQ")
    assert faq.labels[:3] == ["Доставка", "Оплата", "Возврат"]
    tap(chat, "Доставка", lambda s: s.text == "Доставка\n\nВыберите вопрос.", "FAQ topic")
    answer = tap(
        chat, "Сколько идёт доставка?", lambda s: "Обычно 2–5 дней по России." in s.text, "FAQ answer"
    )
    assert answer.text == "Сколько идёт доставка?\n\nОбычно 2–5 дней по России."
    # AND back to the main menu
    tap(chat, HOME, is_menu, "main menu at the end")


# ---- the sandbox's HTTP API (what the web chat page uses) -------------------------------------
class SandboxChat:
    def __init__(self, base_url: str, user_id: int) -> None:
        self.api = base_url + "/sandbox/api"
        self.user_id = user_id

    def _post(self, action: str, **body: Any) -> Any:
        answer = requests.post(
            f"{self.api}/chats/{self.user_id}/{action}", json={"user_id": self.user_id, **body}, timeout=10
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def _chat(self) -> dict[str, Any]:
        answer = requests.get(f"{self.api}/chats/{self.user_id}/messages", timeout=10)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def send(self, text: str) -> None:
        self._post("messages", text=text)

    def share_contact(self) -> None:
        """Tap the reply keyboard's request_contact button, as a person does."""
        button = next(b for row in self.reply_keyboard() for b in row if b.get("request_contact"))
        self._post("reply_button", text=button["text"])

    def press(self, message: Shown, callback_data: str) -> None:
        self._post("press", message_id=message.message_id, callback_data=callback_data)

    def messages(self) -> list[Shown]:
        return [
            Shown(
                m["message_id"],
                m["from_bot"],
                m.get("text") or "",
                [(b["text"], b["callback_data"]) for row in m.get("inline_keyboard") or [] for b in row],
            )
            for m in self._chat()["messages"]
            if not m["deleted"]
        ]

    def reply_keyboard(self) -> list[dict[str, Any]]:
        keyboard = self._chat()["reply_keyboard"]
        return list(keyboard["rows"]) if keyboard else []


def new_user(stack: StackProcess, first_name: str, phone: str | None = None) -> int:
    body = {"first_name": first_name, "language_code": "ru", **({"phone_number": phone} if phone else {})}
    answer = requests.post(f"{stack.telegram_url}/sandbox/api/users", json=body, timeout=10)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_customer_journey_in_the_sandbox(stack: StackProcess) -> None:
    # GIVEN the demo customer, already in the sandbox with her phone number
    users = requests.get(f"{stack.telegram_url}/sandbox/api/users", timeout=10).json()["users"]
    customer = next(u for u in users if u["id"] == CUSTOMER_USER_ID)
    assert (customer["phone_number"], customer["language_code"]) == (CUSTOMER_PHONE, "ru")
    customer_journey(SandboxChat(stack.telegram_url, CUSTOMER_USER_ID))


def test_a_new_sandbox_user_with_the_demo_phone_gets_the_same_journey(stack: StackProcess) -> None:
    user_id = new_user(stack, CUSTOMER_NAME, CUSTOMER_PHONE)
    customer_journey(SandboxChat(stack.telegram_url, user_id))


def set_webhook(stack: StackProcess, url: str) -> None:
    answer = requests.post(
        f"{stack.telegram_url}/bot{LOCAL_TOKEN}/setWebhook",
        json={
            "url": url,
            "secret_token": "local-webhook-secret",
            "allowed_updates": ["message", "callback_query"],
        },
        timeout=10,
    ).json()
    assert answer["ok"], answer


def webhook_info(stack: StackProcess) -> dict[str, Any]:
    return dict(
        requests.get(f"{stack.telegram_url}/bot{LOCAL_TOKEN}/getWebhookInfo", timeout=10).json()["result"]
    )


def test_updates_wait_for_a_failing_webhook_and_arrive_in_order_after_recovery(stack: StackProcess) -> None:
    good = f"{stack.api_url}/v1/telegram/webhook"
    user_id = new_user(stack, "Ordering", "+79005550101")
    chat = SandboxChat(stack.telegram_url, user_id)
    # GIVEN the webhook points at a route the API does not have (404: Telegram retries)
    set_webhook(stack, f"{stack.api_url}/v1/telegram/webhook-typo")
    try:
        # WHEN the user writes three times
        for text in ("/start", "first", "second"):
            chat.send(text)
        # THEN nothing is delivered; the error shows in getWebhookInfo and the updates wait
        info = eventually(
            lambda: (i := webhook_info(stack)).get("last_error_message") and i, "a delivery error"
        )
        assert "404" in info["last_error_message"]
        time.sleep(1)
        assert webhook_info(stack)["pending_update_count"] == 3
        assert bot_messages(chat) == []
    finally:
        # WHEN the webhook is fixed
        set_webhook(stack, good)
    # THEN all three are delivered, in order: the bot answered each (an update older than the
    # last one processed would have been ignored as a re-delivery and left no answer)
    eventually(lambda: webhook_info(stack)["pending_update_count"] == 0, "the backlog delivered")
    answers = eventually(lambda: len(m := bot_messages(chat)) >= 3 and m, "three answers")
    assert LOGIN_PROMPT in answers[0].text
    assert len(answers) == 3


def test_a_stopped_api_delays_updates_until_it_answers_again(stack: StackProcess) -> None:
    """The API 'down' (its port refuses connections) and back: updates are retried, in order."""
    user_id = new_user(stack, "Outage", "+79005550102")
    chat = SandboxChat(stack.telegram_url, user_id)
    down = f"http://127.0.0.1:{free_port()}/v1/telegram/webhook"
    set_webhook(stack, down)
    try:
        chat.send("/start")
        info = eventually(
            lambda: (i := webhook_info(stack)).get("last_error_message") and i, "a delivery error"
        )
        assert "Connection refused" in info["last_error_message"]
    finally:
        set_webhook(stack, f"{stack.api_url}/v1/telegram/webhook")
    assert LOGIN_PROMPT in eventually(lambda: bot_messages(chat), "the answer after recovery")[0].text


# ---- the real-Telegram path, with a stand-in playing api.telegram.org --------------------------
class WorldChat:
    """A user played directly on a World (the stand-in the stack long-polls)."""

    def __init__(self, world: World, user_id: int) -> None:
        self.world = world
        self.user_id = user_id

    def send(self, text: str) -> None:
        self.world.user_sends_text(self.user_id, text)

    def share_contact(self) -> None:
        self.world.user_sends_contact(self.user_id, CUSTOMER_PHONE)

    def press(self, message: Shown, callback_data: str) -> None:
        self.world.user_presses(self.user_id, message.message_id, callback_data)

    def messages(self) -> list[Shown]:
        with self.world.lock:
            return [
                Shown(
                    m.message_id,
                    m.sender_id == self.world.bot.id,
                    m.text or "",
                    [
                        (b["text"], b.get("callback_data", ""))
                        for row in (m.inline_markup or {}).get("inline_keyboard", [])
                        for b in row
                    ],
                )
                for m in self.world.messages.get(self.user_id, {}).values()
                if not m.deleted
            ]

    def reply_keyboard(self) -> list[dict[str, Any]]:
        with self.world.lock:
            for m in reversed(self.world.bot_messages(self.user_id)):
                keyboard = (m.reply_markup or {}).get("keyboard")
                if keyboard:
                    return list(keyboard)
            return []


@pytest.fixture
def telegram_stand_in() -> Iterator[BotApiServer]:
    world = World(token="4242:REAL-LOOKING-TOKEN", bot_username="shop_support_bot")
    world.add_user(777, first_name=CUSTOMER_NAME, language_code="ru", phone_number=CUSTOMER_PHONE)
    with BotApiServer(world) as server:
        yield server


def test_customer_journey_over_real_telegram_long_polling(
    tmp_path: Path, telegram_stand_in: BotApiServer
) -> None:
    world = telegram_stand_in.world
    running = start_stack(
        tmp_path, {"TELEGRAM_BOT_TOKEN": world.token, "TELEGRAM_API_URL": telegram_stand_in.base_url}
    )
    try:
        # The stack removed any webhook (getUpdates is refused while one is set) and prints the bot
        assert world.calls_to("deleteWebhook")
        assert "https://t.me/shop_support_bot" in running.log
        assert "/sandbox/" not in running.log
        customer_journey(WorldChat(world, 777))
        # Button presses were answered through the webhook's answer, executed against "Telegram"
        assert world.calls_to("answerCallbackQuery")
        assert all(call.status == 200 for call in world.calls)
    finally:
        assert running.stop() == 0, running.log
