"""Screens and buttons: validation and the Telegram keyboard."""

from __future__ import annotations

import pytest

from statemachine import BACK, HOME, SEP, UP, Button, RenderError, Screen
from statemachine.screen import RESERVED


def test_reserved_data_are_short_and_distinct() -> None:
    assert len({BACK, UP, HOME, SEP}) == 4
    assert {BACK, UP, HOME} == RESERVED
    assert all(len(value) == 1 and value.isascii() for value in (BACK, UP, HOME, SEP))


def test_navigation_buttons() -> None:
    assert Button.back("Back") == Button("Back", BACK)
    assert Button.up("Up").data == UP
    assert Button.home("Menu").data == HOME


@pytest.mark.parametrize(("data", "url"), [(None, None), ("x", "https://a.b")])
def test_a_button_needs_exactly_one_of_data_and_url(data: str | None, url: str | None) -> None:
    with pytest.raises(RenderError, match="'Go' needs exactly one of data and url"):
        Button("Go", data, url)


def test_keyboard_tokenizes_data_and_drops_empty_rows() -> None:
    # GIVEN a screen with buttons given as lists, and an empty row
    screen = Screen("Hi", [[Button("A", "a")], [], [Button("Site", url="https://a.b")]])
    # WHEN the keyboard is made for token "k"  THEN data carry the token; rows are Telegram dicts
    assert screen.keyboard("k") == [
        [{"text": "A", "callback_data": "k|a"}],
        [{"text": "Site", "url": "https://a.b"}],
    ]
    assert screen.buttons == ((Button("A", "a"),), (), (Button("Site", url="https://a.b"),))


def test_keyboard_refuses_data_over_64_bytes() -> None:
    screen = Screen("Hi", [[Button("Long", "é" * 31)]])
    with pytest.raises(RenderError, match=r"'Long': callback data .* is over 64 bytes"):
        screen.keyboard("abc")
    assert (
        Screen("Hi", [[Button("Fits", "x" * 60)]]).keyboard("abc")[0][0]["callback_data"] == "abc|" + "x" * 60
    )


def test_options_are_opaque() -> None:
    assert Screen("Hi").options == {}
    assert Screen("Hi", options={"remove_keyboard": True}).options["remove_keyboard"] is True
