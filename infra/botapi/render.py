"""Text plus MessageEntity list -> safe HTML for the sandbox's web chat.

Everything from the text is escaped; markup comes only from the entities (offsets in UTF-16 code
units, as Telegram counts them). Entities may overlap without nesting: an inner tag is closed and
reopened around the boundary. Links keep only http(s), tg and mailto URLs.

>>> render_html("Hi <script>alert(1)</script>", [{"type": "bold", "offset": 0, "length": 2}])
'<b>Hi</b> &lt;script&gt;alert(1)&lt;/script&gt;'
>>> render_html("a😀b", [{"type": "italic", "offset": 1, "length": 3}])
'a<i>😀b</i>'
>>> render_html("go", [{"type": "text_link", "offset": 0, "length": 2, "url": "javascript:alert(1)"}])
'go'
>>> render_html("ab", [{"type": "bold", "offset": 0, "length": 2}, {"type": "italic", "offset": 1, "length": 1}])
'<b>a<i>b</i></b>'
"""

from __future__ import annotations

import html
import re
from typing import Any

_SIMPLE = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="tg-spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ('<blockquote class="expandable">', "</blockquote>"),
    "mention": ('<span class="tg-mention">', "</span>"),
    "text_mention": ('<span class="tg-mention">', "</span>"),
    "hashtag": ('<span class="tg-hashtag">', "</span>"),
    "cashtag": ('<span class="tg-hashtag">', "</span>"),
    "bot_command": ('<span class="tg-command">', "</span>"),
    "email": ('<span class="tg-email">', "</span>"),
    "phone_number": ('<span class="tg-phone">', "</span>"),
}
_SAFE_URL = re.compile(r"(https?|tg|mailto):", re.IGNORECASE)
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,32}")


def render_html(text: str, entities: list[dict[str, Any]] | None) -> str:
    """Escaped `text` with the entities' formatting as HTML tags."""
    units = text.encode("utf-16-le")
    size = len(units) // 2

    def piece(a: int, b: int) -> str:
        return html.escape(units[2 * a : 2 * b].decode("utf-16-le", errors="replace"), quote=False)

    spans: list[tuple[int, int, int, tuple[str, str]]] = []  # start, end, order, (open, close)
    for n, e in enumerate(entities or []):
        try:
            start, end = int(e["offset"]), int(e["offset"]) + int(e["length"])
        except (KeyError, TypeError, ValueError):
            continue
        start, end = _snap(units, max(0, start)), _snap(units, min(size, end))
        tags = _tags(e, piece(start, end))
        if tags is not None and end > start:
            spans.append((start, end, n, tags))
    spans.sort(key=lambda s: (s[0], -s[1], s[2]))

    out: list[str] = []
    stack: list[tuple[int, int, int, tuple[str, str]]] = []
    bounds = sorted({0, size, *(s[0] for s in spans), *(s[1] for s in spans)})
    pending = list(spans)
    for i, pos in enumerate(bounds):
        # close what ends here; close-and-reopen what is inside it but goes on
        if any(s[1] == pos for s in stack):
            reopen = []
            while any(s[1] == pos for s in stack):
                top = stack.pop()
                out.append(top[3][1])
                if top[1] != pos:
                    reopen.append(top)
            for s in reversed(reopen):
                out.append(s[3][0])
                stack.append(s)
        while pending and pending[0][0] == pos:
            s = pending.pop(0)
            # an entity reaching further than the open one cannot nest in it: split the open one
            inner = []
            while stack and stack[-1][1] < s[1]:
                top = stack.pop()
                out.append(top[3][1])
                inner.append(top)
            out.append(s[3][0])
            stack.append(s)
            for t in reversed(inner):
                out.append(t[3][0])
                stack.append(t)
        if i + 1 < len(bounds):
            out.append(piece(pos, bounds[i + 1]))
    while stack:
        out.append(stack.pop()[3][1])
    return "".join(out)


def _snap(units: bytes, pos: int) -> int:
    """Move a boundary that falls inside a surrogate pair to the pair's start."""
    if (
        0 < pos < len(units) // 2
        and 0xDC00 <= int.from_bytes(units[2 * pos : 2 * pos + 2], "little") <= 0xDFFF
    ):
        return pos - 1
    return pos


def _tags(e: dict[str, Any], inner_text: str) -> tuple[str, str] | None:
    kind = e.get("type")
    if kind in _SIMPLE:
        return _SIMPLE[str(kind)]
    if kind == "pre":
        language = str(e.get("language") or "")
        if _LANGUAGE.fullmatch(language):
            return f'<pre><code class="language-{language}">', "</code></pre>"
        return "<pre><code>", "</code></pre>"
    if kind in ("text_link", "url"):
        url = str(e.get("url") or "") if kind == "text_link" else html.unescape(inner_text)
        if kind == "url" and not _SAFE_URL.match(url):
            url = "https://" + url
        if not _SAFE_URL.match(url):
            return None
        href = html.escape(url, quote=True)
        return f'<a href="{href}" target="_blank" rel="noopener noreferrer">', "</a>"
    return None  # custom_emoji, date_time ...: the text as it is
