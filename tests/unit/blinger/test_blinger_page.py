"""The operator's page: served with stable test ids, its JSON API, and no way for customer text to
become markup."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from infra.blinger import BlingerConsole

from .conftest import FakeBot, message

STATIC = Path(__file__).parents[3] / "infra" / "blinger" / "static"
TEST_IDS = [
    "operator-name",
    "connection-status",
    "conversation-list",
    "conversation-list-empty",
    "no-thread",
    "thread",
    "thread-title",
    "thread-phone",
    "thread-status",
    "thread-info",
    "message-list",
    "reply-form",
    "reply-text",
    "reply-send",
    "image-input",
    "assign-button",
    "unassign-button",
    "close-button",
    "action-status",
]
JS_TEST_IDS = [  # built by console.js for each conversation, message and info row
    "conversation-item",
    "conversation-name",
    "conversation-phone",
    "conversation-last",
    "conversation-unread",
    "conversation-status",
    "message",
    "message-text",
    "message-image",
    "message-file",
    "message-image-link",
    "message-status",
    "thread-info-row",
]


def api(console: BlingerConsole, path: str, body: dict | None = None) -> requests.Response:  # type: ignore[type-arg]
    url = console.base_url + "/console/api/conversations" + path
    if body is None:
        return requests.get(url, timeout=5)
    return requests.post(url, json=body, timeout=5)


def test_page_is_served_with_its_test_ids_and_a_strict_policy(console: BlingerConsole) -> None:
    # GIVEN the console WHEN the page is opened
    page = requests.get(console.base_url + "/", timeout=5)
    # THEN HTML with every main element's data-testid, scripts only from the console itself
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for test_id in TEST_IDS:
        assert f'data-testid="{test_id}"' in page.text, test_id
    # AND its assets are served, and nothing outside static/
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        assert requests.get(console.base_url + asset, timeout=5).status_code == 200
    assert requests.get(console.base_url + "/static/..%2Fconsole.py", timeout=5).status_code == 404
    assert requests.get(console.base_url + "/static/nope.js", timeout=5).status_code == 404
    # AND the page's own requests are not recorded as Blinger calls
    assert console.calls == []


def test_script_builds_the_dynamic_test_ids() -> None:
    script = (STATIC / "console.js").read_text()
    for test_id in JS_TEST_IDS:
        assert f'"{test_id}"' in script, test_id


def test_script_never_parses_html() -> None:
    # GIVEN the page's script THEN no API that turns strings into markup or code is used
    script = (STATIC / "console.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink
    # AND links and images only get URLs that passed the http(s) check
    assert re.findall(r"\.(?:href|src) = (\w+)", script) == ["url", "url"]
    assert "const url = safeUrl(message.data);" in script


def test_customer_script_tag_comes_back_json_escaped(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a customer text, name and info holding markup
    evil = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    post(message(data=evil, client_name=evil, info={"note": evil}))
    # WHEN the page reads the list and the thread
    listing = api(console, "")
    thread = api(console, "/1001")
    # THEN no raw "<" or ">" in the bytes, and the text decodes back exactly
    for answer in (listing, thread):
        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
        assert b"<" not in answer.content
        assert b">" not in answer.content
        assert b"\\u003cscript\\u003e" in answer.content
    assert thread.json()["conversation"]["messages"][0]["data"] == evil
    assert listing.json()["conversations"][0]["client_name"] == evil


def test_listing_polls_by_version(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN one conversation WHEN the page polls with the version it has
    post(message(client_name="Ann", client_phone="+7999", data="Hi"))
    first = api(console, "").json()
    same = api(console, f"?since={first['version']}").json()
    # THEN "nothing changed" without the list
    assert same == {"version": first["version"], "changed": False}
    # AND the list carries what the page shows: name, phone, last message, unread count
    [item] = first["conversations"]
    assert (item["client_name"], item["client_phone"], item["unread"], item["last_message"]["data"]) == (
        "Ann",
        "+7999",
        1,
        "Hi",
    )
    assert "messages" not in item
    # WHEN a new message arrives THEN the version moves
    post(message(data="Hello?"))
    assert api(console, f"?since={first['version']}").json()["changed"] is True


def test_page_actions_use_the_same_path_as_the_hooks(console: BlingerConsole, bot: FakeBot, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a customer's message WHEN the operator opens the thread, takes it and replies from the page
    post(message(data="Hi"))
    assert api(console, "/1001/read", {}).json() == {"ok": True}
    taken = api(console, "/1001/assign", {"operator": "Olga"}).json()
    reply = api(console, "/1001/reply", {"type": "text", "data": "Hello!", "operator": "Olga"}).json()
    closed = api(console, "/1001/close", {}).json()
    # THEN each answer carries the delivery, and the bot got the event, the reply and the close
    assert [taken["delivery"]["ok"], reply["delivery"]["status"], closed["delivery"]["ok"]] == [
        True,
        200,
        True,
    ]
    assert [r.body.get("webhook") or r.body["data"] for r in bot.requests] == [
        "on_conversation_assigned",
        "Hello!",
        "on_conversation_closed",
    ]
    thread = api(console, "/1001").json()["conversation"]
    assert (thread["unread"], thread["status"], thread["messages"][-1]["status"]) == (
        0,
        "closed",
        "delivered",
    )


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/9999/reply", {"type": "text", "data": "Hi"}, 404),
        ("/9999", None, 404),
        ("/1001/reply", {"type": "video", "data": "x"}, 400),
        ("/1001/reply", {"type": "text", "data": ""}, 400),
        ("/1001/explode", {}, 404),
    ],
)
def test_page_api_refusals(console: BlingerConsole, post, path: str, body: dict | None, status: int) -> None:  # type: ignore[no-untyped-def,type-arg]
    post(message())
    answer = api(console, path, body)
    assert answer.status_code == status
    assert answer.json()["ok"] is False


def test_page_api_takes_json_only(console: BlingerConsole, bot: FakeBot, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a customer WHEN another site's plain form posts a reply (no JSON content type)
    post(message())
    answer = requests.post(
        console.base_url + "/console/api/conversations/1001/reply",
        data={"type": "text", "data": "spam"},
        timeout=5,
    )
    # THEN 415 and nothing is sent to the bot
    assert answer.status_code == 415
    assert bot.requests == []
