"""Surfaces agree on the running local stack: the web chat (the sandbox's API), the Blinger console
(its page's API) and the admin API show one state of a conversation, whoever moves it.

`make run` sets Blinger's REST API token, so a close made outside Blinger closes the console's
conversation through `conversations/close` once Blinger's events gave the bot its id.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from infra.demo import CUSTOMER_PHONE
from tests.e2e.conftest import StackProcess
from tests.e2e.test_localstack_journey import SandboxChat, bot_messages, new_user, tap
from tests.e2e.test_localstack_journey import eventually as soon

pytestmark = pytest.mark.slow


def eventually(check: Any, what: str) -> Any:
    return soon(check, what, timeout=PATIENCE)


def pause() -> None:
    """As a person would between steps: the sandbox holds Telegram's 5 messages in any 5 s to a
    private chat, and the bot's own replies to an update are not paced (only the outbox is), so a
    script firing the next update at once would meet a 429 in place of the reply."""
    time.sleep(FLOOD_WINDOW)


ADMIN_KEY = "local-admin-api-key"
# Each step crosses several functions of the stack, one event at a time each: generous on a busy
# machine (a condition met early returns at once).
PATIENCE = 60.0
FLOOD_WINDOW = 5.5  # seconds: the sandbox's window for a private chat, and a little
SENT = "✅ Отправлено в поддержку. Ответ придёт в этот чат."
RATE = "Разговор с поддержкой завершён."


def logged_in(stack: StackProcess, name: str) -> SandboxChat:
    chat = SandboxChat(stack.telegram_url, new_user(stack, name, CUSTOMER_PHONE))
    chat.send("/start")
    eventually(lambda: chat.reply_keyboard(), "login keyboard")
    chat.share_contact()
    eventually(lambda: "💬 Задать вопрос" in labels(chat), "main menu")
    pause()
    return chat


def labels(chat: SandboxChat) -> list[str]:
    """The current screen's buttons (none yet: empty)."""
    return next((m.labels for m in reversed(bot_messages(chat)) if m.buttons), [])


def ask(chat: SandboxChat, text: str) -> None:
    tap(chat, "💬 Задать вопрос", lambda s: "✖️ Завершить диалог" in s.labels, "the dialog")
    chat.send(text)
    # (a conversation's first message may add the place in the queue and the expected wait)
    eventually(lambda: any(m.text.startswith(SENT) for m in bot_messages(chat)), "sent to support")


def console(stack: StackProcess, client: str) -> dict[str, Any] | None:
    answer = requests.get(f"{stack.blinger_url}/console/api/conversations/{client}", timeout=10)
    return answer.json()["conversation"] if answer.status_code == 200 else None


def console_action(stack: StackProcess, client: str, action: str, **body: Any) -> None:
    answer = requests.post(
        f"{stack.blinger_url}/console/api/conversations/{client}/{action}", json=body, timeout=10
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["delivery"]["ok"], answer.text


def admin(stack: StackProcess, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    answer = requests.request(
        method, f"{stack.api_url}/v1/admin{path}", json=body, headers={"X-Api-Key": ADMIN_KEY}, timeout=10
    )
    return answer.status_code, answer.json()


def conversation_of(stack: StackProcess, user_id: int) -> dict[str, Any]:
    status, body = admin(stack, "GET", f"/conversations/{user_id}")  # a user id: their latest
    assert status == 200, body
    return dict(body["conversation"])


def test_the_customer_ends_the_dialog_and_blinger_closes_it(stack: StackProcess) -> None:
    chat = logged_in(stack, "Вера")
    client = f"tg-{chat.user_id}"
    ask(chat, "Где мой заказ?")
    eventually(lambda: console(stack, client), "the question in Blinger")
    console_action(stack, client, "assign", operator="Мария")
    eventually(lambda: conversation_of(stack, chat.user_id)["desk_ref"], "Blinger's id known to the bot")
    # WHEN she ends the dialog
    dialog = next(m for m in reversed(bot_messages(chat)) if "✖️ Завершить диалог" in m.labels)
    chat.press(dialog, dict(dialog.buttons)["✖️ Завершить диалог"])
    # THEN the conversation is closed by her, Blinger's too, and she is asked to rate it
    eventually(lambda: conversation_of(stack, chat.user_id)["closed_by"] == "customer", "closed by her")
    eventually(lambda: console(stack, client)["status"] == "closed", "closed in Blinger")
    eventually(lambda: any(m.text.startswith(RATE) for m in bot_messages(chat)), "the rating request")


def test_the_operator_closes_and_a_late_thanks_is_not_sent(stack: StackProcess) -> None:
    chat = logged_in(stack, "Нина")
    client = f"tg-{chat.user_id}"
    ask(chat, "Есть ли доставка в Омск?")
    eventually(lambda: console(stack, client), "the question in Blinger")
    # WHEN the operator closes it in the console
    console_action(stack, client, "close")
    rating = eventually(
        lambda: next((m for m in bot_messages(chat) if m.text.startswith(RATE)), None), "the rating request"
    )
    assert rating.labels == ["1", "2", "3", "4", "5"]
    chat.press(rating, rating.buttons[4][1])
    eventually(lambda: conversation_of(stack, chat.user_id)["status"] == "rated", "rated")
    messages_in_blinger = len(console(stack, client)["messages"])
    # AND she writes "thanks, found it!" on the dialog screen
    pause()
    chat.send("Спасибо, нашла!")
    # THEN she is told it was not sent, and Blinger got nothing
    prompt = eventually(
        lambda: next((m for m in bot_messages(chat) if m.text.startswith("Поддержка закрыла диалог")), None),
        "the closed prompt",
    )
    assert "💬 Новый вопрос" in prompt.labels
    assert not any(m.text.startswith(SENT) for m in bot_messages(chat)[-2:])
    assert len(console(stack, client)["messages"]) == messages_in_blinger


def test_admin_reply_and_close_reach_the_chat_and_blingers_thread(stack: StackProcess) -> None:
    chat = logged_in(stack, "Ольга")
    client = f"tg-{chat.user_id}"
    ask(chat, "Можно поменять адрес?")
    eventually(lambda: console(stack, client), "the question in Blinger")
    ref = conversation_of(stack, chat.user_id)["id"]
    # WHEN an admin answers from the inbox
    assert admin(stack, "POST", f"/conversations/{ref}/reply", {"text": "Да, до отправки"})[0] == 202
    # THEN she reads it, and Blinger's thread shows it as an outgoing echo
    eventually(lambda: any("Да, до отправки" in m.text for m in bot_messages(chat)), "the reply in the chat")
    eventually(
        lambda: any(
            m["echo_outgoing"] and "Да, до отправки" in m["data"] for m in console(stack, client)["messages"]
        ),
        "the echo in Blinger",
    )
    # WHEN the admin closes it (Blinger never told the bot its id: a line in the thread instead)
    status, body = admin(stack, "POST", f"/conversations/{ref}/close")
    assert (status, body["status"]) == (200, "closed")
    eventually(lambda: any(m.text.startswith(RATE) for m in bot_messages(chat)), "the rating request")
    eventually(
        lambda: any(
            f"Диалог {ref} закрыт из админки" in m["data"] for m in console(stack, client)["messages"]
        ),
        "the line in Blinger",
    )
    # AND a second close is refused with the allowed moves
    status, body = admin(stack, "POST", f"/conversations/{ref}/close")
    assert (status, body["status"], body["allowed"]) == (409, "closed", ["rated", "open"])
