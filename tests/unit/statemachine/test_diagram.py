"""The diagram is drawn from the definition: states, actions' targets, Up, guards, families."""

from __future__ import annotations

from statemachine import Action, Context, Family, Guard, Machine, Screen, State, guarded
from statemachine.diagram import mermaid


def plain(ctx: Context) -> Screen:
    return Screen(ctx.state)


def test_every_kind_of_edge_is_drawn() -> None:
    # GIVEN a machine with a guard, a family, a handler action, a message route and a state refusing Back
    login = Guard("login", lambda ctx: True, otherwise="login")
    machine = Machine(
        [
            State("login", plain, messages=[("^ok$", "main"), ("^no$", lambda ctx: None)], allow_back=False),
            *guarded(
                login,
                [
                    State(
                        "main",
                        plain,
                        actions=[Action("faq", to="faq:root"), Action("go", lambda ctx: None, to="login")],
                    ),
                    State("help", plain, actions=[Action("x", lambda ctx: None)], parent=lambda ctx: "main"),
                ],
            ),
        ],
        home="main",
        families=[
            Family(
                "faq",
                lambda key, ctx: None,
                actions=[Action("n", lambda ctx, a: None, arg="[0-9]{1,3}", to="faq:*")],
                parent="main",
                title="FAQ",
            )
        ],
    )
    # WHEN drawn  THEN Mermaid source with each of them
    assert mermaid(machine).splitlines() == [
        "flowchart LR",
        '  login[["login"]]',
        '  faq_all{{"faq:* — FAQ"}}',
        '  subgraph guard1["needs: login"]',
        '    main["main"]:::home',
        '    help["help"]',
        "  end",
        '  login -->|"message"| main',
        '  main -->|"faq"| faq_all',
        '  main -->|"go()"| login',
        '  faq_all -->|"n()"| faq_all',
        '  faq_all -.->|"Up"| main',
        '  guard1 -.->|"not login"| login',
        "  classDef home stroke-width:3px",
    ]
