"""People in the admin page, in a real browser against the local stack: an admin adds an operator
and sees the key once; the operator signs in with it and sees only support work; the audit shows
who changed what; a reissued key replaces the old one at once; an operator bans a customer from
the inbox (the customer is told once, what they write is shown "banned") and unbans them.

Skipped when Playwright or Chromium is missing (CI fails such a skip: see the root conftest).
"""

from __future__ import annotations

import importlib
import re
import uuid
from typing import Any

import pytest
import requests

sync_api = pytest.importorskip("playwright.sync_api")
page_tests = importlib.import_module("tests.e2e.test_browser_admin")
e2e = importlib.import_module("tests.e2e.conftest")

pytestmark = pytest.mark.slow
expect = sync_api.expect
browser, context, chat = page_tests.browser, page_tests.context, page_tests.chat
admin, api, stack = page_tests.admin, page_tests.api, e2e.stack  # the e2e tests' fixtures
SUPPORT_TABS = ["conversations", "tickets"]
ADMIN_TABS = ["faq", "complaints", "customers", "broadcasts", "stats", "canned", "operators", "audit"]


def tab(admin: Any, name: str) -> Any:
    return admin.page.get_by_test_id(f"tab-{name}")


def test_an_operator_gets_a_key_once_signs_in_with_it_and_sees_only_support_work(
    admin: Any, context: Any, stack: Any
) -> None:
    name = f"Olga {uuid.uuid4().hex[:6]}"
    # GIVEN the admin in the People tab
    admin.sign_in()
    tab(admin, "operators").click()
    # WHEN they add an operator
    admin.operator_name.fill(name)
    admin.operator_role.select_option("operator")
    admin.operator_add.click()
    # THEN the key is shown once, and the list has them without it
    expect(admin.operator_key_box).to_be_visible()
    key = admin.operator_key.text_content()
    assert re.fullmatch(r"sbk_[A-Za-z0-9_-]{43}", key or "")
    row = admin.operator_row.filter(has_text=name)
    expect(row).to_have_count(1)
    assert key not in admin.page.get_by_test_id("operator-list").inner_text()
    # AND the audit names the admin's change
    tab(admin, "audit").click()
    expect(admin.audit_row.first.get_by_test_id("audit-what")).to_have_text(
        re.compile(r"^POST /v1/admin/operators$")
    )
    expect(admin.audit_row.first.get_by_test_id("audit-who")).to_contain_text("ADMIN_API_KEY")
    admin.page.screenshot(path="/tmp/wt19-operators-audit.png")

    # WHEN the operator signs in with their key in a page of their own
    operator = page_tests.AdminPage(context.new_page(), stack)
    operator.sign_in(key)
    # THEN they see their name and only the support tabs
    expect(operator.whoami).to_contain_text(name)
    for visible in SUPPORT_TABS:
        expect(tab(operator, visible)).to_be_visible()
    for hidden in ADMIN_TABS:
        expect(tab(operator, hidden)).to_be_hidden()
    expect(operator.page.get_by_test_id("view-conversations")).to_be_visible()
    operator.page.screenshot(path="/tmp/wt19-operators-operator-view.png")
    # AND the API refuses them an admin route, naming the role
    answer = requests.get(stack.api_url + "/v1/admin/operators", headers={"X-Api-Key": key}, timeout=10)
    assert (answer.status_code, answer.json()) == (403, {"detail": "needs role admin"})

    # WHEN the admin issues a new key
    tab(admin, "operators").click()
    row.get_by_test_id("operator-reissue").click()
    admin.confirm_ok.click()
    expect(admin.operator_key).not_to_have_text(key)
    new_key = admin.operator_key.text_content()
    # THEN the old key stops at once: the operator's page sends them back to sign in
    tab(operator, "tickets").click()
    expect(operator.signin_form).to_be_visible()
    operator.sign_in(new_key)
    expect(operator.whoami).to_contain_text(name)
    # AND removing them ends that key too
    row.get_by_test_id("operator-remove").click()
    admin.confirm_ok.click()
    expect(row).to_have_count(0)
    answer = requests.get(stack.api_url + "/v1/admin/me", headers={"X-Api-Key": new_key}, timeout=10)
    assert answer.status_code == 403


def test_a_canned_reply_written_in_the_page_is_picked_in_the_inbox_and_reaches_the_customer(
    admin: Any, context: Any, chat: Any, stack: Any
) -> None:
    marker = uuid.uuid4().hex[:6]
    # GIVEN a canned reply the admin writes in the page, in both languages
    admin.sign_in()
    tab(admin, "canned").click()
    expect(admin.page.get_by_test_id("canned-title-other-label")).to_have_text("Title (en)")
    admin.canned_title.fill(f"Курьер {marker}")
    admin.canned_text.fill(f"Здравствуйте, <b>{{name}}</b>! Курьер приедет завтра ({marker}).")
    admin.canned_title_other.fill(f"Courier {marker}")
    admin.canned_text_other.fill(f"Hello, <b>{{name}}</b>! The courier comes tomorrow ({marker}).")
    admin.canned_save.click()
    admin.saved()
    expect(admin.canned_item.filter(has_text=f"Курьер {marker}")).to_have_count(1)
    # AND a customer who asked support in the chat
    user_id = page_tests.logged_in_customer(chat)
    chat.press("💬 Задать вопрос")
    chat.send(f"Когда курьер? {marker}")
    expect(chat.bot_says("✅ Отправлено в поддержку.")).to_be_visible()

    # WHEN an operator opens the conversation, searches the canned replies and sends one
    key = requests.post(
        stack.api_url + "/v1/admin/operators",
        json={"name": f"Olga {marker}", "role": "operator"},
        headers={"X-Api-Key": page_tests.ADMIN_KEY},
        timeout=10,
    ).json()["key"]
    operator = page_tests.AdminPage(context.new_page(), stack)
    operator.sign_in(key)
    item = operator.page.locator(f'[data-testid=conversation-item][data-user-id="{user_id}"]')
    item.click()
    operator.canned_search.fill(f"courier {marker}")
    expect(operator.canned_option).to_have_count(1)
    operator.canned_option.click()
    expect(operator.canned_preview).to_contain_text("{name}")
    operator.page.screenshot(path="/tmp/wt19-canned-picker.png")
    operator.canned_send.click()
    operator.saved()
    # THEN the customer gets it filled in with her name, in her language, as support's
    reply = chat.bot_says(f"Курьер приедет завтра ({marker}).")
    expect(reply).to_be_visible(timeout=page_tests.SUPPORT_TIMEOUT_MS)
    expect(reply).to_have_text(re.compile(r"^💬 Поддержка: Здравствуйте, [^{}]+! Курьер приедет завтра"))
    # AND the thread shows it going to her
    expect(operator.thread_message.filter(has_text=marker).last).to_have_attribute(
        "data-direction", "to_customer"
    )
    # AND the audit names the operator who sent it
    tab(admin, "audit").click()
    expect(admin.audit_row.first.get_by_test_id("audit-who")).to_contain_text(f"Olga {marker}")


def test_an_operator_takes_tags_and_notes_a_conversation_and_the_inbox_filters_by_them(
    admin: Any, context: Any, chat: Any, stack: Any
) -> None:
    marker = uuid.uuid4().hex[:6]
    # GIVEN a customer who asked support, and an operator in the inbox
    user_id = page_tests.logged_in_customer(chat)
    chat.press("💬 Задать вопрос")
    chat.send(f"Коробка помята {marker}")
    expect(chat.bot_says("✅ Отправлено в поддержку.")).to_be_visible()
    key = requests.post(
        stack.api_url + "/v1/admin/operators",
        json={"name": f"Olga {marker}", "role": "operator"},
        headers={"X-Api-Key": page_tests.ADMIN_KEY},
        timeout=10,
    ).json()["key"]
    operator = page_tests.AdminPage(context.new_page(), stack)
    operator.sign_in(key)
    item = operator.page.locator(f'[data-testid=conversation-item][data-user-id="{user_id}"]').first
    item.click()
    # WHEN she takes it, tags it and writes a note
    operator.assign_me.click()
    expect(operator.thread_assignee).to_contain_text(f"Olga {marker}")
    tag = f"vip{marker}"
    operator.tag_input.fill(tag)
    operator.tag_add.click()
    expect(operator.thread_tag.filter(has_text=f"#{tag}")).to_have_count(1)
    operator.note_text.fill(f"Позвонить в курьерскую службу {marker}")
    operator.note_add.click()
    expect(operator.thread_note.filter(has_text=marker)).to_have_count(1)
    operator.page.screenshot(path="/tmp/wt19-triage.png")
    # THEN "mine only" and the tag filter each show it
    operator.inbox_mine.check()
    expect(operator.conversation_item).to_have_count(1)
    expect(operator.conversation_item.first).to_have_attribute("data-user-id", str(user_id))
    operator.inbox_mine.uncheck()
    operator.inbox_tag.fill(tag)
    operator.inbox_tag.press("Enter")
    expect(operator.conversation_item).to_have_count(1)
    operator.inbox_tag.fill("nosuchtag" + marker)
    operator.inbox_tag.press("Enter")
    expect(operator.conversation_item).to_have_count(0)
    # AND the customer never got the note
    expect(chat.bot_says(f"Позвонить в курьерскую службу {marker}")).to_have_count(0)


def test_an_operator_bans_a_customer_from_the_inbox_and_unbans_them(
    admin: Any, context: Any, chat: Any, stack: Any
) -> None:
    marker = uuid.uuid4().hex[:6]
    told = "⛔ Поддержка приостановила приём ваших сообщений"
    # GIVEN a customer who asked support, and an operator with her conversation open
    user_id = page_tests.logged_in_customer(chat)
    chat.press("💬 Задать вопрос")
    chat.send(f"Где заказ? {marker}")
    expect(chat.bot_says("✅ Отправлено в поддержку.")).to_have_count(1)
    key = requests.post(
        stack.api_url + "/v1/admin/operators",
        json={"name": f"Olga {marker}", "role": "operator"},
        headers={"X-Api-Key": page_tests.ADMIN_KEY},
        timeout=10,
    ).json()["key"]
    operator = page_tests.AdminPage(context.new_page(), stack)
    operator.sign_in(key)
    item = operator.page.locator(f'[data-testid=conversation-item][data-user-id="{user_id}"]').first
    item.click()
    expect(operator.unban).to_be_hidden()
    # WHEN she bans the customer for 2 hours, confirming
    operator.ban_hours.fill("2")
    operator.ban.click()
    operator.confirm_ok.click()
    # THEN the thread says until when and by whom, and offers the unban
    expect(operator.thread_ban).to_contain_text("Banned until")
    expect(operator.thread_ban).to_contain_text(f"Olga {marker}")
    expect(operator.unban).to_be_visible()
    expect(operator.ban).to_be_hidden()
    # AND the inbox marks her conversation banned
    expect(item.get_by_test_id("conversation-banned")).to_have_text("⛔ banned", timeout=20_000)
    # WHEN the customer writes twice
    chat.send(f"Ответьте! {marker}")
    expect(chat.bot_says(told)).to_have_count(1)
    chat.send(f"АУ {marker}")
    # THEN the inbox shows both, marked banned (kept, not sent to support). Nothing in the chat
    # confirms the second (she was told once), so the thread is opened again until it is stored.
    held = operator.thread_message.filter(has_text=f"АУ {marker}")
    for _ in range(20):
        item.click()
        try:
            held.wait_for(timeout=1000)
            break
        except sync_api.TimeoutError:
            continue
    expect(held).to_have_attribute("data-status", "banned")
    expect(held).to_contain_text("banned, not sent to support")
    expect(operator.thread_message.filter(has_text=f"Ответьте! {marker}")).to_have_attribute(
        "data-status", "banned"
    )
    operator.page.screenshot(path="/tmp/wt15-ban.png")
    # WHEN she unbans the customer
    operator.unban.click()
    expect(operator.thread_ban).to_be_hidden()
    expect(operator.ban).to_be_visible()
    expect(item.get_by_test_id("conversation-banned")).to_have_count(0, timeout=20_000)
    # THEN the customer's next message goes to support, and she was told of the ban only once
    chat.send(f"Спасибо {marker}")
    expect(chat.bot_says("✅ Отправлено в поддержку.")).to_have_count(2)
    expect(chat.bot_says(told)).to_have_count(1)
    item.click()
    expect(operator.thread_message.filter(has_text=f"Спасибо {marker}")).not_to_have_attribute(
        "data-status", "banned"
    )
    # AND the audit names her for both changes
    admin.sign_in()
    tab(admin, "audit").click()
    expect(admin.audit_row.first.get_by_test_id("audit-what")).to_have_text(
        re.compile(r"^DELETE /v1/admin/conversations/C\d+/ban$")
    )
    expect(admin.audit_row.first.get_by_test_id("audit-who")).to_contain_text(f"Olga {marker}")
