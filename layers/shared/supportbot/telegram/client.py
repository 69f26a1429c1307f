"""The pyTelegramBotAPI client, aimed at the configured Bot API server."""

from __future__ import annotations

from typing import Any

import requests
import telebot
from telebot import apihelper

from supportbot.config import Config, PerConfig

# Telegram answers in well under a second; a stuck call must not eat the function's timeout.
apihelper.CONNECT_TIMEOUT = 3
apihelper.READ_TIMEOUT = 5


def send_in_body(
    method: str, url: str, params: dict[str, Any] | None = None, files: Any = None, **options: Any
) -> requests.Response:
    """Send a Bot API call's parameters in the request body, not the URL.

    pyTelegramBotAPI puts them in the query string: a 4096-character Russian message becomes a
    ~25 KB URL (past many proxies' limits), and percent-encoding it, re-parsing and re-quoting the
    URL took more CPU than the rest of a menu update's own work. A JSON body is one C-speed
    ``json.dumps``; calls with files stay multipart, their parameters as form fields.
    """
    # The library's own session: its keep-alive and periodic renewal stay as they were.
    session: requests.Session = apihelper._get_req_session()  # type: ignore[no-untyped-call]
    if files:
        return session.request("post", url, data=params, files=files, **options)
    if params:
        return session.request("post", url, json=params, **options)
    return session.request(method, url, **options)


apihelper.CUSTOM_REQUEST_SENDER = send_in_body  # type: ignore[assignment]


def configure_api_url(api_url: str) -> None:
    """Point pyTelegramBotAPI at ``api_url`` (Telegram, a self-hosted server or the local stand-in)."""
    apihelper.API_URL = f"{api_url}/bot{{0}}/{{1}}"  # type: ignore[assignment]
    apihelper.FILE_URL = f"{api_url}/file/bot{{0}}/{{1}}"  # type: ignore[assignment]


def make_bot(config: Config) -> telebot.TeleBot:
    configure_api_url(config.telegram_api_url)
    # The token is checked when a call is made; without one the webhook still answers Telegram.
    return telebot.TeleBot(config.telegram_bot_token or "0:unset", threaded=False, parse_mode=None)


# Made again when re-read secrets change the configuration (a new bot token, say).
get_bot = PerConfig(make_bot)
