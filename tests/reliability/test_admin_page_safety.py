"""The admin page is safe against XSS and has no CSRF surface, in a real browser (Playwright and
Debian's Chromium, against the local stack, like tests/e2e/test_browser_admin.py).

XSS: script in a tree node's title and in a customer's message to support (typed in the sandbox
web chat, so stored exactly as the bot stores it) is shown as text and never runs: no dialog, no
console marker, no global set, no extra element, while the page shows both.

CSRF: the key lives in the page's memory and goes in a header; the API neither reads nor sets
cookies, so a request the browser would send on its own (a form, an image, a fetch without the
header) gets 401 from every data route of the OpenAPI document.

Skipped when Playwright or Chromium is missing (CI fails such a skip: see the root conftest).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
import requests

from supportbot.support.conversations import PREVIEW_CHARS
from tests.reliability import figures

sync_api = pytest.importorskip("playwright.sync_api")
page_tests = importlib.import_module("tests.e2e.test_browser_admin")
e2e = importlib.import_module("tests.e2e.conftest")

pytestmark = pytest.mark.slow
expect = sync_api.expect
browser, context, chat = page_tests.browser, page_tests.context, page_tests.chat
admin, api, stack = page_tests.admin, page_tests.api, e2e.stack  # the e2e tests' fixtures
SECTION, ENTRY = "security", "admin page (browser)"
MARK = "XSS-FIRED"
PAYLOADS = [
    f"<img src=x onerror=\"alert('{MARK}');console.log('{MARK}')\">",
    f"<script>alert('{MARK}');console.log('{MARK}')</script>",
    f"<svg onload=\"alert('{MARK}')\">",
]


def watch(page: Any) -> list[str]:
    """Everything that would show a payload ran: dialogs and console lines with the marker."""
    fired: list[str] = []
    page.on("dialog", lambda dialog: (fired.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("console", lambda message: MARK in message.text and fired.append(f"console: {message.text}"))
    return fired


def test_script_in_tree_titles_and_conversation_text_never_runs(admin: Any, api: Any, chat: Any) -> None:
    # GIVEN FAQ nodes titled with script (titles are plain text: stored as given)
    titles = [f"{payload[:48]} {api.marker}" for payload in PAYLOADS]
    top = api("POST", "/trees/faq/nodes", {"parent_id": "root", "title": titles[0]}, 201)
    for title in titles[1:]:
        api("POST", "/trees/faq/nodes", {"parent_id": top["node_id"], "title": title}, 201)
    # AND a customer who wrote script to support in the chat
    user_id = page_tests.logged_in_customer(chat)
    chat.press("💬 Задать вопрос")
    question = " ".join(PAYLOADS)
    chat.send(question)
    expect(chat.bot_says("✅ Отправлено в поддержку.")).to_be_visible()
    fired = watch(admin.page)

    # WHEN the admin opens the FAQ tree and the node
    admin.sign_in()
    for title in titles:
        expect(admin.node(title)).to_have_count(1)  # shown as text, exactly
    admin.select(titles[0])
    # AND the customer's conversation
    admin.tab_conversations.click()
    item = admin.page.locator(f'[data-testid=conversation-item][data-user-id="{user_id}"]')
    # The preview is the message's first characters, as text
    expect(item.get_by_test_id("conversation-last")).to_have_text(question[:PREVIEW_CHARS])
    item.click()
    expect(admin.thread_message.filter(has_text=question)).to_have_count(1)

    # THEN nothing ran: no dialog, no console marker, and no element the payloads would create
    injected = admin.page.evaluate(
        "() => document.querySelectorAll('img[src=x], svg[onload], [onerror], script:not([src])').length"
    )
    figures.count(SECTION, ENTRY, "inputs tried", len(titles) + 1)
    figures.count(SECTION, ENTRY, "scripts run", len(fired) + injected)
    assert fired == []
    assert injected == 0


def test_data_routes_refuse_what_a_browser_sends_on_its_own(admin: Any, stack: Any) -> None:
    # GIVEN the admin signed in in the page (the key is in the page, not in a cookie)
    admin.sign_in()
    assert admin.page.context.cookies() == []
    # WHEN a request without the key reaches each data route (as a form post, an image or a
    # cross-site fetch would: the browser adds cookies, never the X-Api-Key header)
    document = requests.get(stack.api_url + "/v1/admin/openapi.json", timeout=10).json()
    refused = tried = 0
    for path, operations in document["paths"].items():
        url = stack.api_url + re.sub(r"\{[^}]+\}", "1", path)
        for method in operations:
            answer = requests.request(
                method.upper(),
                url,
                data="x=1",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=10,
            )
            tried += 1
            refused += answer.status_code == 401 and "set-cookie" not in answer.headers
    # THEN every one is refused (401), and no answer sets a cookie
    figures.count(SECTION, "admin API without the key (CSRF surface)", "inputs tried", tried)
    figures.count(
        SECTION, "admin API without the key (CSRF surface)", "requests let through", tried - refused
    )
    assert tried > 10
    assert refused == tried
