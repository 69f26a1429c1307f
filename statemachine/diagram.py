r"""The machine drawn from its own definition: a Mermaid flowchart.

Each static state is a box, each family of admin-defined states one hexagon (`prefix:*`). A solid
arrow is a button's action (its id; `()` when a handler runs first and usually leads there) or a
message route naming its target; a dotted arrow is Up (to the parent). States that refuse Back are
drawn with a double border; Back itself follows the path taken, which no definition fixes. States
that need guards sit in a box named after them, with a dotted arrow to where a failed guard leads.

>>> from statemachine import Action, Machine, Screen, State
>>> ORDERS = Action("orders", to="orders")
>>> print(mermaid(Machine([State("home", lambda ctx: Screen("Hi"), actions=[ORDERS]),
...                        State("orders", lambda ctx: Screen("Orders"), parent="home")], home="home")))
flowchart LR
  home["home"]:::home
  orders["orders"]
  home -->|"orders"| orders
  orders -.->|"Up"| home
  classDef home stroke-width:3px
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .machine import Machine
    from .state import Family, Guard, State


def mermaid(machine: Machine) -> str:
    """The Mermaid source of `machine`'s diagram (deterministic: the definition's order)."""
    lines = ["flowchart LR"]
    edges: list[str] = []
    groups: dict[tuple[Guard, ...], list[str]] = {}
    items: list[State | Family] = [*machine.states, *machine.families]
    for item in items:
        name = getattr(item, "name", None) or f"{item.prefix}:*"  # type: ignore[union-attr]
        groups.setdefault(tuple(item.guards), []).append(_node(machine, item, name))
        for action in item.actions:
            if action.to is not None:
                label = action.id if action.handler is None else f"{action.id}()"
                edges.append(f'  {_id(name)} -->|"{label}"| {_target(machine, action.to)}')
        for route in getattr(item, "message_routes", ()):
            if isinstance(route.target, str):
                edges.append(f'  {_id(name)} -->|"message"| {_target(machine, route.target)}')
        if isinstance(item.parent, str):
            edges.append(f'  {_id(name)} -.->|"Up"| {_target(machine, item.parent)}')
    for number, (guards, nodes) in enumerate(groups.items()):
        if not guards:
            lines += nodes
            continue
        title = " + ".join(guard.name for guard in guards)
        lines.append(f'  subgraph guard{number}["needs: {title}"]')
        lines += [f"  {node}" for node in nodes]
        lines.append("  end")
        for guard in guards:
            edges.append(f'  guard{number} -.->|"not {guard.name}"| {_id(guard.otherwise)}')
    lines += edges
    lines.append("  classDef home stroke-width:3px")
    return "\n".join(lines)


def _node(machine: Machine, item: State | Family, name: str) -> str:
    if hasattr(item, "prefix"):
        title = f" — {item.title}" if item.title else ""  # type: ignore[union-attr]
        return f'  {_id(name)}{{{{"{name}{title}"}}}}'
    shape = '[["{}"]]' if not item.allow_back else '["{}"]'
    return f"  {_id(name)}{shape.format(name)}" + (":::home" if name == machine.home else "")


def _target(machine: Machine, name: str) -> str:
    prefix, sep, _ = name.partition(":")
    family = sep and any(family.prefix == prefix for family in machine.families)
    return _id(f"{prefix}:*" if family else name)


def _id(name: str) -> str:
    return re.sub(r"\W", "_", name.replace("*", "all"))
