"""The sandbox JSON API a person (the web chat) uses: users, chats, messages feed, actions, page."""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from infra.botapi import BotApiServer, World, dispatch
from infra.botapi.webhook import DeliveryConfig

from .conftest import TOKEN, USER_ID
from .fake_webhook import Answer, FakeBot

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x08" + b"pixels" * 20
CONTACT_KEYBOARD = {
    "keyboard": [[{"text": "📱 Поделиться номером телефона", "request_contact": True}], [{"text": "Help"}]],
    "resize_keyboard": True,
    "one_time_keyboard": True,
    "input_field_placeholder": "Share your phone",
}


@pytest.fixture
def server(world: World) -> Iterator[BotApiServer]:
    with BotApiServer(world, delivery=DeliveryConfig(backoff=lambda failures: 0.05)) as s:
        yield s


class Sandbox:
    def __init__(self, server: BotApiServer) -> None:
        self.base = server.base_url + "/sandbox/api/"

    def get(self, path: str, **params: object) -> Any:
        r = requests.get(self.base + path, params=params, timeout=30)  # type: ignore[arg-type]
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, expect: int = 200, **data: object) -> Any:
        r = requests.post(self.base + path, json=data, timeout=10)
        assert r.status_code == expect, r.text
        return r.json()


@pytest.fixture
def sandbox(server: BotApiServer) -> Sandbox:
    return Sandbox(server)


def _bot_call(world: World, method: str, **params: object) -> dict[str, Any]:
    reply = dispatch(world, TOKEN, method, params)
    assert reply.status == 200, reply.body
    assert isinstance(reply.body, dict)
    return reply.body["result"]  # type: ignore[no-any-return]


def _wait_until(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_create_user_send_text_and_see_the_bots_reply(server: BotApiServer, sandbox: Sandbox) -> None:
    def echo(update: dict[str, Any], attempt: int) -> Answer:
        m = update["message"]
        keyboard = {"inline_keyboard": [[{"text": "Orders", "callback_data": "m:orders"}]]}
        text = f"You said <b>{html.escape(m['text'])}</b>"
        return Answer(200, {"method": "sendMessage", "chat_id": m["chat"]["id"], "text": text,
                            "parse_mode": "HTML", "reply_markup": keyboard})  # fmt: skip

    with FakeBot(echo) as bot:
        requests.post(f"{server.base_url}/bot{TOKEN}/setWebhook", json={"url": bot.url}, timeout=5)
        # GIVEN a user created in the sandbox
        user = sandbox.post(
            "users",
            201,
            first_name="Мария",
            username="maria_k",
            language_code="en",
            phone_number="+7 999 123-45-67",
        )
        assert (user["name"], user["username"], user["language_code"], user["phone_number"]) == (
            "Мария",
            "maria_k",
            "en",
            "+79991234567",
        )
        assert user["id"] in [u["id"] for u in sandbox.get("users")["users"]]
        # WHEN she sends a text
        sent = sandbox.post(f"chats/{user['id']}/messages", user_id=user["id"], text="/start")
        # THEN the bot got Telegram's update with her as the sender
        (delivery,) = bot.wait_for(lambda ds: len(ds) == 1)
        assert delivery.update == sent["update"]
        assert delivery.update["message"]["from"]["language_code"] == "en"
        # AND the bot's reply shows up in the chat's feed, formatted, with its button
        _wait_until(lambda: len(sandbox.get(f"chats/{user['id']}/messages")["messages"]) == 2)
    mine, reply = sandbox.get(f"chats/{user['id']}/messages")["messages"]
    assert (mine["from_bot"], mine["text"], mine["from"]["name"]) == (False, "/start", "Мария")
    assert (reply["from_bot"], reply["text"], reply["html"]) == (
        True,
        "You said /start",
        "You said <b>/start</b>",
    )
    assert reply["inline_keyboard"] == [
        [{"text": "Orders", "kind": "callback_data", "callback_data": "m:orders", "url": None}]
    ]


def test_feed_long_polls_until_something_changes(world: World, sandbox: Sandbox) -> None:
    # GIVEN the current version of the world
    version = sandbox.get(f"chats/{USER_ID}/messages")["version"]
    # WHEN nothing happens THEN a short wait answers "not changed"
    assert sandbox.get(f"chats/{USER_ID}/messages", since=version, wait=0.2) == {
        "version": version,
        "changed": False,
    }
    # WHEN the bot sends while a reader waits THEN the reader is woken with the new message
    answers: list[dict[str, Any]] = []
    reader = threading.Thread(
        target=lambda: answers.append(sandbox.get(f"chats/{USER_ID}/messages", since=version, wait=10))
    )
    started = time.monotonic()
    reader.start()
    time.sleep(0.1)
    _bot_call(world, "sendMessage", chat_id=USER_ID, text="ping")
    reader.join(5)
    assert time.monotonic() - started < 2
    assert answers[0]["changed"] is True
    assert [m["text"] for m in answers[0]["messages"]] == ["ping"]


def test_edits_and_deletions_show_in_the_feed(world: World, sandbox: Sandbox) -> None:
    # GIVEN two bot messages
    first = _bot_call(world, "sendMessage", chat_id=USER_ID, text="Loading…")
    second = _bot_call(world, "sendMessage", chat_id=USER_ID, text="temp")
    version = sandbox.get(f"chats/{USER_ID}/messages")["version"]
    # WHEN the bot edits one and deletes the other
    _bot_call(world, "editMessageText", chat_id=USER_ID, message_id=first["message_id"], text="<i>Done</i>",
              parse_mode="HTML")  # fmt: skip
    _bot_call(world, "deleteMessage", chat_id=USER_ID, message_id=second["message_id"])
    # THEN the feed, asked since the earlier version, has the edit (with its date) and the deletion
    feed = sandbox.get(f"chats/{USER_ID}/messages", since=version, wait=1)
    edited, deleted = feed["messages"]
    assert (edited["html"], edited["edit_date"] is not None) == ("<i>Done</i>", True)
    assert (deleted["deleted"], deleted.get("text")) == (True, None)


def test_press_inline_button_and_see_the_callback_answer(world: World, sandbox: Sandbox) -> None:
    # GIVEN a bot message with a button
    markup = {"inline_keyboard": [[{"text": "Orders", "callback_data": "m:orders"}]]}
    message = _bot_call(world, "sendMessage", chat_id=USER_ID, text="Menu", reply_markup=markup)
    # WHEN the user presses it in the sandbox
    pressed = sandbox.post(
        f"chats/{USER_ID}/press", user_id=USER_ID, message_id=message["message_id"], callback_data="m:orders"
    )
    # THEN a callback_query update is queued for the bot
    query = pressed["update"]["callback_query"]
    assert (query["data"], query["from"]["id"], query["message"]["message_id"]) == (
        "m:orders",
        USER_ID,
        message["message_id"],
    )
    assert world.pending[-1] == pressed["update"]
    # AND when the bot answers it, the page gets the toast and the alert
    _bot_call(world, "answerCallbackQuery", callback_query_id=query["id"], text="Loading…")
    answers = sandbox.get(f"chats/{USER_ID}/messages")["callback_answers"]
    assert [(a["text"], a["show_alert"], a["user_id"]) for a in answers] == [("Loading…", False, USER_ID)]
    # AND pressing a button that is not there is refused with a reason
    r = requests.post(
        sandbox.base + f"chats/{USER_ID}/press",
        json={"user_id": USER_ID, "message_id": message["message_id"], "callback_data": "nope"},
        timeout=5,
    )
    assert r.status_code == 400
    assert "no button with callback_data 'nope'" in r.json()["error"]


def test_share_contact_from_the_reply_keyboard(world: World, sandbox: Sandbox) -> None:
    user = sandbox.post("users", 201, first_name="Ann", phone_number="+79990001122")
    # GIVEN the bot asks for the phone with a request_contact reply keyboard
    _bot_call(
        world, "sendMessage", chat_id=user["id"], text="Share your phone", reply_markup=CONTACT_KEYBOARD
    )
    keyboard = sandbox.get(f"chats/{user['id']}/messages")["reply_keyboard"]
    assert keyboard == {
        "rows": [[{"text": "📱 Поделиться номером телефона", "request_contact": True}],
                 [{"text": "Help", "request_contact": False}]],
        "one_time": True,
        "resize": True,
        "placeholder": "Share your phone",
    }  # fmt: skip
    # WHEN the user presses the request_contact button
    pressed = sandbox.post(
        f"chats/{user['id']}/reply_button", user_id=user["id"], text="📱 Поделиться номером телефона"
    )
    # THEN the bot gets her own contact (user_id = sender) with her phone number
    message = pressed["update"]["message"]
    assert message["contact"] == {"phone_number": "+79990001122", "first_name": "Ann", "user_id": user["id"]}
    assert message["from"]["id"] == user["id"]
    # AND the one-time keyboard is hidden
    assert sandbox.get(f"chats/{user['id']}/messages")["reply_keyboard"] is None
    # AND sharing directly works the same way
    again = sandbox.post(f"chats/{user['id']}/contact", user_id=user["id"])
    assert again["update"]["message"]["contact"]["phone_number"] == "+79990001122"


def test_plain_reply_button_sends_its_text(world: World, sandbox: Sandbox) -> None:
    # GIVEN a reply keyboard WHEN the user presses a plain button THEN its text is sent as a message
    _bot_call(world, "sendMessage", chat_id=USER_ID, text="?", reply_markup=CONTACT_KEYBOARD)
    pressed = sandbox.post(f"chats/{USER_ID}/reply_button", user_id=USER_ID, text="Help")
    assert pressed["update"]["message"]["text"] == "Help"
    # AND a button that is not on the keyboard is refused
    r = requests.post(
        sandbox.base + f"chats/{USER_ID}/reply_button", json={"user_id": USER_ID, "text": "X"}, timeout=5
    )
    assert r.status_code == 400


def test_photo_upload_gives_a_photo_update_whose_file_the_bot_can_download(
    server: BotApiServer, world: World, sandbox: Sandbox
) -> None:
    # GIVEN a user WHEN she uploads a photo with a caption through the sandbox
    r = requests.post(
        sandbox.base + f"chats/{USER_ID}/files",
        data={"user_id": str(USER_ID), "caption": "broken box", "send_as": "photo"},
        files={"file": ("box.png", PNG, "image/png")},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    message = r.json()["update"]["message"]
    # THEN the bot gets a photo message with the caption and the image's size
    assert message["caption"] == "broken box"
    (size,) = message["photo"]
    assert (size["width"], size["height"], size["file_size"]) == (16, 8, len(PNG))
    # AND getFile + the file URL give back the same bytes
    got = requests.get(
        f"{server.base_url}/bot{TOKEN}/getFile", params={"file_id": size["file_id"]}, timeout=5
    )
    path = got.json()["result"]["file_path"]
    assert requests.get(f"{server.base_url}/file/bot{TOKEN}/{path}", timeout=5).content == PNG
    # AND the page shows it from the sandbox's own file route (no token in the page)
    shown = sandbox.get(f"chats/{USER_ID}/messages")["messages"][-1]
    assert shown["photo"]["url"] == f"/sandbox/api/files/{size['file_id']}"
    image = requests.get(server.base_url + shown["photo"]["url"], timeout=5)
    assert (image.content, image.headers["Content-Type"]) == (PNG, "image/png")


def test_user_text_is_escaped_in_the_rendered_html(sandbox: Sandbox) -> None:
    # GIVEN a user typing markup WHEN it is shown THEN it stays text
    sandbox.post(f"chats/{USER_ID}/messages", user_id=USER_ID, text='<script>alert("x")</script> & <b>')
    shown = sandbox.get(f"chats/{USER_ID}/messages")["messages"][-1]
    assert shown["html"] == '&lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;b&gt;'
    assert shown["text"] == '<script>alert("x")</script> & <b>'


def test_group_chat_members_write_and_reply_with_photos(world: World, sandbox: Sandbox) -> None:
    # GIVEN the warehouse group with a bot message in it
    group = sandbox.post("groups", 201, title="Warehouse", id=-1001234567890, members=[USER_ID])
    assert (group["id"], group["type"], group["members"]) == (-1001234567890, "supergroup", [USER_ID])
    assert group["id"] in [c["id"] for c in sandbox.get("state")["chats"]]
    order = _bot_call(world, "sendMessage", chat_id=group["id"], text="Order 42: send a photo of the box")
    # WHEN a member replies to it with text and with a photo
    text = sandbox.post(
        f"chats/{group['id']}/messages",
        user_id=USER_ID,
        text="on it",
        reply_to_message_id=order["message_id"],
    )["update"]["message"]
    r = requests.post(
        sandbox.base + f"chats/{group['id']}/files",
        data={"user_id": str(USER_ID), "reply_to_message_id": str(order["message_id"])},
        files={"file": ("p.png", PNG, "image/png")},
        timeout=5,
    )
    photo = r.json()["update"]["message"]
    # THEN both are group messages replying to the bot's message
    for m in (text, photo):
        assert m["chat"] == {"id": -1001234567890, "type": "supergroup", "title": "Warehouse"}
        assert m["reply_to_message"]["message_id"] == order["message_id"]
    assert photo["photo"][0]["width"] == 16
    # AND the page shows the reply quote
    shown = sandbox.get(f"chats/{group['id']}/messages")["messages"]
    assert shown[-1]["reply_to"]["snippet"] == "Order 42: send a photo of the box"
    # AND a second group gets its own negative id
    other = sandbox.post("groups", 201, title="Support")
    assert other["id"] < 0
    assert other["id"] != group["id"]


@pytest.mark.parametrize(
    ("path", "data", "status", "error"),
    [
        ("users", {"first_name": "A", "language_code": "de"}, 400, "language_code must be ru or en"),
        ("users", {"first_name": "A", "username": "x"}, 400, "username must be 5-32"),
        ("users", {"first_name": "A", "phone_number": "call me"}, 400, "phone_number must be digits"),
        ("users", {"first_name": "A", "id": USER_ID}, 409, "taken"),
        ("groups", {"title": "G", "id": 5}, 409, "not negative"),
        ("groups", {"title": ""}, 400, "title must be"),
        (f"chats/{USER_ID}/messages", {"user_id": USER_ID, "text": "  "}, 400, "text must be 1-4096"),
        (f"chats/{USER_ID}/messages", {"user_id": 999, "text": "x"}, 404, "no user 999"),
        (
            f"chats/{USER_ID}/contact",
            {"user_id": USER_ID, "phone_number": "x", "first_name": "Bo"},
            400,
            "phone_number must be 5-20 digits",
        ),
        (
            f"chats/{USER_ID}/contact",
            {"user_id": USER_ID, "phone_number": "+7900"},
            400,
            "needs a first_name",
        ),
        (f"chats/{USER_ID}/sticker", {"user_id": USER_ID, "emoji": "x"}, 400, "emoji must be one of"),
        (f"chats/{USER_ID}/location", {"user_id": USER_ID, "latitude": 91, "longitude": 0}, 400, "latitude"),
        (
            f"chats/{USER_ID}/location",
            {"user_id": USER_ID, "latitude": "n"},
            400,
            "latitude must be a number",
        ),
        (f"chats/{USER_ID}/venue", {"user_id": USER_ID, "latitude": 1, "longitude": 1}, 400, "needs a title"),
        (f"chats/{USER_ID}/edit", {"user_id": USER_ID, "message_id": 99, "text": "x"}, 400, "no message 99"),
        (f"chats/{USER_ID}/files", {"user_id": USER_ID, "send_as": "gif"}, 400, "send_as must be"),
        ("users/999", {"phone_number": "+79001112233"}, 404, "no user 999"),
        ("chats/77/messages", {"user_id": USER_ID, "text": "x"}, 404, "no chat 77"),
        (f"chats/{USER_ID}/files", {"user_id": USER_ID}, 400, "file must be"),
        (f"chats/{USER_ID}/fly", {"user_id": USER_ID}, 404, "no such sandbox action"),
        ("nothing", {}, 404, "no such sandbox endpoint"),
    ],
)
def test_refusals_say_why(
    sandbox: Sandbox, path: str, data: dict[str, object], status: int, error: str
) -> None:
    # GIVEN / WHEN a request a person could not make in Telegram THEN 4xx with the reason
    r = requests.post(sandbox.base + path, json=data, timeout=5)
    assert r.status_code == status
    assert error in r.json()["error"]


def test_one_user_cannot_write_in_anothers_private_chat(world: World, sandbox: Sandbox) -> None:
    other = sandbox.post("users", 201, first_name="Bob")
    r = requests.post(
        sandbox.base + f"chats/{USER_ID}/messages", json={"user_id": other["id"], "text": "hi"}, timeout=5
    )
    assert r.status_code == 403


def test_state_lists_users_chats_and_webhook(server: BotApiServer, sandbox: Sandbox) -> None:
    # GIVEN a webhook that cannot be reached and a queued update
    requests.post(f"{server.base_url}/bot{TOKEN}/setWebhook", json={"url": "http://127.0.0.1:9/x"}, timeout=5)
    sandbox.post(f"chats/{USER_ID}/messages", user_id=USER_ID, text="hi")
    _wait_until(lambda: "last_error_message" in sandbox.get("state")["webhook"])
    state = sandbox.get("state")
    # THEN the page can show who is there and why the bot does not answer
    assert [u["name"] for u in state["users"]] == ["Ann Lee"]
    assert state["chats"][0]["title"] == "Ann Lee"
    assert state["webhook"]["url"] == "http://127.0.0.1:9/x"
    assert state["webhook"]["pending_update_count"] == 1
    assert state["webhook"]["last_error_message"].startswith("Connection refused")
    assert state["bot"]["username"] == "test_support_bot"


def test_web_chat_page_and_assets_are_served(server: BotApiServer) -> None:
    # GIVEN the server WHEN the page is opened at / or /sandbox/
    for path in ("/", "/sandbox/", "/sandbox"):
        r = requests.get(server.base_url + path, timeout=5)
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/html")
    page = r.text
    # THEN it has the elements a browser test drives, and loads only local assets
    for testid in ("user-list", "new-user-first-name", "new-user-phone", "new-user-language", "text-input",
                   "send-button", "reply-keyboard", "photo-input", "message-list"):  # fmt: skip
        assert f'data-testid="{testid}"' in page
    assert "http://" not in page
    assert "https://" not in page
    script = requests.get(server.base_url + "/sandbox/static/sandbox.js", timeout=5)
    assert script.headers["Content-Type"].startswith("text/javascript")
    for testid in (
        "message",
        "inline-button",
        "reply-button",
        "toast",
        "rate-limit",
        "user-item",
        "group-item",
    ):
        assert f'"data-testid": "{testid}"' in script.text
    assert requests.get(server.base_url + "/sandbox/static/sandbox.css", timeout=5).status_code == 200
    # AND nothing outside static/ can be read
    for bad in ("/sandbox/static/../server.py", "/sandbox/static/%2e%2e%2fserver.py", "/sandbox/static/x.py"):
        assert requests.get(server.base_url + bad, timeout=5).status_code == 404


def test_sandbox_answers_loopback_clients_only(world: World) -> None:
    # GIVEN the server listening on all interfaces WHEN reached by a non-loopback address THEN 403
    import socket

    with BotApiServer(world, host="0.0.0.0", deliver_webhooks=False) as s:  # noqa: S104
        port = s.base_url.rsplit(":", 1)[1]
        local = requests.get(f"http://127.0.0.1:{port}/sandbox/api/state", timeout=5)
        assert local.status_code == 200
        try:
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
            probe.close()
        except OSError:
            pytest.skip("no non-loopback address")
        if address.startswith("127."):
            pytest.skip("no non-loopback address")
        remote = requests.get(f"http://{address}:{port}/sandbox/api/state", timeout=5)
        assert remote.status_code == 403
        # AND the Bot API itself still answers (it is token-protected)
        assert requests.get(f"http://{address}:{port}/bot{TOKEN}/getMe", timeout=5).json()["ok"] is True


def test_json_body_can_be_form_encoded_too(sandbox: Sandbox) -> None:
    # GIVEN a plain HTML form post WHEN a user is created THEN it works like JSON
    r = requests.post(sandbox.base + "users", data={"first_name": "Form", "language_code": "ru"}, timeout=5)
    assert r.status_code == 201
    assert json.loads(r.text)["first_name"] == "Form"


def _upload(sandbox: Sandbox, chat_id: int, send_as: str, *files: tuple[str, bytes, str], **data: str) -> Any:
    r = requests.post(
        sandbox.base + f"chats/{chat_id}/files",
        data={"user_id": str(USER_ID), "send_as": send_as, **data},
        files={("file" if n == 0 else f"file{n}"): f for n, f in enumerate(files)},
        timeout=5,
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_several_photos_or_files_are_one_album(sandbox: Sandbox) -> None:
    # WHEN a user sends three photos at once, with a caption
    photos = _upload(sandbox, USER_ID, "photo", *[(f"{n}.png", PNG + bytes([n]), "image/png") for n in range(3)],
                     caption="the damage")  # fmt: skip
    # THEN the bot gets three photo messages sharing one media_group_id, the caption on the first
    messages = [u["message"] for u in photos["updates"]]
    assert len(messages) == 3
    assert len({m["media_group_id"] for m in messages}) == 1
    assert messages[0]["media_group_id"].isdigit()
    assert [m.get("caption") for m in messages] == ["the damage", None, None]
    # WHEN she sends two documents THEN they are another album; one file alone is no album
    docs = _upload(
        sandbox, USER_ID, "document", ("a.pdf", b"%PDF-1", "application/pdf"), ("b.txt", b"hi", "text/plain")
    )
    names = [u["message"]["document"]["file_name"] for u in docs["updates"]]
    assert names == ["a.pdf", "b.txt"]
    assert docs["updates"][0]["message"]["media_group_id"] != messages[0]["media_group_id"]
    single = _upload(sandbox, USER_ID, "document", ("c.pdf", b"%PDF-2", "application/pdf"))
    assert "media_group_id" not in single["update"]["message"]
    # AND the page shows each file with a link to its bytes
    shown = sandbox.get(f"chats/{USER_ID}/messages")["messages"][-1]
    assert shown["document"]["file_name"] == "c.pdf"
    assert (
        requests.get(sandbox.base.removesuffix("/sandbox/api/") + shown["document"]["url"], timeout=5).content
        == b"%PDF-2"
    )
    # AND more than ten items are refused, as Telegram refuses them
    r = requests.post(sandbox.base + f"chats/{USER_ID}/files", data={"user_id": str(USER_ID)},
                      files={f"file{n}": ("p.png", PNG, "image/png") for n in range(11)}, timeout=5)  # fmt: skip
    assert (r.status_code, r.json()["error"]) == (400, "at most 10 files in one album, one photo at a time")


def test_sticker_voice_video_note_location_venue(world: World, sandbox: Sandbox) -> None:
    # WHEN a user sends each kind THEN the bot gets the object Telegram would send
    sticker = sandbox.post(f"chats/{USER_ID}/sticker", user_id=USER_ID, emoji="👍")["update"]["message"][
        "sticker"
    ]
    assert (sticker["type"], sticker["emoji"], sticker["width"], sticker["is_animated"]) == (
        "regular",
        "👍",
        512,
        False,
    )
    voice = _upload(sandbox, USER_ID, "voice", ("v.ogg", b"OggS-voice", "audio/ogg"), duration="3.4")
    assert voice["update"]["message"]["voice"] | {"file_id": "", "file_unique_id": ""} == {
        "file_id": "", "file_unique_id": "", "duration": 3, "mime_type": "audio/ogg", "file_size": 10}  # fmt: skip
    note = _upload(sandbox, USER_ID, "video_note", ("n.mp4", b"mp4-note", "video/mp4"), duration="5")
    assert (
        note["update"]["message"]["video_note"]["length"],
        note["update"]["message"]["video_note"]["duration"],
    ) == (240, 5)
    where = sandbox.post(f"chats/{USER_ID}/location", user_id=USER_ID, latitude=55.75, longitude=37.62)
    assert where["update"]["message"]["location"] == {"latitude": 55.75, "longitude": 37.62}
    venue = sandbox.post(f"chats/{USER_ID}/venue", user_id=USER_ID, latitude="59.9", longitude="30.3",
                         title="Склад №2", address="ул. Складская, 1")["update"]["message"]  # fmt: skip
    assert venue["venue"] == {"location": {"latitude": 59.9, "longitude": 30.3}, "title": "Склад №2",
                              "address": "ул. Складская, 1"}  # fmt: skip
    assert venue["location"] == venue["venue"]["location"]  # Telegram sets both
    # AND the bot can download the sticker's and the voice's files
    path = _bot_call(world, "getFile", file_id=voice["update"]["message"]["voice"]["file_id"])["file_path"]
    assert world.file_by_path(path).data == b"OggS-voice"
    # AND the page shows them
    shown = sandbox.get(f"chats/{USER_ID}/messages")["messages"]
    assert shown[-5]["sticker"]["emoji"] == "👍"
    assert shown[-4]["voice"]["duration"] == 3
    assert shown[-1]["venue"]["title"] == "Склад №2"
    assert sandbox.get("chats")["chats"][-1]["last_message"] == "📍 Склад №2"


def test_contacts_own_another_users_or_anyones(world: World, sandbox: Sandbox) -> None:
    bob = sandbox.post("users", 201, first_name="Bob", last_name="Stone", phone_number="+79005550000")
    # WHEN a user with no phone shares her own contact THEN she has one now (every account has)
    world.users[USER_ID].phone_number = None
    own = sandbox.post(f"chats/{USER_ID}/contact", user_id=USER_ID)["update"]["message"]["contact"]
    assert own["user_id"] == USER_ID
    assert own["phone_number"] == world.users[USER_ID].phone_number
    # WHEN she shares Bob's THEN his phone and user id; someone not on Telegram has no user id
    theirs = sandbox.post(f"chats/{USER_ID}/contact", user_id=USER_ID, contact_user_id=bob["id"])
    assert theirs["update"]["message"]["contact"] == {
        "phone_number": "+79005550000", "first_name": "Bob", "last_name": "Stone", "user_id": bob["id"]}  # fmt: skip
    anyone = sandbox.post(
        f"chats/{USER_ID}/contact", user_id=USER_ID, phone_number="+7 (900) 111-22-33", first_name="Vera"
    )
    assert anyone["update"]["message"]["contact"] == {"phone_number": "+79001112233", "first_name": "Vera"}
    # AND any user's phone can be changed, which her own contact then shares
    changed = sandbox.post(f"users/{USER_ID}", phone_number="+79990000001")
    assert changed["phone_number"] == "+79990000001"
    again = sandbox.post(f"chats/{USER_ID}/contact", user_id=USER_ID)["update"]["message"]["contact"]
    assert again["phone_number"] == "+79990000001"


def test_editing_an_own_text_message_sends_edited_message(world: World, sandbox: Sandbox) -> None:
    sent = sandbox.post(f"chats/{USER_ID}/messages", user_id=USER_ID, text="helo")["update"]["message"]
    # WHEN the user edits it THEN the bot gets an edited_message with the new text and edit_date
    edited = sandbox.post(
        f"chats/{USER_ID}/edit", user_id=USER_ID, message_id=sent["message_id"], text="hello"
    )
    message = edited["update"]["edited_message"]
    assert (message["message_id"], message["text"], message["edit_date"] >= message["date"]) == (
        sent["message_id"],
        "hello",
        True,
    )
    shown = sandbox.get(f"chats/{USER_ID}/messages")["messages"][-1]
    assert (shown["text"], shown["edit_date"] is not None) == ("hello", True)
    # AND the bot's messages cannot be edited by the user
    bots = _bot_call(world, "sendMessage", chat_id=USER_ID, text="mine")
    r = requests.post(sandbox.base + f"chats/{USER_ID}/edit",
                      json={"user_id": USER_ID, "message_id": bots["message_id"], "text": "x"}, timeout=5)  # fmt: skip
    assert r.status_code == 400


def test_a_user_who_blocks_the_bot_gets_nothing_until_they_write_again(
    world: World, sandbox: Sandbox
) -> None:
    user = sandbox.post("users", 201, first_name="Ann")
    sandbox.post(f"users/{user['id']}", blocked_bot=True)
    reply = dispatch(world, TOKEN, "sendMessage", {"chat_id": user["id"], "text": "Hi"})
    assert (reply.status, reply.body["description"]) == (403, "Forbidden: bot was blocked by the user")
    # WHEN they write to the bot again THEN they have unblocked it
    sandbox.post(f"chats/{user['id']}/messages", user_id=user["id"], text="hello")
    assert _bot_call(world, "sendMessage", chat_id=user["id"], text="Hi")["text"] == "Hi"
