"""Message catalogs: the same keys and placeholders in every language; values are escaped."""

from __future__ import annotations

import json
import string

import pytest

from supportbot.i18n import LANGUAGES, LOCALES, SafeHTML, pick_language, translator


def catalog(language: str) -> dict[str, str]:
    return json.loads((LOCALES / f"{language}.json").read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_the_same_keys_and_placeholders():
    reference = catalog("ru")
    for language in LANGUAGES:
        texts = catalog(language)
        assert texts.keys() == reference.keys(), language
        for key, text in texts.items():
            assert placeholders(text) == placeholders(reference[key]), (language, key)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_valid_telegram_html(language):
    from infra.botapi.formatting import parse_text

    for key, text in catalog(language).items():
        filled = text.format(**{name: "x" for name in placeholders(text)})
        plain, _ = parse_text(filled, "HTML")
        assert plain.strip(), key


def test_values_are_escaped_unless_already_safe_html():
    t = translator("en")
    assert t("faq.answer", title="<i>", text=SafeHTML("<b>ok</b>")) == "<b>&lt;i&gt;</b>\n\n<b>ok</b>"


@pytest.mark.parametrize(
    ("telegram", "expected"),
    [("en", "en"), ("en-US", "en"), ("ru", "ru"), ("de", "ru"), (None, "ru"), ("", "ru")],
)
def test_language_comes_from_telegram_when_supported(telegram, expected):
    assert pick_language(telegram, "ru") == expected
