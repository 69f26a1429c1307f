"""Phone numbers from Telegram contacts in E.164, the form the business system is asked about.

Telegram sends a contact's number as the user's client stored it: usually international digits
without "+" ("79001234567"), sometimes formatted, sometimes national with a trunk prefix
("8 (900) 123-45-67" in Russia). One canonical form keeps a customer from being "unknown" only
because of formatting.

>>> normalize_phone("79001234567"), normalize_phone("+7 900 123-45-67"), normalize_phone("8 (900) 123-45-67")
('+79001234567', '+79001234567', '+79001234567')
>>> normalize_phone("0049 30 1234567"), normalize_phone("030 1234567", default_country="49")
('+49301234567', '+49301234567')
>>> normalize_phone("call me"), normalize_phone("12345"), normalize_phone("+0 123 456 789")
(None, None, None)
"""

from __future__ import annotations

import unicodedata

MIN_DIGITS = 8  # shortest full international numbers (small island states) have 8 digits with the code
MAX_DIGITS = 15  # ITU-T E.164
_SEPARATORS = frozenset(" -().\t/")
_DIGITS = frozenset("0123456789")  # str.isdigit() would also accept "²" and other scripts' digits


def normalize_phone(raw: str, default_country: str = "7") -> str | None:
    """``+`` and 8-15 digits, or None when ``raw`` cannot be a phone number.

    Without "+" the digits are taken as international (as Telegram sends them) unless they start
    with a trunk prefix: "00" (international call prefix), for country 7 an 11-digit number
    starting with "8", for other countries a single leading "0".
    """
    if not (default_country.isascii() and default_country.isdigit() and 1 <= len(default_country) <= 3):
        raise ValueError(f"default_country must be a 1-3 digit calling code, not {default_country!r}")
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    text = unicodedata.normalize("NFKC", raw).strip()  # full-width digits and "＋" become ASCII
    international = text.startswith("+")
    if international:
        text = text[1:]
    if not text or any(char not in _DIGITS and char not in _SEPARATORS for char in text):
        return None
    digits = "".join(char for char in text if char in _DIGITS)
    if not international:
        digits = _international_digits(digits, default_country)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS or digits.startswith("0"):
        return None  # country calling codes never start with 0
    return "+" + digits


def _international_digits(digits: str, default_country: str) -> str:
    if digits.startswith("00"):
        return digits[2:]
    if default_country == "7":
        if len(digits) == 11 and digits.startswith("8"):
            return "7" + digits[1:]
        return digits
    if digits.startswith("0"):
        return default_country + digits[1:]
    return digits
