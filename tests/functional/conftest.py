from __future__ import annotations

import pytest
from telebot import apihelper

from infra.botapi import BotApiServer, World
from tests.functional.harness import BOT_TOKEN, Harness


def reset_singletons() -> None:
    """Forget what a cold start would build, so each test starts like a new Lambda instance."""
    from supportbot.config import get_config
    from supportbot.content import get_content_store
    from supportbot.pipeline import get_processor
    from supportbot.storage.transactions import shared_connection
    from supportbot.telegram.client import get_bot

    # The transactions' connection too: its botocore client is bound to the endpoint it was made for.
    for cached in (get_config, get_bot, get_processor, get_content_store, shared_connection):
        cached.cache_clear()


@pytest.fixture
def harness(aws, lambda_context, monkeypatch, request):
    from functions.telegram_webhook import app
    from infra.demo import load_demo_data

    # Telegram's flood limits only for tests about them: the others send faster than a person.
    world = World(token=BOT_TOKEN, rate_limits=request.node.get_closest_marker("pacing") is not None)
    saved = apihelper.API_URL, apihelper.FILE_URL
    with BotApiServer(world) as server:
        monkeypatch.setenv("TELEGRAM_API_URL", server.base_url)
        reset_singletons()
        load_demo_data()
        yield Harness(world, server, app, lambda_context)
    reset_singletons()
    apihelper.API_URL, apihelper.FILE_URL = saved
