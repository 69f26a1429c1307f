"""Areas: states and families built on first use, behaving exactly as if given up front."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from statemachine import (
    SESSIONLESS,
    Action,
    Area,
    Context,
    DefinitionError,
    DuplicateStateError,
    Family,
    Guard,
    Input,
    Machine,
    Nav,
    Outcome,
    Screen,
    Session,
    State,
    UnknownStateError,
    callback_data,
    guarded,
)
from tests.unit.statemachine.bot import Chat

LOGGED_IN = Guard("login", lambda ctx: "auth" in ctx.user_data, otherwise="login")
ORDERS = Action("orders", to="orders")
FAQ = Action("faq", to="faq:1")
OPEN = Action("open", to="order")


def log_in(ctx: Context) -> Nav:
    ctx.user_data["auth"] = True
    return ctx.home()


def login_screen(ctx: Context) -> Screen:
    return Screen("login")


def home_screen(ctx: Context) -> Screen:
    return Screen("home", [[ORDERS.button("Orders"), FAQ.button("FAQ")]])


def named(ctx: Context) -> Screen:
    return Screen(ctx.state)


def faq_node(key: str, ctx: Context) -> State | None:
    return State(f"faq:{key}", named, parent="home") if key == "1" else None


LOGIN_STATES = [State("login", login_screen, messages=[("^me$", log_in)], allow_back=False)]


def home_states() -> list[State | Family]:
    return [State("home", home_screen, actions=[ORDERS, FAQ])]


def orders_states() -> list[State | Family]:
    return [State("orders", named, parent="home", actions=[OPEN]), State("order", named, parent="orders")]


def faq_families() -> list[State | Family]:
    return [Family("faq", faq_node)]


class Loads:
    """Counts the calls of each loader."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(
        self, name: str, load: Callable[[], list[State | Family]]
    ) -> Callable[[], list[State | Family]]:
        def counted() -> list[State | Family]:
            self.calls.append(name)
            return load()

        return counted


def lazy_machine(loads: Loads, **options: object) -> Machine:
    return Machine(
        LOGIN_STATES,
        home="home",
        areas=[
            Area(loads("home", home_states), states={"home"}, guards=[LOGGED_IN]),
            Area(loads("orders", orders_states), states={"orders", "order"}, guards=[LOGGED_IN]),
            Area(loads("faq", faq_families), families={"faq"}, guards=[LOGGED_IN]),
        ],
        commands=[("^/start$", lambda ctx: ctx.home())],
        **options,  # type: ignore[arg-type]
    )


def eager_machine() -> Machine:
    items = guarded(LOGGED_IN, [*home_states(), *orders_states(), *faq_families()])
    return Machine(
        [*LOGIN_STATES, *(item for item in items if isinstance(item, State))],
        home="home",
        families=[item for item in items if isinstance(item, Family)],
        commands=[("^/start$", lambda ctx: ctx.home())],
    )


def test_a_guard_that_turns_the_user_away_loads_nothing_and_a_reached_area_loads_once() -> None:
    loads = Loads()
    machine = lazy_machine(loads)
    chat = Chat(machine, machine.new_session())
    # WHEN a new user sends /start  THEN the login screen, and no area was loaded
    chat.send("/start")
    assert (chat.text, loads.calls) == ("login", [])
    # WHEN they log in  THEN home is loaded (and only home)
    chat.send("me")
    assert (chat.text, loads.calls) == ("home", ["home"])
    # WHEN they open the orders twice, and an order  THEN the orders' area is loaded once
    chat.click("Orders")
    chat.send("/start")
    chat.click("Orders")
    chat.press("open")
    assert (chat.text, loads.calls) == ("order", ["home", "orders"])
    # WHEN they open the FAQ  THEN its family's area is loaded
    chat.send("/start")
    chat.click("FAQ")
    assert (chat.text, loads.calls) == ("faq:1", ["home", "orders", "faq"])


def test_an_area_machine_answers_as_the_same_machine_built_up_front() -> None:
    inputs = ["/start", "hello", "me", "Orders", "/start", "FAQ", "hello"]

    def replay(machine: Machine) -> list[tuple[str, Outcome, str, list[tuple[str, dict[str, object]]]]]:
        chat, seen = Chat(machine, machine.new_session()), []
        for text in inputs:
            if text in ("Orders", "FAQ"):
                chat.click(text)
            else:
                chat.send(text)
            assert chat.result is not None
            seen.append((chat.text, chat.result.outcome, chat.session.state, chat.session.history))
        return seen

    assert replay(lazy_machine(Loads())) == replay(eager_machine())
    # a session stored in an area's state, with no login: the area's guard decides, unloaded
    loads = Loads()
    machine = lazy_machine(loads)
    assert (machine.show(Session("order")).session.state, loads.calls) == ("login", [])


def test_names_of_areas_are_known_before_loading_and_listing_loads_all() -> None:
    loads = Loads()
    machine = lazy_machine(loads)
    assert machine.knows("order")
    assert machine.knows("faq:7")
    assert not machine.knows("nowhere")
    assert loads.calls == []
    assert [state.name for state in machine.states] == ["login", "home", "orders", "order"]
    assert [family.prefix for family in machine.families] == ["faq"]
    assert all(state.guards == (LOGGED_IN,) for state in machine.states[1:])
    assert loads.calls == ["home", "orders", "faq"]


def test_an_area_must_load_exactly_what_it_declares() -> None:
    machine = Machine(
        LOGIN_STATES,
        home="login",
        areas=[Area(orders_states, states={"orders"}), Area(home_states, states={"home"})],
    )
    with pytest.raises(
        DefinitionError, match=r"area \['orders'\] \[\] loaded the states \['order', 'orders'\]"
    ):
        machine.show(Session("orders"))


def test_an_area_is_checked_as_static_states_are() -> None:
    # its targets, when it is loaded
    broken = Machine(LOGIN_STATES, home="login", areas=[Area(home_states, states={"home"})])
    with pytest.raises(UnknownStateError, match="state 'home': unknown target state 'orders'"):
        broken.show(Session("home"))
    # its names and guards, when the machine is built
    with pytest.raises(DuplicateStateError, match="two states named 'login'"):
        Machine(LOGIN_STATES, home="login", areas=[Area(home_states, states={"login"})])
    with pytest.raises(UnknownStateError, match="guard 'g' leads to 'nowhere'"):
        Machine(
            LOGIN_STATES,
            home="login",
            areas=[Area(home_states, states={"home"}, guards=[Guard("g", bool, otherwise="nowhere")])],
        )
    with pytest.raises(DefinitionError, match="needs a load"):
        Area(home_states)
    with pytest.raises(DuplicateStateError, match="two families with the prefix 'faq'"):
        Machine(
            LOGIN_STATES,
            home="login",
            areas=[Area(home_states, families={"faq"}), Area(home_states, families={"faq"})],
        )
    with pytest.raises(DefinitionError, match="have no ':'"):
        Area(home_states, states={"faq:1"})
    with pytest.raises(DefinitionError, match="are not all Guards"):
        Area(home_states, states={"home"}, guards=[bool])  # type: ignore[list-item]


def test_a_load_that_failed_is_tried_again() -> None:
    failures = [ImportError("a module could not be read")]

    def flaky() -> list[State | Family]:
        if failures:
            raise failures.pop()
        return home_states()

    machine = Machine(
        LOGIN_STATES,
        home="login",
        areas=[
            Area(flaky, states={"home"}),
            Area(orders_states, states={"orders", "order"}),
            Area(faq_families, families={"faq"}),
        ],
    )
    with pytest.raises(ImportError):
        machine.show(Session("home"))
    # THEN the next update loads it: the user's place is not lost to a reset
    result = machine.show(Session("home"))
    assert (result.outcome, result.screen.text) == (Outcome.HANDLED, "home")


def test_session_less_actions_given_as_a_function_load_with_the_first_such_button() -> None:
    loads: list[str] = []
    ping = Action("ping", lambda ctx: ctx.notify("pong"))

    def sessionless() -> list[Action]:
        loads.append("sessionless")
        return [ping]

    machine = Machine(LOGIN_STATES, home="login", sessionless=sessionless)
    machine.handle(machine.new_session(), Input.message("hello"))
    assert loads == []
    result = machine.handle(machine.new_session(), Input.callback(callback_data(SESSIONLESS, "ping")))
    assert ([n.text for n in result.notices], loads) == (["pong"], ["sessionless"])
    bad = Machine(LOGIN_STATES, home="login", sessionless=lambda: [Action("go", to="nowhere")])
    with pytest.raises(UnknownStateError, match="session-less actions: unknown target state 'nowhere'"):
        bad.handle(bad.new_session(), Input.callback(callback_data(SESSIONLESS, "go")))


def test_a_state_the_machine_relies_on_that_is_missing_is_an_error_not_a_none() -> None:
    machine = Machine(LOGIN_STATES, home="login")
    with pytest.raises(UnknownStateError, match="state 'nowhere' is not one of the states"):
        machine._known("nowhere")
