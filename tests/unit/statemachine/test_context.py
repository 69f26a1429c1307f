"""The context: what handlers see, and the navigation values they build."""

from __future__ import annotations

import pytest

from statemachine import Context, Input, Nav, Notice, ParamsError, Session, UnknownStateError


@pytest.fixture
def ctx() -> Context:
    session = Session("orders", {"page": 2}, [("home", {})], {"lang": "ru"}, "5")
    return Context(session, session.copy(), Input.message("hi"), "deps", knows=lambda name: name != "nowhere")


def test_reading_the_update(ctx: Context) -> None:
    assert (ctx.state, ctx.params, ctx.history, ctx.data, ctx.deps) == (
        "orders",
        {"page": 2},
        (("home", {}),),
        {"lang": "ru"},
        "deps",
    )
    assert ctx.input.text == "hi"
    assert ctx.session.token == "5"


def test_params_and_history_are_copies_data_is_not(ctx: Context) -> None:
    ctx.params["page"] = 3
    ctx.history[0][1]["x"] = 1
    ctx.data["lang"] = "en"
    assert (ctx.params, ctx.history, ctx.data) == ({"page": 2}, (("home", {}),), {"lang": "en"})
    assert ctx.session.data == {"lang": "ru"}


def test_navigation_builders(ctx: Context) -> None:
    assert ctx.go("order", id=7) == Nav("go", "order", {"id": 7})
    assert ctx.replace("orders", page=3, q=None, x=1.5, on=True) == Nav(
        "replace", "orders", {"page": 3, "q": None, "x": 1.5, "on": True}
    )
    assert [ctx.back(), ctx.up(), ctx.home(), ctx.stay()] == [
        Nav("back"),
        Nav("up"),
        Nav("home"),
        Nav("stay"),
    ]


def test_navigation_is_checked(ctx: Context) -> None:
    with pytest.raises(UnknownStateError, match="orders: cannot go to unknown state 'nowhere'"):
        ctx.go("nowhere")
    with pytest.raises(ParamsError, match=r"orders: replace\('order'\): param 'id'=\(1,\)"):
        ctx.replace("order", id=(1,))  # type: ignore[arg-type]
    with pytest.raises(ParamsError, match="inf"):
        ctx.go("order", x=float("inf"))


def test_notices_and_effects(ctx: Context) -> None:
    ctx.notify("Saved")
    ctx.notify("Careful", alert=True)
    ctx.emit({"album": [1, 2]})
    assert ctx.notices == [Notice("Saved"), Notice("Careful", alert=True)]
    assert ctx.effects == [{"album": [1, 2]}]
