"""Save-time checks of what the bot will send, by Telegram's rules, so a customer never meets
Telegram's refusal ("can't parse entities", "message is too long").

- A node's text is Telegram HTML; the bot sends it under the node's title as a bold heading
  (``faq.answer``, ``complaint.node``), so the heading and the text together must parse and stay
  within Telegram's 4096 characters (counted after entity parsing, in UTF-16 code units).
  Complaint steps get the bot's own lines below the text (the prompt, the review of the answers),
  so their text keeps ``COMPLAINT_RESERVE`` characters free.
- A title is a button's text, plain (escaped when shown): Telegram keeps buttons short, and the
  bot cuts longer ones at 64 characters; titles are refused past that instead.

>>> text_problem("<b>Hi</b>", "Title", 0) is None
True
>>> text_problem("<b>Hi", "Title", 0)
'not valid Telegram HTML: Can\\'t find end tag corresponding to start tag "b"'
>>> text_problem("x" * 4090, "Title", 0)
'too long for a Telegram message: 4097 characters with the title heading (at most 4096)'
"""

from __future__ import annotations

import html

from supportbot.telegram.html import EntityParseError, parse_text, utf16_len
from supportbot.telegram.split import MAX_TEXT as MESSAGE_LIMIT  # Telegram's limits have one home

TITLE_LIMIT = 64
COMPLAINT_RESERVE = 512


def text_problem(text: str, title: str, reserve: int) -> str | None:
    """Why Telegram would refuse ``text`` shown under ``title``; None when it is fine."""
    try:
        parse_text(text, "HTML")
        plain, _ = parse_text(f"<b>{html.escape(title, quote=False)}</b>\n\n{text}", "HTML")
    except EntityParseError as error:
        return f"not valid Telegram HTML: {error}"
    limit = MESSAGE_LIMIT - reserve
    if utf16_len(plain) > limit:
        return f"too long for a Telegram message: {utf16_len(plain)} characters with the title heading (at most {limit})"
    return None


def plain_text_problem(text: str, limit: int = MESSAGE_LIMIT) -> str | None:
    """Why a plain text (escaped when sent) would be refused: empty, or over ``limit`` characters."""
    stripped = text.strip()
    if not stripped:
        return "must not be empty"
    if utf16_len(stripped) > limit:
        return f"too long: {utf16_len(stripped)} characters (at most {limit})"
    return None
