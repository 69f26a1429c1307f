"""normalize_phone: Telegram contact numbers to E.164, and nothing that is not a phone."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from supportbot.backend.phones import normalize_phone

E164 = re.compile(r"\+[1-9][0-9]{7,14}", re.ASCII)


@pytest.mark.parametrize(
    "raw",
    [
        "79001234567",  # what Telegram usually sends
        "+79001234567",
        "+7 900 123-45-67",
        "+7 (900) 123-45-67",
        "8 (900) 123-45-67",  # Russian trunk prefix
        "89001234567",
        "  +7-900-123-45-67\n",
        "007 900 1234567",  # international call prefix
        "+7.900.123.45.67",
        "＋７９００１２３４５６７",  # full-width, as some keyboards type it
    ],
)
def test_russian_numbers_in_every_usual_form_become_one(raw: str) -> None:
    # WHEN a number is written in any usual way
    # THEN it comes out in E.164
    assert normalize_phone(raw) == "+79001234567"


@pytest.mark.parametrize(
    ("raw", "default_country", "expected"),
    [
        ("4915123456789", "7", "+4915123456789"),  # international digits without "+"
        ("+49 151 23456789", "7", "+4915123456789"),
        ("0151 23456789", "49", "+4915123456789"),  # national with trunk 0
        ("00 49 151 23456789", "49", "+4915123456789"),
        ("81234567890", "49", "+81234567890"),  # 8 is a trunk prefix only for country 7
        ("+1 (202) 555-0143", "7", "+12025550143"),
        ("+6881234", "7", None),  # 7 digits: too short
        ("+12345678", "7", "+12345678"),  # 8 digits: shortest allowed
        ("+123456789012345", "7", "+123456789012345"),  # 15 digits: longest allowed
        ("+1234567890123456", "7", None),
        ("8900123456", "7", "+8900123456"),  # 10 digits with 8: not a Russian trunk form, kept as is
    ],
)
def test_other_countries_and_lengths(raw: str, default_country: str, expected: str | None) -> None:
    assert normalize_phone(raw, default_country) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "+",
        "call me",
        "+7 900 123 45 67 ext 1",
        "++79001234567",
        "7900+1234567",
        "+0 123 456 789",
        "0",
        "12345",
        "+7 900 123-45-67; DROP",
        "٧٩٠٠١٢٣٤٥٦٧",  # Arabic-Indic digits (str.isdigit() would take them)
        "7" * 100,
    ],
)
def test_what_cannot_be_a_phone_is_none(raw: str) -> None:
    assert normalize_phone(raw) is None


def test_a_bad_default_country_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="calling code"):
        normalize_phone("79001234567", default_country="+7")


@given(st.text())
@example("8" * 11)
@example("+" + "9" * 15)
@example("\u0000+7")
def test_never_raises_and_returns_e164_or_none(raw: str) -> None:
    # WHEN any text at all is given
    result = normalize_phone(raw)
    # THEN there is no exception, and the result is None or a valid E.164 number
    assert result is None or E164.fullmatch(result)


@given(st.from_regex(r"\+?[0-9 ()\-]{1,30}", fullmatch=True), st.sampled_from(["7", "49", "1", "380"]))
def test_normalizing_is_idempotent(raw: str, default_country: str) -> None:
    # WHEN a number-like text is normalized twice
    once = normalize_phone(raw, default_country)
    # THEN the second time changes nothing (the bot may store and re-check what it stored)
    assert once is None or normalize_phone(once, default_country) == once
