"""One way every admin list is paged: ``?limit=`` and ``?cursor=``, answered with ``next_cursor``.

A list is one DynamoDB Query (a key condition of the table or of an index, never a Scan nor a
FilterExpression) that reads ``limit + 1`` items: the extra one tells whether another page
exists, so ``next_cursor`` is null on the last page (DynamoDB alone would hand back a key after
a page that happens to end the list). A list filtered by one of two dimensions kept in one
``Lists`` partition key (a ticket's ``T#<kind>#<status>``) merges the few partitions of that
filter (:func:`merged`): one Query each, ``limit + 1`` items each, newest first by the shared
sort key, the cursor that key. The cursor is where the next page starts after,
opaque to the client and tamper-safe: ``<base64url JSON>.<base64url HMAC-SHA256>``, signed with
a key derived from the admin API key (any of its accepted values during a rotation, so no
cursor breaks then; the bot token when no admin key is set) and bound to the list and its
filters (``scope``): a cursor edited, made up, or taken from another list or filter answers 400.

docs/ARCHITECTURE.md, "Admin lists".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.exceptions import BadRequestError
from aws_lambda_powertools.event_handler.openapi.params import Query

from supportbot.config import get_config

DEFAULT_LIMIT = 50
MAX_LIMIT = 100

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT})")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=2000,
        description="The previous page's next_cursor (opaque; 400 when it is not one this list gave)",
    ),
]
NEXT_CURSOR = "Pass as ?cursor= for the next page; null on the last page"


def page(
    query: Callable[..., Any], limit: int, cursor: str | None, scope: str
) -> tuple[list[Any], str | None]:
    """One page of ``query`` (a pynamodb ``query`` taking ``limit``, ``page_size`` and
    ``last_evaluated_key``) and the cursor of the next one (None when this one is the last)."""
    found = query(limit=limit + 1, page_size=limit + 1, last_evaluated_key=decode(cursor, scope))
    items: list[Any] = []
    after: dict[str, Any] | None = None
    for item in found:
        if len(items) == limit:
            return items, encode(after or {}, scope)
        items.append(item)
        # The key of the item just taken (pynamodb rebuilds it from the item mid-page).
        after = found.last_evaluated_key
    return items, None


def _keys() -> list[bytes]:
    config = get_config()
    secrets = config.accepted("ADMIN_API_KEY") or config.accepted("TELEGRAM_BOT_TOKEN")
    return [hashlib.sha256(b"supportbot admin cursor\0" + s.encode()).digest() for s in secrets]


def _mac(key: bytes, scope: str, payload: bytes) -> bytes:
    return hmac.new(key, scope.encode() + b"\0" + payload, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(key: dict[str, Any], scope: str) -> str:
    payload = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(payload)}.{_b64(_mac(_keys()[0], scope, payload))}"


def decode(cursor: str | None, scope: str) -> dict[str, Any] | None:
    """The key a cursor of this list (``scope``) starts after; BadRequestError (400) otherwise."""
    if not cursor:
        return None
    try:
        body, signature = cursor.split(".")
        payload, mac = _unb64(body), _unb64(signature)
    except (ValueError, binascii.Error):
        raise BadRequestError("cursor: not a cursor this list gave") from None
    if not any(hmac.compare_digest(mac, _mac(key, scope, payload)) for key in _keys()):
        raise BadRequestError("cursor: not a cursor this list gave (or of another filter)")
    key: dict[str, Any] = json.loads(payload)  # signed by us: a key this list handed out
    return key


def merged(
    index: Any, sort_key: Any, partitions: list[str], limit: int, cursor: str | None, scope: str
) -> tuple[list[Any], str | None]:
    """One page, newest first by ``sort_key`` (unique across ``partitions``), of the union of the
    ``index``'s ``partitions``: one Query of at most ``limit + 1`` items each."""
    after = decode(cursor, scope)
    condition = None if after is None else sort_key < str(after["after"])
    found: list[Any] = []
    for partition in partitions:
        found += index.query(
            partition, condition, scan_index_forward=False, limit=limit + 1, page_size=limit + 1
        )
    found.sort(key=lambda item: getattr(item, sort_key.attr_name), reverse=True)
    items = found[:limit]
    if len(found) <= limit:
        return items, None
    return items, encode({"after": getattr(items[-1], sort_key.attr_name)}, scope)
