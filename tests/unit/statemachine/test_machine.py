"""The machine: building and validating, routing, outcomes, breadcrumbs, families, purity."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from statemachine import (
    ANY,
    BACK,
    HOME,
    PHOTO,
    UP,
    Action,
    Button,
    Context,
    DataError,
    DefinitionError,
    DuplicateStateError,
    Family,
    Input,
    Machine,
    NavigationError,
    Outcome,
    ParamsError,
    PatternError,
    RenderError,
    Screen,
    Session,
    State,
    UnknownStateError,
)
from tests.unit.statemachine import bot
from tests.unit.statemachine.bot import Chat, build, bye, orders

MakeChat = Callable[..., Chat]


def plain(ctx: Context) -> Screen:
    return Screen(ctx.state)


# --- building ---------------------------------------------------------------------------------


def test_duplicate_state_is_named() -> None:
    # GIVEN two states with the same name
    # WHEN the machine is built  THEN the error names the state
    with pytest.raises(DuplicateStateError, match="'home'"):
        Machine([State("home", plain), State("home", plain)], home="home")


def test_duplicate_family_and_state_in_a_family_are_refused() -> None:
    family = Family("faq", lambda key, ctx: None)
    with pytest.raises(DuplicateStateError, match="'faq'"):
        Machine([State("home", plain)], home="home", families=[family, family])
    with pytest.raises(DuplicateStateError, match="'faq:1'"):
        Machine([State("home", plain), State("faq:1", plain)], home="home", families=[family])


@pytest.mark.parametrize(
    ("states", "message"),
    [
        (
            [State("home", plain, actions=[Action("x", to="nowhere")])],
            "state 'home': unknown target state 'nowhere'",
        ),
        ([State("home", plain, messages=[("^x$", "nowhere")])], "unknown target state 'nowhere'"),
        ([State("home", plain, parent="nowhere")], "state 'home': unknown target state 'nowhere'"),
        ([State("home", plain, actions=[Action("x", to="help:1")])], "'help:1'"),
    ],
)
def test_unknown_targets_are_named(states: list[State], message: str) -> None:
    # GIVEN a state referring to a state that does not exist  WHEN built  THEN UnknownStateError
    with pytest.raises(UnknownStateError, match=message):
        Machine(states, home="home", families=[Family("faq", lambda key, ctx: None)])


def test_family_members_are_valid_targets() -> None:
    # GIVEN a route to "faq:anything" and a family "faq"  WHEN built  THEN it is accepted
    machine = Machine(
        [State("home", plain, actions=[Action("x", to="faq:anything")], parent="faq:root")],
        home="home",
        families=[Family("faq", lambda key, ctx: None)],
    )
    assert machine.knows("faq:12")
    assert not machine.knows("faq")


def test_unknown_home_and_global_targets() -> None:
    with pytest.raises(UnknownStateError, match="home state 'start'"):
        Machine([State("home", plain)], home="start")
    with pytest.raises(UnknownStateError, match="commands: unknown target state 'x'"):
        Machine([State("home", plain)], home="home", commands=[("^/x$", "x")])
    with pytest.raises(PatternError, match="commands"):
        Machine([State("home", plain)], home="home", commands=[("(", "home")])


@pytest.mark.parametrize("limit", [-1, 2.5, "3", True])
def test_history_limit_must_be_a_natural_number(limit: Any) -> None:
    with pytest.raises(DefinitionError, match="history_limit"):
        Machine([State("home", plain)], home="home", history_limit=limit)


# --- routing and outcomes ------------------------------------------------------------------------


def test_callback_with_named_group_reaches_the_handler(chat: Chat) -> None:
    # GIVEN the orders list
    chat.click("Orders")
    # WHEN the user presses Next  THEN the handler gets page="2" and replaces the screen
    result = chat.click("Next")
    assert result.outcome is Outcome.HANDLED
    assert chat.text == "Orders, page 2"
    assert chat.session.history == [("home", {})]
    assert result.changed


def test_message_route_with_matcher(chat: Chat) -> None:
    # GIVEN the login screen, asking for a contact
    chat.click("Log in")
    assert chat.result is not None
    assert chat.result.screen.options == {"request_contact": "Share my phone"}
    # WHEN the user types a phone number  THEN it is refused, with the hook's notice
    refused = chat.send("+79990001122")
    assert refused.outcome is Outcome.REFUSED
    assert [notice.text for notice in refused.notices] == ["Can't do text in login"]
    assert chat.text == "Share your contact"
    assert not refused.changed
    # WHEN the user shares the contact  THEN the handler stores it and goes home
    result = chat.send(Input("contact", payload="+79990001122"))
    assert result.outcome is Outcome.HANDLED
    assert chat.text == "Main menu"
    assert chat.session.user_data == {"phone": "+79990001122"}
    assert chat.session.history == []


def test_unaccepted_kinds_and_texts_are_refused(chat: Chat) -> None:
    for update in (Input("photo"), Input("sticker"), Input.message("hello"), Input("text")):
        # WHEN something the main menu does not accept arrives  THEN REFUSED and the menu again
        result = chat.send(update)
        assert result.outcome is Outcome.REFUSED
        assert chat.text == "Main menu"


def test_refused_callback_data_with_a_valid_token(chat: Chat) -> None:
    # GIVEN a correct token with data no route accepts
    result = chat.send(Input.callback(f"{chat.session.token}|p:1"))
    # THEN REFUSED (not stale), same screen, same token
    assert result.outcome is Outcome.REFUSED
    assert result.token == chat.session.token == "0"


def test_commands_in_every_state(chat: Chat) -> None:
    # GIVEN the user deep in the menu  WHEN "/order 42" is typed  THEN the command opens it
    chat.click("Orders")
    chat.send("/order 42")
    assert chat.text == "Order 42"
    assert chat.session.history == [("home", {}), ("orders", {})]
    # WHEN "/start" is typed  THEN home, history cleared
    chat.send("/start")
    assert chat.text == "Main menu"
    assert chat.session.history == []


def test_commands_win_over_a_state_that_takes_any_text() -> None:
    # GIVEN a state that takes any message
    machine = Machine(
        [State("home", plain), State("quiz", plain, messages=[(ANY, lambda ctx: ctx.stay())])],
        home="quiz",
        commands=[("^/start$", "home")],
    )
    # WHEN "/start" is sent  THEN the command handles it; other texts reach the state
    result = machine.handle(machine.new_session(), Input.message("/start"))
    assert (result.session.state, result.outcome) == ("home", Outcome.HANDLED)
    assert machine.handle(Session("quiz"), Input.message("/stop")).session.state == "quiz"


@pytest.mark.parametrize("data", [None, "", "no separator", "zz|orders", "|orders", "0", "1|<"])
def test_stale_and_garbage_callbacks(chat: Chat, data: str | None) -> None:
    # GIVEN the main menu (token "0")  WHEN a callback with a wrong or missing token arrives
    result = chat.send(Input("callback", data=data))
    # THEN STALE: the hook's notice and the current menu again
    assert result.outcome is Outcome.STALE
    assert result.notices[0].alert
    assert chat.text == "Main menu"


def test_old_buttons_are_stale_after_the_screen_changed(chat: Chat) -> None:
    # GIVEN the main menu's "Orders" button, then the user moves on
    old = chat.data("Orders")
    chat.click("FAQ")
    # WHEN the old button is pressed  THEN it is stale and does not act
    assert chat.send(Input.callback(old)).outcome is Outcome.STALE
    assert chat.text == "FAQ"


def test_on_stale_may_navigate(make_chat: MakeChat) -> None:
    chat = make_chat(on_stale=lambda ctx: ctx.home())
    chat.click("Orders")
    chat.send(Input.callback("x|y"))
    assert chat.text == "Main menu"


def test_refresh_keeps_the_token_and_buttons_valid(chat: Chat) -> None:
    # GIVEN an order card
    chat.click("Orders")
    chat.click("Order 10")
    refresh = chat.data("Refresh")
    # WHEN Refresh is pressed twice from the same message  THEN both are handled, token kept
    first = chat.send(Input.callback(refresh))
    second = chat.send(Input.callback(refresh))
    assert first.outcome is second.outcome is Outcome.HANDLED
    assert not second.changed
    assert first.token == second.token
    assert [n.text for n in second.notices] == ["Refreshed"]
    assert second.effects == [("refreshed", 10)]


def test_handler_returning_a_non_nav_is_an_error() -> None:
    machine = Machine([State("home", plain, messages=[("", lambda ctx: "home")])], home="home")
    with pytest.raises(NavigationError, match="returned 'home'"):
        machine.handle(machine.new_session(), Input.message("x"))


def test_hooks_are_checked_too() -> None:
    machine = Machine([State("home", plain)], home="home", on_refused=lambda ctx: 1)
    with pytest.raises(NavigationError):
        machine.handle(machine.new_session(), Input.message("x"))


def test_navigation_errors() -> None:
    # GIVEN handlers navigating to an unknown state, with bad params, storing non-JSON data
    machine = Machine(
        [
            State(
                "home",
                plain,
                messages=[
                    ("^a$", lambda ctx: ctx.go("nowhere")),
                    ("^b$", lambda ctx: ctx.go("home", page=[1])),
                    ("^c$", lambda ctx: ctx.user_data.update(when=object())),
                    ("^d$", lambda ctx: ctx.replace("home", ratio=float("nan"))),
                ],
            )
        ],
        home="home",
    )
    session = machine.new_session()
    # WHEN they run  THEN errors that name the problem
    with pytest.raises(UnknownStateError, match="'nowhere'"):
        machine.handle(session, Input.message("a"))
    with pytest.raises(ParamsError, match="page"):
        machine.handle(session, Input.message("b"))
    with pytest.raises(DataError, match="JSON"):
        machine.handle(session, Input.message("c"))
    with pytest.raises(ParamsError, match="ratio"):
        machine.handle(session, Input.message("d"))


# --- purity ------------------------------------------------------------------------------------


def test_handle_does_not_touch_the_given_session(chat: Chat) -> None:
    # GIVEN a session with history and data
    chat.click("Orders")
    chat.send(Input("contact", payload="x"))
    before = copy.deepcopy(chat.session)
    session = chat.session
    # WHEN an update moves the user on
    chat.click("Next")
    # THEN the old session object is unchanged
    assert session == before
    assert chat.session is not session


def test_a_raising_handler_leaves_the_session_unaffected() -> None:
    def explode(ctx: Context) -> None:
        ctx.data["half"] = "done"
        raise RuntimeError("backend down")

    machine = Machine([State("home", plain, messages=[("", explode)])], home="home")
    session = machine.new_session()
    with pytest.raises(RuntimeError, match="backend down"):
        machine.handle(session, Input.message("x"))
    assert session == machine.new_session()


def test_context_in_handlers_and_render() -> None:
    # GIVEN a handler and render that record what they see
    seen: dict[str, Any] = {}

    def handler(ctx: Context, word: str) -> Any:
        seen["handler"] = (
            ctx.state,
            ctx.params,
            ctx.history,
            ctx.deps,
            ctx.input.text,
            word,
            ctx.session.state,
        )
        ctx.data["word"] = word
        return ctx.go("b", n=1)

    def render_b(ctx: Context) -> Screen:
        seen["render"] = (ctx.state, ctx.params, ctx.history, dict(ctx.data))
        return Screen("b")

    machine = Machine(
        [
            State("a", plain, messages=[(r"^say (?P<word>\w+)$", handler)], flow="talk"),
            State("b", render_b, flow="talk"),
        ],
        home="a",
    )
    # WHEN an update is handled with deps
    result = machine.handle(machine.new_session(), Input.message("say hi"), deps="DEPS")
    # THEN the handler saw the current state, render the new one
    assert seen["handler"] == ("a", {}, (), "DEPS", "say hi", "hi", "a")
    assert seen["render"] == ("b", {"n": 1}, (("a", {}),), {"word": "hi"})
    assert result.session.data == {"word": "hi"}


# --- breadcrumbs -------------------------------------------------------------------------------


def test_back_restores_the_page(chat: Chat) -> None:
    # GIVEN orders page 3, then an order
    chat.click("Orders")
    chat.click("Next")
    chat.click("Next")
    chat.click("Order 31")
    assert chat.session.history == [("home", {}), ("orders", {"page": 3})]
    # WHEN Back  THEN page 3 again; Back again  THEN home
    chat.click("Back")
    assert chat.text == "Orders, page 3"
    chat.click("Back")
    assert chat.text == "Main menu"
    assert chat.session.history == []


def test_back_with_no_history_goes_up_then_home(chat: Chat) -> None:
    # GIVEN an order opened by a command after /start (history: home only), history then cleared by Up
    chat.send("/order 5")
    chat.click("Up")  # parent ("orders", page 1) is not on the path: history cleared
    assert (chat.text, chat.session.history) == ("Orders, page 1", [])
    # WHEN Back with an empty history  THEN Up to the parent (home)
    chat.click("Back")
    assert chat.text == "Main menu"
    # WHEN Back at home (no history, no parent)  THEN home again, handled
    result = chat.send(Input.callback(f"{chat.session.token}|{BACK}"))
    assert result.outcome is Outcome.HANDLED
    assert not result.changed


def test_up_restores_the_parent_params_on_the_path(chat: Chat) -> None:
    # GIVEN orders page 2 -> order
    chat.click("Orders")
    chat.click("Next")
    chat.click("Order 20")
    # WHEN Up (hidden: Back leads there too)  THEN the parent state with the params it had on the path
    chat.press(UP)
    assert chat.text == "Orders, page 2"
    assert chat.session.history == [("home", {})]


def test_up_in_a_family_and_home_button(chat: Chat) -> None:
    chat.click("FAQ")
    chat.click("Returns")
    assert chat.session.history == [("home", {}), ("faq:1", {})]
    chat.press(UP)
    assert (chat.text, chat.session.history) == ("FAQ", [("home", {})])
    chat.press(UP)
    assert (chat.text, chat.session.history) == ("Main menu", [])
    chat.click("Orders")
    chat.click("Order 10")
    chat.click("Menu")
    assert (chat.text, chat.session.history) == ("Main menu", [])


def test_up_is_hidden_where_back_or_home_leads_to_the_same_screen(chat: Chat) -> None:
    # GIVEN home -> orders: Back and Up would both lead to the main menu
    chat.click("Orders")
    assert chat.labels()[-1] == ["Back"]
    # AND an order from page 2 of the list: Back and Up both to page 2
    chat.click("Next")
    chat.click("Order 20")
    assert chat.labels()[-1] == ["Back", "Menu"]
    # AND the FAQ's answer reached through its topic: Back and Up both to the topic
    chat.click("Back")
    chat.click("Back")
    chat.click("FAQ")
    chat.click("Delivery")
    assert chat.labels() == [["Back"]]


def test_up_is_shown_where_it_leads_elsewhere(chat: Chat) -> None:
    # GIVEN an order opened by a command from home: Back to home, Up to the orders list
    chat.send("/order 5")
    assert chat.labels()[-1] == ["Back", "Up", "Menu"]
    # AND a screen whose only navigation is Up keeps it
    machine = Machine(
        [State("home", bye), State("x", lambda ctx: Screen("x", [[Button.up("Up")]]), parent="home")],
        home="home",
    )
    result = machine.handle(Session("x"), Input.message("x"))
    assert result.keyboard == [[{"text": "Up", "callback_data": "0|^"}]]


def test_back_refused_where_not_allowed(chat: Chat) -> None:
    # GIVEN the "bye" screen, which does not allow Back
    chat.click("Log out")
    # WHEN a Back press arrives  THEN REFUSED
    result = chat.send(Input.callback(f"{chat.session.token}|{BACK}"))
    assert result.outcome is Outcome.REFUSED
    assert chat.text == "Bye"
    # the Home button works
    chat.click("Start again")
    assert chat.text == "Main menu"


def test_go_to_a_screen_on_the_path_cuts_the_loop(chat: Chat) -> None:
    # GIVEN home -> orders -> order 10
    chat.click("Orders")
    chat.click("Order 10")
    # WHEN a handler goes to (orders, {}) which is on the path  THEN history is cut before it
    chat.send("/order 10")  # same screen: nothing pushed
    assert chat.session.history == [("home", {}), ("orders", {})]
    machine = chat.machine
    session = Session("order", {"id": 10}, [("home", {}), ("orders", {})], token="5")
    result = machine.handle(session, Input.message("/start"))
    assert result.session.history == []


def test_replace_to_a_screen_on_the_path_cuts_the_loop() -> None:
    machine = Machine(
        [
            State("a", plain, messages=[("^go$", lambda ctx: ctx.go("b"))]),
            State("b", plain, messages=[("^go$", lambda ctx: ctx.go("c"))]),
            State(
                "c",
                plain,
                messages=[("^re$", lambda ctx: ctx.replace("a")), ("^go$", lambda ctx: ctx.go("b"))],
            ),
        ],
        home="a",
    )
    chat = Chat(machine)
    chat.send("go")
    chat.send("go")
    assert chat.session.history == [("a", {}), ("b", {})]
    chat.send("go")  # go to b, on the path
    assert (chat.session.state, chat.session.history) == ("b", [("a", {})])
    chat.send("go")
    chat.send("re")  # replace to a, on the path
    assert (chat.session.state, chat.session.history) == ("a", [])


def test_history_is_bounded() -> None:
    # GIVEN a long FAQ chain and a history limit of 3
    tree = {str(k): (f"Node {k}", [str(k + 1)]) for k in range(1, 12)}
    chat = Chat(build(tree, history_limit=3))
    chat.send("/start")
    chat.click("FAQ")
    # WHEN the user walks 8 levels down
    for k in range(2, 10):
        chat.click(f"Node {k}")
    # THEN only the 3 most recent crumbs are kept
    assert chat.session.history == [("faq:6", {}), ("faq:7", {}), ("faq:8", {})]


def test_zero_history_limit_and_trimming_loaded_sessions(make_chat: MakeChat) -> None:
    chat = make_chat(history_limit=0)
    chat.click("Orders")
    assert chat.session.history == []
    # GIVEN a stored session with a longer history than the limit  WHEN handled  THEN trimmed
    machine = build(history_limit=1)
    session = Session("order", {"id": 1}, [("home", {}), ("orders", {"page": 2})])
    result = machine.handle(session, Input.message("?"))
    assert result.session.history == [("orders", {"page": 2})]


def test_parent_callable_variants() -> None:
    # GIVEN parents computed at run time: None (no parent), an unknown name, bad params
    def machine_with(parent: Any) -> Machine:
        return Machine([State("home", plain), State("x", plain, parent=parent)], home="home")

    up = Input.callback("0|^")
    assert machine_with(lambda ctx: None).handle(Session("x"), up).session.state == "home"
    assert machine_with(lambda ctx: "home").handle(Session("x"), up).session.state == "home"
    with pytest.raises(UnknownStateError, match="parent 'gone'"):
        machine_with(lambda ctx: "gone").handle(Session("x"), up)
    with pytest.raises(ParamsError, match="parent 'home'"):
        machine_with(lambda ctx: ("home", {"p": {}})).handle(Session("x"), up)


# --- screen token --------------------------------------------------------------------------------


def test_token_changes_only_with_the_screen(chat: Chat) -> None:
    tokens = [chat.session.token]
    for button in ("Orders", "Next", "Prev"):
        chat.click(button)
        tokens.append(chat.session.token)
    assert tokens == ["0", "1", "2", "3"]
    chat.send("hello")
    assert chat.session.token == "3"


def test_token_wraps() -> None:
    machine = build()
    result = machine.handle(Session("home", token="zzz"), Input.callback("zzz|orders"))
    assert (result.outcome, result.token) == (Outcome.HANDLED, "0")
    assert result.keyboard[0][0]["callback_data"] == "0|p:1"


def test_an_action_with_an_argument_that_does_not_match_is_refused(chat: Chat) -> None:
    chat.click("Orders")
    assert chat.send(Input.callback(f"{chat.session.token}|o:x")).outcome is Outcome.REFUSED
    assert chat.send(Input.callback(f"{chat.session.token}|o")).outcome is Outcome.REFUSED


# --- render checks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("screen", "message"),
    [
        ("not a screen", "not a Screen"),
        (Screen("x", [[Button("Go", "nowhere")]]), "runs None, not one of its actions"),
        (
            Screen("x", [[Action("go", to="home").button("Go")]]),
            "runs Action\\('go'\\), not one of its actions",
        ),
        (Screen("x", [[Action("p", to="home").button("P")]]), "runs Action\\('p'\\), not one of its actions"),
        (Screen("x", [[Button.back("Back")]]), "is Back, refused here"),
    ],
)
def test_render_errors(screen: Any, message: str) -> None:
    machine = Machine(
        [State("home", lambda ctx: screen, actions=[Action("p", to="home")], allow_back=False)],
        home="home",
    )
    with pytest.raises(RenderError, match=message):
        machine.handle(machine.new_session(), Input.message("x"))


def test_reserved_buttons_and_url_buttons_render() -> None:
    screen = Screen(
        "x", [[Button.back("B"), Button.up("U"), Button.home("H")], [Button("Site", url="https://a.b")]]
    )
    machine = Machine(
        [State("x", lambda ctx: screen, parent="up"), *(State(name, bye) for name in ("up", "top"))],
        home="top",
    )
    # a screen reached from home, its parent elsewhere: Back, Up and Home lead to three screens
    result = machine.handle(Session("x", history=[("top", {})]), Input.message("x"))
    assert result.keyboard == [
        [
            {"text": "B", "callback_data": "0|<"},
            {"text": "U", "callback_data": "0|^"},
            {"text": "H", "callback_data": f"0|{HOME}"},
        ],
        [{"text": "Site", "url": "https://a.b"}],
    ]


# --- families and missing states -----------------------------------------------------------------


def test_a_removed_node_resets_home_with_the_hook(chat: Chat) -> None:
    # GIVEN the user on FAQ "Returns"
    chat.click("FAQ")
    chat.click("Returns")
    # WHEN an admin removes the node and the user presses a button
    faq_tree = {"1": ("FAQ", ["2"]), "2": ("Delivery", [])}
    chat.machine = build(faq_tree, on_missing=lambda ctx: ctx.go("faq:1"))
    result = chat.click("Back")
    # THEN RESET; the hook chose the FAQ root, with home as the only crumb
    assert result.outcome is Outcome.RESET
    assert (chat.text, chat.session.history) == ("FAQ", [("home", {})])


def test_navigating_to_a_removed_node_resets(chat: Chat) -> None:
    # GIVEN the FAQ root listing "Returns", which disappears before the click
    chat.click("FAQ")
    data = chat.data("Returns")
    chat.machine = build({"1": ("FAQ", ["2"]), "2": ("Delivery", [])})
    # WHEN the user presses it  THEN RESET to home
    result = chat.send(Input.callback(data))
    assert (result.outcome, chat.text, chat.session.history) == (Outcome.RESET, "Main menu", [])


def test_on_missing_going_to_a_missing_node_ends_home(make_chat: MakeChat) -> None:
    chat = make_chat(on_missing=lambda ctx: ctx.go("faq:404"))
    chat.session = Session("faq:9", history=[("home", {})])
    result = chat.send("hi")
    assert (result.outcome, chat.text) == (Outcome.RESET, "Main menu")


def test_unknown_states_in_the_session_reset(chat: Chat) -> None:
    # GIVEN a session stored before a deploy that removed states
    chat.session = Session("old", history=[("older", {})])
    result = chat.send("hi")
    assert (result.outcome, chat.text, result.changed, result.notices[0].text) == (
        Outcome.RESET,
        "Main menu",
        True,
        "This section is gone",
    )
    # GIVEN a history entry that no longer exists  WHEN Back  THEN RESET home
    chat.session = Session("orders", history=[("older", {})], token="7")
    assert chat.send(Input.callback(f"7|{BACK}")).outcome is Outcome.RESET


def test_families_resolve_once_per_update() -> None:
    calls: list[str] = []
    machine = build(calls=calls)
    machine.handle(Session("faq:1", token="3"), Input.callback("3|n:2"))
    assert calls == ["1", "2"]


def test_resolved_states_are_checked() -> None:
    # GIVEN resolvers returning a misnamed state, a bad target, a bad pattern, something else
    cases: dict[str, tuple[Any, type[Exception], str]] = {
        "a": (State("faq:other", plain), DefinitionError, "resolved 'faq:a'"),
        "b": (State("faq:b", plain, actions=[Action("x", to="gone")]), UnknownStateError, "'gone'"),
        "c": ("faq:c", DefinitionError, "resolved 'faq:c' to 'faq:c'"),
    }
    machine = Machine(
        [State("home", plain)], home="home", families=[Family("faq", lambda key, ctx: cases[key][0])]
    )
    for key, (_, error, message) in cases.items():
        with pytest.raises(error, match=message):
            machine.handle(Session(f"faq:{key}"), Input.message("x"))
    with pytest.raises(PatternError, match=r"action 'x': argument pattern '\.\+' is unbounded"):
        Action("x", lambda ctx, arg: None, arg=".+")


def test_non_family_names_with_colons() -> None:
    machine = Machine([State("home", plain), State("a:b", plain)], home="home")
    assert machine.knows("a:b")
    assert not machine.knows("a:c")
    assert machine.handle(Session("a:c"), Input.message("x")).outcome is Outcome.RESET


def test_load_is_tolerant() -> None:
    machine = build()
    assert machine.load(None) == machine.new_session() == Session("home")
    assert machine.load({"v": 2, "s": "orders", "p": {"page": 2}}).params == {"page": 2}


def test_photo_route_and_params_in_render() -> None:
    # GIVEN a state accepting photos, rendering its params
    machine = Machine(
        [
            State("home", orders, messages=[(PHOTO, lambda ctx: None)], actions=bot.ORDERS_ACTIONS),
            State("order", plain),
        ],
        home="home",
    )
    # WHEN a photo arrives  THEN handled (same screen: no change)
    result = machine.handle(Session("home", {"page": 4}), Input("photo"))
    assert (result.outcome, result.screen.text, result.changed) == (Outcome.HANDLED, "Orders, page 4", False)


def test_show_renders_the_current_screen_with_a_notice(chat: Chat) -> None:
    # GIVEN a user on the orders page 2
    chat.click("Orders")
    chat.click("Next")
    # WHEN the bot shows the screen on its own, with a notice
    result = chat.machine.show(chat.session, "deps", notice="Your session expired")
    # THEN the same screen, unchanged, the notice first
    assert (result.outcome, result.screen.text, result.changed) == (Outcome.HANDLED, "Orders, page 2", False)
    assert [n.text for n in result.notices] == ["Your session expired"]
    assert result.session == chat.session


def test_show_a_state_that_is_gone(chat: Chat) -> None:
    result = chat.machine.show(Session("faq:404"))
    assert (result.outcome, result.screen.text, result.notices[0].text) == (
        Outcome.RESET,
        "Main menu",
        "This section is gone",
    )


# --- buttons sent outside any screen ------------------------------------------------------------


def _machine_with_sessionless(*actions: Action) -> Machine:
    return Machine(
        [
            State("home", plain),
            State("order", lambda ctx: Screen(f"order {ctx.params['id']}"), parent="home"),
        ],
        home="home",
        sessionless=actions,
    )


OPEN_NOTIFIED = Action("order", lambda ctx, id: ctx.go("order", id=id), arg=r"[0-9]{1,9}", to="order")


def test_a_sessionless_button_is_taken_in_any_state_and_never_stale() -> None:
    machine = _machine_with_sessionless(OPEN_NOTIFIED)
    session = machine.new_session()
    # WHEN a button sent outside any screen is pressed (no screen's token)
    result = machine.handle(session, Input("callback", data="-|order:42"))
    # THEN it runs, and Back leads to where the user was
    assert (result.outcome, result.screen.text) == (Outcome.HANDLED, "order 42")
    back = machine.handle(result.session, Input("callback", data=f"{result.token}|{BACK}"))
    assert back.screen.text == "home"


def test_a_sessionless_press_with_a_bad_argument_or_an_unknown_action_is_stale() -> None:
    machine = _machine_with_sessionless(OPEN_NOTIFIED)
    for data in ("-|order:x", "-|nothing:1", "-|order"):
        result = machine.handle(machine.new_session(), Input("callback", data=data))
        assert result.outcome is Outcome.STALE, data


def test_sessionless_actions_are_checked_when_built() -> None:
    with pytest.raises(DefinitionError, match="same id"):
        _machine_with_sessionless(OPEN_NOTIFIED, OPEN_NOTIFIED)
    with pytest.raises(UnknownStateError, match="'nowhere'"):
        _machine_with_sessionless(Action("x", lambda ctx: None, to="nowhere"))
