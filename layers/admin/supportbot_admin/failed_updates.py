"""Failed Telegram updates: listed, and replayed once the cause is fixed (issue 7, item 5).

The Telegram webhook answers 200 even when processing fails (`docs/ARCHITECTURE.md`, "Never block a
chat"), records the update in the FailedUpdates table (14 days) and apologizes to the user. Here
an admin lists those records and replays one: the update goes through the same processing as in
the webhook (the warehouse group's handler or the customers' pipeline), with the pipeline's
duplicate filter (the session's last update id) deliberately bypassed, since the user's later
updates have usually moved it past this one. A replay that succeeds deletes the record; one that
fails again keeps it with the new error (redacted) and time, and the user is not apologized to a
second time; one that is now stale (a button of a screen the user has left) is not applied and
is kept, reported as "stale: not applied".

The list shows who and what went wrong, never the stored update itself (it may hold a phone
number): a page of the ``Recorded`` index, newest first, which holds just that.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field
from telebot import types

from supportbot.pipeline import StaleReplayError, dispatch
from supportbot.redact import redact_text
from supportbot.storage.failed_updates import LISTED, FailedUpdateItem, record_failed_update
from supportbot.telegram.client import get_bot
from supportbot.telegram.inputs import well_formed
from supportbot_admin import pages
from supportbot_admin.errors import BAD_CURSOR, INVALID, NOT_FOUND, OK, UNAUTHORIZED, NotFound

logger = Logger(child=True)
router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
TAGS = ["failed updates"]

UpdateIdPath = Annotated[int, Path(ge=0, le=2**53, description="Telegram's update_id")]


class FailedUpdate(BaseModel):
    update_id: int
    user_id: int | None = Field(description="The Telegram user who sent it, if any")
    error: str = Field(description="What went wrong (secrets and phone numbers masked)")
    recorded_at: datetime


class FailedUpdates(BaseModel):
    items: list[FailedUpdate] = Field(description="Newest first")
    next_cursor: str | None = Field(description=pages.NEXT_CURSOR)


class Replayed(BaseModel):
    update_id: int
    replayed: bool = Field(description="True: processed and the record deleted; false: failed again")
    error: str | None = Field(default=None, description="The new error when it failed again (kept recorded)")


@router.get(
    "/v1/admin/failed-updates",
    tags=TAGS,
    summary="Telegram updates whose processing failed (kept 14 days), newest first (a page)",
    responses={**OK, **UNAUTHORIZED, **BAD_CURSOR, **INVALID},
)
def list_failed_updates(
    limit: pages.Limit = pages.DEFAULT_LIMIT, cursor: pages.Cursor = None
) -> FailedUpdates:
    query = functools.partial(FailedUpdateItem.recorded.query, LISTED, scan_index_forward=False)
    records, after = pages.page(query, limit, cursor, "failed-updates")
    return FailedUpdates(
        items=[
            FailedUpdate(
                update_id=int(r.update_id), user_id=_int(r.user_id), error=r.error, recorded_at=r.recorded_at
            )
            for r in records
        ],
        next_cursor=after,
    )


@router.post(
    "/v1/admin/failed-updates/<update_id>/replay",
    tags=TAGS,
    summary="Run a failed update again, bypassing the duplicate filter; deleted on success",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND},
)
def replay_failed_update(update_id: UpdateIdPath) -> Replayed:
    try:
        record = FailedUpdateItem.get(update_id)
    except FailedUpdateItem.DoesNotExist:
        raise NotFound(f"no failed update {update_id}") from None
    update: dict[str, Any] = record.update
    try:
        run_update(update)
    except StaleReplayError:
        # Its button belongs to a screen the user has left: applying it now would act on the wrong
        # screen. Kept, so an admin can still see what the user tried.
        logger.info("Replayed update is stale; kept", extra={"update_id": update_id})
        return Replayed(update_id=update_id, replayed=False, error="stale: not applied")
    except Exception as error:
        logger.exception("Replay failed; the update stays recorded", extra={"update_id": update_id})
        reason = f"{type(error).__name__}: {error}"
        record_failed_update(update, _int(record.user_id), reason)
        return Replayed(update_id=update_id, replayed=False, error=redact_text(reason)[:1000])
    record.delete()
    logger.info("Failed update replayed", extra={"update_id": update_id})
    return Replayed(update_id=update_id, replayed=True)


def run_update(update: dict[str, Any]) -> None:
    """The webhook's processing (``pipeline.dispatch``, after the same well-formedness check) with ``replay=True``;
    errors propagate. The webhook would return a callback query's answer in its HTTP response:
    here it is sent to the Bot API, best effort (Telegram refuses answers to old queries)."""
    parsed = types.Update.de_json(update)  # type: ignore[no-untyped-call]
    if not well_formed(parsed):
        raise ValueError("update with mistyped fields")
    answer = dispatch(parsed, replay=True)
    if answer and answer.get("method") == "answerCallbackQuery":
        try:
            get_bot().answer_callback_query(
                answer["callback_query_id"], text=answer.get("text"), show_alert=answer.get("show_alert")
            )
        except Exception:
            logger.info("Callback answer of a replayed update refused (too old)", exc_info=True)


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
