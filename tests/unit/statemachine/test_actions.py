"""Actions: declared once, checked when declared, turned into buttons and matched; the pager."""

from __future__ import annotations

from typing import Any

import pytest

from statemachine import (
    SESSIONLESS,
    Action,
    DefinitionError,
    Pager,
    PatternError,
    RenderError,
    callback_data,
    pages_of,
    parse_callback,
    sessionless_arg,
)
from statemachine.actions import clamp


def handler(ctx: Any) -> None:
    return None


def with_arg(ctx: Any, value: str) -> None:
    return None


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (("",), {"to": "home"}, DefinitionError, "an id is 1-16 letters"),
        (("a:b",), {"to": "home"}, DefinitionError, "an id is"),
        (("x" * 17,), {"to": "home"}, DefinitionError, "an id is"),
        ((42,), {"to": "home"}, DefinitionError, "an id is"),
        (("x",), {}, DefinitionError, "give a handler or a target state"),
        (("x",), {"to": "home", "arg": r"\d"}, DefinitionError, "only a handler can take an argument"),
        (("x",), {"to": 42}, DefinitionError, "target 42 is not a state name"),
        (("x", 42), {}, DefinitionError, "handler 42 is not callable"),
        (("x", handler), {"arg": r"\d"}, DefinitionError, r"cannot take \(ctx, arg\)"),
        (("x", with_arg), {}, DefinitionError, r"cannot take \(ctx\)"),
        (("x", with_arg), {"arg": r"\d+"}, PatternError, "action 'x': argument pattern '.*' is unbounded"),
        (("x", with_arg), {"arg": "x{60}"}, PatternError, "may match up to 62 bytes"),
        (("x", with_arg), {"arg": "("}, PatternError, "not a valid regex"),
    ],
)
def test_bad_actions_fail_when_declared(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        Action(*args, **kwargs)


def test_buttons_carry_their_action_and_data() -> None:
    # GIVEN an action with an argument and one without
    open_order = Action("o", with_arg, arg=r"\d{1,9}", to="order")
    orders = Action("orders", to="orders")
    # THEN their buttons carry them, with the derived data
    button = open_order.button("Order 7", 7)
    assert (button.data, button.action) == ("o:7", open_order)
    assert orders.button("Orders").data == "orders"
    assert repr(orders) == "Action('orders')"
    # AND data is matched back to the argument
    assert (
        open_order.match("o:7"),
        open_order.match("o:x"),
        open_order.match("o"),
        orders.match("orders"),
    ) == (
        ["7"],
        None,
        None,
        [],
    )


@pytest.mark.parametrize(
    ("arg", "message"),
    [(None, "takes an argument"), ("x", "argument 'x' does not match")],
)
def test_a_button_with_a_wrong_argument_is_a_render_error(arg: Any, message: str) -> None:
    with pytest.raises(RenderError, match=message):
        Action("o", with_arg, arg=r"\d{1,9}").button("Order", arg)
    with pytest.raises(RenderError, match="takes no argument"):
        Action("orders", to="orders").button("Orders", 1)


class Opaque:
    """A callable whose signature cannot be read: trusted as it is."""

    __signature__ = "not a signature"

    def __call__(self, *args: Any) -> None:
        return None


def test_handlers_without_a_signature_are_trusted() -> None:
    handler = Opaque()
    assert Action("x", handler, arg=r"\d").handler is handler


def test_one_callback_format() -> None:
    assert callback_data("3", "orders") == "3|orders"
    assert callback_data(SESSIONLESS, "wh", "take:1042") == "-|wh:take:1042"
    assert parse_callback("-|wh:take:1042") == ("-", "wh", "take:1042")
    for garbage in ("", "|orders", "3|", "1234|x", "3|a b", "rate:1:5"):
        assert parse_callback(garbage) is None
    # session-less buttons: only the token "-" and the action asked for
    assert sessionless_arg("-|rate:12:5", "rate") == "12:5"
    assert [
        sessionless_arg(data, "rate") for data in ("3|rate:12:5", "-|wh:take:1", "-|rate", "rate:1:5")
    ] == [
        None,
        None,
        None,
        None,
    ]


def labels(control: str, page: int, pages: int) -> str:
    return f"{control} {page}/{pages}"


def test_the_pager_has_no_next_on_the_last_page_and_jumps_on_long_lists() -> None:
    pager = Pager()
    assert pager.rows(1, 1, labels) == []
    rows = pager.rows(3, 5, labels)
    assert [[(b.text, b.data) for b in row] for row in rows] == [
        [
            ("first 1/5", "pg:1"),
            ("prev 3/5", "pg:2"),
            ("page 3/5", "pg:3"),
            ("next 3/5", "pg:4"),
            ("last 5/5", "pg:5"),
        ]
    ]
    last = pager.rows(12, 12, labels)
    assert [b.text.split()[0] for b in last[0]] == ["first", "prev", "page", "last"]
    assert [(b.text, b.data) for b in last[1]] == [
        ("jump_back 10/12", "pg:2"),
        ("jump_forward 10/12", "pg:12"),
    ]


def test_page_arithmetic() -> None:
    assert (pages_of(0, 5), pages_of(5, 5), pages_of(6, 5)) == (1, 1, 2)
    assert (clamp(0, 3), clamp(2, 3), clamp(9, 3)) == (1, 2, 3)
