"""Keeping secrets and phone numbers out of logs and stored error texts.

Logs carry whole updates when something fails (a shared contact holds a phone number), and an
exception of the HTTP stack names the URL it called (the Bot API's holds the bot token). So:

- every secret the configuration resolved (and any registered) is replaced by ``***`` wherever it appears in a log line
  (the exception's traceback included) or an error text we store;
- phone numbers are masked to their country and operator prefix and last four digits
  (``+79001234567`` -> ``+7900***4567``): by key in structured data (``phone_number``, ``phone``),
  and by shape in text. Numbers (JSON ints) are left alone; only text is. Ids are logged as ids
  (``ID_KEYS``: a Telegram user id has 10 digits, the shape of a phone) and left alone too, so logs
  can be searched by them: a digit string under an id key is kept (a formatter that writes an id
  into a line keeps it out of the text it redacts: infra/localstack/terminal.py).

>>> mask_phone("+79001234567"), mask_phone("79001234567"), mask_phone("12345")
('+7900***4567', '7900***4567', '***')
>>> mask_phones("call me at +7 900 123-45-67 or 89001234567, order 10042")
'call me at +7900***4567 or 8900***4567, order 10042'
>>> register_secrets(["123456:SECRET-TOKEN", None, "ab"])
>>> redact_text("GET /bot123456:SECRET-TOKEN/sendMessage failed")
'GET /bot***/sendMessage failed'
>>> redact({"contact": {"phone_number": "+79001234567", "user_id": 79001234567}, "text": "hi"})
{'contact': {'phone_number': '+7900***4567', 'user_id': 79001234567}, 'text': 'hi'}
>>> redact({"user_id": "7583001360", "text": "my number is 7583001360"})
{'user_id': '7583001360', 'text': 'my number is 7583***1360'}
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

MASK = "***"
PHONE_KEYS = frozenset({"phone_number", "phone"})
ID_KEYS = frozenset({"user_id", "chat_id", "update_id"})
ID = re.compile(r"-?\d+")
# 10 to 15 digits (E.164 at most 15), optionally with + and the usual separators; not part of a
# longer word or number (file ids, hex digests and URLs' long tokens are letters and digits mixed).
PHONE_IN_TEXT = re.compile(r"(?<![\w+])\+?\d(?:[ \-()]{0,2}\d){9,14}(?![\w])")
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words; no real secret is that short

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secrets(values: Iterable[str | None]) -> None:
    """Remember secret values to be masked from now on (called when the configuration is read)."""
    with _lock:
        for value in values:
            if value and len(value) >= MIN_SECRET_LENGTH:
                _secrets.add(value)
                _secrets.add(json.dumps(value)[1:-1])  # as it appears inside a JSON string


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 8:
        return MASK
    return ("+" if phone.strip().startswith("+") else "") + digits[:4] + MASK + digits[-4:]


def mask_phones(text: str) -> str:
    return PHONE_IN_TEXT.sub(lambda match: mask_phone(match.group(0)), text)


def _known_secrets() -> list[str]:
    """Registered secrets and those of the configuration read so far (env or SSM), longest first."""
    from supportbot.config import get_config

    config = get_config.current  # never read the configuration just to log
    if config is not None:
        register_secrets(config.secret_values())
    with _lock:
        return sorted(_secrets, key=len, reverse=True)


def redact_text(text: str) -> str:
    """``text`` with every known secret replaced (longest first) and phone numbers masked."""
    for secret in _known_secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    return mask_phones(text)


def redact(value: Any) -> Any:
    """A copy of ``value`` (dicts, lists, strings) with phones masked and secrets replaced."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: redact_field(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(item) for item in value)
    return value


def redact_field(key: str, value: Any) -> Any:
    """``value`` of the field ``key``, redacted: a phone masked whatever its shape, an id kept."""
    if key in PHONE_KEYS and isinstance(value, str):
        return mask_phone(value)
    if key in ID_KEYS and isinstance(value, str) and ID.fullmatch(value):
        return value
    return redact(value)


_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def protect(logger: Any) -> Any:
    """Make the handler of a Powertools ``logger`` (shared by every logger of the service) redact
    what it writes; idempotent, whichever function's module configured the handler first."""
    handler: logging.Handler | None = logger.registered_handler
    formatter = handler.formatter if handler is not None else None
    if formatter is None or getattr(formatter, "redacting", False):
        return logger
    original = formatter.format

    def format_redacted(record: logging.LogRecord) -> str:
        if isinstance(record.msg, str):
            record.msg = mask_phones(record.msg)
        if record.args:
            record.args = redact(record.args)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD:
                record.__dict__[key] = redact_field(key, value)
        # The traceback and everything else: secrets are replaced in the final line.
        line = original(record)
        for secret in _known_secrets():
            line = line.replace(secret, MASK)
        return line

    formatter.format = format_redacted  # type: ignore[method-assign]
    formatter.redacting = True  # type: ignore[attr-defined]
    return logger
