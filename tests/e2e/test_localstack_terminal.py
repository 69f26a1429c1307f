"""What ``make run`` prints: URLs that all answer (offline), and a line per update and delivery."""

from __future__ import annotations

import re

import requests

from infra.demo import CUSTOMER_PHONE
from tests.e2e.conftest import StackProcess
from tests.e2e.test_localstack_journey import SandboxChat, bot_messages, eventually, is_menu, new_user, tap

URL = re.compile(r"https?://[^\s)]+")


def printed_urls(stack: StackProcess) -> list[str]:
    banner = stack.log.split("ready in")[0]
    return [url for line in banner.splitlines() for url in URL.findall(line)]


def test_every_printed_url_answers_without_the_internet(stack: StackProcess) -> None:
    urls = printed_urls(stack)
    # GIVEN the sandbox, the console, the admin page and Swagger, the API and moto
    assert len(urls) >= 6, stack.log[:2000]
    for url in urls:
        # WHEN each is opened THEN 2xx or 3xx
        r = requests.get(url, timeout=10, allow_redirects=False)
        assert r.status_code < 400, f"{url}: {r.status_code}"
        # AND no page loads a script or a style from elsewhere (works offline)
        if r.headers.get("content-type", "").startswith("text/html"):
            outside = re.findall(r'(?:src|href)="(https?://[^"]+)"', r.text)
            assert [u for u in outside if not u.startswith("http://127.0.0.1")] == [], url


def test_the_api_root_lists_the_routes_and_swagger_takes_a_slash(stack: StackProcess) -> None:
    root = requests.get(stack.api_url + "/", timeout=10)
    assert (root.status_code, root.headers["content-type"]) == (200, "text/html; charset=utf-8")
    for route in ("/v1/telegram/webhook", "/v1/blinger/webhook/", "/v1/admin/{proxy+}"):
        assert route in root.text
    assert f"{stack.telegram_url}/sandbox/" in root.text
    slash = requests.get(stack.api_url + "/v1/admin/swagger/", timeout=10)
    assert slash.status_code == 200
    assert slash.url == stack.api_url + "/v1/admin/swagger"
    assert 'rel="icon"' in slash.text


def test_every_page_has_a_favicon(stack: StackProcess) -> None:
    for page in (stack.api_url + "/", stack.api_url + "/v1/admin/", stack.api_url + "/v1/admin/swagger",
                 stack.telegram_url + "/sandbox/", stack.blinger_url + "/"):  # fmt: skip
        html = requests.get(page, timeout=10).text
        href = re.search(r'<link rel="icon" href="([^"]+)"', html)
        assert href, page
        icon = requests.get(requests.compat.urljoin(page, href.group(1)), timeout=10)
        assert (icon.status_code, icon.headers["content-type"].split(";")[0]) == (200, "image/svg+xml"), page
    assert requests.get(stack.api_url + "/favicon.ico", timeout=10).status_code == 200


def test_a_line_per_update_and_per_delivery_without_the_phone(stack: StackProcess) -> None:
    # GIVEN a sandbox user with the demo customer's phone WHEN she logs in and asks support
    user_id = new_user(stack, "Терминал", CUSTOMER_PHONE)
    chat = SandboxChat(stack.telegram_url, user_id)
    chat.send("/start")
    eventually(lambda: chat.reply_keyboard(), "the login keyboard")
    chat.share_contact()
    eventually(lambda: any(is_menu(m) for m in bot_messages(chat)), "main menu")
    tap(chat, "💬 Задать вопрос", lambda s: "Вопрос в поддержку" in s.text, "support intro")
    chat.send(f"Мой номер {CUSTOMER_PHONE}, где заказ?")
    # THEN the terminal shows each update: who, what, the screen reached and how long it took
    line = rf"update \d+ · user {user_id} · {{}} → {{}} · 200 · \d+ ms"
    eventually(lambda: re.search(line.format("/start", "login"), stack.log), "the /start line")
    # (a line is printed once the webhook answered, a moment after the screen the chat waited for)
    eventually(lambda: re.search(line.format("contact", "main"), stack.log), "the contact's line")
    eventually(lambda: re.search(line.format("button", "support"), stack.log), "the button's line")
    eventually(lambda: re.search(line.format("text", "support"), stack.log), "the question's line")
    # AND the delivery to Blinger with its outcome
    delivered = rf"delivery to blinger · user {user_id} · sent · \d+ ms"
    eventually(lambda: re.search(delivered, stack.log), "the delivery line", 30)
    # AND never the full phone number (the contact, the message) nor a secret
    assert CUSTOMER_PHONE not in stack.log
    assert "local-webhook-secret" not in stack.log
