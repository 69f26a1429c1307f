"""The Telegram webhook's door: the secret header, malformed bodies, and what it imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.functional.events import load_event, webhook_event

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def webhook(aws, monkeypatch):
    from functions.telegram_webhook import app
    from supportbot.config import get_config
    from supportbot.pipeline import get_processor

    get_config.cache_clear()
    get_processor.cache_clear()
    yield app
    get_config.cache_clear()
    get_processor.cache_clear()


def test_missing_secret_is_401(webhook, lambda_context):
    # GIVEN an update without Telegram's secret header
    event = load_event("event-post-telegram-webhook-no-secret.json")
    # WHEN it reaches the webhook
    response = webhook.lambda_handler(event, lambda_context)
    # THEN it is refused as unauthenticated
    assert response["statusCode"] == 401


def test_wrong_secret_is_403(webhook, lambda_context):
    response = webhook.lambda_handler(
        load_event("event-post-telegram-webhook-wrong-secret.json"), lambda_context
    )
    assert response["statusCode"] == 403


def test_no_secret_configured_refuses_everything(webhook, lambda_context, monkeypatch):
    # GIVEN a deployment where the webhook secret is not configured
    from supportbot.config import get_config

    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET")
    get_config.cache_clear()
    # WHEN Telegram calls with any secret
    response = webhook.lambda_handler(load_event("event-post-telegram-webhook-start.json"), lambda_context)
    # THEN it fails closed
    assert response["statusCode"] == 403


@pytest.mark.parametrize(
    "body",
    [
        '{"update_id": 5000, "message": ',
        "",
        "[]",
        '"just a string"',
        '{"no_update_id": true}',
        '{"update_id": "12"}',
    ],
)
def test_malformed_bodies_are_acknowledged_and_dropped(webhook, lambda_context, body):
    # GIVEN a body that is not a Telegram update, with the right secret
    # WHEN it reaches the webhook
    response = webhook.lambda_handler(webhook_event(body), lambda_context)
    # THEN Telegram gets 200 (so it does not retry and block the chat)
    assert response["statusCode"] == 200


def test_malformed_event_file_is_acknowledged(webhook, lambda_context):
    response = webhook.lambda_handler(
        load_event("event-post-telegram-webhook-malformed.json"), lambda_context
    )
    assert response["statusCode"] == 200


@pytest.mark.parametrize(
    "update",
    [
        {
            "update_id": 7001,
            "edited_message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}, "text": "x"},
        },
        {
            "update_id": 7002,
            "channel_post": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": -100, "type": "channel"},
                "text": "x",
            },
        },
        {
            "update_id": 7003,
            "inline_query": {
                "id": "1",
                "from": {"id": 5, "is_bot": False, "first_name": "A"},
                "query": "",
                "offset": "",
            },
        },
        {"update_id": 7004, "some_future_kind": {"anything": [1, 2, 3]}},
        {"update_id": 7005, "message": {"message_id": "not-a-number"}},
    ],
)
def test_updates_without_customer_input_are_acknowledged(webhook, lambda_context, update):
    response = webhook.lambda_handler(webhook_event(update), lambda_context)
    assert response["statusCode"] == 200


def test_webhook_path_imports_no_boto3():
    # GIVEN a fresh interpreter, as on a Lambda cold start
    code = (
        "import sys; sys.path[:0] = ['layers/shared', 'functions/telegram_webhook'];"
        "import app; print('boto3' in sys.modules, 's3transfer' in sys.modules)"
    )
    # WHEN the handler module is imported
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    # THEN neither boto3 nor its transfer manager was loaded
    assert output.stdout.split() == ["False", "False"]


def test_sample_events_are_http_api_v2(webhook):
    for path in (ROOT / "events").glob("event-post-telegram-webhook-*.json"):
        event = json.loads(path.read_text(encoding="utf-8"))
        assert event["version"] == "2.0"
        assert event["requestContext"]["http"]["method"] == "POST"
        assert event["rawPath"] == "/v1/telegram/webhook"
