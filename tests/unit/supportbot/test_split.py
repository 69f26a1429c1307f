"""The splitter: Telegram's limits met exactly, counted as Telegram counts (UTF-16 code units of the
text once the HTML is parsed), every part valid Telegram HTML, nothing lost, order kept."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from supportbot.telegram.html import parse_text, utf16_len
from supportbot.telegram.split import MAX_ALBUM, MAX_CAPTION, MAX_TEXT, sends, split_html, split_parts


def visible(part: str) -> str:
    """What Telegram shows of a part (raises, as Telegram refuses, if the HTML is broken)."""
    return parse_text(part, "HTML")[0]


def squeezed(text: str) -> str:
    return "".join(text.split())


def assert_valid_parts(original: str, parts: list[str], limit: int = MAX_TEXT) -> None:
    for part in parts:
        shown = visible(part)
        assert 1 <= utf16_len(shown) <= limit
    # nothing lost, nothing repeated, in order: only the whitespace at the cuts is gone
    assert squeezed("".join(visible(part) for part in parts)) == squeezed(visible(original))


def test_a_text_of_exactly_the_limit_is_one_message() -> None:
    text = "я" * MAX_TEXT
    assert split_html(text) == [text]


def test_one_character_over_the_limit_makes_two_messages() -> None:
    parts = split_html("я" * (MAX_TEXT + 1))
    assert [utf16_len(visible(p)) for p in parts] == [MAX_TEXT, 1]


def test_the_limit_is_counted_after_entity_parsing() -> None:
    # GIVEN 4096 visible characters wrapped in markup and written with entities
    text = "<b>" + "&amp;" * 2000 + "</b>" + "<i>" + "ж" * 2096 + "</i>"
    # THEN it is one message: the tags and the entities' spelling are not counted
    assert split_html(text) == [text]
    assert len(split_html(text + "!")) == 2


def test_emoji_count_as_two_code_units_and_are_never_cut() -> None:
    assert split_html("👍" * 2048) == ["👍" * 2048]
    parts = split_html("👍" * 2049)
    assert parts == ["👍" * 2048, "👍"]
    # an odd limit: a surrogate pair is not cut in half
    assert split_html("👍👍👍", limit=3) == ["👍", "👍", "👍"]


def test_cyrillic_counts_one_unit_per_letter() -> None:
    text = ("Привет, мир! " * 400).strip()  # 5199 letters, spaces and signs
    parts = split_html(text)
    assert [utf16_len(visible(p)) <= MAX_TEXT for p in parts] == [True, True]
    assert_valid_parts(text, parts)


def test_cuts_prefer_a_paragraph_then_a_line_then_a_word_in_the_parts_second_half() -> None:
    big, small = "слово " * 500, "слово " * 150  # 3000 and 900 characters
    # a paragraph break at 3000 wins over a line break at 3901
    first = split_html(f"{big}\n\n{small}\n{big}")[0]
    assert visible(first) == big.strip()
    # a line break wins over the words after it
    assert visible(split_html(f"{big}\n{big}")[0]) == big.strip()
    # a paragraph break in the first half would make a short message: the later line break wins
    first = split_html(f"{small}\n\n{big}\n{big}")[0]
    assert visible(first) == f"{small}\n\n{big}".strip()
    no_breaks = ("a" * 9 + " ") * 500
    assert all(visible(p).endswith("a" * 9) for p in split_html(no_breaks))


def test_a_text_with_no_break_at_all_is_cut_at_the_limit() -> None:
    parts = split_html("x" * 9000)
    assert [len(p) for p in parts] == [4096, 4096, 808]


def test_tags_open_at_a_cut_are_closed_and_opened_again() -> None:
    link = '<a href="https://example.com/a?b=1&amp;c=&quot;2&quot;">'
    text = "<b>bold " + link + "<i>" + "deep " * 1000 + "</i></a> tail</b>"
    parts = split_html(text)
    assert len(parts) == 2
    assert parts[0].endswith("</i></a></b>")
    assert parts[1].startswith("<b>" + link + "<i>")
    for part in parts:
        _, entities = parse_text(part, "HTML")
        kinds = {e["type"] for e in entities}
        assert kinds == {"bold", "italic", "text_link"}
        assert {e.get("url") for e in entities} - {None} == {'https://example.com/a?b=1&c="2"'}
    assert_valid_parts(text, parts)


def test_a_code_block_keeps_its_language_in_every_part() -> None:
    code = "\n".join(f"print({n})" for n in range(800))  # 8,4 k characters of code
    text = f'<pre><code class="language-python">{code}</code></pre>'
    parts = split_html(text)
    assert len(parts) == 3
    for part in parts:
        (entity,) = parse_text(part, "HTML")[1]
        assert (entity["type"], entity.get("language")) == ("pre", "python")
    assert_valid_parts(text, parts)


def test_a_20000_character_text_arrives_whole_in_order() -> None:
    # GIVEN 20,000 characters of numbered Russian sentences with formatting and emoji
    sentences = [f"<b>{n}.</b> Ответ оператора, часть {n} 🙂" for n in range(1, 2000)]
    text = ""
    for sentence in sentences:
        text += sentence + ("\n\n" if len(text) % 7 == 0 else " ")
        if utf16_len(visible(text)) >= 20_000:
            break
    # WHEN it is split
    parts = split_html(text)
    # THEN five or six messages, each within the limit, valid, the sentences in order, none lost
    assert 5 <= len(parts) <= 6
    assert_valid_parts(text, parts)
    numbers = [int(n) for part in parts for n in re.findall(r"(\d+)\.", visible(part))]
    assert numbers == list(range(1, len(numbers) + 1))


def test_whitespace_only_stretches_make_no_empty_message() -> None:
    text = "a" * 4000 + " " * 5000 + "b"
    parts = split_html(text)
    assert [visible(p) for p in parts] == ["a" * 4000, "b"]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "b", "i", "u", "s", "code", "tg-spoiler"]),
            st.text(alphabet="ab яж👍\n&<>", min_size=1, max_size=40),
        ),
        min_size=1,
        max_size=60,
    ),
    st.integers(min_value=2, max_value=120),
)
def test_any_formatted_text_splits_into_valid_parts_within_the_limit(pieces, limit) -> None:
    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    text = "".join(f"<{tag}>{escape(body)}</{tag}>" if tag else escape(body) for tag, body in pieces)
    if not visible(text).strip():
        return
    parts = split_html(text, limit)
    assert_valid_parts(text, parts, limit)
    if utf16_len(visible(text)) <= limit:
        assert parts == [text]


def test_a_long_caption_goes_as_the_media_followed_by_the_text() -> None:
    caption = "📷 " + "подпись " * 200  # over 1024
    parts = split_parts([{"kind": "image", "file_id": "PH1", "text": caption}])
    assert parts[0] == {"kind": "image", "file_id": "PH1", "text": None}
    assert [p["kind"] for p in parts[1:]] == ["text"]
    assert visible(parts[1]["text"]) == caption.strip()
    short = {"kind": "file", "file_id": "DO1", "text": "x" * MAX_CAPTION}
    assert split_parts([short]) == [short]


def test_long_text_parts_become_several_parts_and_keep_their_fields() -> None:
    parts = split_parts(
        [{"kind": "text", "text": "z" * 5000, "file_name": None}, {"kind": "text", "text": "ok"}]
    )
    assert [(p["kind"], len(p["text"])) for p in parts] == [("text", 4096), ("text", 904), ("text", 2)]


def test_albums_go_in_tens_and_a_lone_image_alone() -> None:
    assert list(sends(["image"] * 25)) == [(0, MAX_ALBUM), (10, MAX_ALBUM), (20, 5)]
    assert list(sends(["image"] * 11)) == [(0, 10), (10, 1)]
    assert list(sends(["text", "image", "file", "image", "image"])) == [(0, 1), (1, 1), (2, 1), (3, 2)]
