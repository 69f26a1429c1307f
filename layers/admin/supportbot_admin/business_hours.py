"""The business-hours route (``supportbot/support/business_hours.py``): the weekly schedule and
holidays in ``TIME_ZONE`` outside which a customer's first message of a conversation is answered
with when operators are back. ``{}`` means always open (the state before anything is saved)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from supportbot.support import business_hours
from supportbot_admin.errors import INVALID, UNAUTHORIZED, Responses, RuleError, rule

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
TAGS = ["settings"]
PATH = "/v1/admin/settings/business-hours"
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", examples=["09:00"])]
# A pair as a two-item list: a tuple would be "prefixItems", which the document cannot carry.
Range = Annotated[list[Clock], Field(min_length=2, max_length=2)]
Holiday = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", examples=["2026-12-31"])]


class BusinessHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    week: dict[Day, Annotated[list[Range], Field(max_length=business_hours.MAX_RANGES)]] = Field(
        default_factory=dict,
        description='Open ranges per weekday in TIME_ZONE, ["start", "end"]; an end at or before '
        'the start crosses midnight (["22:00", "02:00"]); "24:00" ends at midnight; a day missing is closed',
    )
    holidays: list[Holiday] = Field(
        default_factory=list,
        max_length=business_hours.MAX_HOLIDAYS,
        description="Closed dates (YYYY-MM-DD): the ranges starting that day do not open",
    )


# The body as saved, never filled with defaults: ``{}`` (always open) must not come back as
# ``{"week": {}}``, which is always closed.
SCHEDULE: Responses = {
    200: {
        "description": "The schedule as saved ({} = always open)",
        "content": {"application/json": {"model": BusinessHours}},
    }
}


@router.get(
    PATH,
    tags=TAGS,
    summary="The business hours ({} = always open)",
    responses={**SCHEDULE, **UNAUTHORIZED},
)
def get_business_hours() -> dict[str, Any]:
    return business_hours.load().body


@router.put(
    PATH,
    tags=TAGS,
    summary="Replace the business hours ({} = always open)",
    responses={
        **SCHEDULE,
        **UNAUTHORIZED,
        **rule("A range whose end is its start, a range starting at 24:00, or a date not in the calendar"),
        **INVALID,
    },
)
def put_business_hours(body: BusinessHours) -> dict[str, Any]:
    try:
        schedule = business_hours.Schedule.parse(body.model_dump(exclude_unset=True))
    except business_hours.ScheduleError as error:
        # The shape passed the schema: what is left is a rule it cannot state (an empty range,
        # a range starting at 24:00, a date not in the calendar).
        raise RuleError(("body", *error.loc), error.msg) from None
    return business_hours.save(schedule).body
