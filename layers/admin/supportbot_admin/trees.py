"""Routes of the FAQ and complaint trees: read, create, edit, delete, move, reorder, export, import."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from supportbot.config import SUPPORTED_LANGUAGES, get_config
from supportbot.content import ROOT, ContentItem, translations_of
from supportbot_admin import tree_store
from supportbot_admin.errors import CONFLICT, INVALID, NOT_FOUND, OK, UNAUTHORIZED, Responses, rule
from supportbot_admin.texts import TITLE_LIMIT

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
BASE = "/v1/admin/trees/<tree>"
FAQ_BASE, COMPLAINTS_BASE = f"/v1/admin/trees/{tree_store.FAQ}", f"/v1/admin/trees/{tree_store.COMPLAINTS}"
TAGS = ["trees"]

TreeName = Literal["faq", "complaints"]
Language = Literal["ru", "en"]  # supportbot.config.SUPPORTED_LANGUAGES
NodeId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=tree_store.NODE_ID_MAX,
        pattern=r"^[A-Za-z0-9_-]+$",
        description=f'Letters, digits, _ and -; at most 16 (it travels in button data); not "{ROOT}"',
        json_schema_extra={"not": {"const": ROOT}},
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


# One line, not blank: what plain_title keeps (a control character or only spaces never passes).
TITLE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"


def plain_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ValueError("must not be blank")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in title):
        raise ValueError("must be one line of text without control characters")
    return title


Title = Annotated[
    str, Field(min_length=1, max_length=TITLE_LIMIT, pattern=TITLE_PATTERN), AfterValidator(plain_title)
]


class Translation(BaseModel):
    """A node in another language than the default; a field left out shows the default's."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = Field(default=None, description="Button text")
    text: str | None = Field(default=None, max_length=20_000, description="Telegram HTML")


class FaqFields(BaseModel):
    """What an admin edits in an FAQ node. ``title`` and ``text`` are the default language's
    (``text`` is Telegram HTML); ``translations`` the other languages'. A field of a complaint
    step is no FAQ node's (422: each tree's operations have a body of their own)."""

    model_config = ConfigDict(extra="forbid")

    title: Title = Field(description="Button text (plain)")
    text: str = Field(default="", max_length=20_000, description="Telegram HTML shown under the title")
    translations: dict[Language, Translation] | None = Field(
        default=None,
        description='By language, e.g. {"en": {"title": "...", "text": "..."}}; not the default language',
    )

    def fields(self) -> dict[str, Any]:
        fields = self.model_dump(include=set(tree_store.EDITABLE) - {"translations"})
        fields["translations"] = (
            translations_of({language: t.model_dump() for language, t in (self.translations or {}).items()})
            or None
        )
        return fields


class ComplaintFields(FaqFields):
    """A complaint step: an FAQ node's fields and what the step asks the customer for."""

    ask: Literal["text", "photo", "order"] | None = None
    required: bool | None = None
    min_length: int | None = Field(default=None, ge=0, le=4096)
    max_length: int | None = Field(
        default=None, ge=1, le=4096, description="Not less than min_length (else 400)"
    )
    submit: bool | None = None


class Placed(BaseModel):
    node_id: NodeId | None = Field(default=None, description="Generated when not given")
    parent_id: ParentId = ROOT
    position: Position | None = Field(default=None, description="Default: after the last sibling")


class Edited(BaseModel):
    version: Version
    position: Position | None = Field(default=None, description="Unchanged when not given")


class Exportable(BaseModel):
    node_id: NodeId
    parent_id: ParentId = ROOT
    position: Position = 0


class FaqCreate(FaqFields, Placed):
    pass


class ComplaintCreate(ComplaintFields, Placed):
    pass


class FaqUpdate(FaqFields, Edited):
    pass


class ComplaintUpdate(ComplaintFields, Edited):
    pass


class FaqExport(FaqFields, Exportable):
    pass


class ComplaintExport(ComplaintFields, Exportable):
    pass


class MoveRequest(BaseModel):
    parent_id: ParentId
    position: Position | None = Field(default=None, description="Default: kept, or last under a new parent")
    version: Version


class ReorderRequest(BaseModel):
    parent_id: ParentId = ROOT
    order: list[NodeId] = Field(
        max_length=tree_store.TRANSACTION_LIMIT, description="Every child, once each (else 409, naming them)"
    )


class FaqImport(BaseModel):
    nodes: list[FaqExport] = Field(max_length=2000)
    replace: bool = Field(default=False, description="Delete every node the import does not name")


class ComplaintImport(BaseModel):
    nodes: list[ComplaintExport] = Field(max_length=2000)
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
    nodes: list[FaqExport | ComplaintExport]


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


def _create(tree: str, body: FaqCreate | ComplaintCreate) -> Response[Node]:
    item = tree_store.create(tree, body.fields(), body.node_id, body.parent_id, body.position)
    return Response(201, content_types.APPLICATION_JSON, node_out(item))


TEXT_RULES = (
    "text (with the title as its heading) Telegram would refuse: markup that does not parse, "
    "or too long once parsed; a complaint step's max_length below its min_length"
)
CREATED: Responses = {
    201: {"description": "Created"},
    **UNAUTHORIZED,
    **CONFLICT,
    **rule(TEXT_RULES),
    **INVALID,
}


# Each tree has its own writes: what a node holds differs (a complaint step asks for something),
# and a body's schema cannot depend on a path parameter.
@router.post(f"{FAQ_BASE}/nodes", tags=TAGS, summary="Create an FAQ node", responses=CREATED)
def create_faq_node(body: FaqCreate) -> Response[Node]:
    return _create(tree_store.FAQ, body)


@router.post(f"{COMPLAINTS_BASE}/nodes", tags=TAGS, summary="Create a complaint step", responses=CREATED)
def create_complaint_node(body: ComplaintCreate) -> Response[Node]:
    return _create(tree_store.COMPLAINTS, body)


@router.get(
    f"{BASE}/nodes/<node_id>",
    tags=TAGS,
    summary="One node",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def get_node(tree: TreeName, node_id: str) -> Node:
    return node_out(tree_store.load(tree).node(node_id))


UPDATED: Responses = {**OK, **UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **CREATED, **INVALID}
UPDATED.pop(201)


@router.put(
    f"{FAQ_BASE}/nodes/<node_id>",
    tags=TAGS,
    summary="Edit an FAQ node (its version as read; 409 when it changed meanwhile)",
    responses=UPDATED,
)
def update_faq_node(node_id: str, body: FaqUpdate) -> Node:
    return node_out(tree_store.update(tree_store.FAQ, node_id, body.fields(), body.position, body.version))


@router.put(
    f"{COMPLAINTS_BASE}/nodes/<node_id>",
    tags=TAGS,
    summary="Edit a complaint step (its version as read; 409 when it changed meanwhile)",
    responses=UPDATED,
)
def update_complaint_node(node_id: str, body: ComplaintUpdate) -> Node:
    return node_out(
        tree_store.update(tree_store.COMPLAINTS, node_id, body.fields(), body.position, body.version)
    )


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
    shape = FaqExport if tree == tree_store.FAQ else ComplaintExport
    nodes: list[FaqExport | ComplaintExport] = [
        shape(node_id=n.node_id, parent_id=n.parent_id, position=n.position, **n.fields)
        for n in tree_store.export(tree)
    ]
    return Exported(tree=tree, nodes=nodes)


def _import(tree: str, body: FaqImport | ComplaintImport) -> Imported:
    nodes = [
        tree_store.ImportNode(node.node_id, node.parent_id, node.position, node.fields())
        for node in body.nodes
    ]
    written, deleted = tree_store.import_nodes(tree, nodes, body.replace)
    return Imported(written=written, deleted=deleted)


IMPORTED: Responses = {
    **OK,
    **UNAUTHORIZED,
    **CONFLICT,
    **rule(f"A node id twice, parents in a cycle, or: {TEXT_RULES}"),
    **INVALID,
}
IMPORT_SUMMARY = "Create or overwrite {} (replace=true: the tree becomes exactly these); checked whole first"


@router.post(f"{FAQ_BASE}/import", tags=TAGS, summary=IMPORT_SUMMARY.format("FAQ nodes"), responses=IMPORTED)
def import_faq(body: FaqImport) -> Imported:
    return _import(tree_store.FAQ, body)


@router.post(
    f"{COMPLAINTS_BASE}/import",
    tags=TAGS,
    summary=IMPORT_SUMMARY.format("complaint steps"),
    responses=IMPORTED,
)
def import_complaints(body: ComplaintImport) -> Imported:
    return _import(tree_store.COMPLAINTS, body)
