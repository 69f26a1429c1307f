"""The admin page in a real browser, against the running local stack, with the customer's side in
the sandbox web chat (Playwright + Debian Chromium).

What an admin does in the page reaches the bot: an edited FAQ answer and a new order of questions
show in the customer's chat, a reply from the page's inbox arrives in it through the outbox, and
orders imported from a CSV file are the customer's orders. The admin page is driven through its
data-testid attributes only.

The bot caches a tree for ``CACHE_SECONDS``: a change shows within that time, so the chat is
looked at again (navigating to the screen anew, with short expect timeouts) until it does, never
after a blind sleep. The tests edit sections they create (a unique marker in the titles) and
delete them afterwards, so the demo FAQ the journeys read stays as it was.

Skipped when Playwright or Chromium is not installed (CI fails such a skip: see the root
conftest). A failing test leaves a screenshot of each of its pages in tests/e2e/screenshots/.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.demo import CUSTOMER_NAME, CUSTOMER_PHONE
from infra.localstack.stack import LOCAL_WEBHOOK_SECRET, local_secrets
from infra.localstack.template_model import StackModel
from infra.template import load_template
from supportbot.content import CACHE_SECONDS
from tests.e2e.conftest import StackProcess

sync_api = pytest.importorskip("playwright.sync_api")
journey = pytest.importorskip("tests.e2e.test_browser_journey")  # the web chat's driver and fixtures

pytestmark = pytest.mark.slow

expect = sync_api.expect
WebChat, FAQ, HOME = journey.WebChat, journey.FAQ, journey.HOME
browser, context, chat = journey.browser, journey.context, journey.chat  # the same fixtures
# The local stack gives every secret the template reads from SSM a fake value (ADMIN_API_KEY too).
ADMIN_KEY = local_secrets(StackModel.from_template(load_template()))["ADMIN_API_KEY"]
BACK = "⬅️ Назад"
CACHE_WAIT_S = CACHE_SECONDS + 10  # the bot's tree cache, plus headroom for CI
LOOK_MS = 1_500  # one look at the chat while waiting for the cache
SUPPORT_TIMEOUT_MS = 20_000  # through the outbox queue: the local SQS poller's 1 s long polls


# ---- the admin page ------------------------------------------------------------------------------
class AdminPage:
    """The admin page, driven through its data-testid attributes."""

    def __init__(self, page: Any, stack: StackProcess) -> None:
        self.page = page
        page.goto(stack.api_url + "/v1/admin/")
        expect(page.get_by_test_id("signin-form")).to_be_visible()

    def __getattr__(self, testid: str) -> Any:
        """``admin.node_title`` is the element with data-testid="node-title"."""
        return self.page.get_by_test_id(testid.replace("_", "-"))

    def sign_in(self, key: str = ADMIN_KEY) -> None:
        self.signin_key.fill(key)
        self.signin_submit.click()
        expect(self.tabs).to_be_visible()

    def node(self, title: str) -> Any:
        """A node's own row (its title, up, down) in the tree."""
        exact = re.compile(f"^{re.escape(title)}$")
        return self.node_row.filter(has=self.node_select.filter(has_text=exact))

    def select(self, title: str) -> None:
        self.node(title).get_by_test_id("node-select").click()
        expect(self.node_title).to_have_value(title)

    def children_of(self, node_id: str) -> Any:
        """The titles of a node's children, in menu order (``root``: the top level)."""
        return self.page.locator(
            f'[data-testid=tree-node][data-parent-id="{node_id}"] > [data-testid=node-row]'
        )

    def saved(self) -> None:
        expect(self.notice).to_be_visible()
        expect(self.error_banner).to_be_hidden()


@pytest.fixture
def admin(context: Any, stack: StackProcess) -> AdminPage:
    return AdminPage(context.new_page(), stack)


class AdminApi:
    """The admin JSON API, for a test's setup and cleanup (what the page does is tested in it)."""

    def __init__(self, stack: StackProcess) -> None:
        self.base = stack.api_url + "/v1/admin"
        self.marker = uuid.uuid4().hex[:6]  # in the titles of what a test creates

    def __call__(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        answer = requests.request(
            method, self.base + path, json=body, headers={"X-Api-Key": ADMIN_KEY}, timeout=10
        )
        assert answer.status_code == status, answer.text
        return answer.json()


@pytest.fixture
def api(stack: StackProcess) -> Iterator[AdminApi]:
    """The API, and afterwards every top-level FAQ node a test made (its marker in the title)
    deleted with what is below it."""
    client = AdminApi(stack)
    yield client
    for node in client("GET", "/trees/faq")["nodes"]:
        if client.marker in node["title"]:
            client("DELETE", f"/trees/faq/nodes/{node['node_id']}?cascade=true")


@pytest.fixture
def section(api: AdminApi) -> dict[str, Any]:
    """A new FAQ section with two questions, at the end of the FAQ's top level."""
    marker = api.marker
    top = api("POST", "/trees/faq/nodes", {"parent_id": "root", "title": f"Проверка {marker}"}, 201)
    questions = [
        api(
            "POST",
            "/trees/faq/nodes",
            {"parent_id": top["node_id"], "title": f"Вопрос {n} {marker}", "text": f"Ответ {n}."},
            201,
        )
        for n in ("один", "два")
    ]
    return {"id": top["node_id"], "title": top["title"], "questions": [q["title"] for q in questions]}


# ---- the customer's chat -------------------------------------------------------------------------
def logged_in_customer(chat: Any) -> int:
    user_id = int(chat.new_user(CUSTOMER_NAME, CUSTOMER_PHONE, "ru"))
    chat.log_in(CUSTOMER_NAME, CUSTOMER_PHONE)
    return user_id


def has(chat: Any, label: str) -> bool:
    try:
        expect(chat.button(label)).to_be_visible(timeout=LOOK_MS)
    except AssertionError:
        return False
    return True


def until_shown(chat: Any, go: Callable[[], bool], check: Callable[[], None], what: str) -> None:
    """Open the screen with ``go`` (False: a button on the way is not there yet) and ``check`` it,
    again until the bot's tree cache has expired."""
    deadline = time.monotonic() + CACHE_WAIT_S
    while True:
        try:
            if go():
                check()
                return
        except AssertionError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the chat did not show {what} within {CACHE_WAIT_S} s")


def open_faq(chat: Any, *labels: str) -> bool:
    """From any screen: Main menu → FAQ → each label; False when a label is not shown (yet)."""
    if has(chat, HOME):
        chat.press(HOME)
    chat.press(FAQ)
    expect(chat.screen.get_by_test_id("message-text")).to_contain_text("Частые вопросы")
    for label in labels:
        if not has(chat, label):
            return False
        chat.press(label)
    return True


def screen_says(chat: Any, text: str) -> Callable[[], None]:
    def check() -> None:
        expect(chat.screen.get_by_test_id("message-text")).to_contain_text(text, timeout=LOOK_MS)

    return check


# ---- the tests -----------------------------------------------------------------------------------
def test_sign_in_with_the_key_in_either_language(admin: AdminPage) -> None:
    page = admin.page
    # GIVEN the page in English (the browser's language)
    expect(admin.signin_submit).to_have_text("Sign in")
    # WHEN a wrong key is given THEN a clear refusal, and no way in
    admin.signin_key.fill("not-the-key")
    admin.signin_submit.click()
    expect(admin.signin_error).to_have_text("Wrong API key. Check it and try again.")
    expect(admin.tabs).to_be_hidden()
    # WHEN the language is switched THEN the page speaks Russian
    admin.lang_select.select_option("ru")
    expect(admin.signin_submit).to_have_text("Войти")
    # WHEN the right key is given THEN the FAQ tree, with the demo topics
    admin.sign_in()
    expect(admin.tab_faq).to_have_text("Частые вопросы")
    expect(admin.children_of("root").get_by_test_id("node-select")).to_contain_text(
        ["Доставка", "Оплата", "Возврат"]
    )
    # AND the key is in this tab's sessionStorage, never in a cookie
    assert page.evaluate("sessionStorage.getItem('admin-api-key')") == ADMIN_KEY
    assert page.evaluate("document.cookie") == ""
    # WHEN the page is reloaded THEN still signed in; WHEN signed out THEN the key is gone
    page.wait_for_load_state("networkidle")  # a request cut by the reload would break the stack's pipe
    page.reload()
    expect(admin.tabs).to_be_visible()
    admin.signout.click()
    expect(admin.signin_form).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('admin-api-key')") is None


def test_an_answer_edited_in_the_page_shows_in_the_chat(
    admin: AdminPage, chat: Any, api: AdminApi, section: dict[str, Any]
) -> None:
    question = section["questions"][0]
    # GIVEN the customer reading the answer of a question
    logged_in_customer(chat)
    until_shown(
        chat,
        lambda: open_faq(chat, section["title"], question),
        screen_says(chat, "Ответ один."),
        "the answer",
    )

    # WHEN the admin opens the question in the page
    admin.sign_in()
    admin.select(question)
    # AND types text Telegram would refuse THEN the preview says so, and saving is refused (422)
    admin.node_text.fill("Ответ <b>без конца")
    expect(admin.preview_warning).to_be_visible()
    admin.node_save.click()
    expect(admin.error_text).to_contain_text("text")
    expect(admin.error_text).to_contain_text("not valid Telegram HTML")

    # WHEN someone else saves the question meanwhile, and then the admin saves hers
    node_id = admin.node(question).locator("..").get_attribute("data-node-id")
    current = api("GET", f"/trees/faq/nodes/{node_id}")
    api(
        "PUT",
        f"/trees/faq/nodes/{node_id}",
        {"title": question, "text": "Чужая правка.", "version": current["version"]},
    )
    answer = "Теперь <i>1–3 дня</i> &amp; бесплатно."
    admin.node_text.fill(answer)
    # THEN the preview shows it as Telegram will: the title in bold, the text formatted
    expect(admin.preview_text.locator("b")).to_have_text(question)
    expect(admin.preview_text.locator("i")).to_have_text("1–3 дня")
    expect(admin.preview_text).to_contain_text("Теперь 1–3 дня & бесплатно.")
    expect(admin.preview_warning).to_be_hidden()
    admin.node_save.click()
    # AND the conflict is shown (409), her text kept in the form
    expect(admin.error_text).to_contain_text("version conflict")
    expect(admin.node_text).to_have_value(answer)
    # WHEN she saves again (now on the fresh version) THEN it is saved
    admin.node_save.click()
    admin.saved()
    assert api("GET", f"/trees/faq/nodes/{node_id}")["text"] == answer

    # THEN the customer, opening the question again, gets the new answer, formatted
    def reopen() -> bool:
        chat.press(BACK)
        if not has(chat, question):
            return False
        chat.press(question)
        return True

    until_shown(chat, reopen, screen_says(chat, "Теперь 1–3 дня & бесплатно."), "the edited answer")
    expect(chat.screen.locator("i")).to_have_text("1–3 дня")


def test_a_question_translated_in_the_page_previews_and_saves_each_language(
    admin: AdminPage, api: AdminApi, section: dict[str, Any]
) -> None:
    question = section["questions"][0]
    # GIVEN the admin editing a question (its own fields are the default language's, Russian)
    admin.sign_in()
    admin.select(question)
    languages = admin.editor_languages.get_by_test_id("editor-language")
    expect(languages).to_have_text(["Russian (default)", "English"])
    # WHEN she switches to English THEN the Russian fields hide and the preview falls back to them
    languages.filter(has_text="English").click()
    expect(admin.node_title).to_be_hidden()
    expect(admin.node_title_en).to_be_visible()
    expect(admin.preview_text.locator("b")).to_have_text(question)
    # WHEN she types the English title and an answer Telegram would refuse THEN the preview says so
    admin.node_title_en.fill(f"Question one {api.marker}")
    admin.node_text_en.fill("An <b>unclosed answer")
    expect(admin.preview_warning).to_be_visible()
    admin.node_save.click()
    # AND saving is refused, naming the English text
    expect(admin.error_text).to_contain_text("translations.en.text")
    # WHEN she fixes it THEN the preview shows the English side formatted, and it is saved
    admin.node_text_en.fill("Answer <i>one</i>.")
    expect(admin.preview_text.locator("b")).to_have_text(f"Question one {api.marker}")
    expect(admin.preview_text.locator("i")).to_have_text("one")
    expect(admin.preview_warning).to_be_hidden()
    admin.node_save.click()
    admin.saved()
    node_id = admin.node(question).locator("..").get_attribute("data-node-id")
    stored = api("GET", f"/trees/faq/nodes/{node_id}")
    assert stored["translations"] == {
        "en": {"title": f"Question one {api.marker}", "text": "Answer <i>one</i>."}
    }
    assert (stored["title"], stored["text"]) == (question, "Ответ один.")
    # AND back on Russian the preview shows the Russian fields again
    languages.filter(has_text="Russian").click()
    expect(admin.preview_text).to_contain_text("Ответ один.")


def test_two_questions_reordered_in_the_page_swap_in_the_bot_s_menu(
    admin: AdminPage, chat: Any, section: dict[str, Any]
) -> None:
    first, second = section["questions"]
    # GIVEN the customer sees the section's questions in their order
    logged_in_customer(chat)

    def buttons(*labels: str) -> Callable[[], None]:
        def check() -> None:
            expect(chat.screen.get_by_test_id("inline-button").first).to_have_text(labels[0], timeout=LOOK_MS)
            expect(chat.screen.get_by_test_id("inline-button").nth(1)).to_have_text(
                labels[1], timeout=LOOK_MS
            )

        return check

    until_shown(chat, lambda: open_faq(chat, section["title"]), buttons(first, second), "the section")

    # WHEN the admin moves the first question down
    admin.sign_in()
    questions = admin.children_of(section["id"])
    expect(questions.get_by_test_id("node-select")).to_have_text([first, second])
    expect(admin.node(first).get_by_test_id("node-up")).to_be_disabled()
    admin.node(first).get_by_test_id("node-down").click()
    # THEN the page shows the new order
    admin.saved()
    expect(questions.get_by_test_id("node-select")).to_have_text([second, first])
    # AND so does the bot's menu
    until_shown(chat, lambda: open_faq(chat, section["title"]), buttons(second, first), "the new order")


def test_nodes_added_moved_and_deleted_in_the_page(admin: AdminPage, api: AdminApi) -> None:
    marker = api.marker
    title, child = f"Раздел {marker}", f"Подраздел {marker}"
    admin.sign_in()
    # WHEN the admin adds a top-level node
    admin.tree_add_root.click()
    admin.node_title.fill(title)
    admin.node_text.fill("Всё о <b>новом</b>.")
    admin.node_save.click()
    admin.saved()
    # THEN it is last at the top level, and open in the editor
    expect(admin.children_of("root").last).to_contain_text(title)
    expect(admin.node_title).to_have_value(title)
    # WHEN a child is added to it THEN the parent's preview shows it as a button
    admin.node_add_child.click()
    admin.node_title.fill(child)
    admin.node_save.click()
    admin.saved()
    below = admin.children_of(admin.node(title).locator("..").get_attribute("data-node-id"))
    expect(below).to_have_count(1)
    admin.select(title)
    expect(admin.preview_button).to_have_text([child])

    # WHEN the child is moved to the top level
    admin.select(child)
    admin.node_move_parent.select_option("root")
    admin.node_move_submit.click()
    admin.saved()
    # THEN it is a top-level node, and its old parent has no children
    expect(admin.children_of("root").get_by_test_id("node-select").filter(has_text=child)).to_have_count(1)
    admin.select(title)
    expect(admin.preview_button).to_have_count(0)

    # WHEN the admin puts it back and deletes the parent THEN she is asked about the child too
    admin.select(child)
    admin.node_move_parent.select_option(label=title)
    admin.node_move_submit.click()
    admin.saved()
    expect(below).to_have_count(1)
    admin.select(title)
    admin.node_delete.click()
    expect(admin.confirm_text).to_contain_text("(1)")
    # AND cancelling keeps both
    admin.confirm_cancel.click()
    expect(admin.node(title)).to_have_count(1)
    # AND confirming deletes both
    admin.node_delete.click()
    admin.confirm_ok.click()
    admin.saved()
    expect(admin.node(title)).to_have_count(0)
    expect(admin.node(child)).to_have_count(0)
    assert all(marker not in n["title"] for n in api("GET", "/trees/faq/export")["nodes"])


def test_a_reply_from_the_page_reaches_the_customer(admin: AdminPage, chat: Any) -> None:
    # GIVEN a customer who asked support a question in the chat
    user_id = logged_in_customer(chat)
    chat.press("💬 Задать вопрос")
    question = f"Когда приедет курьер? (вопрос №{user_id})"
    chat.send(question)
    expect(chat.bot_says("✅ Отправлено в поддержку.")).to_be_visible()

    # WHEN the admin opens her conversation in the page
    admin.sign_in()
    admin.tab_conversations.click()
    item = admin.page.locator(f'[data-testid=conversation-item][data-user-id="{user_id}"]')
    expect(item.get_by_test_id("conversation-last")).to_have_text(question)
    item.click()
    # THEN the thread shows the question
    expect(admin.thread_message.filter(has_text=question)).to_have_attribute(
        "data-direction", "from_customer"
    )

    # WHEN the admin replies
    answer = f"Завтра с 10 до 14 <ваш курьер №{user_id}>"
    admin.reply_text.fill(answer)
    admin.reply_send.click()
    admin.saved()
    # THEN the reply is in the thread once, going to the customer (its echo into Blinger's thread is
    # a copy, not listed again)
    sent = admin.page.locator("[data-testid=thread-message][data-direction=to_customer]")
    expect(sent.filter(has_text=answer)).to_have_count(1)
    echo = admin.page.locator("[data-testid=thread-message][data-direction=to_desk]")
    expect(echo.filter(has_text=answer)).to_have_count(0)
    # AND the customer gets it in the chat (through the outbox), as support's, her text as typed
    reply = chat.bot_says(answer)
    expect(reply).to_be_visible(timeout=SUPPORT_TIMEOUT_MS)
    expect(reply).to_have_text(f"💬 Поддержка: {answer}")


def test_orders_imported_from_a_csv_file_are_the_customer_s(
    admin: AdminPage, chat: Any, api: AdminApi, tmp_path: Path
) -> None:
    # GIVEN a new customer of the built-in backend, with no orders
    phone = f"+79017{int(api.marker, 16) % 10**6:06d}"  # a range no other test uses
    api("PUT", f"/customers/{phone}", {"name": "Олег"})
    # WHEN the admin imports a CSV file of two orders for her phone
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "id,number,title,status,amount,currency,updated_at\n"
        "a1,7001,Чайник,paid,1990.00,RUB,2026-11-20T10:00:00+03:00\n"
        "a2,7002,Кружки,delivered,590.50,RUB,2026-11-21T12:30:00+03:00\n",
        encoding="utf-8",
    )
    admin.sign_in()
    admin.tab_customers.click()
    admin.orders_phone.fill(phone)
    admin.orders_file.set_input_files(str(orders))
    admin.orders_import.click()
    # THEN the page counts them
    expect(admin.orders_result).to_have_text("Orders imported: 2.")
    # AND a wrong file is refused, naming the row and field
    orders.write_text("id,number,amount,currency,updated_at\nb1,7003,lots,RUB,yesterday\n", encoding="utf-8")
    admin.orders_file.set_input_files(str(orders))
    admin.orders_import.click()
    expect(admin.error_text).to_contain_text("amount")
    # AND the customer, logging in with that phone, sees exactly those orders
    chat.new_user("Олег", phone, "ru")
    chat.log_in("Олег", phone)
    chat.press(journey.ORDERS)
    chat.expect_screen("Ваши заказы (2).")
    numbers = chat.screen.get_by_test_id("inline-button").filter(has_text=re.compile(r"^№\d+ · "))
    expect(numbers).to_have_count(2)
    expect(numbers.first).to_contain_text("№7002")  # newest first


def test_surfaces_agree_on_a_conversation_the_admin_answers_and_closes(
    admin: AdminPage, chat: Any, context: Any, stack: StackProcess
) -> None:
    # GIVEN a customer who asked support a question in the web chat
    user_id = logged_in_customer(chat)
    chat.press("💬 Задать вопрос")
    question = f"Есть ли этот чайник в белом? (вопрос №{user_id})"
    chat.send(question)
    expect(chat.bot_says("✅ Отправлено в поддержку.")).to_be_visible()
    # AND the operator's Blinger console, where the question arrived
    console = context.new_page()
    console.goto(stack.blinger_url + "/")
    item = console.locator(f'[data-testid=conversation-item][data-client-id="tg-{user_id}"]')
    expect(item).to_contain_text(question, timeout=SUPPORT_TIMEOUT_MS)
    item.click()

    # WHEN the admin answers it from the admin page's inbox
    admin.sign_in()
    admin.tab_conversations.click()
    row = admin.page.locator(f'[data-testid=conversation-item][data-user-id="{user_id}"]')
    expect(row.get_by_test_id("conversation-status")).to_have_text("open")
    row.click()
    answer = f"Да, есть в белом (№{user_id})"
    admin.reply_text.fill(answer)
    admin.reply_send.click()
    admin.saved()
    # THEN the customer reads it, and Blinger's thread shows it as the bot's outgoing echo
    expect(chat.bot_says(answer)).to_be_visible(timeout=SUPPORT_TIMEOUT_MS)
    echo = console.locator("[data-testid=message][data-direction=out][data-status=echo]").filter(
        has_text=answer
    )
    expect(echo).to_be_visible(timeout=SUPPORT_TIMEOUT_MS)

    # WHEN the admin closes the conversation
    admin.conversation_close.click()
    admin.saved()
    expect(row.get_by_test_id("conversation-status")).to_have_text("closed")
    # THEN the customer is asked to rate it, and Blinger's thread asks the operator to close it there
    chat.expect_screen("Разговор с поддержкой завершён.", buttons=tuple("12345"))
    line = console.locator("[data-testid=message][data-direction=in]").filter(has_text="закрыт из админки")
    expect(line).to_be_visible(timeout=SUPPORT_TIMEOUT_MS)
    # AND a late "thanks" in the chat is not sent: she is told the conversation was closed
    chat.send("Спасибо!")
    expect(chat.bot_says("Поддержка закрыла диалог")).to_be_visible()
    expect(chat.button("💬 Новый вопрос")).to_be_visible()
    expect(console.locator("[data-testid=message]").filter(has_text="Спасибо!")).to_have_count(0)
    for page, name in ((chat.page, "chat"), (admin.page, "admin"), (console, "blinger")):
        page.screenshot(path=str(journey.SCREENSHOTS / f"surfaces-agree-{name}.png"), full_page=True)


def test_a_broadcast_previewed_test_sent_scheduled_and_cancelled_in_the_page(
    admin: AdminPage, chat: Any
) -> None:
    # GIVEN a user of the bot (the test send's chat)
    user_id = logged_in_customer(chat)
    admin.sign_in()
    admin.tab_broadcasts.click()
    # WHEN the admin writes a text with a link button
    admin.bc_text.fill(f"<b>Распродажа</b> для №{user_id} &amp; <i>всех</i>")
    admin.bc_button_text.fill("В магазин")
    admin.bc_button_url.fill("https://shop.example/sale")
    # THEN the preview shows it as Telegram will
    expect(admin.bc_preview_text.locator("b")).to_have_text("Распродажа")
    expect(admin.bc_preview_button).to_have_text("В магазин ↗")
    # WHEN it is sent as a test to the user's chat
    admin.bc_test_chat.fill(str(user_id))
    admin.bc_test_send.click()
    admin.saved()
    # THEN the user gets it, with its button, and the list shows the test as sent
    message = chat.bot_says(f"Распродажа для №{user_id} & всех")
    expect(message).to_be_visible(timeout=SUPPORT_TIMEOUT_MS)
    test_row = admin.bc_row.filter(has_text=f"→ {user_id}").first
    admin.bc_reload.click()
    expect(test_row.get_by_test_id("bc-counts")).to_contain_text("sent 1", timeout=SUPPORT_TIMEOUT_MS)
    # WHEN a broadcast is scheduled for tomorrow, then cancelled
    admin.bc_start_at.fill("2099-01-01T10:00")
    admin.bc_user_type.select_option("partner")
    admin.bc_create.click()
    admin.confirm_ok.click()
    admin.saved()
    scheduled = admin.bc_row.filter(has=admin.page.get_by_test_id("bc-cancel")).first
    expect(scheduled.get_by_test_id("bc-status")).to_contain_text("scheduled")
    scheduled.get_by_test_id("bc-cancel").click()
    admin.confirm_ok.click()
    expect(admin.bc_row.first.get_by_test_id("bc-status")).to_have_text("cancelled")
    if os.environ.get("SCREENSHOTS_DIR"):
        admin.page.screenshot(
            path=str(Path(os.environ["SCREENSHOTS_DIR"]) / "broadcasts.png"), full_page=True
        )


SHOTS = Path(os.environ.get("ADMIN_SCREENSHOTS", "")) if os.environ.get("ADMIN_SCREENSHOTS") else None


def shot(admin: AdminPage, name: str) -> None:
    """A screenshot to look at (ADMIN_SCREENSHOTS=<folder>), when asked for."""
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        admin.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_inbox_names_the_customer_masks_the_phone_and_pages_customers_orders_and_failures(
    admin: AdminPage, chat: Any, api: AdminApi
) -> None:
    # GIVEN a customer who asked support a question about an order
    user_id = logged_in_customer(chat)
    chat.press("💬 Задать вопрос")
    question = f"Где мой заказ? <b>срочно</b> №{user_id}"
    chat.send(question)
    expect(chat.bot_says("✅ Отправлено в поддержку.")).to_be_visible()
    # WHEN the admin opens the inbox
    admin.sign_in()
    admin.tab_conversations.click()
    item = admin.page.locator(f'[data-testid=conversation-item][data-user-id="{user_id}"]')
    # THEN it names her, masks her phone and says she is a customer; the preview is plain text
    masked = f"+7 {CUSTOMER_PHONE[2:5]} ***-{CUSTOMER_PHONE[-4:-2]}-{CUSTOMER_PHONE[-2:]}"
    expect(item.get_by_test_id("conversation-who")).to_contain_text(f"{CUSTOMER_NAME} · {masked} · customer")
    expect(item.get_by_test_id("conversation-last")).to_have_text(question)
    expect(item.get_by_test_id("conversation-status")).to_have_text("open")
    # AND filtered by status it is among the open ones, and not among the closed
    admin.inbox_status.select_option("open")
    expect(item).to_be_visible()
    admin.inbox_status.select_option("closed")
    expect(item).to_have_count(0)
    admin.inbox_status.select_option("")
    item.click()
    expect(admin.thread_who).to_contain_text(masked)
    expect(admin.thread_message.filter(has_text=question)).to_have_attribute(
        "data-direction", "from_customer"
    )
    shot(admin, "inbox")
    # AND the list reads itself again: a second question shows without a reload
    chat.send(f"И ещё вопрос №{user_id}")
    expect(item.get_by_test_id("conversation-last")).to_have_text(f"И ещё вопрос №{user_id}", timeout=40_000)
    # WHEN the admin browses the customers
    admin.tab_customers.click()
    row = admin.page.locator(f'[data-testid=customer-row][data-phone="{CUSTOMER_PHONE}"]')
    expect(row).to_contain_text(CUSTOMER_NAME)
    row.get_by_test_id("customer-orders").click()
    # THEN her orders are listed, a page at a time
    expect(admin.orders_heading).to_contain_text(CUSTOMER_PHONE)
    expect(admin.order_row.first).to_be_visible()
    shot(admin, "customers")
    # AND failed updates have their page, with Replay
    admin.tab_failed.click()
    expect(admin.view_failed).to_be_visible()
    expect(admin.failed_row.or_(admin.failed_empty)).to_be_visible()
    shot(admin, "failed")


def webhook_update(stack: StackProcess, user_id: int, text: str) -> None:
    """``text`` from ``user_id`` posted to the bot's webhook as Telegram posts it (with the secret);
    the sandbox need not know the user, as Telegram knows people the sandbox has not met yet. Its
    processing is expected to fail (the stack's check at the end knows its update id)."""
    update_id = int(time.time() * 1000) % 2**31
    stack.expected_failures.add(f'"update_id":{update_id}')
    person = {"id": user_id, "is_bot": False, "first_name": "Vera", "language_code": "ru"}
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id % 100_000,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Vera"},
            "from": person,
            "text": text,
            **(
                {"entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}
                if text[0] == "/"
                else {}
            ),
        },
    }
    answer = requests.post(
        f"{stack.api_url}/v1/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": LOCAL_WEBHOOK_SECRET},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def test_a_failed_update_is_replayed_in_the_page(
    admin: AdminPage, api: AdminApi, stack: StackProcess
) -> None:
    # GIVEN a person Telegram knows whose chat the bot cannot reach yet (the sandbox has not met
    # them: every send to them is "chat not found"), who starts the bot
    # (an id past the sandbox's own sequence, which would otherwise go on from it: later tests' new
    # users would get ids as long as a phone number, masked in the stack's log as phones are)
    user_id = 10**12 + int(uuid.uuid4().int % 900_000_000)
    webhook_update(stack, user_id, "/start")
    # THEN the update is kept as failed
    failed = next(f for f in api("GET", "/failed-updates")["items"] if f["user_id"] == user_id)
    # WHEN the chat exists (the person opened it) and the admin replays the update in the page
    requests.post(
        f"{stack.telegram_url}/sandbox/api/users",
        json={"id": user_id, "first_name": "Vera", "language_code": "ru"},
        timeout=10,
    ).raise_for_status()
    admin.sign_in()
    admin.tab_failed.click()
    row = admin.page.locator(f'[data-testid=failed-row][data-id="{failed["update_id"]}"]')
    expect(row).to_be_visible()
    shot(admin, "failed-before-replay")
    row.get_by_test_id("failed-replay").click()
    # THEN the bot handles it (its welcome reaches the chat) and the row is gone
    expect(row).to_have_count(0)
    shot(admin, "failed-after-replay")
    messages = requests.get(f"{stack.telegram_url}/sandbox/api/chats/{user_id}/messages", timeout=10).json()
    assert any(m["from_bot"] for m in messages["messages"]), messages


def test_a_reply_that_could_not_be_delivered_is_retried_in_the_page(
    admin: AdminPage, chat: Any, stack: StackProcess
) -> None:
    # GIVEN a customer who asked support, then blocked the bot
    user_id = logged_in_customer(chat)
    chat.press("💬 Задать вопрос")
    chat.send(f"Где мой заказ? №{user_id}")
    expect(chat.bot_says("✅ Отправлено в поддержку.")).to_be_visible()
    sandbox_user = f"{stack.telegram_url}/sandbox/api/users/{user_id}"
    requests.post(sandbox_user, json={"blocked_bot": True}, timeout=10).raise_for_status()
    # WHEN the admin replies from the page
    admin.sign_in()
    admin.tab_conversations.click()
    item = admin.page.locator(f'[data-testid=conversation-item][data-user-id="{user_id}"]')
    item.click()
    answer = f"Заказ в пути, №{user_id}"
    admin.reply_text.fill(answer)
    admin.reply_send.click()
    admin.saved()
    # THEN Telegram refuses it (403): the thread shows it failed, with the reason and Retry
    sent = admin.page.locator("[data-testid=thread-message][data-direction=to_customer]").filter(
        has_text=answer
    )
    for _ in range(30):  # through the outbox: the thread is read again until the outcome is stored
        item.click()
        try:
            expect(sent).to_have_attribute("data-status", "failed", timeout=1000)
            break
        except AssertionError:
            continue
    expect(sent).to_have_attribute("data-status", "failed")
    expect(sent).to_contain_text("blocked")
    expect(item.get_by_test_id("conversation-undelivered")).to_be_visible()
    shot(admin, "retry-before")
    # WHEN the customer writes again (on Telegram that unblocks the bot) and the admin clicks Retry
    chat.send(f"Я снова здесь №{user_id}")
    expect(chat.bot_says("✅ Отправлено в поддержку.")).to_have_count(2)
    sent.get_by_test_id("message-retry").click()
    admin.saved()
    # THEN the reply reaches her chat, and the thread shows it delivered
    expect(chat.bot_says(answer)).to_be_visible(timeout=SUPPORT_TIMEOUT_MS)
    for _ in range(30):
        item.click()
        try:
            expect(sent).to_have_attribute("data-status", "sent", timeout=1000)
            break
        except AssertionError:
            continue
    expect(sent).to_have_attribute("data-status", "sent")
    expect(sent.get_by_test_id("message-retry")).to_have_count(0)
    shot(admin, "retry-after")
