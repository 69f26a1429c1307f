"""Fixtures: a fresh World, the stand-in serving it on 127.0.0.1, and a TeleBot pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import telebot
from telebot import apihelper

from infra.botapi import BotApiServer, World

TOKEN = "123456:TEST-TOKEN"
USER_ID = 1001


@pytest.fixture
def world() -> World:
    # The flood limits have tests of their own (test_botapi_limits.py); these send faster than they allow.
    w = World(token=TOKEN, rate_limits=False)
    w.add_user(USER_ID, first_name="Ann", last_name="Lee", username="ann")
    return w


@pytest.fixture
def server(world: World) -> Iterator[BotApiServer]:
    with BotApiServer(world) as s:
        yield s


@pytest.fixture
def bot(server: BotApiServer, monkeypatch: pytest.MonkeyPatch) -> telebot.TeleBot:
    # apihelper.API_URL / FILE_URL are module globals: monkeypatch restores them after the test.
    monkeypatch.setattr(apihelper, "API_URL", server.api_url)
    monkeypatch.setattr(apihelper, "FILE_URL", server.file_url)
    return telebot.TeleBot(TOKEN, threaded=False)


@pytest.fixture
def call(server: BotApiServer):  # type: ignore[no-untyped-def]
    """Plain HTTP: call("sendMessage", chat_id=1, text="hi") -> (status, json)."""

    def _call(method: str, token: str = TOKEN, **params: object) -> tuple[int, dict[str, object]]:
        r = requests.post(f"{server.base_url}/bot{token}/{method}", params=params, timeout=10)  # type: ignore[arg-type]
        return r.status_code, r.json()

    return _call
