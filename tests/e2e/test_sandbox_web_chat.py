"""The sandbox web chat in a real browser (Playwright + Debian's /usr/bin/chromium).

A small webhook bot runs in-process: it asks for the phone with a request_contact reply keyboard,
shows a menu with inline buttons after the contact, answers presses with a toast and edits the
menu, deletes a message on request, and echoes text (escaped). The test drives the page only
through its data-testid attributes, as the local-stack browser tests will.

Skipped when Playwright or Chromium is not installed; failures save a screenshot under
tests/e2e/screenshots/.
"""

from __future__ import annotations

import html
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.botapi import BotApiServer, World

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

TOKEN = "123456:TEST-TOKEN"
SHARE = "📱 Поделиться номером телефона"
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or Path(__file__).with_name("screenshots"))
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


class _Bot:
    """A tiny webhook bot calling the stand-in like a real one (and once via its webhook answer)."""

    def __init__(self, api: str) -> None:
        self.api = api
        bot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                assert self.headers["X-Telegram-Bot-Api-Secret-Token"] == "e2e-secret"
                update = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer = bot.handle(update)
                data = json.dumps(answer).encode() if answer else b""
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/telegram/webhook"

    def call(self, method: str, **params: Any) -> Any:
        body = requests.post(f"{self.api}/bot{TOKEN}/{method}", json=params, timeout=10).json()
        assert body["ok"], body
        return body["result"]

    def handle(self, update: dict[str, Any]) -> dict[str, Any] | None:
        if "callback_query" in update:
            q = update["callback_query"]
            chat, message_id = q["message"]["chat"]["id"], q["message"]["message_id"]
            if q["data"] == "orders":
                self.call("answerCallbackQuery", callback_query_id=q["id"], text="Loading orders…")
                self.call("editMessageText", chat_id=chat, message_id=message_id, text="<b>Orders</b>: 2 open",
                          parse_mode="HTML", reply_markup=_menu(back=True))  # fmt: skip
            elif q["data"] == "back":
                self.call("answerCallbackQuery", callback_query_id=q["id"])
                self.call("editMessageText", chat_id=chat, message_id=message_id, text="Main menu",
                          reply_markup=_menu())  # fmt: skip
            elif q["data"] == "alert":
                self.call(
                    "answerCallbackQuery", callback_query_id=q["id"], text="Are you sure?", show_alert=True
                )
            return None
        m = update["message"]
        chat = m["chat"]["id"]
        if m.get("text") == "/start":
            keyboard = {"keyboard": [[{"text": SHARE, "request_contact": True}]], "resize_keyboard": True}
            self.call(
                "sendMessage", chat_id=chat, text="Hi! Share your phone to log in.", reply_markup=keyboard
            )
        elif "contact" in m:
            self.call("sendMessage", chat_id=chat, text=f"Logged in as {m['contact']['phone_number']}",
                      reply_markup={"remove_keyboard": True})  # fmt: skip
            self.call("sendMessage", chat_id=chat, text="Main menu", reply_markup=_menu())
        elif "photo" in m:
            path = self.call("getFile", file_id=m["photo"][-1]["file_id"])["file_path"]
            size = len(requests.get(f"{self.api}/file/bot{TOKEN}/{path}", timeout=5).content)
            return {
                "method": "sendMessage",
                "chat_id": chat,
                "text": f"Photo of {size} bytes: {m.get('caption')}",
            }
        elif m.get("text") == "delete me":
            sent = self.call("sendMessage", chat_id=chat, text="short-lived")
            self.call("deleteMessage", chat_id=chat, message_id=sent["message_id"])
        elif "text" in m:
            # answered through the webhook response, as Telegram allows
            return {"method": "sendMessage", "chat_id": chat, "parse_mode": "HTML",
                    "text": f"Echo: <i>{html.escape(m['text'])}</i>"}  # fmt: skip
        return None


def _menu(back: bool = False) -> dict[str, Any]:
    rows = [
        [{"text": "📦 Orders", "callback_data": "orders"}, {"text": "❓ Alert", "callback_data": "alert"}]
    ]
    if back:
        rows = [[{"text": "⬅️ Back", "callback_data": "back"}]]
    return {"inline_keyboard": rows}


@pytest.fixture
def sandbox_stack() -> Iterator[tuple[World, BotApiServer]]:
    world = World(token=TOKEN)
    world.add_user(700000001, first_name="Ann", phone_number="+79990001122", language_code="ru")
    with BotApiServer(world) as server:
        bot = _Bot(server.base_url)
        threading.Thread(target=bot.httpd.serve_forever, args=(0.05,), daemon=True).start()
        bot.call("setWebhook", url=bot.url, secret_token="e2e-secret")
        yield world, server
        bot.httpd.shutdown()


@pytest.fixture
def page(sandbox_stack: tuple[World, BotApiServer], request: pytest.FixtureRequest) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_default_timeout(5000)
        page.goto(sandbox_stack[1].sandbox_url)
        failed_before = request.session.testsfailed
        yield page
        if request.session.testsfailed > failed_before:
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
        browser.close()


def _bubbles(page: Any) -> Any:
    return page.get_by_test_id("message")


def test_login_menu_edit_toast_and_alert(page: Any, sandbox_stack: tuple[World, BotApiServer]) -> None:
    expect = sync_api.expect
    world, _ = sandbox_stack
    # GIVEN the page WHEN Ann is chosen and sends /start
    page.get_by_test_id("user-item").filter(has_text="Ann").click()
    page.get_by_test_id("text-input").fill("/start")
    page.get_by_test_id("send-button").click()
    # THEN the bot's greeting and the request_contact reply keyboard appear
    expect(_bubbles(page).last).to_contain_text("Share your phone")
    share = page.get_by_test_id("reply-button").filter(has_text=SHARE)
    expect(share).to_have_attribute("data-request-contact", "true")
    # WHEN she shares her phone
    share.click()
    # THEN her contact, the login and the menu show; the reply keyboard is removed
    expect(page.get_by_test_id("message-contact")).to_contain_text("+79990001122")
    expect(page.get_by_test_id("message-text").filter(has_text="Logged in as +79990001122")).to_be_visible()
    expect(page.get_by_test_id("reply-keyboard")).to_be_hidden()
    menu = _bubbles(page).last
    expect(menu).to_contain_text("Main menu")
    # WHEN she presses "Orders" THEN a toast, and the same message is edited in place
    menu.get_by_test_id("inline-button").filter(has_text="Orders").click()
    expect(page.get_by_test_id("toast")).to_have_text("Loading orders…")
    expect(menu.get_by_test_id("message-text")).to_have_text("Orders: 2 open")
    expect(menu.locator("b")).to_have_text("Orders")
    expect(menu.get_by_test_id("message-edited")).to_be_visible()
    # WHEN she goes back and presses the alert button THEN an alert box to dismiss
    menu.get_by_test_id("inline-button").filter(has_text="Back").click()
    expect(menu.get_by_test_id("message-text")).to_have_text("Main menu")
    menu.get_by_test_id("inline-button").filter(has_text="Alert").click()
    expect(page.get_by_test_id("alert-text")).to_have_text("Are you sure?")
    page.get_by_test_id("alert-ok").click()
    expect(page.get_by_test_id("alert")).to_be_hidden()
    # AND the world saw exactly the presses
    assert [q.data for q in world.callback_queries.values()] == ["orders", "back", "alert"]


def test_text_stays_text_photos_upload_and_deletions_vanish(page: Any, tmp_path: Path) -> None:
    expect = sync_api.expect
    page.get_by_test_id("user-item").first.click()
    # WHEN the user types markup THEN her bubble and the echo show it as text (no element injected)
    page.get_by_test_id("text-input").fill("<img src=x onerror=alert(1)><b>hi</b>")
    page.get_by_test_id("text-input").press("Enter")
    echo = page.get_by_test_id("message-text").filter(has_text="Echo:")
    expect(echo).to_have_text("Echo: <img src=x onerror=alert(1)><b>hi</b>")
    assert page.locator("[data-testid=message-list] img").count() == 0
    expect(echo.locator("i")).to_have_count(1)
    # WHEN she uploads a photo with a caption THEN it shows, and the bot could download it
    photo = tmp_path / "box.png"
    photo.write_bytes(PNG)
    page.get_by_test_id("text-input").fill("the box")
    page.get_by_test_id("photo-input").set_input_files(str(photo))
    expect(page.get_by_test_id("message-photo")).to_be_visible()
    expect(page.get_by_test_id("message-caption")).to_have_text("the box")
    expect(_bubbles(page).last).to_contain_text(f"Photo of {len(PNG)} bytes: the box")
    # WHEN the bot sends and deletes a message THEN it is gone from the page
    page.get_by_test_id("text-input").fill("delete me")
    page.get_by_test_id("send-button").click()
    expect(_bubbles(page).filter(has_text="delete me")).to_have_count(1)
    expect(_bubbles(page).filter(has_text="short-lived")).to_have_count(0)


def test_new_user_and_group_reply(page: Any, sandbox_stack: tuple[World, BotApiServer]) -> None:
    expect = sync_api.expect
    world, _ = sandbox_stack
    # WHEN a user is created in the form THEN she is listed and selected
    page.get_by_test_id("new-user-first-name").fill("Boris")
    page.get_by_test_id("new-user-username").fill("boris_w")
    page.get_by_test_id("new-user-phone").fill("+79995554433")
    page.get_by_test_id("new-user-language").select_option("en")
    page.get_by_test_id("new-user-submit").click()
    expect(page.get_by_test_id("chat-title")).to_have_text("Boris")
    boris = next(u for u in world.users.values() if u.first_name == "Boris")
    assert (boris.username, boris.phone_number, boris.language_code) == ("boris_w", "+79995554433", "en")
    # WHEN a warehouse group is created and the bot posts there
    page.get_by_text("New group").click()
    page.get_by_test_id("new-group-title").fill("Warehouse")
    page.get_by_test_id("new-group-id").fill("-1009998887776")
    page.get_by_test_id("new-group-submit").click()
    expect(page.get_by_test_id("group-item").filter(has_text="Warehouse")).to_be_visible()
    requests.post(
        f"{sandbox_stack[1].base_url}/bot{TOKEN}/sendMessage",
        json={"chat_id": -1009998887776, "text": "Order 7: photo please"},
        timeout=5,
    )
    order = _bubbles(page).filter(has_text="Order 7")
    expect(order).to_be_visible()
    # THEN Boris can reply to it in the group
    order.get_by_test_id("reply-action").click()
    expect(page.get_by_test_id("reply-preview")).to_contain_text("Order 7")
    page.get_by_test_id("text-input").fill("on my way")
    page.get_by_test_id("send-button").click()
    expect(page.get_by_test_id("message-reply-to")).to_contain_text("Order 7: photo please")
    replies = [
        u["message"]
        for u in world.updates
        if u.get("message", {}).get("chat", {}).get("id") == -1009998887776
    ]
    assert replies[-1]["reply_to_message"]["text"] == "Order 7: photo please"
    assert replies[-1]["from"]["id"] == boris.id
