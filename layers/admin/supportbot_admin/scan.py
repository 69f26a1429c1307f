"""One paginated Scan of the Conversations table, each item read as its model by key prefix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from supportbot.support.messages import MessageItem, TicketItem
from supportbot.support.rating import RatingItem

MODELS: dict[str, Any] = {"M#": MessageItem, "T#": TicketItem, "R#": RatingItem}


def conversation_items() -> Iterator[MessageItem | TicketItem | RatingItem]:
    """Every message, ticket and rating of every user; markers are skipped."""
    client = MessageItem._get_connection().connection.client  # pynamodb's own botocore client
    pages = client.get_paginator("scan").paginate(TableName=MessageItem.Meta.table_name)
    for page in pages:
        for raw in page.get("Items", []):
            pk, sk = raw.get("pk", {}).get("S", ""), raw.get("sk", {}).get("S", "")
            model = MODELS.get(sk[:2]) if pk.startswith("U#") else None
            if model is not None:
                yield model.from_raw_data(raw)
