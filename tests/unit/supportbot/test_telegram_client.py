"""Bot API calls carry their parameters in the request body, never in the URL."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest
from telebot import apihelper, types

from infra.httpserver import BackgroundServer
from supportbot.config import Config
from supportbot.telegram.client import make_bot

TOKEN = "123456:TEST-TOKEN"


class Recorder(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        Recorder.requests.append(
            {
                "verb": self.command,
                "method": url.path.rsplit("/", 1)[-1],
                "query": url.query,
                "type": self.headers["Content-Type"],
                "body": body,
            }
        )
        answer = json.dumps(
            {
                "ok": True,
                "result": {
                    "id": 1,
                    "is_bot": True,
                    "first_name": "Bot",
                    "message_id": 7,
                    "date": 0,
                    "chat": {"id": 1, "type": "private"},
                },
            }
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    do_GET = do_POST

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def bot():
    Recorder.requests = []
    saved = apihelper.API_URL, apihelper.FILE_URL
    with BackgroundServer(Recorder, "127.0.0.1", 0) as server:
        yield make_bot(Config(telegram_bot_token=TOKEN, telegram_api_url=server.base_url))
    apihelper.API_URL, apihelper.FILE_URL = saved


def test_a_long_message_travels_as_json_not_in_the_url(bot):
    text = "Ваш заказ № 1 — «в пути» & <b>скоро</b>. " * 90  # ~3,800 characters
    markup = types.InlineKeyboardMarkup([[types.InlineKeyboardButton("▶️", callback_data="p:2")]])

    bot.send_message(1, text, parse_mode="HTML", reply_markup=markup)

    (sent,) = Recorder.requests
    assert (sent["verb"], sent["method"]) == ("POST", "sendMessage")
    assert sent["query"] == ""
    assert sent["type"] == "application/json"
    params = json.loads(sent["body"])
    assert params["text"] == text
    assert params["parse_mode"] == "HTML"
    assert json.loads(params["reply_markup"]) == {
        "inline_keyboard": [[{"text": "▶️", "callback_data": "p:2"}]]
    }


def test_a_call_with_a_file_stays_multipart_with_its_parameters_as_fields(bot):
    bot.send_photo(1, b"\x89PNG fake image bytes", caption="Фото заказа")

    (sent,) = Recorder.requests
    assert sent["query"] == ""
    assert sent["type"].startswith("multipart/form-data")
    assert "Фото заказа".encode() in sent["body"]
    assert b"\x89PNG fake image bytes" in sent["body"]


def test_a_call_without_parameters_keeps_its_verb_and_sends_no_body(bot):
    bot.get_me()

    (sent,) = Recorder.requests
    assert (sent["verb"], sent["method"]) == ("GET", "getMe")
    assert sent["body"] == b""
