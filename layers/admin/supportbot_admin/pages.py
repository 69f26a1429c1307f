"""One way every admin list is paged: ``?limit=`` and ``?cursor=``, answered with ``next_cursor``.

A list is one DynamoDB Query (a key condition of the table or of an index, never a Scan nor a
FilterExpression) that reads ``limit + 1`` items: the extra one tells whether another page
exists, so ``next_cursor`` is null on the last page (DynamoDB alone would hand back a key after
a page that happens to end the list). A list filtered by one of two dimensions kept in one
``Lists`` partition key (a ticket's ``T#<kind>#<status>``) merges the few partitions of that
filter (:func:`merged`): one Query each, ``limit + 1`` items each, newest first by the shared
sort key, the cursor where each partition stands. The cursor is where the next page starts after,
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
    index: Any, partitions: list[str], limit: int, cursor: str | None, scope: str
) -> tuple[list[Any], str | None]:
    """One page, newest first by the ``index``'s sort key, of the union of its ``partitions``:
    one Query of at most ``limit + 1`` items each. The cursor holds where each partition stands
    (the key of its last item shown; null once it has nothing more), so ties between partitions
    lose nothing."""
    model = index._model
    attributes = list(index.Meta.attributes.values())
    names = {model._hash_keyname, model._range_keyname, *(a.attr_name for a in attributes)}
    sort = next(a.attr_name for a in attributes if a.is_range_key)
    after: dict[str, Any] = decode(cursor, scope) or {}
    fetched: list[tuple[Any, str]] = []
    for partition in partitions:
        if partition in after and after[partition] is None:
            continue  # nothing more there
        found = index.query(
            partition,
            scan_index_forward=False,
            limit=limit + 1,
            page_size=limit + 1,
            last_evaluated_key=after.get(partition),
        )
        fetched += [(item, partition) for item in found]
    fetched.sort(key=lambda pair: getattr(pair[0], sort), reverse=True)  # stable: ties by partition
    shown = fetched[:limit]
    position = dict(after)
    for partition in partitions:
        got = [item for item, p in fetched if p == partition]
        taken = [item for item, p in shown if p == partition]
        if len(taken) == len(got) and len(got) <= limit:
            position[partition] = None  # all it had is shown
        elif taken:
            serialized = taken[-1].serialize()
            position[partition] = {name: serialized[name] for name in names}
    if all(position.get(partition, "") is None for partition in partitions):
        return [item for item, _ in shown], None
    return [item for item, _ in shown], encode(position, scope)
