"""Simple numbers for the admin's front page.

Users are counted with a Scan of the Sessions table with ``Select=COUNT`` (paginated): it reads
every session (one read unit per 4 KB; sessions are under 1 KB), fine at this bot's scale; a
bigger one would keep a counter. Conversations (every one, the live ones, undelivered messages) are
counters kept on write (``conversations.counts``: one read); tickets are counted from the
``Tickets`` index (a paginated Query).
"""

from __future__ import annotations

from collections import Counter

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from supportbot.storage.sessions import SessionItem
from supportbot.support import conversations
from supportbot.support.tickets import TICKETS_INDEX_KEY, TicketItem
from supportbot_admin.errors import OK, UNAUTHORIZED

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


class Stats(BaseModel):
    users: int = Field(description="Telegram users the bot has a session for")
    conversations: int = Field(description="Conversations, every status")
    conversations_open: int = Field(description="Conversations open or answered (not closed)")
    undelivered: int = Field(
        description="Stored messages that could not be delivered (failed, with a reason)"
    )
    tickets_by_status: dict[str, int]
    tickets_by_kind: dict[str, int]


def count_sessions() -> int:
    client = SessionItem._get_connection().connection.client  # pynamodb's own botocore client
    pages = client.get_paginator("scan").paginate(TableName=SessionItem.Meta.table_name, Select="COUNT")
    return sum(int(page.get("Count", 0)) for page in pages)


@router.get(
    "/v1/admin/stats",
    tags=["stats"],
    summary="Users, open conversations, tickets by status",
    responses={**OK, **UNAUTHORIZED},
)
def get_stats() -> Stats:
    counted = conversations.counts()
    tickets = list(TicketItem.tickets.query(TICKETS_INDEX_KEY))
    return Stats(
        users=count_sessions(),
        conversations=int(counted.total),
        conversations_open=int(counted.live),
        undelivered=int(counted.undelivered),
        tickets_by_status=dict(Counter(t.status for t in tickets)),
        tickets_by_kind=dict(Counter(t.kind for t in tickets)),
    )
