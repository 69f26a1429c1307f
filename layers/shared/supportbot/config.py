"""One typed configuration object, read once per cold start.

A secret ``X`` comes from the environment variable ``X`` when it is set (local runs, tests); in AWS
the template sets ``X_PARAMETER`` to the name of an SSM SecureString parameter instead, and all
such parameters are fetched in one ``GetParameters`` call.

>>> config = Config.from_environ({"TELEGRAM_BOT_TOKEN": "123:fake", "ORDERS_PAGE_SIZE": "7"})
>>> config.orders_page_size, config.default_language, config.backend_url
(7, 'ru', None)
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SECRET_NAMES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "BACKEND_API_KEY",
    "BLINGER_TOKEN",
    "BLINGER_WEBHOOK_SECRET",
    "ADMIN_API_KEY",
)
SUPPORTED_LANGUAGES = ("ru", "en")

ParameterFetcher = Callable[[list[str]], dict[str, str]]


class ConfigError(ValueError):
    """A setting has a value the bot cannot work with."""


@dataclass(frozen=True)
class Config:
    telegram_bot_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_secret: str | None = None
    backend_url: str | None = None
    backend_api_key: str | None = None
    default_language: str = "ru"
    time_zone: str = "Europe/Moscow"
    orders_page_size: int = 5
    history_limit: int = 20
    sessions_table: str = "sessions"
    blinger_api_url: str | None = None
    blinger_token: str | None = None
    blinger_channel_id: str | None = None
    blinger_webhook_secret: str | None = None
    warehouse_chat_id: int | None = None
    outbox_max_attempts: int = 12
    outbox_queue_url: str | None = None
    outbox_dead_letter_queue_url: str | None = None
    attachments_bucket: str | None = None
    admin_api_key: str | None = None

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str] | None = None, fetch_parameters: ParameterFetcher | None = None
    ) -> Config:
        env = os.environ if environ is None else environ
        secrets = resolve_secrets(env, fetch_parameters or fetch_ssm_parameters)
        default_language = env.get("DEFAULT_LANGUAGE") or "ru"
        if default_language not in SUPPORTED_LANGUAGES:
            raise ConfigError(
                f"DEFAULT_LANGUAGE must be one of {SUPPORTED_LANGUAGES}, not {default_language!r}"
            )
        return cls(
            telegram_bot_token=secrets["TELEGRAM_BOT_TOKEN"],
            telegram_api_url=(env.get("TELEGRAM_API_URL") or cls.telegram_api_url).rstrip("/"),
            telegram_webhook_secret=secrets["TELEGRAM_WEBHOOK_SECRET"],
            backend_url=(env.get("BACKEND_URL") or "").rstrip("/") or None,
            backend_api_key=secrets["BACKEND_API_KEY"],
            default_language=default_language,
            time_zone=env.get("TIME_ZONE") or cls.time_zone,
            orders_page_size=_positive_int(env, "ORDERS_PAGE_SIZE", cls.orders_page_size),
            history_limit=_positive_int(env, "HISTORY_LIMIT", cls.history_limit),
            sessions_table=env.get("SESSIONS_TABLE") or cls.sessions_table,
            blinger_api_url=env.get("BLINGER_API_URL") or None,
            blinger_token=secrets["BLINGER_TOKEN"],
            blinger_channel_id=env.get("BLINGER_CHANNEL_ID") or None,
            blinger_webhook_secret=secrets["BLINGER_WEBHOOK_SECRET"],
            warehouse_chat_id=_chat_id(env, "WAREHOUSE_CHAT_ID"),
            outbox_max_attempts=_positive_int(env, "OUTBOX_MAX_ATTEMPTS", cls.outbox_max_attempts),
            outbox_queue_url=env.get("OUTBOX_QUEUE_URL") or None,
            outbox_dead_letter_queue_url=env.get("OUTBOX_DEAD_LETTER_QUEUE_URL") or None,
            attachments_bucket=env.get("ATTACHMENTS_BUCKET") or None,
            admin_api_key=secrets["ADMIN_API_KEY"],
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, not {value}")
    return value


def _chat_id(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a Telegram chat id (a whole number), not {raw!r}") from None


def resolve_secrets(env: Mapping[str, str], fetch_parameters: ParameterFetcher) -> dict[str, str | None]:
    """Each secret from its variable, else from the SSM parameter its ``_PARAMETER`` variable names.

    A parameter that does not exist leaves the secret unset: every check that needs it then fails
    closed instead of the whole function failing to start.
    """
    values: dict[str, str | None] = {name: env.get(name) or None for name in SECRET_NAMES}
    wanted = {
        env[f"{name}_PARAMETER"]: name
        for name in SECRET_NAMES
        if values[name] is None and env.get(f"{name}_PARAMETER")
    }
    if wanted:
        for parameter, value in fetch_parameters(sorted(wanted)).items():
            values[wanted[parameter]] = value
    return values


def fetch_ssm_parameters(names: list[str]) -> dict[str, str]:
    """Decrypted values of the SSM parameters that exist, in one request.

    A bare botocore client, not Powertools' parameters utility: that one imports boto3, which the
    webhook path does not load (cold start).
    """
    import botocore.session

    client: Any = botocore.session.get_session().create_client("ssm")
    response = client.get_parameters(Names=names, WithDecryption=True)
    return {parameter["Name"]: parameter["Value"] for parameter in response["Parameters"]}


@functools.cache
def get_config() -> Config:
    """The process-wide configuration (cold start reads it once)."""
    return Config.from_environ()
