"""Routes of operators' own marks on a conversation (``supportbot/support/triage.py``): internal
notes, tags and the assignee. None of them reaches the customer; the inbox filters by tag and by
assignee (``GET /v1/admin/conversations?tag=`` / ``?assignee=``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from supportbot import operators
from supportbot.support import triage
from supportbot.support.triage import ASSIGNEE_PATTERN, TAG_PATTERN
from supportbot_admin.access import BOOTSTRAP, assignee_id, current_caller
from supportbot_admin.conversations import (
    Conversation,
    ConversationId,
    conversation_out,
    find_conversation,
)
from supportbot_admin.errors import (
    CONFLICT,
    INVALID,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Conflict,
    NotFound,
    RuleError,
    rule,
)
from supportbot_admin.texts import plain_text_problem

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
TAGS = ["conversations"]
BASE = "/v1/admin/conversations/<conversation_id>"
NOTE_LIMIT = 4000

Tag = Annotated[str, Path(pattern=TAG_PATTERN, description="Letters, digits, _ and -; at most 32")]


class NewNote(BaseModel):
    text: str = Field(
        min_length=1, max_length=NOTE_LIMIT, pattern=r"\S", description="Plain text, for colleagues only"
    )


class Note(BaseModel):
    text: str
    author_id: str
    author_name: str
    at: datetime


class Notes(BaseModel):
    notes: list[Note] = Field(description="Oldest first")


class NewTag(BaseModel):
    tag: str = Field(pattern=TAG_PATTERN, description="Letters, digits, _ and -; at most 32 (kept lowercase)")


class Assignment(BaseModel):
    assignee: str | None = Field(
        pattern=ASSIGNEE_PATTERN, description='An operator id, "me", or null for nobody'
    )


def note_out(item: triage.NoteItem) -> Note:
    return Note(text=item.text, author_id=item.author_id, author_name=item.author_name, at=item.at)


def _changed() -> Conflict:
    return Conflict("the conversation changed meanwhile: read it again")


@router.get(
    f"{BASE}/notes",
    tags=TAGS,
    summary="Internal notes",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def list_notes(conversation_id: ConversationId) -> Notes:
    return Notes(notes=[note_out(item) for item in triage.notes_of(find_conversation(conversation_id))])


@router.post(
    f"{BASE}/notes",
    tags=TAGS,
    summary="Add an internal note (never sent to the customer)",
    responses={
        201: {"description": "Added"},
        **UNAUTHORIZED,
        **NOT_FOUND,
        **rule("Longer than a note once counted as Telegram counts (UTF-16)"),
        **INVALID,
    },
)
def add_note(conversation_id: ConversationId, body: NewNote) -> Response[Note]:
    problem = plain_text_problem(body.text, NOTE_LIMIT)
    if problem:
        raise RuleError(("body", "text"), problem)  # too long in UTF-16 units, which the schema cannot count
    caller = current_caller()
    item = triage.add_note(find_conversation(conversation_id), body.text.strip(), caller.id, caller.name)
    return Response(201, content_types.APPLICATION_JSON, note_out(item))


@router.post(
    f"{BASE}/tags",
    tags=TAGS,
    summary="Tag the conversation (the inbox can be filtered by it)",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **INVALID},
)
def add_tag(conversation_id: ConversationId, body: NewTag) -> Conversation:
    found = find_conversation(conversation_id)
    tag = body.tag.lower()
    if tag not in (found.tags or []) and len(found.tags or []) >= triage.TAG_LIMIT:
        raise Conflict(f"tag: a conversation has at most {triage.TAG_LIMIT} tags")
    try:
        return conversation_out(triage.set_tag(found, tag, present=True))
    except triage.Changed:
        raise _changed() from None


@router.delete(
    f"{BASE}/tags/<tag>",
    tags=TAGS,
    summary="Remove a tag",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **INVALID},
)
def remove_tag(conversation_id: ConversationId, tag: Tag) -> Conversation:
    try:
        return conversation_out(
            triage.set_tag(find_conversation(conversation_id), tag.lower(), present=False)
        )
    except triage.Changed:
        raise _changed() from None


@router.put(
    f"{BASE}/assignee",
    tags=TAGS,
    summary='Assign the conversation to an operator ("me" for the caller) or to nobody (null)',
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **INVALID},
)
def set_assignee(conversation_id: ConversationId, body: Assignment) -> Conversation:
    found = find_conversation(conversation_id)
    assignee = None if body.assignee is None else assignee_id(body.assignee)
    if assignee not in (None, BOOTSTRAP.id) and operators.get_operator(assignee) is None:
        raise NotFound(f"no operator {assignee}")
    try:
        return conversation_out(triage.assign(found, assignee))
    except triage.Changed:
        raise _changed() from None
