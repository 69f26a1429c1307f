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
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
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
        self.received: list[dict[str, Any]] = []  # every update that reached the bot, in order
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
        self.received.append(update)
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
        if "message" not in update:
            return None  # an edited_message: received, not answered
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
def bot_and_stack() -> Iterator[tuple[_Bot, World, BotApiServer]]:
    # The echo bot answers every line at once: Telegram's per-chat pace is not what these tests are about.
    world = World(token=TOKEN, rate_limits=False)
    world.add_user(700000001, first_name="Ann", phone_number="+79990001122", language_code="ru")
    with BotApiServer(world) as server:
        bot = _Bot(server.base_url)
        threading.Thread(target=bot.httpd.serve_forever, args=(0.05,), daemon=True).start()
        bot.call("setWebhook", url=bot.url, secret_token="e2e-secret")
        yield bot, world, server
        bot.httpd.shutdown()


@pytest.fixture
def sandbox_stack(bot_and_stack: tuple[_Bot, World, BotApiServer]) -> tuple[World, BotApiServer]:
    return bot_and_stack[1], bot_and_stack[2]


@pytest.fixture
def viewport() -> dict[str, int]:
    return {"width": 1280, "height": 800}


@pytest.fixture
def page(
    sandbox_stack: tuple[World, BotApiServer], request: pytest.FixtureRequest, viewport: dict[str, int]
) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=viewport, timezone_id="Europe/Moscow", locale="en-US")
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


def _received(bot: _Bot, kind: str = "message") -> list[dict[str, Any]]:
    return [u[kind] for u in bot.received if kind in u]


def _wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the bot did not get it in time"
        time.sleep(0.05)


def _attach(page: Any, item: str) -> None:
    page.get_by_test_id("attach-button").click()
    page.get_by_test_id(f"attach-{item}").click()


def test_album_document_sticker_location_venue_contact_and_edit_reach_the_bot(
    page: Any, bot_and_stack: tuple[_Bot, World, BotApiServer], tmp_path: Path
) -> None:
    expect = sync_api.expect
    bot, world, _ = bot_and_stack
    page.get_by_test_id("user-item").filter(has_text="Ann").click()
    # WHEN Ann picks three photos at once with a caption THEN the bot gets one album of three
    photos = []
    for n in range(3):
        photos.append(tmp_path / f"p{n}.png")
        photos[-1].write_bytes(PNG)
    page.get_by_test_id("text-input").fill("three boxes")
    page.get_by_test_id("photo-input").set_input_files([str(p) for p in photos])
    expect(page.get_by_test_id("message-photo")).to_have_count(3)
    _wait_for(lambda: len([m for m in _received(bot) if "photo" in m]) == 3)
    album = [m for m in _received(bot) if "photo" in m]
    assert len({m["media_group_id"] for m in album}) == 1
    assert album[0]["caption"] == "three boxes"
    # WHEN she sends a file THEN a document with its name and type
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4 receipt")
    page.get_by_test_id("document-input").set_input_files(str(receipt))
    expect(page.get_by_test_id("message-document")).to_have_text("📎 receipt.pdf")
    _wait_for(lambda: any("document" in m for m in _received(bot)))
    document = next(m["document"] for m in _received(bot) if "document" in m)
    assert (document["file_name"], document["mime_type"]) == ("receipt.pdf", "application/pdf")
    # WHEN she sends a sticker
    _attach(page, "sticker")
    page.get_by_test_id("dialog-emoji").select_option("🔥")
    page.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("message-sticker")).to_have_text("🔥")
    # AND a location, and a venue
    _attach(page, "location")
    page.get_by_test_id("dialog-latitude").fill("55.7558")
    page.get_by_test_id("dialog-longitude").fill("37.6173")
    page.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("message-location")).to_contain_text("55.75580, 37.61730")
    _attach(page, "venue")
    page.get_by_test_id("dialog-title").fill("Склад №2")
    page.get_by_test_id("dialog-address").fill("ул. Складская, 1")
    page.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("message-venue")).to_contain_text("Склад №2")
    # AND someone else's contact
    _attach(page, "contact")
    page.get_by_test_id("dialog-contact_user_id").select_option("")
    page.get_by_test_id("dialog-first_name").fill("Vera")
    page.get_by_test_id("dialog-phone_number").fill("+79001112233")
    page.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("message-contact")).to_contain_text("Vera +79001112233")
    _wait_for(lambda: any("contact" in m for m in _received(bot)))
    kinds = {k for m in _received(bot) for k in ("sticker", "location", "venue", "contact") if k in m}
    assert kinds == {"sticker", "location", "venue", "contact"}
    sticker = next(m["sticker"] for m in _received(bot) if "sticker" in m)
    assert (sticker["emoji"], sticker["type"]) == ("🔥", "regular")
    assert next(m["contact"] for m in _received(bot) if "contact" in m) == {
        "phone_number": "+79001112233",
        "first_name": "Vera",
    }
    # WHEN she sends a text and edits it THEN the bot gets an edited_message
    page.get_by_test_id("text-input").fill("helo")
    page.get_by_test_id("text-input").press("Enter")
    typed = _bubbles(page).filter(has_text="helo").first
    expect(typed).to_be_visible()
    mine = page.locator(f"[data-message-id='{typed.get_attribute('data-message-id')}']")
    mine.get_by_test_id("edit-action").click()
    expect(page.get_by_test_id("text-input")).to_have_value("helo")
    page.get_by_test_id("text-input").fill("hello")
    page.get_by_test_id("text-input").press("Enter")
    expect(mine.get_by_test_id("message-edited")).to_be_visible()
    expect(mine.get_by_test_id("message-text")).to_have_text("hello")
    _wait_for(lambda: bool(_received(bot, "edited_message")))
    assert _received(bot, "edited_message")[0]["text"] == "hello"
    # AND every update the page produced is one Telegram could send (the world checks each)
    assert all(u in world.updates for u in bot.received)
    _screenshot(page, "web-chat-inputs")


def test_a_reply_and_a_voice_message_reach_the_bot(
    page: Any, bot_and_stack: tuple[_Bot, World, BotApiServer], tmp_path: Path
) -> None:
    expect = sync_api.expect
    bot, _, _ = bot_and_stack
    page.get_by_test_id("user-item").filter(has_text="Ann").click()
    page.get_by_test_id("text-input").fill("ping")
    page.get_by_test_id("text-input").press("Enter")
    echo = _bubbles(page).filter(has_text="Echo: ping")
    expect(echo).to_be_visible()
    # WHEN she replies to the bot's echo with a voice message
    echo.get_by_test_id("reply-action").click()
    voice = tmp_path / "voice.ogg"
    voice.write_bytes(b"OggS not really audio")
    _attach(page, "voice")  # opens the file chooser; the file is set on its input directly
    page.get_by_test_id("voice-input").set_input_files(str(voice))
    expect(page.get_by_test_id("message-voice")).to_be_visible()
    _wait_for(lambda: any("voice" in m for m in _received(bot)))
    message = next(m for m in _received(bot) if "voice" in m)
    assert message["reply_to_message"]["text"] == "Echo: ping"
    assert message["voice"]["mime_type"] == "audio/ogg"


def test_any_user_can_be_given_a_phone_that_her_contact_shares(
    page: Any, sandbox_stack: tuple[World, BotApiServer]
) -> None:
    expect = sync_api.expect
    world, _ = sandbox_stack
    world.add_user(1003, first_name="Склад", language_code="ru")  # created without a phone
    page.reload()
    page.get_by_test_id("user-item").filter(has_text="Склад").click()
    # WHEN she changes her phone in the chat header THEN the list shows it
    page.get_by_test_id("phone-edit").click()
    page.get_by_test_id("dialog-phone_number").fill("+79000000003")
    page.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("user-item").filter(has_text="Склад")).to_contain_text("+79000000003")
    # AND her own contact shares it (no "has no phone number" refusal)
    _attach(page, "contact")
    page.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("message-contact")).to_contain_text("+79000000003")
    expect(page.get_by_test_id("error")).to_have_count(0)


def test_times_are_the_viewers_24_hour_clock(page: Any, sandbox_stack: tuple[World, BotApiServer]) -> None:
    world, _ = sandbox_stack
    # GIVEN a message sent at 21:26 UTC, read in Moscow (UTC+3) with an en-US locale (12-hour by default)
    sent = datetime(2026, 12, 1, 21, 26, 40, tzinfo=UTC).timestamp()
    world.clock = lambda: sent
    late = world.user_sends_text(700000001, "late")["message"]["message_id"]
    page.get_by_test_id("user-item").filter(has_text="Ann").click()
    # THEN its time reads 00:26, the viewer's 24-hour time
    meta = page.locator(f"[data-message-id='{late}'] .meta")
    sync_api.expect(meta).to_contain_text("00:26")


def test_the_chat_follows_the_newest_message_also_after_images_load(
    page: Any, sandbox_stack: tuple[World, BotApiServer]
) -> None:
    expect = sync_api.expect
    world, server = sandbox_stack
    # GIVEN a long chat whose last messages are photos (their height is known only once loaded)
    for n in range(30):
        world.user_sends_text(700000001, f"line {n}")
    big = _png(300, 600)
    for _ in range(2):
        world.user_sends_photo(700000001, big, mime_type="image/png")
    page.get_by_test_id("user-item").filter(has_text="Ann").click()
    expect(page.get_by_test_id("message-photo")).to_have_count(2)
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=message-photo]')].every(i => i.complete)"
    )
    # THEN the list is scrolled to its very end
    page.wait_for_function(_AT_BOTTOM)
    # WHEN the bot answers while the viewer is at the end THEN it follows again
    requests.post(
        f"{server.base_url}/bot{TOKEN}/sendMessage", json={"chat_id": 700000001, "text": "newest"}, timeout=5
    )
    expect(_bubbles(page).filter(has_text="newest")).to_be_in_viewport()
    page.wait_for_function(_AT_BOTTOM)


_AT_BOTTOM = "(() => { const m = document.querySelector('[data-testid=message-list]'); return m.scrollHeight - m.scrollTop - m.clientHeight < 2; })()"


def test_in_a_group_the_acting_person_defaults_to_a_member(
    page: Any, sandbox_stack: tuple[World, BotApiServer]
) -> None:
    world, _ = sandbox_stack
    world.add_user(1003, first_name="Kladovshchik", phone_number="+79000000003")
    world.add_group(-1001999000001, "Warehouse", members=(1003,))
    page.reload()
    # GIVEN Ann (not a member) chosen WHEN the warehouse group is opened THEN its member acts
    page.get_by_test_id("user-item").filter(has_text="Ann").click()
    page.get_by_test_id("group-item").filter(has_text="Warehouse").click()
    sync_api.expect(page.get_by_test_id("acting-user")).to_have_value("1003")


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 740}])
def test_phone_width_has_no_horizontal_scroll(page: Any, sandbox_stack: tuple[World, BotApiServer]) -> None:
    expect = sync_api.expect
    world, _ = sandbox_stack
    world.user_sends_text(700000001, "a-very-long-word-" * 12)
    world.user_sends_photo(700000001, _png(1200, 300), mime_type="image/png")
    # GIVEN a phone-wide window THEN the people list shows first, and opens the chat full width
    page.get_by_test_id("user-item").filter(has_text="Ann").click()
    expect(page.get_by_test_id("message-photo")).to_be_visible()
    expect(page.get_by_test_id("open-sidebar")).to_be_visible()
    page.get_by_test_id("text-input").fill("/start")
    page.get_by_test_id("send-button").click()
    expect(page.get_by_test_id("reply-button")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate("document.querySelector('[data-testid=message-list]').scrollWidth") <= 375
    _screenshot(page, "web-chat-375px")
    # AND the attach menu and the people list fit too
    page.get_by_test_id("attach-button").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_test_id("attach-button").click()
    page.get_by_test_id("open-sidebar").click()
    expect(page.get_by_test_id("user-list")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_page_has_a_favicon(sandbox_stack: tuple[World, BotApiServer], page: Any) -> None:
    _, server = sandbox_stack
    href = page.locator("link[rel=icon]").get_attribute("href")
    for path in (href, "/favicon.ico"):
        r = requests.get(server.base_url + path, timeout=5)
        assert (r.status_code, r.headers["Content-Type"]) == (200, "image/svg+xml")


def _png(width: int, height: int) -> bytes:
    """A real (grey) PNG of this size, so the page lays it out as the browser decodes it."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x00\x00\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
