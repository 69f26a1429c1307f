"""The Blinger webhook stores and queues; it never talks to Telegram, so it never loads its client."""

from __future__ import annotations

from tests.imports import packages_loaded


def test_the_blinger_webhook_loads_neither_the_telegram_client_nor_requests():
    # GIVEN the Blinger webhook's import path in Lambda: the function and the shared layer
    # THEN its cold start pays for none of them (the outbox delivers to Telegram, not this function)
    assert packages_loaded(["blinger_webhook"], ("telebot", "requests", "boto3")) == []
