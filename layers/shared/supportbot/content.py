"""Admin-edited trees (the FAQ, the complaint menu): DynamoDB items with parent paths.

Every node of a tree lives in the tree's partition (hash key ``tree``), so one Query loads it
whole. ``path`` is the node's ancestry ("/" for a top-level node, "/a1/b2/" below ``b2``), and
siblings are ordered by ``position``. The bot keeps a loaded tree in memory for ``ttl`` seconds,
so admin edits show within that time without a read per update.

A node of either tree: ``node_id`` (letters, digits, ``_`` and ``-``, at most 24: it travels in
button data), ``path``, ``position``, ``title`` (its button), ``text`` (Telegram HTML, shown as is).

Languages: ``title`` and ``text`` are the default language's (``DEFAULT_LANGUAGE``);
``translations`` adds the others, ``{"en": {"title": "...", "text": "..."}}``. The bot shows a
user the tree in their language (``ContentStore.tree(name, language)``), falling back to the
default language field by field: an English title with no English text shows the default text.

Complaint-tree nodes (tree ``"complaints"``) may also say what the step asks for and whether it
submits; FAQ nodes leave these unset and nothing changes for them:

- ``ask``: ``"text"`` (a typed answer), ``"photo"`` (one photo), ``"order"`` (one of the
  customer's orders, picked from a list) or unset (asks nothing);
- ``required`` (default true): an unanswered required step cannot be skipped or submitted;
- ``min_length`` / ``max_length``: bounds of a text answer in characters (the bot caps
  ``max_length`` to keep the session small, see ``bot/complaints.py``);
- ``submit`` (default false): the step offers "Submit" once every required step on its path is
  answered. After an answer the bot moves on to the node's only child, if it has exactly one.

>>> tree = Tree.from_items("complaints", [
...     ContentItem("complaints", "oth", path="/", position=3, title="Другое"),
...     ContentItem("complaints", "oth_t", path="/oth/", title="Опишите проблему", ask="text",
...                 min_length=10, max_length=200, submit=True),
... ])
>>> step = tree.get("oth_t")
>>> step.ask, step.required, step.max_length, step.submit, tree.get("oth").ask
('text', True, 200, True, None)
>>> english = replace(tree, nodes={**tree.nodes, "oth": replace(tree.get("oth"), translations={"en": {"title": "Other"}})})
>>> english.localized("en").get("oth").title, english.localized("en").get("oth_t").title
('Other', 'Опишите проблему')
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.models import Model

from supportbot.storage.tables import TableName

ROOT = "root"
CACHE_SECONDS = 10.0


class ContentItem(Model):
    class Meta:
        table_name = TableName("content_table")

    tree = UnicodeAttribute(hash_key=True)
    node_id = UnicodeAttribute(range_key=True)
    path = UnicodeAttribute(default="/")
    position = NumberAttribute(default=0)
    title = UnicodeAttribute(default="")
    text = UnicodeAttribute(default="")
    # {language: {"title"?: ..., "text"?: ...}} for the languages other than the default.
    translations = JSONAttribute(null=True)
    # Complaint steps only (see the module's docstring); unset on FAQ nodes.
    ask = UnicodeAttribute(null=True)
    required = BooleanAttribute(null=True)
    min_length = NumberAttribute(null=True)
    max_length = NumberAttribute(null=True)
    submit = BooleanAttribute(null=True)
    version = VersionAttribute()


@dataclass(frozen=True)
class Node:
    id: str
    title: str
    text: str = ""
    path: str = "/"
    position: int = 0
    children: tuple[str, ...] = ()
    ask: str | None = None
    required: bool = True
    min_length: int | None = None
    max_length: int | None = None
    submit: bool = False
    translations: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, hash=False)

    def localized(self, language: str) -> Node:
        """The node as a user speaking ``language`` sees it: each field in that language when it
        has a translation, else the default language's."""
        given = self.translations.get(language) or {}
        title, text = given.get("title") or self.title, given.get("text") or self.text
        return self if (title, text) == (self.title, self.text) else replace(self, title=title, text=text)

    @property
    def parent_id(self) -> str:
        """The parent's id, or ROOT for a top-level node."""
        return self.path.rstrip("/").rsplit("/", 1)[-1] or ROOT

    @property
    def ancestors(self) -> list[str]:
        """The ids from the top of the tree down to the parent."""
        return [part for part in self.path.split("/") if part]


@dataclass(frozen=True)
class Tree:
    """A loaded tree; ``nodes[ROOT]`` is a synthetic root holding the top-level nodes."""

    name: str
    nodes: dict[str, Node] = field(default_factory=dict)

    def get(self, node_id: str) -> Node | None:
        return self.nodes.get(node_id)

    def children(self, node_id: str) -> list[Node]:
        node = self.nodes.get(node_id)
        return [self.nodes[child] for child in node.children] if node else []

    def localized(self, language: str) -> Tree:
        """The tree in ``language``, field by field (see ``Node.localized``)."""
        return Tree(self.name, {node_id: node.localized(language) for node_id, node in self.nodes.items()})

    def path_to(self, node: Node) -> list[Node] | None:
        """The nodes from the top of the tree down to ``node``; None if one of them is gone."""
        path = [self.nodes.get(ancestor) for ancestor in node.ancestors]
        return None if None in path else [*path, node]  # type: ignore[list-item]  # no None left

    @classmethod
    def from_items(cls, name: str, items: list[ContentItem]) -> Tree:
        nodes = {item.node_id: node_of(item) for item in items if item.node_id != ROOT}
        children: dict[str, list[Node]] = {ROOT: []}
        for node in nodes.values():
            parent = node.parent_id
            if parent == ROOT or parent in nodes:
                children.setdefault(parent, []).append(node)
        ordered = {
            parent: tuple(child.id for child in sorted(kids, key=lambda n: (n.position, n.title, n.id)))
            for parent, kids in children.items()
        }
        tree_nodes = {ROOT: Node(ROOT, "", children=ordered[ROOT])}
        for node_id, node in nodes.items():
            if node.parent_id == ROOT or node.parent_id in nodes:
                tree_nodes[node_id] = replace(node, children=ordered.get(node_id, ()))
        return cls(name, tree_nodes)


def node_of(item: ContentItem) -> Node:
    return Node(
        item.node_id,
        item.title,
        item.text,
        item.path,
        int(item.position),
        ask=item.ask or None,
        required=item.required is not False,
        min_length=None if item.min_length is None else int(item.min_length),
        max_length=None if item.max_length is None else int(item.max_length),
        submit=bool(item.submit),
        translations=translations_of(item.translations),
    )


def translations_of(stored: object) -> dict[str, dict[str, str]]:
    """The stored translations, keeping only non-empty strings (an item is data: trust nothing)."""
    if not isinstance(stored, dict):
        return {}
    out = {}
    for language, fields in stored.items():
        if isinstance(fields, dict):
            kept = {k: v for k, v in fields.items() if k in ("title", "text") and isinstance(v, str) and v}
            if kept:
                out[str(language)] = kept
    return out


class ContentStore:
    """Trees by name, each loaded with one Query and cached for ``ttl`` seconds (in every
    language asked for: a language is derived from the loaded tree, not read again)."""

    def __init__(self, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, Tree, dict[str, Tree]]] = {}

    def tree(self, name: str, language: str | None = None) -> Tree:
        """The tree as stored (the default language), or in ``language`` with the default's fallback."""
        cached = self._cache.get(name)
        now = self.clock()
        if cached is None or now - cached[0] >= self.ttl:
            cached = (now, Tree.from_items(name, list(ContentItem.query(name))), {})
            self._cache[name] = cached
        tree, localized = cached[1], cached[2]
        if language is None:
            return tree
        if language not in localized:
            localized[language] = tree.localized(language)
        return localized[language]


@functools.cache
def get_content_store() -> ContentStore:
    return ContentStore()
