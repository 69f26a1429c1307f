"""A person's data (GDPR art. 15/17, 152-FZ): export it, erase it, by Telegram id or by phone.

Admin role only (declared in ``access.py``'s ``ROUTES``: an operator's key gets 403); the audit
records these routes by route, not path, so it keeps no trace of whom they concern. The paths are an
interface other tools rely on: keep them. Everything is found and erased by ``supportbot/people.py``;
the answers name what the bot cannot erase (Blinger's copy, the business system's).
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from supportbot import people
from supportbot.config import get_config
from supportbot_admin.customers import PhonePath, phone_of
from supportbot_admin.errors import INVALID, NOT_FOUND, OK, UNAUTHORIZED, NotFound

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
TAGS = ["people"]
TelegramIdPath = Annotated[int, Path(ge=1, description="The person's Telegram user id")]
EXPORT_DESCRIPTION = (
    "JSON with person, sessions, conversations, messages, tickets, ratings, bans, failed_updates and "
    "attachments (presigned links, 24 h); over 5.5 MB, {export_url, bytes}: a presigned link to the "
    "same JSON in the bucket (24 h), since Lambda answers at most 6 MB"
)


class Erased(BaseModel):
    erased: dict[str, int] = Field(description="Items deleted, per table")
    attachments: int = Field(description="Files deleted from the attachments bucket")
    topics: int = Field(description="Topics deleted in the Telegram desk's support group")
    not_erased: list[str] = Field(description="What the bot cannot erase: ask there")


def _found(person: people.Person, erasing: bool = True) -> people.Found:
    found = people.find(person, get_config().attachments_bucket, erasing)
    if found.empty:
        raise NotFound("nothing is stored about this person")
    return found


@router.get(
    "/v1/admin/people/<telegram_id>/export",
    tags=TAGS,
    summary="Everything stored about a Telegram user",
    description=EXPORT_DESCRIPTION,
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def export_person(telegram_id: TelegramIdPath) -> dict[str, Any]:
    return people.export_body(
        _found(people.by_telegram_id(telegram_id), erasing=False), get_config().attachments_bucket
    )


@router.delete(
    "/v1/admin/people/<telegram_id>",
    tags=TAGS,
    summary="Erase everything stored about a Telegram user",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def erase_person(telegram_id: TelegramIdPath) -> Erased:
    return Erased(**people.erase(_found(people.by_telegram_id(telegram_id)), get_config().attachments_bucket))


@router.get(
    "/v1/admin/people/by-phone/<phone>/export",
    tags=TAGS,
    summary="Everything stored about the person with this phone (every Telegram account it logged in from)",
    description=EXPORT_DESCRIPTION,
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def export_by_phone(phone: PhonePath) -> dict[str, Any]:
    return people.export_body(
        _found(people.by_phone(phone_of(phone)), erasing=False), get_config().attachments_bucket
    )


@router.delete(
    "/v1/admin/people/by-phone/<phone>",
    tags=TAGS,
    summary="Erase everything stored about the person with this phone",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def erase_by_phone(phone: PhonePath) -> Erased:
    return Erased(**people.erase(_found(people.by_phone(phone_of(phone))), get_config().attachments_bucket))
