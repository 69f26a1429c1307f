"""Edits of the content trees (``supportbot.content``): every change conditional on versions.

A node's ``path`` is its ancestry ("/" at the top, "/a1/b2/" below b2), so a node's subtree is
every node whose path starts with ``path + node_id + "/"``. A move rewrites the moved node's path
and every descendant's in one transaction (each write conditional on the version read), so the bot
never sees half a move; DynamoDB's transactions hold 100 writes, which bounds a move, a cascade
delete and a reorder to 100 nodes (far beyond an FAQ section; refused with 409 past that).
An import is checked as a whole before anything is written, then written in transactions of 100.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from supportbot.config import get_config
from supportbot.content import ROOT, ContentItem, translations_of
from supportbot.storage.conditions import condition_failed
from supportbot.storage.transactions import transaction
from supportbot_admin.errors import Conflict, FieldError, NotFound, RuleError
from supportbot_admin.texts import COMPLAINT_RESERVE, text_problem

FAQ, COMPLAINTS = "faq", "complaints"
TRANSACTION_LIMIT = 100  # DynamoDB's TransactWriteItems
NODE_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
NODE_ID_MAX = 16
COMPLAINT_FIELDS = ("ask", "required", "min_length", "max_length", "submit")
EDITABLE = ("title", "text", "translations", *COMPLAINT_FIELDS)
Loc = tuple[str | int, ...]


def valid_node_id(node_id: str) -> bool:
    """Short and safe in URLs and callback data.

    >>> valid_node_id("faq_1-b"), valid_node_id("root"), valid_node_id("a/b"), valid_node_id("x" * 17)
    (True, False, False, False)
    """
    return 0 < len(node_id) <= NODE_ID_MAX and node_id != ROOT and all(c in NODE_ID_ALPHABET for c in node_id)


def new_node_id() -> str:
    """8 random URL-safe characters (48 bits): collisions are checked when saving anyway."""
    return secrets.token_urlsafe(6)


def subtree_prefix(item: ContentItem) -> str:
    return f"{item.path}{item.node_id}/"


def parent_of(item: ContentItem) -> str:
    return item.path.rstrip("/").rsplit("/", 1)[-1] or ROOT


@dataclass
class LoadedTree:
    name: str
    items: dict[str, ContentItem]

    def node(self, node_id: str) -> ContentItem:
        item = self.items.get(node_id) if valid_node_id(node_id) else None
        if item is None:
            raise NotFound(f"no node {node_id[:40]!r} in the {self.name} tree")
        return item

    def children(self, parent_id: str) -> list[ContentItem]:
        kids = [item for item in self.items.values() if parent_of(item) == parent_id]
        return sorted(kids, key=lambda n: (n.position, n.title, n.node_id))

    def descendants(self, item: ContentItem) -> list[ContentItem]:
        prefix = subtree_prefix(item)
        return [other for other in self.items.values() if other.path.startswith(prefix)]

    def path_for_parent(self, parent_id: str) -> str:
        """The ``path`` of a child of ``parent_id`` (422 on ``loc`` when there is no such parent)."""
        if parent_id == ROOT:
            return "/"
        parent = self.items.get(parent_id) if valid_node_id(parent_id) else None
        if parent is None:
            raise Conflict(f"parent_id: no node {parent_id[:40]!r} in the {self.name} tree")
        return subtree_prefix(parent)

    def next_position(self, parent_id: str) -> int:
        return max((int(child.position) for child in self.children(parent_id)), default=-1) + 1


def load(tree: str) -> LoadedTree:
    """The whole tree, read consistently (one Query: a tree is one partition)."""
    return LoadedTree(tree, {item.node_id: item for item in ContentItem.query(tree, consistent_read=True)})


def check_fields(tree: str, fields: dict[str, Any], loc: Loc) -> None:
    """The rules pydantic cannot know: one field against another, and what Telegram would refuse
    (which tree has which fields is each tree's body model, ``trees.py``)."""
    low, high = fields.get("min_length"), fields.get("max_length")
    if low is not None and high is not None and low > high:
        raise RuleError((*loc, "max_length"), "must not be less than min_length", "range")
    reserve = COMPLAINT_RESERVE if tree == COMPLAINTS else 0
    title, text = fields.get("title") or "", fields.get("text") or ""
    problem = text_problem(text, title, reserve)
    if problem:
        raise RuleError((*loc, "text"), problem, "telegram_text")
    default = get_config().default_language
    for language, given in (fields.get("translations") or {}).items():
        here = (*loc, "translations", language)
        if language == default:
            raise FieldError(
                here, "the default language's title and text are the node's own", "default_language"
            )
        # What a user of this language sees: each field missing here is the default language's.
        problem = text_problem(given.get("text") or text, given.get("title") or title, reserve)
        if problem:
            raise RuleError((*here, "text" if given.get("text") else "title"), problem, "telegram_text")


def create(
    tree: str, fields: dict[str, Any], node_id: str | None, parent_id: str, position: int | None
) -> ContentItem:
    check_fields(tree, fields, ("body",))
    if node_id is not None and not valid_node_id(node_id):
        raise FieldError(("body", "node_id"), f"{ROOT!r} names the top level, not a node", "reserved")
    loaded = load(tree)
    path = loaded.path_for_parent(parent_id)
    item = ContentItem(
        tree,
        node_id or new_node_id(),
        path=path,
        position=loaded.next_position(parent_id) if position is None else position,
        **fields,
    )
    try:
        item.save()  # new: conditional on the item not existing yet (pynamodb's version check)
    except PutError as error:
        if condition_failed(error):
            raise Conflict(f"node id {item.node_id!r} is taken") from None
        raise
    return item


def update(
    tree: str, node_id: str, fields: dict[str, Any], position: int | None, version: int
) -> ContentItem:
    check_fields(tree, fields, ("body",))
    item = load(tree).node(node_id)
    _check_version(item, version)
    for name in EDITABLE:
        setattr(item, name, fields.get(name))
    item.text = fields.get("text") or ""
    if position is not None:
        item.position = position
    try:
        item.save()  # conditional on the version read above
    except PutError as error:
        if condition_failed(error):
            raise Conflict(f"node {node_id!r} was changed meanwhile: reload it") from None
        raise
    return item


def delete(tree: str, node_id: str, cascade: bool, version: int | None) -> list[str]:
    """Delete a node (and, with ``cascade``, its subtree); returns the deleted ids."""
    loaded = load(tree)
    item = loaded.node(node_id)
    if version is not None:
        _check_version(item, version)
    below = loaded.descendants(item)
    if below and not cascade:
        raise Conflict(f"node {node_id!r} has {len(below)} nodes below it: delete with cascade=true")
    doomed = [item, *below]
    _limit(doomed, "delete")
    with _transaction() as transaction:
        for node in doomed:
            transaction.delete(node)  # conditional on the version read: nothing changed meanwhile
    return [node.node_id for node in doomed]


def move(tree: str, node_id: str, parent_id: str, position: int | None, version: int) -> ContentItem:
    loaded = load(tree)
    item = loaded.node(node_id)
    _check_version(item, version)
    if parent_id == node_id or any(node.node_id == parent_id for node in loaded.descendants(item)):
        raise Conflict("parent_id: the move would create a cycle")
    new_path = loaded.path_for_parent(parent_id)
    old_prefix = subtree_prefix(item)
    new_prefix = f"{new_path}{node_id}/"
    below = loaded.descendants(item)
    _limit([item, *below], "move")
    if position is None:
        position = int(item.position) if parent_of(item) == parent_id else loaded.next_position(parent_id)
    with _transaction() as transaction:
        transaction.update(item, [ContentItem.path.set(new_path), ContentItem.position.set(position)])
        for node in below:
            moved = new_prefix + node.path[len(old_prefix) :]
            transaction.update(node, [ContentItem.path.set(moved)])
    item.path, item.position = new_path, position
    return item


def reorder(tree: str, parent_id: str, order: Sequence[str]) -> list[ContentItem]:
    """Give ``parent_id``'s children the positions of ``order`` (which must name each exactly once)."""
    loaded = load(tree)
    loaded.path_for_parent(parent_id)
    children = loaded.children(parent_id)
    ids = [child.node_id for child in children]
    if sorted(order) != sorted(ids) or len(set(order)) != len(order):
        raise Conflict(f"order: must list each child of {parent_id!r} once: {', '.join(ids) or 'none'}")
    _limit(children, "reorder")
    by_id = {child.node_id: child for child in children}
    changed = [
        (by_id[node_id], index) for index, node_id in enumerate(order) if by_id[node_id].position != index
    ]
    if changed:
        with _transaction() as transaction:
            for child, index in changed:
                transaction.update(child, [ContentItem.position.set(index)])
        for child, index in changed:
            child.position = index
    return [by_id[node_id] for node_id in order]


@dataclass(frozen=True)
class ImportNode:
    node_id: str
    parent_id: str
    position: int
    fields: dict[str, Any]


def import_nodes(tree: str, nodes: Sequence[ImportNode], replace: bool) -> tuple[int, int]:
    """Create or overwrite ``nodes`` (and with ``replace`` delete every other node); all of it is
    checked before the first write. Returns (written, deleted)."""
    loaded = load(tree)
    given = {node.node_id: node for node in nodes}
    for index, node in enumerate(nodes):
        loc: Loc = ("body", "nodes", index)
        if not valid_node_id(node.node_id):
            raise FieldError((*loc, "node_id"), f"{ROOT!r} names the top level, not a node", "reserved")
        if list(given).index(node.node_id) != index:
            raise RuleError((*loc, "node_id"), f"node id {node.node_id!r} appears twice", "duplicate")
        check_fields(tree, node.fields, loc)
    kept = {} if replace else {k: v for k, v in loaded.items.items() if k not in given}
    paths = _import_paths(given, kept)
    doomed = [item for node_id, item in loaded.items.items() if node_id not in given] if replace else []
    writes: list[ContentItem] = []
    for node in nodes:
        item = ContentItem(
            tree, node.node_id, path=paths[node.node_id], position=node.position, **node.fields
        )
        existing = loaded.items.get(node.node_id)
        if existing is not None:
            item.version = existing.version  # overwrites the version read (a new node: none yet)
        writes.append(item)
    for chunk in _chunks([*(("save", w) for w in writes), *(("delete", d) for d in doomed)]):
        with _transaction() as transaction:
            for action, item in chunk:
                if action == "save":
                    transaction.save(item)
                else:
                    transaction.delete(item)
    return len(writes), len(doomed)


def _import_paths(given: dict[str, ImportNode], kept: dict[str, ContentItem]) -> dict[str, str]:
    """Each imported node's path; 409 for a parent that exists nowhere, 400 for a cycle."""
    paths: dict[str, str] = {}
    order = list(given)

    def path_of(node_id: str, seen: tuple[str, ...]) -> str:
        if node_id in paths:
            return paths[node_id]
        node = given[node_id]
        loc: Loc = ("body", "nodes", order.index(node_id), "parent_id")
        if node.parent_id == ROOT:
            path = "/"
        elif node.parent_id in seen or node.parent_id == node_id:
            raise RuleError(loc, "the parents form a cycle", "cycle")
        elif node.parent_id in given:
            path = f"{path_of(node.parent_id, (*seen, node_id))}{node.parent_id}/"
        elif node.parent_id in kept:
            path = subtree_prefix(kept[node.parent_id])
        else:
            raise Conflict(
                f"nodes.{order.index(node_id)}.parent_id: no node {node.parent_id[:40]!r} in the import or the tree"
            )
        paths[node_id] = path
        return path

    for node_id in given:
        path_of(node_id, ())
    return paths


def export(tree: str) -> list[ImportNode]:
    """Every node in import form, parents before children, siblings in order."""
    loaded = load(tree)
    out: list[ImportNode] = []

    def walk(parent_id: str) -> None:
        for child in loaded.children(parent_id):
            fields = {name: getattr(child, name) for name in EDITABLE}
            fields["translations"] = translations_of(child.translations) or None
            fields = {k: (int(v) if isinstance(v, float) else v) for k, v in fields.items() if v is not None}
            out.append(ImportNode(child.node_id, parent_id, int(child.position), fields))
            walk(child.node_id)

    walk(ROOT)
    return out


def _check_version(item: ContentItem, version: int) -> None:
    if item.version != version:
        raise Conflict(f"node {item.node_id!r} is at version {item.version}, not {version}: reload it")


def _limit(items: Sequence[ContentItem], what: str) -> None:
    if len(items) > TRANSACTION_LIMIT:
        raise Conflict(f"cannot {what} {len(items)} nodes at once (at most {TRANSACTION_LIMIT})")


def _chunks(actions: Iterable[tuple[str, ContentItem]]) -> Iterable[list[tuple[str, ContentItem]]]:
    batch: list[tuple[str, ContentItem]] = []
    for action in actions:
        batch.append(action)
        if len(batch) == TRANSACTION_LIMIT:
            yield batch
            batch = []
    if batch:
        yield batch


class _transaction:
    """A write transaction whose failed version conditions answer 409."""

    def __enter__(self) -> TransactWrite:
        self._transaction = transaction()
        return self._transaction.__enter__()

    def __exit__(self, *exc: Any) -> None:
        try:
            self._transaction.__exit__(*exc)  # type: ignore[no-untyped-call]
        except TransactWriteError as error:
            if condition_failed(error):
                raise Conflict("the tree was changed meanwhile: reload it and try again") from None
            raise
