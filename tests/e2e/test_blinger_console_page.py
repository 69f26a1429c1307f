"""The Blinger console's page at a phone's width: usable, nothing wider than the screen."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.blinger import BlingerConsole

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

TOKEN = "test-app-token"  # an obviously fake value
CHANNEL = "telegram"
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture
def console() -> Iterator[BlingerConsole]:
    with BlingerConsole(TOKEN, CHANNEL) as console:
        yield console


def test_phone_width_has_no_horizontal_scroll(console: BlingerConsole) -> None:
    expect = sync_api.expect
    # GIVEN a customer's long question with the order in the customer info
    question = {"custom_channel_id": CHANNEL, "client_id": "tg-42", "type": "text", "client_name": "Анна",
                "client_phone": "+79001234567", "data": "Где мой заказ? " + "очень-длинное-слово-" * 12,
                "info": {"user_type": "customer", "order": "№10265", "order_id": "A10000"}}  # fmt: skip
    r = requests.post(
        console.send_url, json=question, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    )
    assert r.status_code == 200, r.text
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page: Any = browser.new_page(viewport={"width": 375, "height": 740}, locale="en-US")
            page.set_default_timeout(5000)
            page.goto(console.base_url + "/")
            # WHEN the operator opens the conversation on a phone
            page.get_by_test_id("conversation-item").first.click()
            expect(page.get_by_test_id("thread-title")).to_have_text("Анна")
            # THEN the list, the thread, its buttons and the reply form fit the screen's width
            for testid in ("conversation-list", "message-list", "close-button", "reply-text", "reply-send"):
                expect(page.get_by_test_id(testid)).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            # AND times are 24-hour, as in the web chat (an en-US browser would say "AM")
            expect(page.get_by_test_id("message-list")).to_contain_text(re.compile(r"\b\d\d:\d\d\b"))
            expect(page.get_by_test_id("message-list")).not_to_contain_text(re.compile(r"[AP]M"))
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "blinger-console-375px.png"))
        finally:
            browser.close()
