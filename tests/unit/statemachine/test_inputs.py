"""Inputs and the matchers for non-text messages."""

from __future__ import annotations

import pytest

from statemachine import ANY, CONTACT, DOCUMENT, PHOTO, TEXT, Input, Kind


def test_constructors() -> None:
    assert Input.message("hi") == Input("text", text="hi")
    assert Input.callback("0|x", payload=1) == Input("callback", data="0|x", payload=1)


@pytest.mark.parametrize(
    ("matcher", "kinds"),
    [
        (CONTACT, {"contact"}),
        (PHOTO, {"photo"}),
        (DOCUMENT, {"document"}),
        (TEXT, {"text"}),
        (ANY, {"text", "contact", "photo", "document", "sticker", "location", "venue"}),
        (Kind("location", "venue"), {"location", "venue"}),
    ],
)
def test_kind_matchers(matcher: Kind, kinds: set[str]) -> None:
    # GIVEN every kind of input  WHEN matched  THEN only the matcher's kinds match, never a callback
    for kind in ("text", "contact", "photo", "document", "sticker", "location", "venue", "callback"):
        assert (matcher.match(Input(kind)) == {}) is (kind in kinds)


def test_kind_repr() -> None:
    assert repr(ANY) == "Kind()"
    assert repr(Kind("photo", "document")) == "Kind('document', 'photo')"
