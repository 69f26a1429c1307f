"""make set-webhook: the deployed stack's webhook URL and the secret reach Telegram."""

from __future__ import annotations

import json

import boto3

from infra import set_webhook
from infra.botapi import BotApiServer, World
from tests.functional.harness import BOT_TOKEN

STACK = {
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {
        "TelegramWebhookUrl": {
            "Value": "https://abc123.execute-api.eu-central-1.amazonaws.com/v1/telegram/webhook"
        }
    },
}


def test_set_webhook_registers_the_stack_url_with_the_secret(aws, monkeypatch, capsys):
    # GIVEN a deployed stack and the bot's token and secret in the environment
    boto3.client("cloudformation").create_stack(StackName="bot", TemplateBody=json.dumps(STACK))
    world = World(token=BOT_TOKEN)
    with BotApiServer(world) as server:
        monkeypatch.setenv("TELEGRAM_API_URL", server.base_url)
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "test-webhook-secret")
        # WHEN make set-webhook runs
        code = set_webhook.main(["--stack-name", "bot"])
    # THEN Telegram knows the URL, the secret and the update kinds the bot handles
    assert code == 0
    assert world.webhook.url == STACK["Outputs"]["TelegramWebhookUrl"]["Value"]
    assert world.webhook.secret_token == "test-webhook-secret"
    assert world.webhook.allowed_updates == ["message", "edited_message", "callback_query"]
    assert "setWebhook https://abc123" in capsys.readouterr().out


def test_set_webhook_needs_the_secret(monkeypatch, capsys):
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET")
    assert set_webhook.main(["--stack-name", "bot"]) == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in capsys.readouterr().err
