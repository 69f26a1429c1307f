"""moto's DynamoDB transactions at DynamoDB's cost, whatever the size of the tables.

moto backs up every table a ``TransactWriteItems`` names with a deep copy before applying it, to
put the copy back if the transaction is cancelled: each transaction costs time in proportion to
its tables (measured: 3 ms on an empty table, 60 ms at 2,000 items, 180 ms at 4,000), so on the
local stack a broadcast's records slowed down as its recipients were stored, and every support
message slowed down as the Conversations table grew. DynamoDB's own cost does not depend on the
table. :func:`install` makes moto back up only the items the transaction names, and put those
back when it is cancelled, which is all its rollback needs to undo.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table


class _TablesKeptInPlace:
    """``copy`` as moto's transaction code sees it: a table is not deep-copied (its items are
    backed up one by one instead); anything else is, as before."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _key(table: Table, operation: dict[str, Any]) -> dict[str, Any] | None:
    if "Key" in operation:
        return dict(operation["Key"])
    attributes = operation.get("Item") or {}
    names = [name for name in (table.hash_key_attr, table.range_key_attr) if name]
    return {name: attributes[name] for name in names} if all(n in attributes for n in names) else None


def _backed_up(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
    """(table, key, a deep copy of the item or None) for each item the transaction names."""
    backup = []
    for entry in transact_items:
        for operation in entry.values():
            name = operation.get("TableName") if isinstance(operation, dict) else None
            table = backend.tables.get(name) if name else None
            key = _key(table, operation) if table is not None else None
            if key is None:
                continue  # moto refuses it before writing anything of it
            try:
                found = backend.get_item(name, key)
            except MockValidationException:
                continue  # a malformed key: moto's own validation refuses the transaction
            backup.append((name, key, copy.deepcopy(found)))
    return backup


def _restore(backend: DynamoDBBackend, backup: list[tuple[str, Any, Any]]) -> None:
    for name, key, item in reversed(backup):
        if item is None:
            if backend.get_item(name, key) is not None:
                backend.delete_item(name, key)
        else:
            backend.put_item(name, item.to_json()["Attributes"])


def install() -> None:
    """Patch moto (in this process) once; what each transaction does is unchanged."""
    original = DynamoDBBackend.transact_write_items
    if getattr(original, "backs_up_items", False):
        return

    @functools.wraps(original)
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Any:
        backup = _backed_up(self, transact_items)
        try:
            return original(self, transact_items)
        except Exception:
            _restore(self, backup)
            raise

    transact_write_items.backs_up_items = True  # type: ignore[attr-defined]
    dynamodb_models.copy = _TablesKeptInPlace  # type: ignore[assignment]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
