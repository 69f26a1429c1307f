"""FAQ: every node of the admin-edited tree is a state of the family "faq", resolved at run time.

A node with children lists them as buttons (paginated); a leaf shows its answer. Up leads to the
parent node, and from the top of the tree to the main menu.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from statemachine import Button, Family, Nav, Screen, State
from supportbot.bot.auth import deps
from supportbot.bot.widgets import PAGE_ROUTE, clamp, pager, pages_of
from supportbot.content import ROOT, Node, Tree
from supportbot.i18n import SafeHTML

if TYPE_CHECKING:
    from statemachine import Context

TREE = "faq"
PER_PAGE = 8
NODE_ROUTE = r"^n:(?P<node_id>[A-Za-z0-9_-]{1,24})$"


def resolve(key: str, ctx: Context) -> State | None:
    tree = deps(ctx).content.tree(TREE)
    node = tree.get(key)
    if node is None:
        return None
    return State(
        f"{TREE}:{key}",
        lambda ctx: render(ctx, tree, node),
        callbacks=[
            (NODE_ROUTE, lambda ctx, node_id: open_child(ctx, node, node_id)),
            (PAGE_ROUTE, goto_page),
        ],
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
    page = clamp(int(ctx.params.get("page") or 1), pages)
    shown = children[(page - 1) * PER_PAGE : page * PER_PAGE]
    text = t("faq.title") if node.id == ROOT else t("faq.category", title=node.title)
    if node.text:
        text += "\n\n" + node.text
    buttons = [[Button(child.title[:64], f"n:{child.id}")] for child in shown]
    return Screen(text, [*buttons, *pager(page, pages, t), nav])


def open_child(ctx: Context, node: Node, node_id: str) -> Nav | None:
    if node_id not in node.children:
        ctx.notify(deps(ctx).t("common.stale"))
        return None
    return ctx.go(f"{TREE}:{node_id}")


def goto_page(ctx: Context, page: str) -> Nav:
    return ctx.replace(ctx.state, page=max(1, int(page)))


FAMILY = Family(TREE, resolve)
