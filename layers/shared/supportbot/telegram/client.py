"""The pyTelegramBotAPI client, aimed at the configured Bot API server."""

from __future__ import annotations

import functools

import telebot
from telebot import apihelper

from supportbot.config import Config, get_config

# Telegram answers in well under a second; a stuck call must not eat the function's timeout.
apihelper.CONNECT_TIMEOUT = 3
apihelper.READ_TIMEOUT = 5


def configure_api_url(api_url: str) -> None:
    """Point pyTelegramBotAPI at ``api_url`` (Telegram, a self-hosted server or the local stand-in)."""
    apihelper.API_URL = f"{api_url}/bot{{0}}/{{1}}"  # type: ignore[assignment]
    apihelper.FILE_URL = f"{api_url}/file/bot{{0}}/{{1}}"  # type: ignore[assignment]


def make_bot(config: Config) -> telebot.TeleBot:
    configure_api_url(config.telegram_api_url)
    # The token is checked when a call is made; without one the webhook still answers Telegram.
    return telebot.TeleBot(config.telegram_bot_token or "0:unset", threaded=False, parse_mode=None)


@functools.cache
def get_bot() -> telebot.TeleBot:
    return make_bot(get_config())
