"""Flows own their data; guards keep users out of the states they may not see; the pager widget."""

from __future__ import annotations

from typing import Any

import pytest

from statemachine import (
    TEXT,
    Action,
    Button,
    Context,
    DefinitionError,
    Family,
    Guard,
    Input,
    Machine,
    Outcome,
    Pager,
    Screen,
    Session,
    State,
    UnknownStateError,
    guarded,
)
from tests.unit.statemachine.bot import Chat


def plain(ctx: Context) -> Screen:
    return Screen(ctx.state)


def remember(ctx: Context, text: Any = None) -> None:
    ctx.data["said"] = ctx.input.text


# --- flows ---------------------------------------------------------------------------------------

SAY = [(TEXT, remember)]
PHOTO = Action("photo", to="note")
COMPLAIN = Action("complain", lambda ctx: ctx.start("ask", data={"about": "order 7"}), to="ask")
TO_NOTE = Action("note", to="note")


def flows() -> Machine:
    def show(ctx: Context) -> Screen:
        return Screen(f"{ctx.state} {ctx.data}", [[PHOTO.button("Photo"), COMPLAIN.button("Complain")]])

    def ask(ctx: Context) -> Screen:
        return Screen(f"{ctx.state} {ctx.data}", [[TO_NOTE.button("Note")]])

    return Machine(
        [
            State("home", show, actions=[PHOTO, COMPLAIN], messages=SAY),
            State("note", show, actions=[PHOTO, COMPLAIN], messages=SAY, parent="home", flow="photo"),
            State("confirm", show, parent="note", flow="photo"),
            State("ask", ask, actions=[TO_NOTE], messages=SAY, parent="home", flow="complaint"),
        ],
        home="home",
        commands=[("^/start$", lambda ctx: ctx.home())],
    )


def test_a_flow_keeps_its_data_until_the_user_leaves_it() -> None:
    # GIVEN a user who wrote a note in the photo flow
    chat = Chat(flows())
    chat.send("/start")
    chat.click("Photo")
    chat.send("red, please")
    assert (chat.session.flow, chat.session.data) == ("photo", {"said": "red, please"})
    assert chat.text == "note {'said': 'red, please'}"
    # WHEN they start a complaint  THEN it starts with its own data only
    chat.click("Complain")
    assert (chat.session.flow, chat.text) == ("complaint", "ask {'about': 'order 7'}")
    # AND going back to a photo note starts that flow empty: nothing leaks between flows
    chat.click("Note")
    assert (chat.session.flow, chat.session.data) == ("photo", {})
    # AND the main menu, in no flow, keeps nothing, even what a handler there wrote
    chat.send("hello")
    chat.send("/start")
    assert (chat.session.flow, chat.session.data) == (None, {})
    assert chat.session.to_dict() == {"v": 2, "s": "home", "t": chat.session.token}


def test_back_within_a_flow_keeps_its_data_and_start_in_the_same_flow_resets_it() -> None:
    machine = flows()
    session = Session(
        "confirm", history=[("home", {}), ("note", {})], data={"said": "red"}, flow="photo", token="3"
    )
    result = machine.handle(session, Input.callback("3|<"))
    assert (result.session.state, result.session.data) == ("note", {"said": "red"})
    restarted = machine.handle(
        Session("ask", data={"about": "x", "said": "y"}, flow="complaint", token="4"),
        Input.callback("4|note"),
    )
    assert restarted.session.data == {}


def test_data_of_a_version_one_session_is_adopted_by_the_state_it_is_in() -> None:
    # GIVEN a session stored before flows had names, in the middle of the photo flow
    machine = flows()
    stored = {"v": 1, "s": "note", "h": [["home"]], "d": {"said": "red"}, "t": "5"}
    # WHEN the user goes on  THEN the data is the photo flow's, and stays while they are in it
    result = machine.handle(machine.load(stored), Input.message("/nothing"))
    assert (result.session.flow, result.session.data) == ("photo", {"said": "/nothing"})
    # AND at home, in no flow, v1 data is simply dropped
    home = machine.handle(machine.load({"v": 1, "s": "home", "d": {"x": 1}, "t": "5"}), Input("sticker"))
    assert (home.outcome, home.session.flow, home.session.data) == (Outcome.REFUSED, None, {})


# --- guards --------------------------------------------------------------------------------------

LOGGED_IN = Guard("logged in", lambda ctx: "auth" in ctx.user_data, otherwise="login")
CUSTOMERS = Guard(
    "customers", lambda ctx: ctx.user_data.get("auth") == "customer", otherwise="customers_only"
)
PHOTOS = Action("photos", to="photos")


def login_with(kind: str) -> Any:
    def on_login(ctx: Context) -> Any:
        ctx.user_data["auth"] = kind
        return ctx.home()

    return on_login


def logout(ctx: Context) -> Any:
    ctx.user_data.pop("auth")
    return ctx.home()


def guarded_machine(**options: Any) -> Machine:
    return Machine(
        [
            State(
                "login",
                plain,
                messages=[("^customer$", login_with("customer")), ("^partner$", login_with("partner"))],
            ),
            *guarded(
                LOGGED_IN,
                [
                    State(
                        "home",
                        lambda ctx: Screen("home", [[PHOTOS.button("Photos")]]),
                        actions=[PHOTOS],
                        messages=[("^bye$", logout)],
                    ),
                    *guarded(CUSTOMERS, [State("photos", plain, parent="home")]),
                    State("customers_only", plain, parent="home"),
                ],
            ),
        ],
        home="home",
        families=guarded(LOGGED_IN, [Family("faq", lambda key, ctx: State(f"faq:{key}", plain))]),
        **options,
    )


def test_a_guard_takes_the_user_to_its_otherwise_state_before_the_input_is_handled() -> None:
    # GIVEN a fresh session at home, not logged in
    machine = guarded_machine()
    # WHEN the user sends their login  THEN the login screen handles it and home is shown
    result = machine.handle(machine.new_session(), Input.message("customer"))
    assert (result.outcome, result.session.state, result.session.user_data) == (
        Outcome.HANDLED,
        "home",
        {"auth": "customer"},
    )
    # WHEN a stored session in a family node has lost its login  THEN login, no history, a new token
    lost = machine.handle(Session("faq:1", history=[("home", {})], token="7"), Input("sticker"))
    assert (lost.outcome, lost.session.state, lost.session.history, lost.changed) == (
        Outcome.REFUSED,
        "login",
        [],
        True,
    )
    assert lost.token != "7"


def test_guards_after_navigation_and_in_turn() -> None:
    machine = guarded_machine()
    chat = Chat(machine, Session("login"))
    chat.send("partner")
    # WHEN a partner presses Photos  THEN the customers-only screen, with no history
    chat.click("Photos")
    assert (chat.text, chat.session.history) == ("customers_only", [])
    # WHEN they log out  THEN the login guard of home shows the login screen
    chat.send(Input.callback(f"{chat.session.token}|~"))
    chat.send("bye")
    assert chat.text == "login"
    # GIVEN a session in photos with no login at all  THEN the first guard decides
    assert machine.show(Session("photos")).session.state == "login"


def test_guard_definition_mistakes_are_named() -> None:
    with pytest.raises(UnknownStateError, match="state 'home': guard 'g' leads to 'nowhere'"):
        Machine([State("home", plain, guards=[Guard("g", bool, otherwise="nowhere")])], home="home")
    family = Family("faq", lambda key, ctx: None, guards=[Guard("g", bool, otherwise="nowhere")])
    with pytest.raises(UnknownStateError, match="family 'faq': guard 'g' leads to 'nowhere'"):
        Machine([State("home", plain)], home="home", families=[family])
    with pytest.raises(UnknownStateError, match="family 'faq': unknown target state 'gone'"):
        Machine(
            [State("home", plain)],
            home="home",
            families=[Family("faq", lambda key, ctx: None, parent="gone")],
        )
    # a guard whose otherwise state fails it too would loop: an error instead
    never = Guard("never", lambda ctx: False, otherwise="home")
    machine = Machine([State("home", plain, guards=[never])], home="home")
    with pytest.raises(DefinitionError, match="guard 'never': its otherwise state 'home' fails it too"):
        machine.handle(machine.new_session(), Input.message("x"))


def test_the_machine_lists_its_states_and_families() -> None:
    machine = guarded_machine()
    assert [state.name for state in machine.states] == ["login", "home", "photos", "customers_only"]
    assert [family.prefix for family in machine.families] == ["faq"]


# --- the pager -----------------------------------------------------------------------------------

PAGER = Pager(jump=2)


def labels(control: str, page: int, pages: int) -> str:
    return {"page": f"{page}/{pages}"}.get(control, control)


def listing(ctx: Context) -> Screen:
    page = PAGER.page(ctx, 5)
    return Screen(
        f"page {page} of {ctx.params.get('q')}", [*PAGER.rows(page, 5, labels), [Button.back("Back")]]
    )


def test_the_pager_brings_its_route_and_keeps_the_other_params() -> None:
    machine = Machine([State("list", listing, actions=[PAGER])], home="list")
    chat = Chat(machine, Session("list", {"q": "shoes"}))
    chat.send("?")
    for label, text in [
        ("next", "page 2"),
        ("jump_forward", "page 4"),
        ("last", "page 5"),
        ("prev", "page 4"),
    ]:
        chat.click(label)
        assert chat.text == f"{text} of shoes", label
    assert "next" not in [
        b["text"] for row in machine.handle(Session("list", {"page": 5}), Input("x")).keyboard for b in row
    ]
    # a page past the end (the list shrank) shows the last one
    assert machine.handle(Session("list", {"page": 9}), Input("x")).screen.text == "page 5 of None"


def test_a_pager_press_on_the_page_shown_answers_with_the_page() -> None:
    # GIVEN page 3 of a list
    machine = Machine([State("list", listing, actions=[PAGER])], home="list")
    chat = Chat(machine, Session("list", {"page": 3}))
    chat.send("?")
    # WHEN the counter is pressed  THEN nothing moves, and the answer is the page number
    result = chat.click("3/5")
    assert (result.outcome, result.changed, chat.text) == (Outcome.HANDLED, False, "page 3 of None")
    assert [notice.text for notice in result.notices] == ["3"]
    # AND "first" on the first page (no page in the params yet) answers with the bot's wording
    worded = Pager(jump=2, here=lambda ctx, page: f"You are on page {page}")

    def worded_listing(ctx: Context) -> Screen:
        return Screen("list", worded.rows(worded.page(ctx, 5), 5, labels))

    machine = Machine([State("list", worded_listing, actions=[worded])], home="list")
    result = machine.handle(Session("list"), Input.callback(f"0|{worded.id}:1"))
    assert [notice.text for notice in result.notices] == ["You are on page 1"]
    # AND a page elsewhere still moves there, without a notice
    result = chat.click("next")
    assert (chat.text, result.notices) == ("page 4 of None", [])
