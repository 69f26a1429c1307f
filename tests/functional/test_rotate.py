"""make rotate-webhook-secret, rotate-secret, finish-rotation against moto (SSM, CloudFormation)
and the Telegram sandbox. Rotation under traffic: tests/reliability/test_rotation.py."""

from __future__ import annotations

import json

import boto3
import pytest

from infra import rotate
from infra.botapi import BotApiServer, World
from tests.functional.harness import BOT_TOKEN

URL = "https://abc123.execute-api.eu-central-1.amazonaws.com/v1/telegram/webhook"
STACK = {
    "Parameters": {"SsmPrefix": {"Type": "String", "Default": "telegram-support-bot"}},
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {"TelegramWebhookUrl": {"Value": URL}},
}


@pytest.fixture
def stack(aws):
    boto3.client("cloudformation").create_stack(
        StackName="bot",
        TemplateBody=json.dumps(STACK),
        Parameters=[{"ParameterKey": "SsmPrefix", "ParameterValue": "shop-bot"}],
    )
    return rotate.Parameters("shop-bot", boto3.client("ssm"))


def test_rotate_webhook_secret_tells_telegram_the_new_secret_after_the_wait(stack, monkeypatch, capsys):
    # GIVEN a deployed stack with its token and webhook secret in SSM (prefix from the stack)
    stack.put("telegram-bot-token", BOT_TOKEN)
    stack.put("telegram-webhook-secret", "old-webhook-secret")
    world = World(token=BOT_TOKEN)
    with BotApiServer(world) as server:
        monkeypatch.setenv("TELEGRAM_API_URL", server.base_url)
        # WHEN make rotate-webhook-secret runs
        code = rotate.main(["--stack-name", "bot", "--wait", "0", "webhook-secret"])
    # THEN Telegram has a new 64-character secret, SSM holds it, and the old one is no longer kept
    out = capsys.readouterr().out
    assert code == 0, out
    new = stack.get("telegram-webhook-secret")
    assert world.webhook.url == URL
    assert world.webhook.secret_token == new
    assert new is not None
    assert len(new) == 64
    assert new != "old-webhook-secret"
    assert stack.get("telegram-webhook-secret-previous") is None
    # AND the secret itself is never printed
    assert new not in out
    assert "old-webhook-secret" not in out
    assert "Waiting 0 s" in out
    assert "/shop-bot/telegram-webhook-secret-previous deleted" in out


def test_a_refused_set_webhook_leaves_the_old_secret_accepted(stack, capsys):
    stack.put("telegram-bot-token", "999:WRONG-TOKEN")
    stack.put("telegram-webhook-secret", "old-webhook-secret")
    world = World(token=BOT_TOKEN)
    with BotApiServer(world) as server, pytest.raises(rotate.RotationError, match="setWebhook refused"):
        rotate.rotate_webhook_secret(stack, URL, server.base_url, wait=0, say=lambda _: None)
    # Telegram still sends the old secret, which the functions still accept as the previous one
    assert stack.get("telegram-webhook-secret-previous") == "old-webhook-secret"


def test_rotating_the_webhook_secret_needs_the_bot_token(stack, capsys):
    assert rotate.main(["--stack-name", "bot", "--wait", "0", "webhook-secret"]) == 1
    assert "/shop-bot/telegram-bot-token is not set" in capsys.readouterr().err


def test_rotate_secret_then_finish_rotation(stack, capsys):
    # GIVEN an admin key in use
    stack.put("admin-api-key", "old-admin-key")
    # WHEN make rotate-secret NAME=admin-api-key runs
    assert rotate.main(["--stack-name", "bot", "start", "admin-api-key"]) == 0
    # THEN the old key is the previous one, a new one is current, and the next step is named
    assert stack.get("admin-api-key-previous") == "old-admin-key"
    assert stack.get("admin-api-key") not in (None, "old-admin-key")
    assert "make finish-rotation NAME=admin-api-key" in capsys.readouterr().out
    # WHEN make finish-rotation runs (twice: the second has nothing to do)
    assert rotate.main(["--stack-name", "bot", "finish", "admin-api-key"]) == 0
    assert rotate.main(["--stack-name", "bot", "finish", "admin-api-key"]) == 0
    assert stack.get("admin-api-key-previous") is None
    assert "did not exist: nothing to finish" in capsys.readouterr().out


def test_blingers_token_is_the_one_blinger_issued(stack, monkeypatch, capsys):
    # Blinger generates the app token: no made-up value
    assert rotate.main(["--stack-name", "bot", "start", "blinger-token"]) == 1
    assert "NEW_SECRET_VALUE" in capsys.readouterr().err
    monkeypatch.setenv("NEW_SECRET_VALUE", "token-from-blinger")
    assert rotate.main(["--stack-name", "bot", "start", "blinger-token"]) == 0
    # nothing to move to previous the first time
    assert stack.get("blinger-token") == "token-from-blinger"
    assert stack.get("blinger-token-previous") is None
