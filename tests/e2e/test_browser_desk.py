"""The Telegram desk in the web chat (issue 18), on the local stack with ``SUPPORT_DESK=telegram``
(Playwright + Debian's Chromium): the customer asks in her chat; the demo support group, a forum
with two operators, shows the conversation as a topic of its own (the card, then her message,
copied, and her photo with the caption as she edited it); an operator answers in the topic and
the customer sees the answer in her chat; the operator closes it with /close in the topic and the
customer rates the help.

Skipped when Playwright or Chromium is not installed. Screenshots of each step go to
tests/e2e/screenshots/ (``SCREENSHOTS_DIR``), failing or not: they are what a person checks.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator

import pytest

from infra.demo import CUSTOMER_NAME, CUSTOMER_PHONE
from infra.localstack.telegram import OPERATORS, SUPPORT_CHAT_ID
from tests.e2e.conftest import StackProcess, start_stack

sync_api = pytest.importorskip("playwright.sync_api")
journey = importlib.import_module("tests.e2e.test_browser_journey")  # skips when Chromium is missing
browser, context = journey.browser, journey.context  # its fixtures
SCREENSHOTS, WebChat, expect = journey.SCREENSHOTS, journey.WebChat, journey.expect

pytestmark = pytest.mark.slow
ASK, SENT = "💬 Задать вопрос", "✅ Отправлено в поддержку. Ответ придёт в этот чат."
# A 1x1 PNG (the sandbox keeps the bytes; the page shows them)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000100ff89993d1d0000000049454e44ae426082"
)
PACED_MS = 30_000  # a few posts at the group's pace (20 a minute), with headroom
QUESTION, ANSWER = "Где мой заказ? Жду с понедельника", "Ваш заказ в пути, будет завтра"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """A stack whose desk is the Telegram support group (the sandbox's demo forum)."""
    running = start_stack(tmp_path_factory.mktemp("desk"), {"SUPPORT_DESK": "telegram"})
    try:
        yield running
    finally:
        rc = running.stop()
    if rc != 0 or "Traceback" in running.log:
        pytest.fail(f"the local stack exited with {rc} or logged a traceback:\n{running.log[-5000:]}")


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"desk-{name}.png"), full_page=True)


def test_a_question_becomes_a_topic_the_operator_answers_in_and_the_customer_reads(context, stack):
    page = context.new_page()
    chat = WebChat(page, stack)
    # GIVEN the customer logged in, in the support dialog
    customer = chat.new_user("Ирина", CUSTOMER_PHONE, "ru")
    chat.log_in(CUSTOMER_NAME, CUSTOMER_PHONE)
    chat.press(ASK)
    # WHEN she asks, and sends a photo with a caption, whose caption she then edits
    chat.send(QUESTION)
    expect(chat.bot_says(SENT)).to_be_visible()
    page.get_by_test_id("text-input").fill("Коробка")
    page.get_by_test_id("photo-input").set_input_files(
        files=[{"name": "box.png", "mimeType": "image/png", "buffer": PNG}]
    )
    mine = page.locator("[data-testid=message][data-from=user]").filter(
        has=page.get_by_test_id("message-photo")
    )
    expect(mine.get_by_test_id("message-caption")).to_have_text("Коробка")
    mine.get_by_test_id("edit-action").click()
    chat.send("Коробка помята")
    expect(mine.get_by_test_id("message-caption")).to_have_text("Коробка помята")
    # THEN the support group (a forum with two operators) has a topic named after her
    group = page.locator(f"[data-testid=group-item][data-chat-id='{SUPPORT_CHAT_ID}']")
    expect(group).to_contain_text("2 members · 1 topic")
    group.click()
    # (its name starts with the conversation's status: ❓ waiting for an answer)
    topic = page.get_by_test_id("topic").filter(
        has_text=re.compile(rf"^❓ {re.escape(CUSTOMER_NAME)} · клиент · C\d+")
    )
    expect(topic).to_be_visible()
    topic.click()
    expect(page.get_by_test_id("chat-subtitle")).to_contain_text("topic ❓ " + CUSTOMER_NAME)
    texts = page.locator("[data-testid=message][data-from=bot]").get_by_test_id("message-text")
    # AND it opens with her card, then her message as she wrote it (copied, no retyping)
    expect(texts.first).to_contain_text("Обращение C")
    expect(texts.first).to_contain_text("Открытые заявки")
    expect(texts.last).to_have_text(QUESTION)
    # AND her photo is there once, with its caption as she edited it
    photo = page.locator("[data-testid=message][data-from=bot]").filter(
        has=page.get_by_test_id("message-photo")
    )
    expect(photo.get_by_test_id("message-caption")).to_have_text("Коробка помята")
    expect(photo).to_have_count(1)
    shot(page, "1-topic")
    # WHEN an operator answers in the topic
    operator_id = OPERATORS[0][0]
    page.get_by_test_id("acting-user").select_option(str(operator_id))
    chat.send(ANSWER)
    mine = page.locator(f"[data-testid=message][data-sender-id='{operator_id}']").get_by_test_id(
        "message-text"
    )
    expect(mine).to_have_text(ANSWER)
    # General shows none of it
    page.get_by_test_id("topic").filter(has_text="General").click()
    expect(page.locator("[data-testid=message]").filter(has_text=ANSWER)).to_have_count(0)
    expect(page.locator(".empty")).to_have_text("No messages in this topic yet")
    # AND the topic shows the conversation answered
    answered = page.get_by_test_id("topic").filter(
        has_text=re.compile(rf"^💬 {re.escape(CUSTOMER_NAME)} · клиент · C\d+")
    )
    expect(answered).to_be_visible()
    shot(page, "2-answered")
    # THEN the customer reads the answer in her chat
    page.locator(f"[data-testid=user-item][data-user-id='{customer}']").click()
    expect(chat.bot_says(ANSWER)).to_be_visible()
    expect(chat.bot_says(ANSWER)).to_have_count(1)
    shot(page, "3-customer")
    # WHEN the operator (one of the demo operators, matched by Telegram id) notes something for
    # colleagues and closes it from the topic
    page.locator(f"[data-testid=group-item][data-chat-id='{SUPPORT_CHAT_ID}']").click()
    page.get_by_test_id("topic").filter(
        has_text=re.compile(rf"{re.escape(CUSTOMER_NAME)} · клиент · C\d+")
    ).click()
    page.get_by_test_id("acting-user").select_option(str(operator_id))
    chat.send("# waits since Monday")
    expect(chat.bot_says("Заметка сохранена (Ольга Оператор)")).to_be_visible()
    chat.send("/close")
    # THEN the topic says so and shows the conversation closed in its name
    # (after the rating request's echo and the topic's status: the group's posts are paced, one
    # every 3.3 s, so this line may come a few posts later)
    expect(chat.bot_says(re.compile(r"Обращение C\d+ закрыто"))).to_be_visible(timeout=PACED_MS)
    # (the sandbox marks a closed topic 🔒; its name starts with ✅)
    closed = page.get_by_test_id("topic").filter(
        has_text=re.compile(rf"^🔒 ✅ {re.escape(CUSTOMER_NAME)} · ")
    )
    expect(closed).to_be_visible()
    shot(page, "4-closed")
    # AND the customer is asked to rate the help, and her rating is acknowledged
    page.locator(f"[data-testid=user-item][data-user-id='{customer}']").click()
    chat.expect_screen("Разговор с поддержкой завершён.", buttons=tuple("12345"))
    chat.press("5")
    expect(chat.bot_says("Ваша оценка: 5 из 5. Спасибо!")).to_be_visible()
    expect(chat.bot_says("waits since Monday")).to_have_count(0)  # the note stayed with colleagues
    shot(page, "5-rated")
