"""Routes: compiling message routes, checking callback patterns' widths, matching."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from statemachine import CONTACT, Context, DefinitionError, Input, PatternError
from statemachine.routes import ROUTE_DATA_BYTES, compile_callback, message_route


def anything(ctx: Context, **groups: str) -> None:
    return None


@pytest.mark.parametrize(
    "pattern",
    [
        r"^x{60}$",
        r"^é{15}$",  # a non-ASCII literal: 4 bytes each, counted conservatively
        r"^.{15}$",
        r"^[^,]{15}$",
        r"^(?P<id>\d{1,58})$",
        r"^(a|bc){20}$",
        r"^(?=x)x{60}$",
        r"^(a)?(?(1)b|c)$",
        r"^(?>ab)\b$",
        r"^(x{1,30})\1$",
        r"^[a-z0-9_]{60}$",
    ],
)
def test_bounded_callback_patterns_are_accepted(pattern: str) -> None:
    # GIVEN a pattern whose data (plus a 3-char token and "|") fits in 64 bytes  WHEN compiled  THEN ok
    assert isinstance(compile_callback(pattern), re.Pattern)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"^x{61}$", "up to 61 bytes"),
        (r"^é{16}$", "up to 64 bytes"),
        (r"^.{16}$", "up to 64 bytes"),  # "." may match non-ASCII
        (r"^[^,]{16}$", "up to 64 bytes"),
        (r"^[\D]{16}$", "up to 64 bytes"),
        (r"^\W{16}$", "up to 64 bytes"),
        (r"^[a-ü]{16}$", "up to 64 bytes"),
        (r"^(?:(?=.)a){16}$", "up to 64 bytes"),
        (r"^(x{1,31})\1$", "up to 62 bytes"),
        (r"^p:\d+$", r"unbounded: bound it, e.g. \\d\{1,6\}"),
        (r"^p:(?P<page>\w*)$", "unbounded"),
        (r"^.{1,5}$", "reserved data '<'"),
        (r"^[~]$", "reserved data '~'"),
        (r"^(unclosed$", "not a valid regex"),
        (r"(?u)x", "not a valid regex"),  # callback data is ASCII: re.ASCII is not negotiable
    ],
)
def test_unsafe_callback_patterns_are_refused(pattern: str, message: str) -> None:
    # GIVEN a pattern that could exceed 64 bytes, collide with Back/Up/Home, or is invalid
    # WHEN compiled  THEN what is wrong with it
    problem = compile_callback(pattern)
    assert isinstance(problem, str)
    assert re.search(message, problem)


def test_route_data_budget() -> None:
    assert ROUTE_DATA_BYTES == 60


def test_compiled_patterns_are_cached() -> None:
    # GIVEN the same pattern twice (a family node resolved twice)  THEN one compiled regex
    assert compile_callback(r"n:(?P<arg>\d{1,6})") is compile_callback(r"n:(?P<arg>\d{1,6})")
    assert message_route("^hi$", "home", "a").regex is message_route("^hi$", "home", "b").regex


def test_message_routes_match_text_from_the_start() -> None:
    # GIVEN a regex message route  THEN it matches texts (re.match) and ignores other kinds
    route = message_route(r"^/order (?P<id>\d+)", "home", "s")
    assert route.match(Input.message("/order 5 please")) == {"id": "5"}
    assert route.match(Input.message("see /order 5")) is None
    assert route.match(Input("photo")) is None
    assert message_route("", "home", "s").match(Input("text")) == {}


def test_optional_groups_are_none() -> None:
    route = message_route(r"^(?P<a>a)?(?P<b>b)$", anything, "s")
    assert route.match(Input.message("b")) == {"a": None, "b": "b"}


class Phone:
    """A custom matcher: the phone number of a shared contact."""

    def match(self, input: Input, /) -> Mapping[str, str] | None:
        return {"phone": str(input.payload)} if input.kind == "contact" else None


def test_matcher_routes() -> None:
    def on_phone(ctx: Context, phone: str) -> None:
        return None

    route = message_route(Phone(), on_phone, "s")
    assert route.match(Input("contact", payload="+7")) == {"phone": "+7"}
    assert message_route(CONTACT, lambda ctx: None, "s").match(Input("contact")) == {}


@pytest.mark.parametrize(
    ("pattern", "target", "error", "message"),
    [
        (42, "home", PatternError, "message pattern 42 is neither a regex string nor a matcher"),
        ("(", "home", PatternError, "message pattern '\\(' is not a valid regex"),
        ("^x$", 42, DefinitionError, "target 42 is neither a state name nor a handler"),
        (r"^(?P<page>\d)$", lambda ctx: None, DefinitionError, r"cannot take \(ctx, page\)"),
        (CONTACT, lambda: None, DefinitionError, r"cannot take \(ctx, \)"),
    ],
)
def test_bad_message_routes(pattern: Any, target: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        message_route(pattern, target, "state 's'")


class Opaque:
    """A callable whose signature cannot be read: trusted as it is."""

    __signature__ = "not a signature"

    def __call__(self, *args: Any) -> None:
        return None


def test_message_handlers_without_a_signature_are_trusted() -> None:
    handler = Opaque()
    assert message_route(r"^(?P<x>\d)$", handler, "s").target is handler
