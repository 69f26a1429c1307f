"""Routes of the canned replies (``supportbot/canned.py``): operators list them, admins write them.

A reply is checked when saved as the customer will get it: every placeholder known, and the text,
with the longest name and order number we fill in, valid Telegram HTML under the operator heading
within the reply's limit, in every language it has. ``render`` fills one in for a customer; the
conversation's reply route sends it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field
from pynamodb.exceptions import PutError

from supportbot import canned as store
from supportbot.config import SUPPORTED_LANGUAGES, get_config
from supportbot.content import translations_of
from supportbot.i18n import SafeHTML, translator
from supportbot.storage.conditions import condition_failed
from supportbot.support.conversations import ConversationItem
from supportbot.telegram.html import EntityParseError, parse_text, utf16_len
from supportbot.telegram.split import MAX_TEXT
from supportbot_admin.access import current_caller
from supportbot_admin.errors import (
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
from supportbot_admin.trees import Language, Title, Translation

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
TAGS = ["canned replies"]
BASE = "/v1/admin/canned-replies"
REPLY_LIMIT = 4000  # as an operator's typed reply
# The longest values filled in, for the save-time check (a name is a Telegram name or a login name).
SAMPLES = {"name": "Ш" * 128, "order": "9" * 32}

ReplyId = Annotated[str, Path(pattern=r"^[a-z0-9]{12}$", description="The canned reply's id")]


class CannedFields(BaseModel):
    title: Title = Field(description="What the picker shows (plain)")
    text: str = Field(
        min_length=1, max_length=REPLY_LIMIT, description="Telegram HTML; may name {name} and {order}"
    )
    translations: dict[Language, Translation] | None = Field(
        default=None, description='By language, e.g. {"en": {"title": "...", "text": "..."}}'
    )


class CannedUpdate(CannedFields):
    version: int = Field(ge=1, le=2**31, description="The version as read (optimistic locking)")


class CannedReply(BaseModel):
    id: str
    title: str
    text: str
    translations: dict[str, Translation] = Field(default_factory=dict)
    placeholders: list[str] = Field(description="The placeholders the texts name, each once")
    version: int
    updated_at: datetime
    updated_by: str


class CannedReplies(BaseModel):
    default_language: str = Field(description="The language of the replies' own title and text")
    languages: list[str] = Field(description="Every language the bot speaks, the default first")
    canned_replies: list[CannedReply] = Field(description="By title")


def reply_out(item: store.CannedReplyItem) -> CannedReply:
    translations = translations_of(item.translations)
    texts = [item.text, *(t.get("text", "") for t in translations.values())]
    return CannedReply(
        id=item.node_id,
        title=item.title,
        text=item.text,
        translations={language: Translation(**given) for language, given in translations.items()},
        placeholders=list(dict.fromkeys(name for text in texts for name in store.placeholders(text))),
        version=int(item.version or 0),
        updated_at=item.updated_at,
        updated_by=item.updated_by,
    )


def check(body: CannedFields) -> dict[str, Any] | None:
    """422 on the first text the customer could not be sent; the translations to store."""
    default = get_config().default_language
    versions: list[tuple[tuple[str, ...], str, str]] = [(("body", "text"), body.text, default)]
    translations = translations_of(
        {language: t.model_dump() for language, t in (body.translations or {}).items()}
    )
    if default in translations:  # the document's translations leave the default out (api.py)
        raise FieldError(("body", "translations", default), "the default language is the reply's own text")
    for language, given in translations.items():
        if "text" in given:
            versions.append((("body", "translations", language, "text"), given["text"], language))
    for loc, text, language in versions:
        unknown = [name for name in store.placeholders(text) if name not in store.PLACEHOLDERS]
        if unknown:
            raise RuleError(loc, f"unknown placeholder {{{unknown[0]}}}: use {{name}} or {{order}}")
        sent = translator(language)("support.operator", text=SafeHTML(store.fill(text, SAMPLES)))
        try:
            plain, _ = parse_text(sent, "HTML")
        except EntityParseError as error:
            raise RuleError(loc, f"not valid Telegram HTML: {error}") from None
        if utf16_len(plain) > MAX_TEXT:
            raise RuleError(
                loc,
                f"too long for a Telegram message with the longest name and order filled in: {utf16_len(plain)} characters (at most {MAX_TEXT})",
            )
    return translations or None


@router.get(BASE, tags=TAGS, summary="Every canned reply, by title", responses={**OK, **UNAUTHORIZED})
def list_replies() -> CannedReplies:
    default = get_config().default_language
    return CannedReplies(
        default_language=default,
        languages=[default, *(language for language in SUPPORTED_LANGUAGES if language != default)],
        canned_replies=[reply_out(item) for item in store.all_replies()],
    )


@router.post(
    BASE,
    tags=TAGS,
    summary="Add a canned reply (checked as Telegram HTML, placeholders filled)",
    responses={
        201: {"description": "Created"},
        **UNAUTHORIZED,
        **rule(
            "Text Telegram would refuse (markup that does not parse, too long with the longest {name} and {order}), or an unknown placeholder"
        ),
        **INVALID,
    },
)
def create_reply(body: CannedFields) -> Response[CannedReply]:
    item = store.CannedReplyItem(
        store.PARTITION,
        secrets.token_hex(6),
        title=body.title,
        text=body.text,
        translations=check(body),
        updated_at=datetime.now(UTC),
        updated_by=current_caller().name,
    )
    item.save()
    return Response(201, content_types.APPLICATION_JSON, reply_out(item))


@router.put(
    f"{BASE}/<reply_id>",
    tags=TAGS,
    summary="Replace a canned reply's texts (needs the version read)",
    responses={
        **OK,
        **UNAUTHORIZED,
        **NOT_FOUND,
        **CONFLICT,
        **rule(
            "Text Telegram would refuse (markup that does not parse, too long with the longest {name} and {order}), or an unknown placeholder"
        ),
        **INVALID,
    },
)
def update_reply(reply_id: ReplyId, body: CannedUpdate) -> CannedReply:
    translations = check(body)
    item = store.get_reply(reply_id)
    if item is None:
        raise NotFound(f"no canned reply {reply_id}")
    if int(item.version or 0) != body.version:
        raise Conflict(f"canned reply {reply_id} is at version {item.version}: read it again")
    item.title, item.text, item.translations = body.title, body.text, translations
    item.updated_at, item.updated_by = datetime.now(UTC), current_caller().name
    try:
        item.save()  # conditional on the version read (pynamodb's VersionAttribute)
    except PutError as error:
        if condition_failed(error):
            raise Conflict(f"canned reply {reply_id} was changed meanwhile: read it again") from None
        raise
    return reply_out(item)


@router.delete(
    f"{BASE}/<reply_id>",
    tags=TAGS,
    summary="Delete a canned reply",
    responses={204: {"description": "Deleted"}, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def delete_reply(reply_id: ReplyId) -> Response[None]:
    item = store.get_reply(reply_id)
    if item is None:
        raise NotFound(f"no canned reply {reply_id}")
    item.delete()
    return Response(204)


def render(reply_id: str, conversation: ConversationItem, language: str) -> str:
    """The canned reply as this customer gets it (Telegram HTML); 404 without it, 409 saying what
    this customer has not given."""
    item = store.get_reply(reply_id)
    if item is None:
        raise NotFound(f"no canned reply {reply_id}")
    try:
        return store.render(item, conversation, language)
    except store.MissingValue as missing:
        raise Conflict(f"this customer has no known {{{missing.name}}}: write the reply yourself") from None
