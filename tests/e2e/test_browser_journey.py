"""The customer's journey in the web chat page of the running local stack (Playwright + Chromium).

Everything is real but the person: the page posts to the sandbox, the sandbox delivers each update
to the local API's webhook route, the real handler answers through the sandbox's Bot API and reads
moto's tables, and the page shows the answer. Each step is asserted on what the page shows
(message texts, button labels), waiting with Playwright's auto-retrying ``expect``; no sleeps.

The journeys use users created in the page's "New user" form, so they neither depend on nor
disturb the preloaded demo users, which the HTTP journey (test_localstack_journey.py) drives in the
same session stack: a user created with the demo customer's phone logs into her account.

Skipped when Playwright or Chromium is not installed (CI fails such a skip: see the root
conftest). A failing test leaves a screenshot of each of its pages in tests/e2e/screenshots/.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.demo import CUSTOMER_NAME, CUSTOMER_ORDERS, CUSTOMER_PHONE
from tests.e2e.conftest import StackProcess

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or Path(__file__).with_name("screenshots"))
STEP_TIMEOUT_MS = 10_000  # one webhook round trip is well under a second; this is headroom for CI
DEFAULT_EXPECT_TIMEOUT_MS = 5_000  # Playwright's
expect = sync_api.expect

# What the bot says (layers/shared/supportbot/locales/ru.json, en.json).
LOGIN_PROMPT = "Чтобы видеть свои заказы"
SHARE = "📱 Поделиться номером телефона"
WELCOME = f"Добро пожаловать, {CUSTOMER_NAME}! Вы вошли."
MENU_TITLE = f"Главное меню · {CUSTOMER_NAME}"  # no second greeting after the welcome
ORDERS, FAQ, HOME = "📦 Мои заказы", "❓ Частые вопросы", "🏠 Главное меню"
PAGES = -(-CUSTOMER_ORDERS // 5)  # ORDERS_PAGE_SIZE 5: 7 pages


# ---- the browser --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (its own pages); on failure every page of it is screenshotted.

    Closed only once no request of its pages is open (see `Drain`)."""
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    ctx.set_default_timeout(STEP_TIMEOUT_MS)
    drain = Drain(ctx)
    failed_before = request.session.testsfailed
    yield ctx
    if request.session.testsfailed > failed_before:
        save_screenshots(ctx, request.node.name)
    drain.wait()
    ctx.close()
    expect.set_options(timeout=DEFAULT_EXPECT_TIMEOUT_MS)  # a global: as the other modules expect it


class Drain:
    """Lets the pages' requests finish before the context closes.

    The web chat long-polls the sandbox (``wait=20``): a page closed mid-poll leaves the sandbox
    writing its answer to a closed socket, and the BrokenPipeError traceback it logs fails the
    session (the stack fixture fails on any traceback). So the polls here wait at most
    ``POLL_WAIT`` seconds (changes still arrive at once: a poll returns as soon as anything
    changes), and at the end new requests are refused in the browser while the open ones finish.
    """

    POLL_WAIT = "0.5"

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.closing = False
        self.open: set[Any] = set()
        ctx.on("request", self._opened)
        ctx.on("requestfinished", self._closed)
        ctx.on("requestfailed", self._closed)
        ctx.route(re.compile(r"/(sandbox|console)/api/"), self._route)

    def _opened(self, request: Any) -> None:
        self.open.add(request)

    def _closed(self, request: Any) -> None:
        self.open.discard(request)

    def _route(self, route: Any) -> None:
        if self.closing:
            route.abort()
        else:
            route.continue_(url=re.sub(r"([?&]wait=)[\d.]+", r"\g<1>" + self.POLL_WAIT, route.request.url))

    def wait(self, timeout: float = 10) -> None:
        self.closing = True
        deadline = time.monotonic() + timeout
        while self.open and self.ctx.pages and time.monotonic() < deadline:
            self.ctx.pages[0].wait_for_timeout(50)  # Playwright delivers its events meanwhile
        if self.open:  # the session may fail on a BrokenPipeError traceback: this says why
            print(f"closing with requests still open: {sorted(r.url for r in self.open)}")


def save_screenshots(ctx: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for n, page in enumerate(ctx.pages):
        suffix = f"-{n}" if n else ""
        try:
            page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=True)
        except Exception as error:  # a crashed page must not hide the test's own failure
            print(f"screenshot of page {n} failed: {error}")


# ---- the web chat, as a person uses it -----------------------------------------------------------
class WebChat:
    """The sandbox's web chat page, driven through its data-testid attributes only."""

    def __init__(self, page: Any, stack: StackProcess) -> None:
        self.page = page
        page.goto(stack.telegram_url + "/sandbox/")
        expect(page.get_by_test_id("webhook-status")).to_contain_text("/v1/telegram/webhook")

    def new_user(self, first_name: str, phone: str, language: str) -> int:
        """Create a user in the "New user" form; the page opens her chat. Returns her id."""
        page = self.page
        page.get_by_test_id("new-user-first-name").fill(first_name)
        page.get_by_test_id("new-user-phone").fill(phone)
        page.get_by_test_id("new-user-language").select_option(language)
        page.get_by_test_id("new-user-submit").click()
        expect(page.get_by_test_id("chat-title")).to_have_text(first_name)
        expect(page.get_by_test_id("text-input")).to_be_enabled()
        subtitle = page.get_by_test_id("chat-subtitle")
        expect(subtitle).to_have_text(re.compile(r"private chat with the bot · \d+$"))
        return int(subtitle.inner_text().rsplit(" ", 1)[1])

    def send(self, text: str) -> None:
        self.page.get_by_test_id("text-input").fill(text)
        self.page.get_by_test_id("send-button").click()

    @property
    def bot_messages(self) -> Any:
        return self.page.locator("[data-testid=message][data-from=bot]")

    def bot_says(self, text: str | re.Pattern[str]) -> Any:
        """The bot's messages containing ``text`` (a locator: expect() waits for it)."""
        return self.bot_messages.get_by_test_id("message-text").filter(has_text=text)

    @property
    def screen(self) -> Any:
        """The newest bot message with inline buttons: the screen the user acts on."""
        return self.bot_messages.filter(has=self.page.get_by_test_id("inline-keyboard")).last

    def button(self, label: str | re.Pattern[str]) -> Any:
        """A button of the current screen by its exact label."""
        name = label if isinstance(label, re.Pattern) else re.compile(f"^{re.escape(label)}$")
        return self.screen.get_by_test_id("inline-button").filter(has_text=name)

    def press(self, label: str | re.Pattern[str]) -> None:
        self.button(label).click()

    def expect_screen(self, *texts: str, buttons: tuple[str, ...] = ()) -> None:
        """The current screen shows every text and every button label."""
        for text in texts:
            expect(self.screen.get_by_test_id("message-text")).to_contain_text(text)
        for label in buttons:
            expect(self.button(label)).to_be_visible()

    def share_contact(self, label: str) -> None:
        """Tap the reply keyboard's request_contact button, as a person does."""
        share = self.page.get_by_test_id("reply-button").filter(has_text=label)
        expect(share).to_have_attribute("data-request-contact", "true")
        share.click()

    def log_in(self, name: str, phone: str) -> None:
        """/start, share the contact, and wait for the main menu (ru)."""
        self.send("/start")
        expect(self.bot_says(LOGIN_PROMPT)).to_be_visible()
        self.share_contact(SHARE)
        expect(self.page.get_by_test_id("message-contact")).to_contain_text(phone)
        expect(self.bot_says(f"Добро пожаловать, {name}! Вы вошли.")).to_be_visible()
        self.expect_screen(f"Главное меню · {name}", buttons=(ORDERS, FAQ))


@pytest.fixture
def chat(context: Any, stack: StackProcess) -> WebChat:
    return WebChat(context.new_page(), stack)


# ---- the journeys -------------------------------------------------------------------------------
def test_demo_customer_orders_and_faq_in_the_web_chat(chat: WebChat) -> None:
    """start → share contact → Orders → next page → an order → Back → FAQ → an answer → Main menu."""
    page = chat.page
    # GIVEN the demo customer is listed in the sandbox with her phone
    demo = page.get_by_test_id("user-item").filter(has_text=CUSTOMER_PHONE)
    expect(demo.first).to_contain_text(CUSTOMER_NAME)
    # AND a Telegram user with her phone opens the chat (her own, so the HTTP journey's is untouched)
    chat.new_user(CUSTOMER_NAME, CUSTOMER_PHONE, "ru")
    expect(page.get_by_test_id("message-list")).to_contain_text("No messages yet")

    # WHEN she sends /start
    chat.send("/start")
    # THEN she is greeted and asked for her phone, with the share-contact reply keyboard
    prompt = chat.bot_says(LOGIN_PROMPT)
    expect(prompt).to_contain_text("Здравствуйте! Это бот поддержки нашего магазина.")
    expect(prompt.locator("b")).to_have_text("«Поделиться номером телефона»")
    expect(page.get_by_test_id("reply-keyboard")).to_be_visible()

    # WHEN she presses the reply keyboard's "share my phone" button
    chat.share_contact(SHARE)
    # THEN her contact is sent, she is welcomed, the reply keyboard goes and the main menu appears
    expect(page.get_by_test_id("message-contact")).to_contain_text(CUSTOMER_PHONE)
    expect(chat.bot_says(WELCOME)).to_be_visible()
    expect(page.get_by_test_id("reply-keyboard")).to_be_hidden()
    chat.expect_screen(MENU_TITLE, buttons=(ORDERS, FAQ, "🚪 Выйти"))

    # WHEN she opens her orders
    chat.press(ORDERS)
    # THEN the first of the pages, with the pager
    chat.expect_screen(f"Ваши заказы ({CUSTOMER_ORDERS}). Страница 1 из {PAGES}.", buttons=("▶️", HOME))

    # WHEN she goes to the next page
    chat.press("▶️")
    # THEN page 2, with its orders as buttons
    chat.expect_screen(f"Страница 2 из {PAGES}.", buttons=("◀️", "▶️"))
    orders = chat.screen.get_by_test_id("inline-button").filter(has_text=re.compile(r"^№\d+ · "))
    expect(orders).to_have_count(5)
    label = orders.first.inner_text()
    number = label.split(" ", 1)[0]  # "№10239"

    # WHEN she opens the first order on it
    orders.first.click()
    # THEN its card
    chat.expect_screen(f"Заказ {number}", buttons=("🔄 Обновить", "⬅️ К списку", HOME))
    expect(chat.screen.locator("b").first).to_have_text(f"Заказ {number}")
    expect(chat.screen.get_by_test_id("message-text")).to_contain_text("Сумма:")

    # WHEN she goes back to the list
    chat.press("⬅️ К списку")
    # THEN she lands on the same page, where the order is
    chat.expect_screen(f"Страница 2 из {PAGES}.")
    expect(chat.button(label)).to_be_visible()

    # WHEN she goes to the main menu
    chat.press(HOME)
    chat.expect_screen(MENU_TITLE, buttons=(ORDERS, FAQ))

    # AND to the FAQ
    chat.press(FAQ)
    chat.expect_screen("Частые вопросы", "Выберите тему.", buttons=("Доставка", "Оплата", "Возврат"))

    # AND to the topic "Доставка"
    chat.press("Доставка")
    chat.expect_screen("Выберите вопрос.", buttons=("Сколько идёт доставка?", "Можно ли изменить адрес?"))

    # AND to the question
    chat.press("Сколько идёт доставка?")
    # THEN the answer, with its formatting
    chat.expect_screen("Сколько идёт доставка?", "Обычно 2–5 дней по России.", buttons=(HOME,))
    expect(chat.screen.locator("b").filter(has_text="2–5 дней")).to_be_visible()

    # WHEN she goes to the main menu THEN it is shown again
    chat.press(HOME)
    chat.expect_screen(MENU_TITLE, buttons=(ORDERS, FAQ))
    # AND nothing went wrong on the way (no error toast, no outdated-menu notice)
    expect(page.get_by_test_id("error")).to_have_count(0)
    expect(chat.bot_says("устарело")).to_have_count(0)


def test_an_unknown_phone_is_refused_in_english(chat: WebChat) -> None:
    page = chat.page
    # GIVEN a new user whose Telegram speaks English, with a phone the shop does not know
    chat.new_user("Emma", "+79005550177", "en")
    # WHEN she starts the bot
    chat.send("/start")
    # THEN the login prompt and the share button are in English
    expect(chat.bot_says("Hello! This is the support bot of our shop.")).to_be_visible()
    share = "📱 Share my phone number"
    # WHEN she shares her contact
    chat.share_contact(share)
    expect(page.get_by_test_id("message-contact")).to_contain_text("+79005550177")
    # THEN she is refused, in English, and may try again with the same button
    refusal = chat.bot_says("We could not find an account with this phone number.")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("contact our shop to be registered")
    expect(page.get_by_test_id("reply-button").filter(has_text=share)).to_be_visible()
    # AND no menu was shown
    expect(chat.bot_says("Main menu")).to_have_count(0)
    expect(chat.bot_says("Welcome")).to_have_count(0)


# (the words of the bot, then the admins' content of infra/demo.py, in each language)
CONTENT_WORDS = {
    "ru": dict(
        share=SHARE,
        menu=MENU_TITLE,
        faq=FAQ,
        home=HOME,
        complaint="⚠️ Жалоба",
        topics=("Доставка", "Оплата", "Возврат"),
        question="Сколько идёт доставка?",
        answer="Обычно 2–5 дней по России.",
        sections=("Проблема с заказом", "Доставка", "Другое"),
        kinds=("Товар повреждён", "Пришёл не тот товар"),
    ),
    "en": dict(
        share="📱 Share my phone number",
        menu=f"Main menu · {CUSTOMER_NAME}",
        faq="❓ FAQ",
        home="🏠 Main menu",
        complaint="⚠️ Complaint",
        topics=("Delivery", "Payment", "Returns"),
        question="How long does delivery take?",
        answer="Usually 2–5 days within Russia.",
        sections=("Problem with an order", "Delivery", "Other"),
        kinds=("Item damaged", "Wrong item delivered"),
    ),
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_faq_and_the_complaint_menu_are_in_the_user_s_language(chat: WebChat, language: str) -> None:
    words = CONTENT_WORDS[language]
    # GIVEN the demo customer, in a Telegram that speaks the language, logged in
    chat.new_user(CUSTOMER_NAME, CUSTOMER_PHONE, language)
    chat.send("/start")
    chat.share_contact(words["share"])
    chat.expect_screen(words["menu"], buttons=(words["faq"], words["complaint"]))
    # WHEN she opens the FAQ THEN its topics, a question and its answer are in her language
    chat.press(words["faq"])
    chat.expect_screen(buttons=words["topics"])
    chat.press(words["topics"][0])
    chat.press(words["question"])
    chat.expect_screen(words["question"], words["answer"])
    expect(chat.screen.locator("b").first).to_have_text(words["question"])
    # WHEN she opens the complaint menu THEN its sections and their steps are in her language
    chat.press(words["home"])
    chat.press(words["complaint"])
    chat.expect_screen(buttons=words["sections"])
    chat.press(words["sections"][0])
    chat.expect_screen(words["sections"][0], buttons=words["kinds"])
    # AND no button of the other language shows
    other = CONTENT_WORDS["ru" if language == "en" else "en"]
    expect(chat.button(other["kinds"][0])).to_have_count(0)


# ---- the support desk: the web chat and the Blinger console side by side ------------------------
SUPPORT_TIMEOUT_MS = 20_000  # through the outbox queue: the local SQS poller's 1 s long polls


def test_a_question_is_answered_by_the_operator_in_the_blinger_console(
    context: Any, chat: WebChat, stack: StackProcess
) -> None:
    # GIVEN a customer logged in in the web chat
    user_id = chat.new_user(CUSTOMER_NAME, CUSTOMER_PHONE, "ru")
    chat.log_in(CUSTOMER_NAME, CUSTOMER_PHONE)
    # WHEN she asks a question from the main menu
    chat.press("💬 Задать вопрос")
    chat.expect_screen("Вопрос в поддержку", buttons=("✖️ Завершить диалог", HOME))
    question = f"Где мой заказ? (вопрос №{user_id})"
    chat.send(question)
    # THEN it is confirmed
    expect(chat.bot_says("✅ Отправлено в поддержку. Ответ придёт в этот чат.")).to_be_visible()

    # WHEN an operator opens the Blinger console (a second page)
    console = context.new_page()
    console.goto(stack.blinger_url + "/")
    expect(console.get_by_test_id("connection-status")).to_have_text("live")
    console.get_by_test_id("operator-name").fill("Мария")
    console.get_by_test_id("operator-name").press("Tab")
    # THEN the customer's conversation is listed with her name, phone and question
    item = console.locator(f'[data-testid=conversation-item][data-client-id="tg-{user_id}"]')
    expect(item).to_contain_text(question, timeout=SUPPORT_TIMEOUT_MS)
    expect(item.get_by_test_id("conversation-name")).to_have_text(CUSTOMER_NAME)
    expect(item.get_by_test_id("conversation-phone")).to_have_text(CUSTOMER_PHONE)
    # WHEN the operator opens it THEN the thread shows the question and who asks
    item.click()
    expect(console.get_by_test_id("thread-title")).to_have_text(CUSTOMER_NAME)
    expect(console.get_by_test_id("thread-phone")).to_have_text(CUSTOMER_PHONE)
    incoming = console.locator("[data-testid=message][data-direction=in]")
    expect(incoming.get_by_test_id("message-text")).to_have_text([question])
    user_type = console.locator("[data-testid=thread-info-row][data-key=user_type]")
    expect(user_type).to_contain_text("customer")

    # WHEN the operator takes the conversation
    console.get_by_test_id("assign-button").click()
    expect(console.get_by_test_id("thread-status")).to_have_text("assigned to Мария")
    # THEN the customer is told who joined
    joined = chat.bot_says("К разговору подключился оператор поддержки Мария.")
    expect(joined).to_be_visible(timeout=SUPPORT_TIMEOUT_MS)

    # WHEN the operator replies
    answer = "Ваш заказ передан в доставку, курьер приедет завтра."
    console.get_by_test_id("reply-text").fill(answer)
    console.get_by_test_id("reply-send").click()
    # THEN the console shows it delivered to the bot
    expect(console.get_by_test_id("action-status")).to_contain_text("Reply: delivered")
    outgoing = console.locator("[data-testid=message][data-direction=out]").filter(has_text=answer)
    expect(outgoing.get_by_test_id("message-status")).to_contain_text("delivered")
    # AND the customer sees the reply in the web chat, marked as support's
    reply = chat.bot_says(answer)
    expect(reply).to_be_visible(timeout=SUPPORT_TIMEOUT_MS)
    expect(reply).to_have_text(f"💬 Поддержка: {answer}")
    expect(reply.locator("b")).to_have_text("Поддержка:")

    # WHEN the operator closes the conversation
    console.get_by_test_id("close-button").click()
    expect(console.get_by_test_id("thread-status")).to_have_text("closed")
    # THEN the customer is asked to rate the help, and her rating is acknowledged
    chat.expect_screen("Разговор с поддержкой завершён.", buttons=tuple("12345"))
    chat.press("5")
    expect(chat.bot_says("Ваша оценка: 5 из 5. Спасибо!")).to_be_visible()


def test_an_admin_changing_an_orders_status_shows_in_the_customers_web_chat(
    chat: WebChat, stack: StackProcess
) -> None:
    """The built-in backend's order event: admin API → notifications queue → outbox → web chat."""
    import requests

    from infra.localstack.stack import local_secrets
    from infra.localstack.template_model import StackModel
    from infra.template import load_template

    key = local_secrets(StackModel.from_template(load_template()))["ADMIN_API_KEY"]
    phone = "+79005552233"

    def admin(path: str, body: dict[str, Any]) -> None:
        answer = requests.put(
            f"{stack.api_url}/v1/admin{path}", json=body, headers={"X-Api-Key": key}, timeout=10
        )
        assert answer.status_code == 200, answer.text

    order = {"number": "55501", "title": "Самовар", "status": "paid", "amount": "4990.00", "currency": "RUB"}
    admin(f"/customers/{phone}", {"user_type": "customer", "name": "Вера"})
    admin(f"/customers/{phone}/orders/V1", {**order, "updated_at": "2026-11-20T10:00:00+03:00"})
    # GIVEN Вера logged in to the bot in the web chat
    chat.new_user("Вера", phone, "ru")
    chat.log_in("Вера", phone)
    # WHEN an admin sets her order's status to "in transit"
    admin(
        f"/customers/{phone}/orders/V1",
        {**order, "status": "in_transit", "updated_at": "2026-11-20T12:00:00+03:00"},
    )
    # THEN her chat shows the message (after the coalescing window), with its two buttons
    message = chat.bot_says("Заказ №55501 теперь: в пути")
    expect(message).to_be_visible(timeout=30_000)
    chat.expect_screen("Заказ №55501 теперь", buttons=("📦 Открыть заказ", "💬 Спросить о заказе"))
    # AND "Open order" shows the card, the notification staying in the chat
    chat.press("📦 Открыть заказ")
    chat.expect_screen("Заказ №55501", "Самовар")
    expect(message).to_be_visible()
