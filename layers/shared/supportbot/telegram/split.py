"""Telegram's size limits met by splitting, never by losing the message: the one splitter for
every sender (the outbox's parts, the webhook's screens).

- A text over ``MAX_TEXT`` (4,096 characters after entity parsing, counted in UTF-16 code units
  as Telegram counts them) becomes several messages, in order, cut at a paragraph break, else a
  line break, else a space, else anywhere (never inside a character or an ``&entity;``). Every
  part is valid Telegram HTML: tags open at a cut are closed there and opened again (with their
  attributes) at the start of the next part.
- A media part whose caption is over ``MAX_CAPTION`` (1,024) goes as the media without a caption,
  followed by the caption as text.
- Consecutive images go as albums of at most ``MAX_ALBUM`` (10) photos (:func:`sends`).

>>> [len(part) for part in split_html("a" * 5000)]
[4096, 904]
>>> split_html("<b>" + "word " * 1000 + "</b>", limit=12)[:2]
['<b>word word</b>', '<b>word word</b>']
>>> split_html("one two\\n\\nthree four", limit=12)
['one two', 'three four']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from supportbot.telegram.html import parse_text, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_ALBUM = 10

# A tag (attribute values quoted with either quote may hold ">"), an HTML entity, or one character.
_TOKEN = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>|&#?[0-9A-Za-z]{1,10};|.""", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([A-Za-z-]+)")
_BREAKS = ("\n\n", "\n", " ")  # preferred cut points, best first


@dataclass(frozen=True)
class _Token:
    raw: str
    size: int  # visible UTF-16 code units
    opens: str | None = None  # tag name when this opens a tag
    closes: bool = False


def visible_length(text: str) -> int:
    """Telegram's length of an HTML text: UTF-16 code units once the markup is parsed and trimmed.

    >>> visible_length("<b>Привет</b> 👋 &amp;")  # an emoji is two code units
    11
    """
    try:
        plain, _ = parse_text(text, "HTML")
    except ValueError:  # not valid HTML: count it as the tokens it would be cut into
        return sum(token.size for token in _tokens(text))
    return utf16_len(plain)


def split_html(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` (Telegram HTML) as parts of at most ``limit`` visible characters each, in order.

    Parts that would hold nothing visible (whitespace between two cuts) are left out.
    """
    if visible_length(text) <= limit:
        return [text]
    tokens = _tokens(text)
    parts: list[str] = []
    reopen: list[_Token] = []
    start = 0
    while start < len(tokens):
        end, resume, stack = _cut(tokens, start, reopen, limit)
        body = "".join(token.raw for token in tokens[start:end])
        closing = "".join(f"</{token.opens}>" for token in reversed(stack))
        part = "".join(token.raw for token in reopen) + body + closing
        if any(token.size and not token.raw.isspace() for token in tokens[start:end]):
            parts.append(part)
        reopen, start = stack, resume
    return parts


def _cut(tokens: list[_Token], start: int, reopen: list[_Token], limit: int) -> tuple[int, int, list[_Token]]:
    """Where the part starting at ``start`` ends: (end, where the next part starts, tags open at
    the end). The whitespace a cut is made at belongs to neither part."""
    stack = list(reopen)
    size = 0
    best: dict[str, tuple[int, int, list[_Token]]] = {}
    i = start
    while i < len(tokens):
        token = tokens[i]
        if size + token.size > limit:
            break
        if token.opens:
            stack.append(token)
        elif token.closes and stack:
            stack.pop()
        elif token.raw in ("\n", " ") and i > start:
            following = tokens[i + 1].raw if i + 1 < len(tokens) else ""
            kind = "\n\n" if token.raw == "\n" and following == "\n" else token.raw
            best[kind] = (i, size, list(stack))
        size += token.size
        i += 1
    if i >= len(tokens):
        return len(tokens), len(tokens), stack
    # The best kind of break in the part's second half; else the last break of any kind.
    fallback = max(best.values(), key=lambda candidate: candidate[1], default=None)
    chosen = next((best[k] for k in _BREAKS if k in best and best[k][1] >= limit // 2), fallback)
    if chosen is not None:
        end, _, at_end = chosen
        resume = end + 1
        while resume < len(tokens) and tokens[resume].raw in ("\n", " "):
            resume += 1  # the whole run of spaces and line breaks goes with the cut
        return end, resume, at_end
    if i == start:  # one token over the limit on its own cannot happen for limit >= 2
        i += 1
    return i, i, stack


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        if raw.startswith("<") and len(raw) > 1:
            name = _TAG_NAME.match(raw)
            tag = name.group(1).lower() if name else ""
            out.append(_Token(raw, 0, None, True) if raw.startswith("</") else _Token(raw, 0, tag))
        elif raw.startswith("&") and len(raw) > 1:
            out.append(_Token(raw, 1))
        else:
            out.append(_Token(raw, utf16_len(raw)))
    return out


def split_parts(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Outbox parts (``{"kind": "text"|"image"|"file", "text": ...}``) as Telegram can take them:
    long texts as several text parts, a media part with a long caption as the media followed by
    its caption as text parts. Every resulting part is one Telegram message.

    >>> [p.get("text") and len(p["text"]) for p in split_parts([{"kind": "image", "text": "x" * 1025}])]
    [None, 1025]
    """
    out: list[dict[str, Any]] = []
    for part in parts:
        text = part.get("text")
        if part.get("kind") in ("copy", "topic"):
            out.append(part)  # a copy is one Telegram message as it is; a topic's status no message
        elif part.get("kind") == "text" and text:
            out.extend({**part, "text": piece} for piece in split_html(text))
        elif text and visible_length(text) > MAX_CAPTION:
            out.append({**part, "text": None})
            out.extend({"kind": "text", "text": piece} for piece in split_html(text))
        else:
            out.append(part)
    return out


def sends(kinds: list[str]) -> Iterator[tuple[int, int]]:
    """The Telegram calls for parts of these kinds, as ``(first, count)`` ranges of the list: a
    run of two or more images goes as albums of at most ``MAX_ALBUM``, and so does a run of copies
    (an album's messages, ``copyMessages``); anything else one by one.

    >>> list(sends(["image"] * 12 + ["text", "image", "copy", "copy"]))
    [(0, 10), (10, 2), (12, 1), (13, 1), (14, 2)]
    """
    i = 0
    while i < len(kinds):
        run = 1
        while kinds[i] in ("image", "copy") and i + run < len(kinds) and kinds[i + run] == kinds[i]:
            run += 1
        if run == 1:
            yield i, 1
            i += 1
            continue
        for first in range(i, i + run, MAX_ALBUM):
            count = min(MAX_ALBUM, i + run - first)
            yield first, count
        i += run
