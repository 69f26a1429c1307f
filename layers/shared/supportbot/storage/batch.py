"""Items of different models of one table read together: one consistent BatchGetItem.

Pynamodb's ``Model.batch_get`` reads one model's items; a path that needs several kinds of item
(the live pointer, the ban and the wait figures of a support message) would pay a request for
each. Here each item named by its keys comes back filled from what is stored, or None.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pynamodb.models import Model

LIMIT = 100  # DynamoDB's keys per BatchGetItem
ATTEMPTS = 6
PAUSE = 0.05  # seconds before the first retry of unprocessed keys, doubling


def get_together(items: Sequence[Model]) -> list[Any]:
    """``items`` (keys set, of models sharing one table) as stored, in their order; None for each
    one not stored. Unprocessed keys (DynamoDB's throttling) are asked for again, backing off;
    still unprocessed after :data:`ATTEMPTS` requests, it raises as a failed read does."""
    if not items:
        return []
    if len(items) > LIMIT:
        raise ValueError(f"at most {LIMIT} items are read together, not {len(items)}")
    tables = {type(item).Meta.table_name for item in items}
    if len(tables) != 1:
        raise ValueError(f"items read together share one table, not {sorted(tables)}")
    (table,) = tables
    keys = [_keys_of(item) for item in items]
    by_key = {_key(key): item for key, item in zip(keys, items, strict=True)}
    if len(by_key) != len(items):
        raise ValueError("an item is named twice")
    connection = type(items[0])._get_connection()
    found: dict[tuple[Any, ...], Model] = {}
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(PAUSE * 2 ** (attempt - 1))  # AWS's advice for unprocessed keys: back off
        # Typed as names, but pynamodb passes key maps here itself (Model.batch_get).
        data = connection.batch_get_item(keys, consistent_read=True)  # type: ignore[arg-type]
        for raw in data.get("Responses", {}).get(table, []):
            key = _key({name: raw[name] for name in keys[0]})
            wanted = by_key[key]
            found[key] = type(wanted).from_raw_data(raw)
        keys = data.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        if not keys:
            return [found.get(key) for key in by_key]
    raise RuntimeError(f"DynamoDB left {len(keys)} keys unprocessed {ATTEMPTS} times (throttled)")


def _keys_of(item: Model) -> dict[str, Any]:
    """The item's key attributes, serialized as pynamodb sends them."""
    keys: dict[str, Any] = item._get_keys()  # type: ignore[no-untyped-call]
    return keys


def _key(attributes: dict[str, Any]) -> tuple[Any, ...]:
    """A key (plain values, or DynamoDB's ``{"S": ...}`` as the response gives them) as a tuple."""
    return tuple(
        (name, next(iter(value.values())) if isinstance(value, dict) else value)
        for name, value in sorted(attributes.items())
    )
