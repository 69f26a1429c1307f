"""Telegram's text formatting rules for the stand-in: one implementation, shared with the admin API's
save-time checks, lives in ``supportbot.telegram.html``."""

from __future__ import annotations

from supportbot.telegram.html import PARSE_MODES, EntityParseError, parse_html, parse_text, utf16_len

__all__ = ["PARSE_MODES", "EntityParseError", "parse_html", "parse_text", "utf16_len"]
