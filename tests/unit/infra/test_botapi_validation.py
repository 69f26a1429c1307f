"""The validator covers the whole spec, refuses only with BotApiError, and knows Telegram's HTML."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.botapi import BotApiError, UploadedFile, load_spec, validate_call
from infra.botapi.formatting import EntityParseError, parse_text
from infra.botapi.spec import SCALARS
from infra.botapi.validation import ONE_OF

SPEC = load_spec()
EDITS = {
    m
    for m, spec in SPEC.methods.items()
    if {"inline_message_id", "chat_id", "message_id"} <= {f.name for f in spec.fields}
}
REQUIRED_STYLE = re.compile(
    r"^Bad Request: (\w+ is required|chat_id is empty|message text is empty|media is empty"
    r"|there is no \w+ in the request)$"
)


def sample(types: tuple[str, ...], depth: int = 0) -> Any:
    """A minimal valid value for a field's types (JSON-ready; uploads as UploadedFile)."""
    t = types[0]
    if t.startswith("Array of "):
        return [sample((t[9:],), depth + 1) for _ in range(2)]
    scalar = {
        "Integer": 1,
        "Float": 1.5,
        "Boolean": True,
        "String": "x",
        "InputFile": UploadedFile("f.bin", "", b"1"),
    }
    if t in SCALARS:
        return scalar[t]
    spec_type = SPEC.types[t]
    if spec_type.is_abstract:
        return sample((next(s for s in spec_type.subtypes if s in SPEC.types),), depth + 1)
    obj = {f.name: sample(f.types, depth + 1) for f in spec_type.fields if f.required}
    if spec_type.discriminator:
        obj[spec_type.discriminator[0]] = spec_type.discriminator[1]
    rule = ONE_OF.get(t)
    if rule and rule.exactly:
        first = next(
            f
            for f in spec_type.fields
            if f.name in (rule.among or ()) or (not rule.among and f.name not in rule.besides)
        )
        obj[first.name] = sample(first.types, depth + 1)
    return obj


def as_param(value: Any) -> Any:
    """How a client puts a value in the query string: objects and arrays JSON-encoded."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def required_params(method: str) -> dict[str, Any]:
    params = {f.name: as_param(sample(f.types)) for f in SPEC.methods[method].fields if f.required}
    if {"inline_message_id", "message_id"} <= {f.name for f in SPEC.methods[method].fields}:
        params.setdefault("chat_id", 1)
        params.setdefault("message_id", 1)
    return params


@pytest.mark.parametrize("method", sorted(SPEC.methods))
def test_every_method_is_known_and_reports_missing_parameters(method: str) -> None:
    # GIVEN any method of the spec WHEN called with no parameters
    if not any(f.required for f in SPEC.methods[method].fields) and method not in EDITS:
        # THEN a method without required parameters passes
        assert validate_call(method, {}) == {}
        return
    # THEN any other is refused only for a missing parameter, in the "is required" style
    with pytest.raises(BotApiError) as e:
        validate_call(method, {})
    assert e.value.error_code == 400
    assert REQUIRED_STYLE.match(e.value.description), e.value.description


@pytest.mark.parametrize("method", sorted(SPEC.methods))
def test_every_parameter_of_every_method_is_reachable(method: str) -> None:
    # GIVEN valid required parameters WHEN each optional parameter is added with a valid value
    base = required_params(method)
    assert set(validate_call(method, base)) >= {
        k for k in base if k in {f.name for f in SPEC.methods[method].fields}
    }
    for f in SPEC.methods[method].fields:
        value = sample(f.types)
        if f.name == "parse_mode" or f.name.endswith("_parse_mode"):
            value = "HTML"
        params = {**base, f.name: as_param(value)}
        if isinstance(value, UploadedFile):
            params = {**base, f.name: value}
        # THEN it is decoded (and so validated by its spec type)
        assert f.name in validate_call(method, params), f.name


def test_unknown_parameters_are_ignored_like_telegram() -> None:
    # GIVEN an extra parameter WHEN validated THEN dropped, not refused
    assert validate_call("sendMessage", {"chat_id": "1", "text": "hi", "colour": "red"}) == {
        "chat_id": 1,
        "text": "hi",
    }


def test_json_body_values_decode_like_query_strings() -> None:
    # GIVEN the same call as query strings and as a JSON body WHEN validated THEN the same result
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
    as_query = validate_call(
        "sendMessage",
        {"chat_id": "5", "text": "hi", "reply_markup": json.dumps(markup), "protect_content": "true"},
    )
    as_json = validate_call(
        "sendMessage", {"chat_id": 5, "text": "hi", "reply_markup": markup, "protect_content": True}
    )
    assert as_query == as_json


def test_keyboard_button_may_be_a_plain_string() -> None:
    # GIVEN a reply keyboard of strings (documented shorthand) WHEN validated THEN objects come out
    markup = json.dumps({"keyboard": [["Yes", "No"]]})
    assert validate_call("sendMessage", {"chat_id": 1, "text": "?", "reply_markup": markup})[
        "reply_markup"
    ] == {"keyboard": [[{"text": "Yes"}, {"text": "No"}]]}


def test_edit_reply_markup_accepts_only_inline_keyboards() -> None:
    # GIVEN a reply keyboard on an edit (the spec allows only InlineKeyboardMarkup)
    # WHEN validated THEN refused
    with pytest.raises(BotApiError, match="Can't find field"):
        validate_call(
            "editMessageText",
            {"chat_id": 1, "message_id": 1, "text": "x", "reply_markup": json.dumps({"keyboard": [["a"]]})},
        )


def test_media_group_item_count_and_attachments() -> None:
    # GIVEN an album of one item, and one pointing at a missing upload WHEN validated THEN refused
    one = json.dumps([{"type": "photo", "media": "id1"}])
    with pytest.raises(BotApiError, match="media must include 2-10 items"):
        validate_call("sendMediaGroup", {"chat_id": 1, "media": one})
    missing = json.dumps([{"type": "photo", "media": "attach://a"}, {"type": "photo", "media": "id"}])
    with pytest.raises(BotApiError, match="file attach://a not found in the request"):
        validate_call("sendMediaGroup", {"chat_id": 1, "media": missing})
    # AND with the upload present it decodes to the file
    part = UploadedFile("a.jpg", "image/jpeg", b"jpeg")
    decoded = validate_call("sendMediaGroup", {"chat_id": 1, "media": missing, "a": part})
    assert decoded["media"][0]["media"] == part  # type: ignore[index]


def test_abstract_type_resolved_by_discriminator() -> None:
    # GIVEN a BotCommandScope of type "chat" without chat_id WHEN validated THEN that subtype's error
    params = {
        "commands": json.dumps([{"command": "a", "description": "b"}]),
        "scope": json.dumps({"type": "chat"}),
    }
    with pytest.raises(BotApiError) as e:
        validate_call("setMyCommands", params)
    assert (
        e.value.description == "Bad Request: can't parse bot command scope chat: Can't find field \"chat_id\""
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def param_dicts(draw: st.DrawFn, method: str) -> dict[str, object]:
    names = [f.name for f in SPEC.methods[method].fields] + ["a", "junk"]
    keys = draw(st.lists(st.sampled_from(names), max_size=len(names), unique=True))
    out: dict[str, object] = {}
    for k in keys:
        out[k] = draw(
            json_values
            | json_values.map(json.dumps)
            | st.sampled_from(["true", "0", "-5", "1.5", "attach://a", "<b>x", "&amp;", "", " "])
            | st.builds(UploadedFile, st.just("f"), st.just(""), st.binary(max_size=4))
        )
    return out


@pytest.mark.parametrize(
    "method",
    ["sendMessage", "sendMediaGroup", "editMessageText", "answerCallbackQuery", "setMyCommands", "sendPhoto"],
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_validator_only_ever_raises_bot_api_errors(method: str, data: st.DataObject) -> None:
    # GIVEN arbitrary parameters WHEN validated THEN a decoded dict or a BotApiError, nothing else
    params = data.draw(param_dicts(method))
    error: BotApiError | None = None
    try:
        validate_call(method, params)
    except BotApiError as e:
        error = e
    assert error is None or (error.error_code == 400 and error.description.startswith("Bad Request: "))


@pytest.mark.parametrize(
    ("html", "plain", "entities"),
    [
        ("<b>bold <i>both</i></b>", "bold both", [("bold", 0, 9), ("italic", 5, 4)]),
        ("👍 <u>x</u>", "👍 x", [("underline", 3, 1)]),  # offsets in UTF-16 code units
        ('<a href="https://t.me/x?a=1&amp;b=2">link</a>', "link", [("text_link", 0, 4)]),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1", [("pre", 0, 5)]),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        (
            '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
            "st",
            [("spoiler", 0, 1), ("spoiler", 1, 1)],
        ),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", [("custom_emoji", 0, 2)]),
        ("&lt;&gt;&amp;&quot;&#65;&#x42;", '<>&"AB', []),
        ("  <b> padded </b>  ", "padded", [("bold", 0, 6)]),
        ("<B>upper</B>", "upper", [("bold", 0, 5)]),
    ],
)
def test_html_subset(html: str, plain: str, entities: list[tuple[str, int, int]]) -> None:
    # GIVEN Telegram HTML WHEN parsed THEN the visible text and entities Telegram would produce
    text, found = parse_text(html, "HTML")
    assert text == plain
    assert [(e["type"], e["offset"], e["length"]) for e in found] == entities


def test_html_entity_details() -> None:
    # GIVEN attributes of links, code blocks and custom emoji WHEN parsed THEN they are kept
    _, entities = parse_text(
        '<a href="https://t.me/x?a=1&amp;b=2">l</a><pre><code class="language-py">c</code></pre>', "HTML"
    )
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 1, "url": "https://t.me/x?a=1&b=2"},
        {"type": "pre", "offset": 1, "length": 1, "language": "py"},
    ]


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        (
            "<a href>x</a>",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
        ("é<x>", 'Unsupported start tag "x" at byte offset 2'),  # offsets count UTF-8 bytes
        ("&nbsp;", 'Unescaped "&" (write &amp;) at byte offset 0'),
    ],
)
def test_html_refusals(html: str, reason: str) -> None:
    # GIVEN broken HTML WHEN parsed THEN Telegram's reason and byte offset
    with pytest.raises(EntityParseError) as e:
        parse_text(html, "HTML")
    assert str(e.value) == reason


def test_markdown_is_kept_raw() -> None:
    # GIVEN MarkdownV2 (not parsed by the stand-in) WHEN parsed THEN the raw text is the visible text
    assert parse_text("*bold*", "MarkdownV2") == ("*bold*", [])
    with pytest.raises(BotApiError, match="message is too long"):
        validate_call("sendMessage", {"chat_id": 1, "text": "*" * 4097, "parse_mode": "MarkdownV2"})
