"""One typed configuration object: read at a cold start, its secrets again every five minutes.

A secret ``X`` comes from the environment variable ``X`` when it is set (local runs, tests); in AWS
the template sets ``X_PARAMETER`` to the name of an SSM SecureString parameter instead, and all
such parameters are fetched in one ``GetParameters`` call. ``X_PREVIOUS`` (``X_PREVIOUS_PARAMETER``,
``/<SsmPrefix>/<name>-previous``) is the value being rotated out: while it is set, the checks accept
it beside ``X`` (:meth:`Config.accepted`), so a rotation refuses no call (README, "Rotating secrets").
:data:`get_config` reads SSM again at most every :data:`SECRETS_MAX_AGE` seconds, so a warm function
picks up a rotation without a redeploy.

>>> config = Config.from_environ({"TELEGRAM_BOT_TOKEN": "123:fake", "ORDERS_PAGE_SIZE": "7"})
>>> config.orders_page_size, config.default_language, config.backend_url
(7, 'ru', None)
>>> rotating = Config.from_environ({"ADMIN_API_KEY": "new-key", "ADMIN_API_KEY_PREVIOUS": "old-key"})
>>> rotating.accepted("ADMIN_API_KEY"), config.accepted("ADMIN_API_KEY")
(('new-key', 'old-key'), ())
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

SECRET_NAMES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "BACKEND_API_KEY",
    "BLINGER_TOKEN",
    "BLINGER_WEBHOOK_SECRET",
    "BLINGER_API_TOKEN",
    "ADMIN_API_KEY",
    "BUSINESS_WEBHOOK_SECRET",
    "OPERATOR_KEY_SECRET",
    "BACKEND_TOKEN_SECRET",
)
PREVIOUS = "_PREVIOUS"  # X_PREVIOUS: the value of secret X being rotated out
SECRETS_MAX_AGE = 300.0  # seconds a warm function keeps the secrets it read before reading them again
RETRY_AFTER_FAILED_READ = 30.0  # seconds: SSM failing keeps the secrets read last, and is asked again then
MAX_NAMES_PER_CALL = 10  # GetParameters takes at most ten names
SUPPORTED_LANGUAGES = ("ru", "en")
# Where operators answer (docs/ARCHITECTURE.md, "Desks"): Blinger, a Telegram forum group (one topic
# per conversation), or the admin page's inbox.
DESKS = ("blinger", "telegram", "inbox")

ParameterFetcher = Callable[[list[str]], dict[str, str]]
T = TypeVar("T")
logger = logging.getLogger(__name__)


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
    content_table: str = "content"
    backend_table: str = "backend"
    failed_updates_table: str = "failed-updates"
    conversations_table: str = "conversations"
    notifications_table: str = "notifications"
    blinger_api_url: str | None = None
    blinger_token: str | None = None
    blinger_channel_id: str | None = None
    blinger_webhook_secret: str | None = None
    blinger_api_token: str | None = None
    blinger_rest_url: str = "https://app.blinger.io/api"
    support_desk: str = "inbox"
    support_chat_id: int | None = None
    warehouse_chat_id: int | None = None
    outbox_max_attempts: int = 12
    outbox_queue_url: str | None = None
    outbox_dead_letter_queue_url: str | None = None
    attachments_bucket: str | None = None
    message_retention_days: int = 365
    admin_api_key: str | None = None
    business_webhook_secret: str | None = None
    notifications_queue_url: str | None = None
    order_events_coalesce_seconds: int = 60
    broadcast_page_size: int = 50
    spam_limit_per_minute: int = 20
    auto_close_hours: int = 24
    operator_key_secret: str | None = None
    backend_token_secret: str | None = None
    # (name, value) of each X_PREVIOUS that is set: a tuple, so the configuration stays hashable
    previous_secrets: tuple[tuple[str, str], ...] = ()

    @property
    def auto_close_after(self) -> timedelta:
        """How long an answered conversation may stay silent before it is closed
        (docs/ARCHITECTURE.md, "Auto-close")."""
        return timedelta(hours=self.auto_close_hours)

    @property
    def message_retention(self) -> timedelta:
        """How long a conversation and its messages are kept after its last activity
        (docs/ARCHITECTURE.md, "Retention")."""
        return timedelta(days=self.message_retention_days)

    def accepted(self, name: str) -> tuple[str, ...]:
        """The values a caller may present for secret ``name``: the current one, then the previous
        while it is set; nothing when no current value is set (the check then fails closed)."""
        current = getattr(self, name.lower())
        if not current:
            return ()
        previous = dict(self.previous_secrets).get(name + PREVIOUS)
        return (current, previous) if previous else (current,)

    def secret_values(self) -> list[str]:
        """Every secret value this configuration holds, previous ones included (for redaction)."""
        current = [getattr(self, name.lower()) for name in SECRET_NAMES]
        return [value for value in current if value] + [value for _, value in self.previous_secrets]

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
            content_table=env.get("CONTENT_TABLE") or cls.content_table,
            backend_table=env.get("BACKEND_TABLE") or cls.backend_table,
            failed_updates_table=env.get("FAILED_UPDATES_TABLE") or cls.failed_updates_table,
            conversations_table=env.get("CONVERSATIONS_TABLE") or cls.conversations_table,
            notifications_table=env.get("NOTIFICATIONS_TABLE") or cls.notifications_table,
            blinger_api_url=env.get("BLINGER_API_URL") or None,
            blinger_token=secrets["BLINGER_TOKEN"],
            blinger_channel_id=env.get("BLINGER_CHANNEL_ID") or None,
            blinger_webhook_secret=secrets["BLINGER_WEBHOOK_SECRET"],
            blinger_api_token=secrets["BLINGER_API_TOKEN"],
            blinger_rest_url=(env.get("BLINGER_REST_URL") or cls.blinger_rest_url).rstrip("/"),
            support_desk=_desk(env),
            support_chat_id=_chat_id(env, "SUPPORT_CHAT_ID"),
            warehouse_chat_id=_chat_id(env, "WAREHOUSE_CHAT_ID"),
            outbox_max_attempts=_positive_int(env, "OUTBOX_MAX_ATTEMPTS", cls.outbox_max_attempts),
            outbox_queue_url=env.get("OUTBOX_QUEUE_URL") or None,
            outbox_dead_letter_queue_url=env.get("OUTBOX_DEAD_LETTER_QUEUE_URL") or None,
            attachments_bucket=env.get("ATTACHMENTS_BUCKET") or None,
            message_retention_days=_positive_int(env, "MESSAGE_RETENTION_DAYS", cls.message_retention_days),
            admin_api_key=secrets["ADMIN_API_KEY"],
            previous_secrets=tuple(
                (name + PREVIOUS, value)
                for name in SECRET_NAMES
                if (value := secrets[name + PREVIOUS]) is not None
            ),
            business_webhook_secret=secrets["BUSINESS_WEBHOOK_SECRET"],
            notifications_queue_url=env.get("NOTIFICATIONS_QUEUE_URL") or None,
            order_events_coalesce_seconds=_positive_int(
                env, "ORDER_EVENTS_COALESCE_SECONDS", cls.order_events_coalesce_seconds
            ),
            broadcast_page_size=_positive_int(env, "BROADCAST_PAGE_SIZE", cls.broadcast_page_size),
            spam_limit_per_minute=_positive_int(env, "SPAM_LIMIT_PER_MINUTE", cls.spam_limit_per_minute),
            auto_close_hours=_positive_int(env, "AUTO_CLOSE_HOURS", cls.auto_close_hours),
            operator_key_secret=secrets["OPERATOR_KEY_SECRET"],
            backend_token_secret=secrets["BACKEND_TOKEN_SECRET"],
        )

    @staticmethod
    def reads_parameters(environ: Mapping[str, str]) -> bool:
        """Whether some secret comes from SSM (only then is there anything to read again)."""
        return any(environ.get(f"{name}_PARAMETER") and not environ.get(name) for name in _all_secret_names())


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


def _desk(env: Mapping[str, str]) -> str:
    """``SUPPORT_DESK``, else Blinger when its send URL is set, else the Telegram group when
    ``SUPPORT_CHAT_ID`` is set, else the admin page's inbox."""
    desk = env.get("SUPPORT_DESK") or (
        "blinger" if env.get("BLINGER_API_URL") else "telegram" if env.get("SUPPORT_CHAT_ID") else "inbox"
    )
    if desk not in DESKS:
        raise ConfigError(f"SUPPORT_DESK must be one of {DESKS}, not {desk!r}")
    if desk == "telegram" and not env.get("SUPPORT_CHAT_ID"):
        raise ConfigError("SUPPORT_DESK=telegram needs SUPPORT_CHAT_ID (the support group's chat id)")
    return desk


def _chat_id(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a Telegram chat id (a whole number), not {raw!r}") from None


def _all_secret_names() -> list[str]:
    return [*SECRET_NAMES, *(name + PREVIOUS for name in SECRET_NAMES)]


def resolve_secrets(env: Mapping[str, str], fetch_parameters: ParameterFetcher) -> dict[str, str | None]:
    """Each secret (and each ``X_PREVIOUS``) from its variable, else from the SSM parameter its
    ``_PARAMETER`` variable names.

    A parameter that does not exist leaves the secret unset: every check that needs it then fails
    closed instead of the whole function failing to start (and no previous value is accepted).
    """
    names = _all_secret_names()
    values: dict[str, str | None] = {name: env.get(name) or None for name in names}
    wanted = {
        env[f"{name}_PARAMETER"]: name
        for name in names
        if values[name] is None and env.get(f"{name}_PARAMETER")
    }
    if wanted:
        for parameter, value in fetch_parameters(sorted(wanted)).items():
            values[wanted[parameter]] = value
    return values


@functools.cache
def _ssm_client() -> Any:
    import botocore.session

    return botocore.session.get_session().create_client("ssm")


def fetch_ssm_parameters(names: list[str]) -> dict[str, str]:
    """Decrypted values of the SSM parameters that exist: one request for up to ten names.

    A bare botocore client, not Powertools' parameters utility: its ``get_parameters_by_name`` does
    cache with a ``max_age`` and batch, but it caches only parameters that exist, so an unset
    ``X_PREVIOUS`` (the usual state) would be asked for again on every call; and it imports boto3
    and every provider, 230 ms more at a cold start here, which the webhook path does not pay.
    """
    client = _ssm_client()
    found: dict[str, str] = {}
    for start in range(0, len(names), MAX_NAMES_PER_CALL):
        response = client.get_parameters(Names=names[start : start + MAX_NAMES_PER_CALL], WithDecryption=True)
        found.update({parameter["Name"]: parameter["Value"] for parameter in response["Parameters"]})
    return found


class ConfigSource:
    """The process-wide configuration (:data:`get_config`): read at the first call (the cold start);
    when some secret comes from SSM, read again once it is :data:`SECRETS_MAX_AGE` seconds old.

    The same object is returned while nothing changed, so what is built from it (:class:`PerConfig`)
    is rebuilt only when a secret really changed. If SSM fails on a later read, the secrets read last
    stay in use and SSM is asked again :data:`RETRY_AFTER_FAILED_READ` seconds later; a failure at the
    cold start is raised (nothing to fall back on).
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        fetch_parameters: ParameterFetcher | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = SECRETS_MAX_AGE,
    ) -> None:
        self.environ = environ
        self.fetch_parameters = fetch_parameters
        self.clock = clock
        self.max_age = max_age
        self._lock = threading.Lock()
        self._config: Config | None = None
        self._due: float | None = (
            0.0  # clock() at which the secrets are read again (only when some are in SSM)
        )

    def __call__(self) -> Config:
        config = self._config
        if config is not None and (self._due is None or self.clock() < self._due):
            return config
        with self._lock:
            return self._read()

    def _read(self) -> Config:
        now = self.clock()
        if self._config is not None and (self._due is None or now < self._due):
            return self._config  # another thread read it meanwhile
        env = os.environ if self.environ is None else self.environ
        try:
            fresh = Config.from_environ(env, self.fetch_parameters or fetch_ssm_parameters)
        except Exception:
            if self._config is None:
                raise
            logger.exception("Secrets could not be read again; the ones read last stay in use")
            self._due = now + RETRY_AFTER_FAILED_READ
            return self._config
        if fresh != self._config:
            self._config = fresh
        self._due = now + self.max_age if Config.reads_parameters(env) else None
        return self._config

    @property
    def current(self) -> Config | None:
        """The configuration read last, without reading anything (logging never reads it to redact)."""
        return self._config

    def expire(self) -> None:
        """Read the secrets again at the next call (as when the re-read window has passed)."""
        with self._lock:
            if self._due is not None:
                self._due = self.clock()

    def cache_clear(self) -> None:
        """Forget everything, as a new Lambda instance would (tests)."""
        with self._lock:
            self._config, self._due = None, 0.0


get_config = ConfigSource()


class PerConfig(Generic[T]):
    """``build(config)`` made once per configuration: a warm function keeps what it built (a bot,
    the update processor) until re-read secrets change the configuration, then builds it anew.

    >>> built = []
    >>> def build(config: Config) -> str:
    ...     built.append(config)
    ...     return "bot"
    >>> source = ConfigSource(environ={"TELEGRAM_BOT_TOKEN": "1:a"})
    >>> get_bot = PerConfig(build, source)
    >>> get_bot(), get_bot(), len(built)
    ('bot', 'bot', 1)
    """

    def __init__(self, build: Callable[[Config], T], source: Callable[[], Config] | None = None) -> None:
        self._build = functools.lru_cache(maxsize=1)(build)
        self._source = source

    def __call__(self) -> T:
        return self._build((self._source or get_config)())

    def cache_clear(self) -> None:
        self._build.cache_clear()
