"""Telegram's text formatting: the HTML subset, and length measured the way Telegram measures it.

Standard library only: the admin API checks texts with it when they are saved (so a customer never
meets Telegram's refusal), and the Bot API stand-in (``infra/botapi``) uses the same rules to refuse
what Telegram would.

Telegram applies its length limits ("1-4096 characters after entities parsing") to the text once
the markup is stripped, counting UTF-16 code units, after trimming surrounding whitespace. A bot
that sends broken HTML gets 400 "can't parse entities"; this module reproduces that so the same
bug fails in our tests.

MarkdownV2 and legacy Markdown are *not* parsed: their raw text is kept as the visible text (so
the length check runs on the raw text, which is stricter than Telegram), with no entities.

>>> parse_text("<b>Hi</b> &amp; bye", "HTML")
('Hi & bye', [{'type': 'bold', 'offset': 0, 'length': 2}])
>>> parse_text("a < b", "HTML")
Traceback (most recent call last):
...
supportbot.telegram.html.EntityParseError: Unsupported start tag "" at byte offset 2
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

Entity = dict[str, object]

_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}
_TAGS = frozenset(_SIMPLE) | {"a", "tg-emoji", "tg-time", "blockquote"}
_TAG = re.compile(r"<[^>]+>")
_ENTITY = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
PARSE_MODES = {"html": "HTML", "markdown": "Markdown", "markdownv2": "MarkdownV2"}


class EntityParseError(ValueError):
    """The reason Telegram gives after "can't parse entities: "."""


def plain_text(text: str) -> str:
    """Telegram HTML as plain text (a toast, Blinger's thread, the inbox's preview show no tags)."""
    return html.unescape(_TAG.sub("", text)).strip()


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: what Telegram counts for limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    offset: int
    language: str | None = None


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """The visible text (trimmed like Telegram does) and its entities for a parse_mode."""
    mode = PARSE_MODES.get((parse_mode or "").lower()) if parse_mode else None
    if mode == "HTML":
        plain, entities = parse_html(text)
    else:
        plain, entities = text, []
    return _trim(plain, entities)


def parse_html(text: str) -> tuple[str, list[Entity]]:
    """Parse Telegram's HTML subset; raise EntityParseError in Telegram's words.

    Stricter than Telegram in one point, as its documentation demands: a "&" that does not start
    a supported entity (&lt; &gt; &amp; &quot; or a numeric one) is refused, where Telegram
    silently keeps it.
    """
    out: list[str] = []
    pos16 = 0
    stack: list[_Open] = []
    entities: list[Entity] = []
    n = len(text)
    i = 0

    def at(k: int) -> int:
        return len(text[:k].encode("utf-8"))

    while i < n:
        c = text[i]
        if c == "&":
            m = _ENTITY.match(text, i)
            ch = _decode_entity(m.group(1)) if m else None
            if ch is None or m is None:
                raise EntityParseError(f'Unescaped "&" (write &amp;) at byte offset {at(i)}')
            out.append(ch)
            pos16 += utf16_len(ch)
            i = m.end()
            continue
        if c != "<":
            out.append(c)
            pos16 += utf16_len(c)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and text[i] == "/":
            i += 1
            start = i
            while i < n and text[i] != ">" and not text[i].isspace():
                i += 1
            name = text[start:i].lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {at(begin)}")
            while i < n and text[i].isspace():
                i += 1
            if i >= n or text[i] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {at(begin)}")
            top = stack[-1]
            if name and name != top.tag:
                expected = f'expected "</{top.tag}>", found "</{name}>"'
                raise EntityParseError(f"Unmatched end tag at byte offset {at(begin)}, {expected}")
            stack.pop()
            i += 1
            _close(top, pos16, stack, entities)
            continue
        start = i
        while i < n and text[i] != ">" and not text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {at(begin)}")
        tag = text[start:i].lower()
        if tag not in _TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {at(begin)}')
        attrs, i = _attributes(text, i, tag, begin, at)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {at(begin)}')
        if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise EntityParseError(f"Invalid custom emoji identifier specified at byte offset {at(begin)}")
        stack.append(_Open(tag, attrs, pos16))
        i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -int(e["length"])))  # type: ignore[call-overload]
    return "".join(out), entities


def _attributes(
    text: str, i: int, tag: str, begin: int, at: Callable[[int], int]
) -> tuple[dict[str, str], int]:
    """Parse `name="value"` pairs up to the closing ">" (returned index points at it)."""
    n = len(text)
    attrs: dict[str, str] = {}
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {at(begin)}")
        if text[i] == ">":
            return attrs, i
        start = i
        while i < n and not text[i].isspace() and text[i] not in "=>":
            i += 1
        name = text[start:i].lower()
        if not name:
            raise EntityParseError(f'Empty attribute name in the tag "{tag}" at byte offset {at(begin)}')
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {at(begin)}")
        if text[i] != "=":
            if tag == "blockquote" and name == "expandable":
                attrs[name] = ""
                continue
            where = f'the tag "{tag}" at byte offset {at(begin)}'
            raise EntityParseError(f"Expected equal sign in declaration of an attribute of {where}")
        i += 1
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {at(begin)}")
        if text[i] in "\"'":
            end = text.find(text[i], i + 1)
            if end < 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {at(begin)}")
            attrs[name] = html.unescape(text[i + 1 : end])
            i = end + 1
        else:
            start = i
            while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                i += 1
            attrs[name] = text[start:i]
            if i < n and not text[i].isspace() and text[i] != ">":
                raise EntityParseError(f"Unexpected end of name token at byte offset {at(i)}")


def _close(top: _Open, pos16: int, stack: list[_Open], entities: list[Entity]) -> None:
    """Turn a closed tag into its MessageEntity (empty ones are dropped, as Telegram does)."""
    length = pos16 - top.offset
    if top.tag == "code" and stack and stack[-1].tag == "pre":
        language = top.attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1].language = language.removeprefix("language-")
            return
    if length <= 0:
        return
    entity: Entity = {"type": _SIMPLE.get(top.tag, ""), "offset": top.offset, "length": length}
    if top.tag == "a":
        href = top.attrs.get("href", "")
        if not href:
            return
        entity["type"] = "text_link"
        entity["url"] = href
    elif top.tag == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in top.attrs else "blockquote"
    elif top.tag == "tg-emoji":
        entity["type"] = "custom_emoji"
        entity["custom_emoji_id"] = top.attrs["emoji-id"]
    elif top.tag == "tg-time":
        entity["type"] = "date_time"
        if top.attrs.get("unix", "").isdigit():
            entity["unix_time"] = int(top.attrs["unix"])
        if "format" in top.attrs:
            entity["date_time_format"] = top.attrs["format"]
    elif top.tag == "pre" and top.language:
        entity["language"] = top.language
    entities.append(entity)


def _decode_entity(body: str) -> str | None:
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1:2] in "xX" and len(body) > 1 else int(body[1:])
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code)
        return None
    return _NAMED.get(body)


def _trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip surrounding whitespace like Telegram, moving and clipping the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    result: list[Entity] = []
    for e in entities:
        start = max(0, int(e["offset"]) - lead)  # type: ignore[call-overload]
        end = min(size, int(e["offset"]) + int(e["length"]) - lead)  # type: ignore[call-overload]
        if end > start:
            result.append({**e, "offset": start, "length": end - start})
    return stripped, result
