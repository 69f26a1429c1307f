"""Figures for the admin's front page, from counters kept on write: no admin read counts items.

Conversations (every one, the live ones, undelivered messages, ratings) are one item changed in
the transactions that change what it counts (``conversations.counts``); tickets by kind and status
another (``tickets.counts``). Users are the Sessions table's item count as DynamoDB reports it
(``DescribeTable``: approximate, refreshed about every six hours, and free): sessions expire by
TTL, which no write of ours sees, so no counter of ours could follow them.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from supportbot.storage.sessions import SessionItem
from supportbot.support import conversations, tickets
from supportbot_admin.errors import OK, UNAUTHORIZED

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


class Ratings(BaseModel):
    rated: int = Field(description="Conversations the customer rated")
    average: float | None = Field(description="Their average rating (1-5), null before the first")


class Stats(BaseModel):
    users: int = Field(
        description="Telegram users the bot has a session for (approximate: DynamoDB's item count)"
    )
    conversations: int = Field(description="Conversations, every status")
    conversations_open: int = Field(description="Conversations open or answered (not closed)")
    undelivered: int = Field(
        description="Stored messages that could not be delivered (failed, with a reason)"
    )
    ratings: Ratings
    tickets_by_status: dict[str, int]
    tickets_by_kind: dict[str, int]


def count_sessions() -> int:
    return int(SessionItem.describe_table().get("ItemCount", 0))


@router.get(
    "/v1/admin/stats",
    tags=["stats"],
    summary="Users, open conversations, ratings, tickets by status and kind (counters: two reads)",
    responses={**OK, **UNAUTHORIZED},
)
def get_stats() -> Stats:
    counted = conversations.counts()
    ticket_counts = tickets.counts()
    rated = int(counted.rated or 0)
    return Stats(
        users=count_sessions(),
        conversations=int(counted.total),
        conversations_open=int(counted.live),
        undelivered=int(counted.undelivered),
        ratings=Ratings(
            rated=rated, average=round(int(counted.rating_sum or 0) / rated, 2) if rated else None
        ),
        tickets_by_status={
            status: sum(ticket_counts.by(kind, status) for kind in tickets.KINDS)
            for status in tickets.STATUSES
        },
        tickets_by_kind={
            kind: sum(ticket_counts.by(kind, status) for status in tickets.STATUSES) for kind in tickets.KINDS
        },
    )
