"""Entities -> safe HTML for the web chat: every entity kind, UTF-16 offsets, escaping, no injection."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.botapi.formatting import parse_html, utf16_len
from infra.botapi.render import render_html

ALLOWED_TAGS = {"b", "i", "u", "s", "span", "code", "pre", "a", "blockquote"}


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(markup: str) -> _Collect:
    c = _Collect()
    c.feed(markup)
    c.close()
    return c


@pytest.mark.parametrize(
    ("bot_html", "expected"),
    [
        ("<b>bold</b> <i>it</i> <u>u</u> <s>s</s>", "<b>bold</b> <i>it</i> <u>u</u> <s>s</s>"),
        ('<tg-spoiler>x</tg-spoiler> <span class="tg-spoiler">y</span>',
         '<span class="tg-spoiler">x</span> <span class="tg-spoiler">y</span>'),
        ("<code>a&lt;b</code>", "<code>a&lt;b</code>"),
        ('<pre><code class="language-python">x = 1</code></pre>', '<pre><code class="language-python">x = 1</code></pre>'),
        ("<blockquote>q</blockquote>", "<blockquote>q</blockquote>"),
        ('<a href="https://e.x/?a=1&amp;b=&quot;2&quot;">link</a>',
         '<a href="https://e.x/?a=1&amp;b=&quot;2&quot;" target="_blank" rel="noopener noreferrer">link</a>'),
        ("<b>bold <i>both</i></b>", "<b>bold <i>both</i></b>"),
        ("Заказ <b>№42</b> 📦 <i>готов</i>", "Заказ <b>№42</b> 📦 <i>готов</i>"),
    ],
)  # fmt: skip
def test_bot_html_round_trips_through_entities(bot_html: str, expected: str) -> None:
    # GIVEN what the bot sent in HTML, parsed into entities as Telegram does
    text, entities = parse_html(bot_html)
    # WHEN rendered for the page THEN the same formatting comes back
    assert render_html(text, entities) == expected


def test_everything_from_the_text_is_escaped() -> None:
    # GIVEN text with markup characters inside and outside entities
    text = '<img src=x onerror="alert(1)"> & <b>'
    entities = [{"type": "bold", "offset": 0, "length": 4}]
    # WHEN rendered THEN only the entity's <b> is markup
    assert render_html(text, entities) == '<b>&lt;img</b> src=x onerror="alert(1)"&gt; &amp; &lt;b&gt;'


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "vbscript:x", " javascript:x"])
def test_unsafe_link_urls_are_dropped(url: str) -> None:
    # GIVEN a text_link to a script URL WHEN rendered THEN just the text, no link
    assert render_html("click", [{"type": "text_link", "offset": 0, "length": 5, "url": url}]) == "click"


def test_attribute_values_cannot_break_out() -> None:
    # GIVEN a link URL and a pre language with quotes WHEN rendered THEN they stay inside the attribute
    link = render_html(
        "x", [{"type": "text_link", "offset": 0, "length": 1, "url": 'https://e.x/"><script>'}]
    )
    assert link.startswith('<a href="https://e.x/&quot;&gt;&lt;script&gt;"')
    pre = render_html("x", [{"type": "pre", "offset": 0, "length": 1, "language": '"><script>'}])
    assert pre == "<pre><code>x</code></pre>"


def test_offsets_are_utf16_and_bad_entities_are_ignored() -> None:
    # GIVEN emoji (2 UTF-16 units each) before and inside an entity
    text = "📦📦 box"
    assert render_html(text, [{"type": "bold", "offset": 4, "length": 4}]) == "📦📦<b> box</b>"
    # AND entities out of range, empty or malformed WHEN rendered THEN no error, text intact
    weird = [
        {"type": "bold", "offset": 100, "length": 5},
        {"type": "italic", "offset": 2, "length": 0},
        {"type": "underline"},
        {"type": "custom_emoji", "offset": 0, "length": 2, "custom_emoji_id": "1"},
    ]
    assert render_html(text, weird) == text


def test_overlapping_entities_are_split_into_valid_nesting() -> None:
    # GIVEN bold 0-4 and italic 2-6 (they overlap without nesting) WHEN rendered
    out = render_html(
        "abcdef", [{"type": "bold", "offset": 0, "length": 4}, {"type": "italic", "offset": 2, "length": 4}]
    )
    # THEN the tags nest properly and both cover their letters
    assert out == "<b>ab</b><i><b>cd</b>ef</i>"


ENTITY_TYPES = ["bold", "italic", "underline", "strikethrough", "spoiler", "code", "pre", "text_link", "url",
                "blockquote", "mention", "bot_command", "custom_emoji"]  # fmt: skip


@st.composite
def _text_and_entities(draw: st.DrawFn) -> tuple[str, list[dict[str, object]]]:
    text = draw(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
    size = utf16_len(text)
    entities = []
    for _ in range(draw(st.integers(0, 6))):
        offset = draw(st.integers(0, max(size, 1)))
        length = draw(st.integers(0, max(size - offset, 1)))
        kind = draw(st.sampled_from(ENTITY_TYPES))
        e: dict[str, object] = {"type": kind, "offset": offset, "length": length}
        if kind == "text_link":
            e["url"] = draw(st.sampled_from(["https://e.x/<b>", "javascript:x", "tg://user?id=1"]))
        if kind == "pre":
            e["language"] = draw(st.sampled_from(["py", '"x"', ""]))
        entities.append(e)
    return text, entities


@settings(max_examples=300, deadline=None)
@given(_text_and_entities())
def test_rendering_never_adds_text_or_foreign_markup(case: tuple[str, list[dict[str, object]]]) -> None:
    # GIVEN any text and any entities (valid or not) WHEN rendered
    text, entities = case
    out = render_html(text, entities)
    parsed = _parse(out)
    # THEN the visible text is exactly the original text (nothing injected, nothing lost)
    visible = "".join(parsed.text)
    if "\r" not in text:  # HTMLParser keeps \r; compare like a browser would
        assert visible == text
    # AND only the allowed tags appear, balanced, with safe attributes
    assert parsed.depth == 0
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS
        for name, value in attrs:
            assert name in {"class", "href", "target", "rel"}
            if name == "href":
                assert re.match(r"(https?|tg|mailto):", value or "")
    # AND the raw output has no "<" other than tag starts
    assert "<" not in re.sub(r"</?(b|i|u|s|span|code|pre|a|blockquote)( [^<>]*)?>", "", out)
    assert html.unescape(re.sub(r"<[^<>]*>", "", out)) == text
