"""Message catalogs: every text the bot shows, in Russian (default) and English.

Catalogs are JSON files in ``locales/`` (one per language, same keys). Texts are Telegram HTML;
values substituted into them are escaped, so user or backend data cannot break the markup.

>>> t = translator("en")
>>> t("menu.title", name="<Ann>")
'<b>Main menu</b> · &lt;Ann&gt;'
"""

from __future__ import annotations

import functools
import html
import json
from pathlib import Path

LOCALES = Path(__file__).with_name("locales")
LANGUAGES = ("ru", "en")


class SafeHTML(str):
    """Text that is already valid Telegram HTML (e.g. an admin's FAQ answer checked when saved):
    substituted as is."""


class Translator:
    def __init__(self, language: str, catalog: dict[str, str]) -> None:
        self.language = language
        self._catalog = catalog

    def __call__(self, key: str, /, **values: object) -> str:
        text = self._catalog[key]
        if not values:
            return text
        return text.format(**{name: _escaped(value) for name, value in values.items()})

    def raw(self, key: str, /) -> str:
        return self._catalog[key]

    def has(self, key: str, /) -> bool:
        return key in self._catalog


@functools.cache
def translator(language: str) -> Translator:
    with (LOCALES / f"{language}.json").open(encoding="utf-8") as file:
        return Translator(language, json.load(file))


def pick_language(telegram_language: str | None, default: str) -> str:
    """The user's Telegram language when the bot speaks it (``en-US`` counts as ``en``), else the default."""
    code = (telegram_language or "").split("-")[0].lower()
    return code if code in LANGUAGES else default


def _escaped(value: object) -> str:
    return value if isinstance(value, SafeHTML) else html.escape(str(value), quote=False)
