"""Configuration: environment first, SSM parameters (one call) for secrets in AWS."""

from __future__ import annotations

import boto3
import pytest

from supportbot.config import Config, ConfigError, fetch_ssm_parameters


def test_defaults_follow_the_architecture():
    config = Config.from_environ({}, fetch_parameters=lambda names: {})
    assert (config.default_language, config.time_zone, config.orders_page_size) == ("ru", "Europe/Moscow", 5)
    assert config.telegram_api_url == "https://api.telegram.org"
    assert config.backend_url is None
    assert config.telegram_webhook_secret is None


def test_environment_value_wins_over_the_parameter():
    # GIVEN a secret in the environment and a parameter name for it too
    asked: list[list[str]] = []
    env = {"TELEGRAM_BOT_TOKEN": "1:env", "TELEGRAM_BOT_TOKEN_PARAMETER": "/bot/telegram-bot-token"}
    # WHEN the configuration is read
    config = Config.from_environ(env, fetch_parameters=lambda names: asked.append(names) or {})
    # THEN the environment's value is used and SSM is not asked
    assert config.telegram_bot_token == "1:env"
    assert asked == []


def test_secrets_come_from_ssm_in_one_call(aws):
    # GIVEN the template's parameter names and SecureString parameters in SSM
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/bot/telegram-bot-token", Value="1:from-ssm", Type="SecureString")
    ssm.put_parameter(Name="/bot/telegram-webhook-secret", Value="ssm-secret", Type="SecureString")
    env = {
        "TELEGRAM_BOT_TOKEN_PARAMETER": "/bot/telegram-bot-token",
        "TELEGRAM_WEBHOOK_SECRET_PARAMETER": "/bot/telegram-webhook-secret",
        "BACKEND_API_KEY_PARAMETER": "/bot/backend-api-key",  # never created
    }
    calls: list[list[str]] = []

    def fetch(names: list[str]) -> dict[str, str]:
        calls.append(names)
        return fetch_ssm_parameters(names)

    # WHEN the configuration is read
    config = Config.from_environ(env, fetch_parameters=fetch)
    # THEN both secrets are decrypted in one request and the missing one stays unset (fails closed)
    assert len(calls) == 1
    assert (config.telegram_bot_token, config.telegram_webhook_secret) == ("1:from-ssm", "ssm-secret")
    assert config.backend_api_key is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ORDERS_PAGE_SIZE": "five"}, "ORDERS_PAGE_SIZE must be a whole number"),
        ({"HISTORY_LIMIT": "0"}, "HISTORY_LIMIT must be at least 1"),
        ({"DEFAULT_LANGUAGE": "de"}, "DEFAULT_LANGUAGE must be one of"),
    ],
)
def test_bad_settings_name_the_setting(env, message):
    with pytest.raises(ConfigError, match=message):
        Config.from_environ(env, fetch_parameters=lambda names: {})


def test_urls_lose_their_trailing_slash():
    config = Config.from_environ(
        {"TELEGRAM_API_URL": "http://127.0.0.1:8081/", "BACKEND_URL": "https://shop.example/api/"},
        fetch_parameters=lambda names: {},
    )
    assert (config.telegram_api_url, config.backend_url) == (
        "http://127.0.0.1:8081",
        "https://shop.example/api",
    )
