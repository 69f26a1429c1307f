"""The bot's side: customers' messages posted to BLINGER_API_URL, checked as Blinger's contract says."""

from __future__ import annotations

import time

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.blinger import BlingerConsole

from .conftest import CHANNEL, message


def test_missing_token_is_401_and_nothing_stored(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a post without Authorization WHEN sent
    answer = post(message(), token=None)
    # THEN 401 with a JSON error, no conversation, and the call is recorded with its status
    assert answer.status_code == 401
    assert answer.json()["ok"] is False
    assert console.conversation("1001") is None
    assert [(c.method, c.status, c.body) for c in console.calls] == [("POST", 401, message())]


@pytest.mark.parametrize(
    "authorization", ["Bearer wrong-token", "Basic blinger-app-token", "blinger-app-token"]
)
def test_wrong_token_is_403(console: BlingerConsole, authorization: str) -> None:
    # GIVEN an Authorization header that is not "Bearer <the app token>" WHEN the bot posts
    answer = requests.post(
        console.send_url, json=message(), headers={"Authorization": authorization}, timeout=5
    )
    # THEN 403, nothing stored
    assert answer.status_code == 403
    assert console.conversations() == []


def test_wrong_channel_is_403_and_missing_channel_is_400(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the right token WHEN the channel id is another app's THEN 403 (not this token's channel)
    assert post(message(custom_channel_id="other-app")).status_code == 403
    # WHEN it is missing THEN 400 like any missing required field
    answer = post(message(custom_channel_id=None))
    assert answer.status_code == 400
    assert "custom_channel_id" in answer.json()["error"]
    assert console.conversations() == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (message(client_id=None), "client_id"),
        (message(type=None), "type"),
        (message(data=None), "data"),
        (message(type="video"), "type must be one of text, image, file"),
        (message(data=42), "data must be a string"),
        (message(data="   "), "data is empty"),
        (message(info="order 7"), "info must be a JSON object"),
        (message(info=[1]), "info must be a JSON object"),
        (message(client_id=True), "client_id"),
        (message(client_name=5), "client_name must be a string"),
        (message(echo="yes"), "echo must be a boolean"),
        (message(type="image", data="AgACAgIAAxkBAAIB"), "http(s) URL"),
        (message(type="file", data="javascript:alert(1)"), "http(s) URL"),
    ],
)
def test_malformed_bodies_are_400(console: BlingerConsole, post, body, error: str) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the right token and channel WHEN the body breaks the contract
    answer = post(body)
    # THEN 400 with a JSON error naming the problem, nothing stored
    assert answer.status_code == 400
    assert answer.json()["ok"] is False
    assert error in answer.json()["error"]
    assert console.conversations() == []


def test_oversized_body_is_413(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a text over 1 MB WHEN posted
    answer = post(message(data="x" * (1024 * 1024 + 1)))
    # THEN 413, nothing stored, and the call is recorded without its bytes
    assert answer.status_code == 413
    assert console.conversations() == []
    assert (console.calls[-1].status, console.calls[-1].raw) == (413, b"")


def test_text_is_stored_in_the_clients_conversation_with_info(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a customer's question with the order being discussed
    info = {"username": "@ann", "user_type": "customer", "order": {"number": "A-1007", "total": "12 990 ₽"}}
    # WHEN the bot posts it, then another customer writes
    first = post(
        message(client_name="Ann Lee", client_phone="+79990001122", info=info, data="Где мой заказ?")
    )
    post(message(client_id="2002", data="Hi"))
    # THEN 200 with a message id, and the message sits in Ann's conversation with her name, phone, info
    assert first.status_code == 200
    assert first.json() == {"ok": True, "message_id": 1}
    ann = console.conversation("1001")
    assert ann is not None
    assert (ann.client_name, ann.client_phone, ann.info, ann.unread) == ("Ann Lee", "+79990001122", info, 1)
    assert [(m.direction, m.type, m.data, m.status) for m in ann.messages] == [
        ("in", "text", "Где мой заказ?", "received")
    ]
    assert ann.messages[0].time.endswith("Z")
    # AND the other customer has a conversation of their own; the newest is listed first
    assert [c.client_id for c in console.conversations()] == ["2002", "1001"]


def test_image_and_file_keep_their_urls_in_order(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN an album and a document as consecutive posts (presigned URLs; nothing is fetched)
    urls = [
        "https://bucket.s3.amazonaws.com/a.jpg?X-Amz-Signature=1",
        "https://bucket.s3.amazonaws.com/b.jpg",
    ]
    for url in urls:
        assert post(message(type="image", data=url)).status_code == 200
    assert post(message(type="file", data="http://127.0.0.1:9/receipt.pdf")).status_code == 200
    # THEN they are stored in order, URLs untouched
    conv = console.conversation(1001)  # an integer client_id means the same client
    assert conv is not None
    assert [(m.type, m.data) for m in conv.messages] == [
        ("image", urls[0]),
        ("image", urls[1]),
        ("file", "http://127.0.0.1:9/receipt.pdf"),
    ]


def test_integer_client_id_and_later_details_update_the_conversation(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a first post without details WHEN a later one (integer client_id) carries name and info
    post(message())
    post(message(client_id=1001, client_name="Ann", info={"order": "A-1"}))
    # THEN one conversation, updated; a post without info keeps the last one
    post(message(data="again"))
    conv = console.conversation("1001")
    assert conv is not None
    assert (len(console.conversations()), conv.client_name, conv.info, conv.unread) == (
        1,
        "Ann",
        {"order": "A-1"},
        3,
    )


def test_echo_outgoing_is_shown_as_outgoing_and_not_unread(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the bot echoes its own automatic answer WHEN posted with echo_outgoing
    post(message(data="Your order is on its way", echo=True, echo_outgoing=True))
    # THEN it is an outgoing echo, not waiting for the operator
    conv = console.conversation("1001")
    assert conv is not None
    assert [(m.direction, m.status) for m in conv.messages] == [("out", "echo")]
    assert conv.unread == 0


def test_fail_next_answers_the_status_and_stores_nothing(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN Blinger told to fail twice with 502
    console.fail_next(status=502, times=2)
    # WHEN the bot posts three times
    statuses = [post(message(data=f"m{i}")).status_code for i in range(3)]
    # THEN two 502s, then the third is served; only it is stored, and all three are recorded
    assert statuses == [502, 502, 200]
    conv = console.conversation("1001")
    assert conv is not None
    assert [m.data for m in conv.messages] == ["m2"]
    assert [c.status for c in console.calls] == [502, 502, 200]


def test_fail_next_applies_before_the_token_check(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN an outage WHEN even a post with a wrong token comes THEN the outage answers
    console.fail_next(status=500)
    assert post(message(), token="wrong").status_code == 500
    assert post(message(), token="wrong").status_code == 403


def test_delay_makes_the_bots_client_time_out(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN Blinger hangs 1 s then answers 503 WHEN the bot's client waits 0.2 s
    console.fail_next(status=503, delay=1.0)
    with pytest.raises(requests.Timeout):
        post(message(), timeout=0.2)
    # THEN nothing is stored, and the next post goes through at once
    started = time.monotonic()
    assert post(message(data="retry")).status_code == 200
    assert time.monotonic() - started < 0.5
    conv = console.conversation("1001")
    assert conv is not None
    assert [m.data for m in conv.messages] == ["retry"]


def test_slow_blinger_stores_the_message_even_when_the_client_gave_up(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a slow Blinger (status None: serve normally after the delay)
    console.fail_next(status=None, delay=0.5)
    # WHEN the bot's client gives up before the answer
    with pytest.raises(requests.Timeout):
        post(message(data="slow"), timeout=0.1)
    # THEN the message still arrives: the window for a duplicate if the bot retries
    deadline = time.monotonic() + 3
    while console.conversation("1001") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    conv = console.conversation("1001")
    assert conv is not None
    assert [m.data for m in conv.messages] == ["slow"]


def test_delayed_failure_waits_then_answers(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a 500 after 0.3 s WHEN the bot waits long enough THEN it gets the 500 after the delay
    console.fail_next(status=500, delay=0.3)
    started = time.monotonic()
    assert post(message()).status_code == 500
    assert time.monotonic() - started >= 0.3


def test_get_on_the_send_url_and_unknown_paths(console: BlingerConsole) -> None:
    # GIVEN the console WHEN the bot uses GET or a wrong URL THEN 405 / 404, both recorded
    assert requests.get(console.send_url, timeout=5).status_code == 405
    assert requests.post(console.base_url + "/api/messages", json={}, timeout=5).status_code == 404
    assert [(c.method, c.path, c.status) for c in console.calls] == [
        ("GET", "/api/custom-app/messages", 405),
        ("POST", "/api/messages", 404),
    ]


def test_reset_forgets_everything(console: BlingerConsole, post) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a conversation, a recorded call and a pending failure WHEN reset
    post(message())
    console.fail_next(500)
    console.reset()
    # THEN all is gone and ids start again
    assert (console.conversations(), console.calls) == ([], [])
    assert post(message()).json() == {"ok": True, "message_id": 1}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=200).filter(str.strip), client=st.text(min_size=1, max_size=20))
def test_any_text_comes_back_exactly(console: BlingerConsole, text: str, client: str) -> None:
    # GIVEN any non-blank text and client id WHEN posted
    answer = requests.post(
        console.send_url,
        json={"custom_channel_id": CHANNEL, "client_id": client, "type": "text", "data": text},
        headers={"Authorization": "Bearer blinger-app-token"},
        timeout=5,
    )
    # THEN stored exactly as sent
    assert answer.status_code == 200
    conv = console.conversation(client)
    assert conv is not None
    assert conv.messages[-1].data == text
