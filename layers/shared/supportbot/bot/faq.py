"""FAQ: every node of the admin-edited tree is a state of the family "faq", resolved at run time.

A node with children lists them as buttons (paginated); a leaf shows its answer. Up leads to the
parent node, and from the top of the tree to the main menu. Titles and answers are in the user's
language, each falling back to the default language's (``content.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from statemachine import Action, Button, Family, Nav, Screen, State, pages_of
from supportbot.bot.auth import deps
from supportbot.bot.widgets import PAGER, pager_rows
from supportbot.content import ROOT, Node, Tree
from supportbot.i18n import SafeHTML

if TYPE_CHECKING:
    from statemachine import Context

TREE = "faq"
PER_PAGE = 8
NODE_ID = r"[A-Za-z0-9_-]{1,24}"


def faq_tree(ctx: Context) -> Tree:
    d = deps(ctx)
    return d.content.tree(TREE, d.t.language)


def resolve(key: str, ctx: Context) -> State | None:
    tree = faq_tree(ctx)
    node = tree.get(key)
    if node is None:
        return None
    return State(
        f"{TREE}:{key}",
        lambda ctx: render(ctx, tree, node),
        parent="main" if key == ROOT else f"{TREE}:{node.parent_id}",
    )


def render(ctx: Context, tree: Tree, node: Node) -> Screen:
    t = deps(ctx).t
    nav = [Button.back(t("nav.back"))]
    if node.id != ROOT:
        nav.append(Button.up(t("nav.up")))
    nav.append(Button.home(t("nav.home")))
    children = tree.children(node.id)
    if not children:
        if node.id == ROOT:
            return Screen(t("faq.empty"), [nav])
        return Screen(t("faq.answer", title=node.title, text=SafeHTML(node.text)), [nav])
    pages = pages_of(len(children), PER_PAGE)
    page = PAGER.page(ctx, pages)
    shown = children[(page - 1) * PER_PAGE : page * PER_PAGE]
    text = t("faq.title") if node.id == ROOT else t("faq.category", title=node.title)
    if node.text:
        text += "\n\n" + node.text
    buttons = [[CHILD.button(child.title[:64], child.id)] for child in shown]
    return Screen(text, [*buttons, *pager_rows(page, pages, t), nav])


def open_child(ctx: Context, node_id: str) -> Nav | None:
    node = faq_tree(ctx).get(ctx.state.partition(":")[2])
    if node is None or node_id not in node.children:
        ctx.notify(deps(ctx).t("common.stale"))
        return None
    return ctx.go(f"{TREE}:{node_id}")


OPEN = Action("faq", to=f"{TREE}:{ROOT}")
CHILD = Action("n", open_child, arg=NODE_ID, to=f"{TREE}:*")
FAMILY = Family(TREE, resolve, actions=[CHILD, PAGER], parent="main", title="the admin-edited FAQ tree")
