"""The operator's side: replies and conversation events reach the bot's webhook as Blinger sends them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from infra.blinger import BlingerConsole, UnknownConversationError

from .conftest import CHANNEL, EVENTS_SECRET, TOKEN, WEBHOOK_PATH, FakeBot, message


@pytest.fixture
def ann(post) -> str:  # type: ignore[no-untyped-def]
    """A customer who has written to support."""
    assert post(message(client_name="Ann Lee", client_phone="+79990001122", data="Help")).status_code == 200
    return "1001"


def test_text_reply_is_delivered_with_token_in_body_and_header(
    console: BlingerConsole, bot: FakeBot, ann: str
) -> None:
    # GIVEN Ann's open conversation WHEN the operator replies
    delivery = console.reply(ann, "text", "Hello, Ann! <b>not markup</b>", operator="Olga")
    # THEN the bot's webhook gets exactly Blinger's body with the Bearer header
    assert (delivery.ok, delivery.status) == (True, 200)
    [request] = bot.requests
    assert request.path == WEBHOOK_PATH
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {
        "token": TOKEN,
        "custom_channel_id": CHANNEL,
        "client_id": ann,
        "type": "text",
        "data": "Hello, Ann! <b>not markup</b>",
    }
    # AND the thread shows the reply as delivered, with the operator's name; answering read the thread
    conv = console.conversation(ann)
    assert conv is not None
    out = conv.messages[-1]
    assert (out.direction, out.status, out.delivery_status, out.operator) == ("out", "delivered", 200, "Olga")
    assert conv.unread == 0


def test_failed_delivery_is_recorded_with_the_status(console: BlingerConsole, bot: FakeBot, ann: str) -> None:
    # GIVEN the bot's webhook answering 500 WHEN the operator replies
    bot.status = 500
    delivery = console.reply(ann, "text", "Hello")
    # THEN the reply is marked failed with that status (Blinger does not retry)
    assert (delivery.ok, delivery.status) == (False, 500)
    conv = console.conversation(ann)
    assert conv is not None
    assert (conv.messages[-1].status, conv.messages[-1].delivery_status) == ("failed", 500)
    assert len(bot.requests) == 1


def test_unreachable_bot_is_a_failure_without_status(console: BlingerConsole, ann: str) -> None:
    # GIVEN no bot listening WHEN the operator replies
    console.bot_webhook_url = "http://127.0.0.1:9/v1/blinger/webhook/"
    delivery = console.reply(ann, "text", "Hello")
    # THEN failed, no status, the error says why
    assert (delivery.ok, delivery.status) == (False, None)
    assert "ConnectionError" in (delivery.error or "")
    conv = console.conversation(ann)
    assert conv is not None
    assert conv.messages[-1].status == "failed"


def test_no_webhook_configured_is_a_failure(bot: FakeBot) -> None:
    # GIVEN a console started before the bot's URL is known WHEN a customer writes and is answered
    with BlingerConsole(TOKEN, CHANNEL) as console:
        requests.post(
            console.send_url, json=message(), headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
        )
        delivery = console.reply("1001", "text", "Hello")
    # THEN the reply is failed with a reason
    assert (delivery.ok, delivery.error) == (False, "no bot webhook URL configured")


def test_reply_to_unknown_client_or_bad_type_is_refused(
    console: BlingerConsole, bot: FakeBot, ann: str
) -> None:
    # GIVEN a client who never wrote WHEN the operator replies THEN refused, nothing sent
    with pytest.raises(UnknownConversationError):
        console.reply("9999", "text", "Hello")
    with pytest.raises(ValueError, match="type must be one of"):
        console.reply(ann, "video", "https://example.com/v.mp4")
    with pytest.raises(ValueError, match="http"):
        console.reply(ann, "image", "photo.jpg")
    assert bot.requests == []


def test_uploaded_image_is_served_back_byte_identical_and_delivered_by_url(
    console: BlingerConsole, bot: FakeBot, ann: str
) -> None:
    # GIVEN the operator uploads a photo through the page's endpoint
    photo = bytes(range(256)) * 40
    upload = requests.post(
        console.base_url + "/console/api/files",
        data=photo,
        headers={"X-Filename": "%D1%84%D0%BE%D1%82%D0%BE 1.jpg", "Content-Type": "image/jpeg"},
        timeout=5,
    )
    assert upload.status_code == 200
    url, kind = upload.json()["url"], upload.json()["type"]
    # THEN it is served at {base_url}/files/<id>/<name>, byte-identical, with its type
    assert kind == "image"
    assert url.startswith(console.base_url + "/files/")
    served = requests.get(url, timeout=5)
    assert (served.status_code, served.content, served.headers["Content-Type"]) == (200, photo, "image/jpeg")
    # WHEN the operator sends it THEN the bot gets that URL as an image
    assert console.reply(ann, kind, url).ok
    assert bot.requests[-1].body["type"] == "image"
    assert bot.requests[-1].body["data"] == url
    # AND the bot's download of it is recorded as a call on Blinger's side
    assert ("GET", 200) in [(c.method, c.status) for c in console.calls if c.path.startswith("/files/")]


def test_upload_rules(console: BlingerConsole) -> None:
    # GIVEN the upload endpoint WHEN the header is missing, the file empty or a non-image THEN as follows
    files = console.base_url + "/console/api/files"
    assert requests.post(files, data=b"x", timeout=5).status_code == 400
    assert requests.post(files, data=b"", headers={"X-Filename": "a.jpg"}, timeout=5).status_code == 400
    pdf = requests.post(
        files,
        data=b"%PDF-1.4",
        headers={"X-Filename": "../../etc/passwd", "Content-Type": "application/pdf"},
        timeout=5,
    )
    assert pdf.json()["type"] == "file"
    assert pdf.json()["url"].endswith("/etc_passwd")  # no path tricks in the name
    # AND an unknown file is 404
    assert requests.get(console.base_url + "/files/nope/a.jpg", timeout=5).status_code == 404


def test_add_file_hook_gives_a_fetchable_url(console: BlingerConsole) -> None:
    # GIVEN a test storing a file as the operator would WHEN fetched THEN the same bytes come back
    url = console.add_file("shoe.png", b"\x89PNG...", "image/png")
    assert requests.get(url, timeout=5).content == b"\x89PNG..."


def test_assign_and_close_events_carry_the_secret_in_the_url_and_no_token(
    console: BlingerConsole, bot: FakeBot, ann: str
) -> None:
    # GIVEN Ann's conversation WHEN the operator takes it, then closes it
    assert console.assign(ann, "Olga").ok
    assert console.close(ann).ok
    # THEN two events reach the webhook with ?key=<secret>, no Authorization, no token, no channel id
    assigned, closed = bot.requests
    for request in (assigned, closed):
        url = urlsplit(request.path)
        assert url.path == WEBHOOK_PATH
        assert parse_qs(url.query) == {"key": [EVENTS_SECRET]}
        assert "Authorization" not in request.headers
        assert "token" not in request.body
        assert CHANNEL not in str(request.body)
    # AND they carry Blinger's shape: the operator, and the conversation with the customer in from_user
    assert assigned.body["webhook"] == "on_conversation_assigned"
    assert assigned.body["operator"] == {"id": 1, "name": "Olga", "email": "operator1@blinger.local"}
    conversation = assigned.body["conversation"]
    assert set(conversation) >= {"id", "application", "status", "date_created", "date_updated", "from_user"}
    assert conversation["status"] == "assigned"
    assert conversation["from_user"]["service_user_id"] == ann
    assert conversation["from_user"]["title"] == "Ann Lee"
    assert closed.body["webhook"] == "on_conversation_closed"
    assert closed.body["conversation"]["status"] == "closed"
    assert closed.body["conversation"]["id"] == conversation["id"]
    # AND the console keeps the state
    conv = console.conversation(ann)
    assert conv is not None
    assert conv.status == "closed"


def test_unassign_event_and_reopening_after_close(
    console: BlingerConsole, bot: FakeBot, ann: str, post
) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a taken conversation WHEN released THEN on_conversation_unassigned, no operator
    console.assign(ann, "Olga")
    console.unassign(ann)
    assert bot.requests[-1].body["webhook"] == "on_conversation_unassigned"
    assert "operator" not in bot.requests[-1].body
    # WHEN it is closed and the customer writes again THEN a new open conversation (new id)
    console.close(ann)
    old_id = bot.requests[-1].body["conversation"]["id"]
    post(message(data="One more question"))
    conv = console.conversation(ann)
    assert conv is not None
    assert (conv.status, conv.operator) == ("open", None)
    assert conv.id != old_id


def test_events_url_keeps_an_existing_query_and_works_without_a_secret() -> None:
    # GIVEN a webhook URL with a query WHEN a secret is set THEN it is appended; without one the URL is as given
    with_query = BlingerConsole(TOKEN, CHANNEL, bot_webhook_url="http://h/w/?stage=dev", events_secret="s&1")
    without_secret = BlingerConsole(TOKEN, CHANNEL, bot_webhook_url="http://h/w/")
    with_query.stop()
    without_secret.stop()
    assert with_query.events_url == "http://h/w/?stage=dev&key=s%261"
    assert without_secret.events_url == "http://h/w/"


def test_deliveries_record_every_call_to_the_bot(console: BlingerConsole, bot: FakeBot, ann: str) -> None:
    # GIVEN a reply and an event WHEN made THEN both are in console.deliveries, in order
    console.reply(ann, "text", "Hi")
    console.assign(ann)
    assert [(d.body.get("type"), d.body.get("webhook"), d.status) for d in console.deliveries] == [
        ("text", None, 200),
        (None, "on_conversation_assigned", 200),
    ]
