"""Configuration: environment first, SSM parameters (one call) for secrets in AWS."""

from __future__ import annotations

import boto3
import pytest

from supportbot.config import (
    RETRY_AFTER_FAILED_READ,
    SECRETS_MAX_AGE,
    Config,
    ConfigError,
    ConfigSource,
    PerConfig,
    fetch_ssm_parameters,
)


def test_defaults_follow_the_architecture():
    config = Config.from_environ({}, fetch_parameters=lambda names: {})
    assert (config.default_language, config.time_zone, config.orders_page_size) == ("ru", "Europe/Moscow", 5)
    assert config.telegram_api_url == "https://api.telegram.org"
    assert config.backend_url is None
    assert config.telegram_webhook_secret is None
    assert (config.auto_close_hours, config.auto_close_after.total_seconds()) == (24, 24 * 3600)


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
        ({"MESSAGE_RETENTION_DAYS": "0"}, "MESSAGE_RETENTION_DAYS must be at least 1"),
        ({"AUTO_CLOSE_HOURS": "a day"}, "AUTO_CLOSE_HOURS must be a whole number"),
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


# --- rotation: previous values, re-reading SSM ------------------------------------------------

PARAMETERS = {
    "TELEGRAM_WEBHOOK_SECRET_PARAMETER": "/bot/telegram-webhook-secret",
    "TELEGRAM_WEBHOOK_SECRET_PREVIOUS_PARAMETER": "/bot/telegram-webhook-secret-previous",
    "ADMIN_API_KEY_PARAMETER": "/bot/admin-api-key",
    "ADMIN_API_KEY_PREVIOUS_PARAMETER": "/bot/admin-api-key-previous",
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingSsm:
    """fetch_ssm_parameters against moto, counting the calls."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.fail = False

    def __call__(self, names: list[str]) -> dict[str, str]:
        self.calls.append(names)
        if self.fail:
            raise ConnectionError("SSM is unreachable")
        return fetch_ssm_parameters(names)


def _put(name: str, value: str) -> None:
    boto3.client("ssm").put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


def test_a_previous_value_is_accepted_beside_the_current_one_while_it_is_set(aws):
    # GIVEN a rotation under way: the new webhook secret current, the old one previous
    _put("/bot/telegram-webhook-secret", "new-secret")
    _put("/bot/telegram-webhook-secret-previous", "old-secret")
    _put("/bot/admin-api-key", "admin-key")  # no previous admin key
    # WHEN the configuration is read
    config = Config.from_environ(PARAMETERS, fetch_parameters=fetch_ssm_parameters)
    # THEN the webhook accepts both, the admin API only its key, and redaction knows all three
    assert config.accepted("TELEGRAM_WEBHOOK_SECRET") == ("new-secret", "old-secret")
    assert config.accepted("ADMIN_API_KEY") == ("admin-key",)
    assert sorted(config.secret_values()) == ["admin-key", "new-secret", "old-secret"]


def test_a_previous_value_alone_lets_nobody_in():
    config = Config.from_environ({"ADMIN_API_KEY_PREVIOUS": "old-key"}, fetch_parameters=lambda names: {})
    assert config.accepted("ADMIN_API_KEY") == ()


def test_secrets_are_read_again_once_five_minutes_old_in_one_call(aws):
    # GIVEN a warm function that read its secrets from SSM
    _put("/bot/telegram-webhook-secret", "first")
    ssm, clock = CountingSsm(), Clock()
    source = ConfigSource(environ=PARAMETERS, fetch_parameters=ssm, clock=clock)
    first = source()
    assert len(ssm.calls) == 1
    assert len(ssm.calls[0]) == 4
    # WHEN the secret is rotated in SSM
    _put("/bot/telegram-webhook-secret", "second")
    _put("/bot/telegram-webhook-secret-previous", "first")
    clock.now += SECRETS_MAX_AGE - 1
    # THEN within the window nothing is asked and the same configuration is used
    assert source() is first
    assert len(ssm.calls) == 1
    # AND once the window has passed one call brings both values
    clock.now += 1
    rotated = source()
    assert len(ssm.calls) == 2
    assert rotated.accepted("TELEGRAM_WEBHOOK_SECRET") == ("second", "first")
    # AND a re-read that finds nothing new keeps the very same object (what was built from it stays)
    clock.now += SECRETS_MAX_AGE
    assert source() is rotated
    assert len(ssm.calls) == 3


def test_secrets_from_the_environment_are_never_read_again():
    fetched: list[list[str]] = []
    clock = Clock()
    env = {"TELEGRAM_WEBHOOK_SECRET": "env-secret", "TELEGRAM_WEBHOOK_SECRET_PARAMETER": "/bot/unused"}
    source = ConfigSource(
        environ=env, fetch_parameters=lambda names: fetched.append(names) or {}, clock=clock
    )
    config = source()
    clock.now += 10 * SECRETS_MAX_AGE
    source.expire()
    assert source() is config
    assert fetched == []


def test_ssm_failing_on_a_re_read_keeps_the_secrets_read_last_and_asks_again_later(aws):
    # GIVEN a warm function with its secrets
    _put("/bot/admin-api-key", "admin-key")
    ssm, clock = CountingSsm(), Clock()
    source = ConfigSource(environ=PARAMETERS, fetch_parameters=ssm, clock=clock)
    config = source()
    # WHEN SSM fails at the re-read
    ssm.fail = True
    clock.now += SECRETS_MAX_AGE
    # THEN the secrets read last stay in use, and SSM is not asked again at every call
    assert source() is config
    assert source() is config
    assert len(ssm.calls) == 2
    # AND it is asked again after the retry delay, and its answer used
    ssm.fail = False
    _put("/bot/admin-api-key", "rotated-key")
    clock.now += RETRY_AFTER_FAILED_READ
    assert source().accepted("ADMIN_API_KEY") == ("rotated-key",)
    assert len(ssm.calls) == 3


def test_ssm_failing_at_the_cold_start_is_an_error():
    def unreachable(names: list[str]) -> dict[str, str]:
        raise ConnectionError("SSM is unreachable")

    source = ConfigSource(environ=PARAMETERS, fetch_parameters=unreachable, clock=Clock())
    with pytest.raises(ConnectionError):
        source()
    assert source.current is None


def test_expire_makes_the_next_call_read_again(aws):
    ssm, clock = CountingSsm(), Clock()
    source = ConfigSource(environ=PARAMETERS, fetch_parameters=ssm, clock=clock)
    source()
    source.expire()
    source()
    assert len(ssm.calls) == 2
    source.cache_clear()
    assert source.current is None


def test_more_than_ten_names_take_one_call_per_ten(aws):
    # GetParameters takes ten names at most
    names = [f"/bot/p{n:02}" for n in range(12)]
    for name in names:
        _put(name, name.upper())
    assert fetch_ssm_parameters(names) == {name: name.upper() for name in names}


def test_what_is_built_from_the_configuration_is_built_again_when_a_secret_changes(aws):
    # GIVEN a bot built from a configuration whose token is in SSM
    env = {"TELEGRAM_BOT_TOKEN_PARAMETER": "/bot/telegram-bot-token"}
    _put("/bot/telegram-bot-token", "1:first")
    clock = Clock()
    source = ConfigSource(environ=env, fetch_parameters=fetch_ssm_parameters, clock=clock)
    get_token = PerConfig(lambda config: [config.telegram_bot_token], source)
    built = get_token()
    assert get_token() is built
    # WHEN the token changes and the window passes
    _put("/bot/telegram-bot-token", "2:second")
    clock.now += SECRETS_MAX_AGE
    # THEN it is built again with the new token
    assert get_token() == ["2:second"]
    get_token.cache_clear()


@pytest.mark.parametrize(
    ("env", "desk"),
    [
        ({}, "inbox"),
        ({"SUPPORT_CHAT_ID": "-1001234567890"}, "telegram"),
        ({"BLINGER_API_URL": "https://blinger.example/send", "SUPPORT_CHAT_ID": "-100123"}, "blinger"),
        ({"SUPPORT_DESK": "inbox", "SUPPORT_CHAT_ID": "-100123"}, "inbox"),
        ({"SUPPORT_DESK": "telegram", "SUPPORT_CHAT_ID": "-100123"}, "telegram"),
        ({"SUPPORT_DESK": "", "SUPPORT_CHAT_ID": ""}, "inbox"),  # the template's empty parameters
    ],
)
def test_the_desk_defaults_to_blinger_then_the_telegram_group_then_the_inbox(env, desk):
    assert Config.from_environ(env, fetch_parameters=lambda names: {}).support_desk == desk


def test_the_support_group_id_is_read_as_a_chat_id():
    config = Config.from_environ({"SUPPORT_CHAT_ID": "-1001234567890"}, fetch_parameters=lambda names: {})
    assert config.support_chat_id == -1001234567890


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SUPPORT_DESK": "telegram"}, "SUPPORT_DESK=telegram needs SUPPORT_CHAT_ID"),
        ({"SUPPORT_DESK": "zendesk"}, "SUPPORT_DESK must be one of"),
        ({"SUPPORT_CHAT_ID": "support-group"}, "SUPPORT_CHAT_ID must be a Telegram chat id"),
    ],
)
def test_a_desk_that_cannot_work_names_the_setting(env, message):
    with pytest.raises(ConfigError, match=message):
        Config.from_environ(env, fetch_parameters=lambda names: {})
