"""Routes of the FAQ and complaint trees: read, create, edit, delete, move, reorder, export, import."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field, field_validator

from supportbot.config import SUPPORTED_LANGUAGES, get_config
from supportbot.content import ROOT, ContentItem, translations_of
from supportbot_admin import tree_store
from supportbot_admin.errors import CONFLICT, INVALID, NOT_FOUND, OK, UNAUTHORIZED
from supportbot_admin.texts import TITLE_LIMIT

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
BASE = "/v1/admin/trees/<tree>"
TAGS = ["trees"]

TreeName = Literal["faq", "complaints"]
Language = Literal["ru", "en"]  # supportbot.config.SUPPORTED_LANGUAGES
NodeId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=tree_store.NODE_ID_MAX,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Letters, digits, _ and -; at most 16 (it travels in button data)",
    ),
]
ParentId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=tree_store.NODE_ID_MAX,
        pattern=r"^[A-Za-z0-9_-]+$",
        description='A node id, or "root" for the top level',
    ),
]
Position = Annotated[int, Field(ge=0, le=1_000_000)]
Version = Annotated[int, Field(ge=1, le=2**31, description="The node's version as read (optimistic locking)")]


def plain_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ValueError("must not be blank")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in title):
        raise ValueError("must be one line of text without control characters")
    return title


class Translation(BaseModel):
    """A node in another language than the default; a field left out shows the default's."""

    title: str | None = Field(default=None, min_length=1, max_length=TITLE_LIMIT, description="Button text")
    text: str | None = Field(default=None, max_length=20_000, description="Telegram HTML")

    @field_validator("title")
    @classmethod
    def _plain_title(cls, title: str | None) -> str | None:
        return None if title is None else plain_title(title)


class NodeFields(BaseModel):
    """What an admin edits. ``title`` and ``text`` are the default language's (``text`` is Telegram
    HTML); ``translations`` the other languages'; the complaint fields are for the complaint tree."""

    title: str = Field(min_length=1, max_length=TITLE_LIMIT, description="Button text (plain)")
    text: str = Field(default="", max_length=20_000, description="Telegram HTML shown under the title")
    translations: dict[Language, Translation] | None = Field(
        default=None,
        description='By language, e.g. {"en": {"title": "...", "text": "..."}}; not the default language',
    )
    ask: Literal["text", "photo", "order"] | None = None
    required: bool | None = None
    min_length: int | None = Field(default=None, ge=0, le=4096)
    max_length: int | None = Field(default=None, ge=1, le=4096)
    submit: bool | None = None

    @field_validator("title")
    @classmethod
    def _plain_title(cls, title: str) -> str:
        return plain_title(title)

    def fields(self) -> dict[str, Any]:
        fields = self.model_dump(include=set(tree_store.EDITABLE) - {"translations"})
        fields["translations"] = (
            translations_of({language: t.model_dump() for language, t in (self.translations or {}).items()})
            or None
        )
        return fields


class NodeCreate(NodeFields):
    node_id: NodeId | None = Field(default=None, description="Generated when not given")
    parent_id: ParentId = ROOT
    position: Position | None = Field(default=None, description="Default: after the last sibling")


class NodeUpdate(NodeFields):
    version: Version
    position: Position | None = Field(default=None, description="Unchanged when not given")


class MoveRequest(BaseModel):
    parent_id: ParentId
    position: Position | None = Field(default=None, description="Default: kept, or last under a new parent")
    version: Version


class ReorderRequest(BaseModel):
    parent_id: ParentId = ROOT
    order: list[NodeId] = Field(max_length=tree_store.TRANSACTION_LIMIT, description="Every child, once each")


class ExportNode(NodeFields):
    node_id: NodeId
    parent_id: ParentId = ROOT
    position: Position = 0


class ImportRequest(BaseModel):
    nodes: list[ExportNode] = Field(max_length=2000)
    replace: bool = Field(default=False, description="Delete every node the import does not name")


class Node(BaseModel):
    node_id: str
    parent_id: str
    path: str
    position: int
    title: str
    text: str
    translations: dict[str, Translation] = Field(default_factory=dict)
    version: int
    ask: str | None = None
    required: bool | None = None
    min_length: int | None = None
    max_length: int | None = None
    submit: bool | None = None


class TreeNode(Node):
    children: list[TreeNode] = Field(default_factory=list)


class TreeOut(BaseModel):
    tree: str
    default_language: str = Field(description="The language of the nodes' own title and text")
    languages: list[str] = Field(description="Every language the bot speaks, the default first")
    count: int
    nodes: list[TreeNode] = Field(description="Top-level nodes, each with its children, in menu order")
    orphans: list[Node] = Field(description="Nodes whose parent is missing (the bot does not show them)")


class Deleted(BaseModel):
    deleted: list[str]


class Reordered(BaseModel):
    parent_id: str
    nodes: list[Node]


class Exported(BaseModel):
    tree: str
    nodes: list[ExportNode]


class Imported(BaseModel):
    written: int
    deleted: int


def node_out(item: ContentItem) -> Node:
    return Node(
        node_id=item.node_id,
        parent_id=tree_store.parent_of(item),
        path=item.path,
        position=int(item.position),
        title=item.title,
        text=item.text,
        translations={
            language: Translation(**given) for language, given in translations_of(item.translations).items()
        },
        version=int(item.version or 0),
        ask=item.ask,
        required=item.required,
        min_length=None if item.min_length is None else int(item.min_length),
        max_length=None if item.max_length is None else int(item.max_length),
        submit=item.submit,
    )


@router.get(
    BASE, tags=TAGS, summary="The tree, nested, with versions", responses={**OK, **UNAUTHORIZED, **INVALID}
)
def get_tree(tree: TreeName) -> TreeOut:
    loaded = tree_store.load(tree)

    def nested(parent_id: str) -> list[TreeNode]:
        return [
            TreeNode(**node_out(child).model_dump(), children=nested(child.node_id))
            for child in loaded.children(parent_id)
        ]

    nodes = nested(ROOT)
    placed: set[str] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        placed.add(node.node_id)
        stack.extend(node.children)
    orphans = [node_out(item) for node_id, item in sorted(loaded.items.items()) if node_id not in placed]
    default = get_config().default_language
    languages = [default, *(language for language in SUPPORTED_LANGUAGES if language != default)]
    return TreeOut(
        tree=tree,
        default_language=default,
        languages=languages,
        count=len(loaded.items),
        nodes=nodes,
        orphans=orphans,
    )


@router.post(
    f"{BASE}/nodes",
    tags=TAGS,
    summary="Create a node",
    responses={201: {"description": "Created"}, **UNAUTHORIZED, **CONFLICT, **INVALID},
)
def create_node(tree: TreeName, body: NodeCreate) -> Response[Node]:
    item = tree_store.create(tree, body.fields(), body.node_id, body.parent_id, body.position)
    return Response(201, content_types.APPLICATION_JSON, node_out(item))


@router.get(
    f"{BASE}/nodes/<node_id>",
    tags=TAGS,
    summary="One node",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def get_node(tree: TreeName, node_id: str) -> Node:
    return node_out(tree_store.load(tree).node(node_id))


@router.put(
    f"{BASE}/nodes/<node_id>",
    tags=TAGS,
    summary="Edit a node (its version as read; 409 when it changed meanwhile)",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **INVALID},
)
def update_node(tree: TreeName, node_id: str, body: NodeUpdate) -> Node:
    return node_out(tree_store.update(tree, node_id, body.fields(), body.position, body.version))


@router.delete(
    f"{BASE}/nodes/<node_id>",
    tags=TAGS,
    summary="Delete a node; one with nodes below it only with cascade=true (else 409)",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **INVALID},
)
def delete_node(
    tree: TreeName,
    node_id: str,
    cascade: Annotated[bool, Query(description="Delete the nodes below it too")] = False,
    version: Annotated[
        int | None, Query(ge=1, le=2**31, description="409 unless the node is at this version")
    ] = None,
) -> Deleted:
    return Deleted(deleted=tree_store.delete(tree, node_id, cascade, version))


@router.post(
    f"{BASE}/nodes/<node_id>/move",
    tags=TAGS,
    summary="Move a node (with its subtree) under another parent; a cycle is refused (422)",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **INVALID},
)
def move_node(tree: TreeName, node_id: str, body: MoveRequest) -> Node:
    return node_out(tree_store.move(tree, node_id, body.parent_id, body.position, body.version))


@router.post(
    f"{BASE}/reorder",
    tags=TAGS,
    summary="Order a parent's children (the list names each child once)",
    responses={**OK, **UNAUTHORIZED, **CONFLICT, **INVALID},
)
def reorder_children(tree: TreeName, body: ReorderRequest) -> Reordered:
    items = tree_store.reorder(tree, body.parent_id, body.order)
    return Reordered(parent_id=body.parent_id, nodes=[node_out(item) for item in items])


@router.get(
    f"{BASE}/export",
    tags=TAGS,
    summary="Every node, flat, in import form",
    responses={**OK, **UNAUTHORIZED, **INVALID},
)
def export_tree(tree: TreeName) -> Exported:
    nodes = [
        ExportNode(node_id=n.node_id, parent_id=n.parent_id, position=n.position, **n.fields)
        for n in tree_store.export(tree)
    ]
    return Exported(tree=tree, nodes=nodes)


@router.post(
    f"{BASE}/import",
    tags=TAGS,
    summary="Create or overwrite nodes (replace=true: the tree becomes exactly these); checked whole first",
    responses={**OK, **UNAUTHORIZED, **CONFLICT, **INVALID},
)
def import_tree(tree: TreeName, body: ImportRequest) -> Imported:
    nodes = [
        tree_store.ImportNode(node.node_id, node.parent_id, node.position, node.fields())
        for node in body.nodes
    ]
    written, deleted = tree_store.import_nodes(tree, nodes, body.replace)
    return Imported(written=written, deleted=deleted)
