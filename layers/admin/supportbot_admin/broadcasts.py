"""Broadcasts (admin role): one message to an audience of logged-in users, sent by a background
job at Telegram's pace (``supportbot/notifications/broadcasts.py``).

``POST /v1/admin/broadcasts`` answers at once with the id (201); the text is Telegram HTML, checked
as Telegram would (a caption of a photo holds 1,024 characters, a message 4,096); ``start_at``
schedules it (ISO time; past or absent: now); ``test_chat_id`` sends it to that chat only, now,
whatever the audience. ``GET /v1/admin/broadcasts`` lists them newest first, a page at a time
(``limit``, ``cursor``, ``next_cursor``: ``supportbot_admin/pages.py``); ``GET /v1/admin/broadcasts/{id}`` gives status and counts;
``POST /v1/admin/broadcasts/{id}/cancel`` stops it (409 when it is done or cancelled already).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from supportbot.config import get_config
from supportbot.notifications import broadcasts
from supportbot.telegram.html import EntityParseError, parse_text, utf16_len
from supportbot.telegram.split import MAX_CAPTION, MAX_TEXT
from supportbot_admin import pages
from supportbot_admin.errors import (
    BAD_CURSOR,
    CONFLICT,
    INVALID,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Conflict,
    FieldError,
    NotFound,
    RuleError,
    rule,
)

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
TAGS = ["broadcasts"]
BroadcastId = Annotated[str, Path(pattern=r"^[0-9]{14}-[0-9a-f]{6}$")]


class Audience(BaseModel):
    user_type: Literal["customer", "partner"] | None = Field(None, description="Absent: every logged-in user")
    language: Literal["ru", "en"] | None = None


class UrlButton(BaseModel):
    text: str = Field(min_length=1, max_length=64)
    url: str = Field(pattern=r"^https?://[!-~]{1,2000}$", description="An http(s) URL (ASCII)")


class NewBroadcast(BaseModel):
    text: str = Field(min_length=1, description="Telegram HTML")
    audience: Audience = Field(default_factory=lambda: Audience(user_type=None, language=None))
    photo_url: str | None = Field(
        None, pattern=r"^https://[!-~]{1,2000}$", description="An https URL (ASCII)"
    )
    button: UrlButton | None = None
    start_at: datetime | None = Field(None, description="ISO 8601 with a time zone; absent or past: now")
    test_chat_id: int | None = Field(None, description="Send to this chat only, now (a test)")


class Created(BaseModel):
    id: str


class Broadcast(BaseModel):
    id: str
    status: Literal["scheduled", "running", "done", "cancelled"]
    sent: int
    blocked: int
    failed: int
    waiting: int
    cancelled: int
    total: int = Field(description="Recipients fanned out so far")
    text: str
    audience: Audience
    photo_url: str | None
    button: UrlButton | None
    start_at: str
    created_at: str
    test_chat_id: int | None
    fanned_out: bool = Field(description="Every page of the audience has been fanned out")


class Broadcasts(BaseModel):
    broadcasts: list[Broadcast]
    next_cursor: str | None = Field(description=pages.NEXT_CURSOR)


@router.post(
    "/v1/admin/broadcasts",
    tags=TAGS,
    summary="Create a broadcast (or a test send); answered at once, sent by a background job",
    responses={
        201: {"description": "Created"},
        **UNAUTHORIZED,
        **rule(
            "Text Telegram would refuse: markup that does not parse, nothing left once parsed, or too long"
        ),
        **INVALID,
    },
)
def create_broadcast(body: NewBroadcast) -> Response[Created]:
    try:
        plain, _ = parse_text(body.text, "HTML")
    except EntityParseError as error:
        raise RuleError(("body", "text"), f"not valid Telegram HTML: {error}") from None
    limit = MAX_CAPTION if body.photo_url else MAX_TEXT
    if not plain.strip():
        raise RuleError(("body", "text"), "must not be empty")
    if utf16_len(plain) > limit:
        what = "a photo's caption" if body.photo_url else "a Telegram message"
        raise RuleError(
            ("body", "text"), f"too long for {what}: {utf16_len(plain)} characters (at most {limit})"
        )
    if body.start_at is not None and body.start_at.tzinfo is None:
        raise FieldError(("body", "start_at"), "needs a time zone (e.g. +03:00 or Z)")
    spec = broadcasts.BroadcastSpec(
        text=body.text,
        user_type=body.audience.user_type,
        language=body.audience.language,
        photo_url=body.photo_url,
        button=body.button.model_dump() if body.button else None,
        start_at=body.start_at.timestamp() if body.start_at else None,
        test_chat_id=body.test_chat_id,
    )
    item = broadcasts.create(get_config(), spec)
    return Response(201, content_types.APPLICATION_JSON, Created(id=item.id))


@router.get(
    "/v1/admin/broadcasts",
    tags=TAGS,
    summary="Broadcasts, newest first, a page at a time",
    responses={**OK, **UNAUTHORIZED, **BAD_CURSOR, **INVALID},
)
def list_broadcasts(limit: pages.Limit = pages.DEFAULT_LIMIT, cursor: pages.Cursor = None) -> Broadcasts:
    items, after = pages.page(broadcasts.listing(), limit, cursor, "broadcasts")
    return Broadcasts(broadcasts=[Broadcast(**broadcasts.view(item)) for item in items], next_cursor=after)


@router.get(
    "/v1/admin/broadcasts/<broadcast_id>",
    tags=TAGS,
    summary="A broadcast's status and counts",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def get_broadcast(broadcast_id: BroadcastId) -> Broadcast:
    item = broadcasts.load(broadcast_id)
    if item is None:
        raise NotFound(f"no broadcast {broadcast_id}")
    return Broadcast(**broadcasts.view(item))


@router.post(
    "/v1/admin/broadcasts/<broadcast_id>/cancel",
    tags=TAGS,
    summary="Cancel a scheduled or running broadcast: nothing more is sent",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **CONFLICT, **INVALID},
)
def cancel_broadcast(broadcast_id: BroadcastId) -> Broadcast:
    try:
        item = broadcasts.cancel(broadcast_id)
    except ValueError as error:
        raise Conflict(f"broadcast {broadcast_id} is {error} already") from None
    if item is None:
        raise NotFound(f"no broadcast {broadcast_id}")
    fresh = broadcasts.load(broadcast_id)
    return Broadcast(**broadcasts.view(fresh or item))
