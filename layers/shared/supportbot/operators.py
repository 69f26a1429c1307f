"""Operators as people: a name, a role, a personal key (stored hashed), and the audit of changes.

One table (``OPERATORS_TABLE``), several kinds of item:

- ``OPERATORS`` / ``<id>``: an operator (name, role, Telegram id, the hash of their key); one
  Query of this partition lists them all (a support team is tens of people, not millions);
- ``KEY#<hash>`` / ``KEY``: the key's lookup item, carrying the operator's id, name and role, so a
  request with an operator key costs one consistent GetItem. Creating, reissuing and deleting change
  the operator and its key items in one transaction: a reissued or deleted key stops at once;
- ``TG#<telegram id>`` / ``TG``: an operator by their Telegram id (the Telegram desk matches
  people by it), which also keeps a Telegram id to one operator;
- ``AUDIT`` / ``<time>#<random>``: one change made through the admin API (who, when, what),
  read newest first a page at a time with a cursor. One partition: admin changes come a few a
  second at most, far below a partition's write limit.

Keys are 256-bit random tokens (``sbk_`` + 43 URL-safe characters). They are stored as an
HMAC-SHA256 under a server secret (``OPERATOR_KEY_SECRET``), not a slow hash: a slow hash protects
guessable passwords, and nobody guesses 256 random bits, so it would only cost every request tens
of milliseconds; an HMAC is one microsecond and lets the key be found by its hash. The server secret
adds what a plain hash would not: whoever can read or write the table, but not the secret, can
neither check a key they hold against it nor plant a key of their own. Changing the secret
invalidates every operator key (reissue them); the bootstrap ``ADMIN_API_KEY`` is not affected.

>>> hash_key("sbk_example", "server-secret")[:16]
'e6fffd142b9f6499'
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model

from supportbot.storage.conditions import condition_failed
from supportbot.storage.transactions import transaction

ADMIN, OPERATOR = "admin", "operator"
ROLES = (ADMIN, OPERATOR)
KEY_PREFIX = "sbk_"
OPERATORS, AUDIT = "OPERATORS", "AUDIT"
BOOTSTRAP_ID = "bootstrap"  # the caller with ADMIN_API_KEY: not an operator item


class OperatorsTable(Model):
    class Meta:
        table_name = os.environ.get("OPERATORS_TABLE", "operators")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class OperatorItem(OperatorsTable):
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    telegram_id = NumberAttribute(null=True)
    key_hash = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()

    @property
    def operator_id(self) -> str:
        return self.sk


class KeyItem(OperatorsTable):
    operator_id = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()


class TelegramItem(OperatorsTable):
    operator_id = UnicodeAttribute()


class AuditItem(OperatorsTable):
    at = UTCDateTimeAttribute()
    actor_id = UnicodeAttribute()
    actor_name = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    method = UnicodeAttribute()
    route = UnicodeAttribute()
    path = UnicodeAttribute()
    status = NumberAttribute()


@dataclass(frozen=True)
class Caller:
    """Who is calling the admin API."""

    id: str
    name: str
    role: str


class OperatorConflict(Exception):
    """The operator changed meanwhile, or the Telegram id belongs to another operator."""


class NoKeySecret(Exception):
    """OPERATOR_KEY_SECRET is not configured: operator keys can be neither issued nor checked."""


def hash_key(key: str, secret: str) -> str:
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_item_key(key_hash: str) -> tuple[str, str]:
    return f"KEY#{key_hash}", "KEY"


def telegram_item_key(telegram_id: int) -> tuple[str, str]:
    return f"TG#{telegram_id}", "TG"


def caller_by_key(key: str, secret: str | None) -> Caller | None:
    """The operator whose key this is (one consistent read), None for any other string."""
    if not secret or not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    try:
        found = KeyItem.get(*key_item_key(hash_key(key, secret)), consistent_read=True)
    except KeyItem.DoesNotExist:
        return None
    return Caller(found.operator_id, found.name, found.role)


def list_operators() -> list[OperatorItem]:
    return sorted(OperatorItem.query(OPERATORS), key=lambda item: (item.created_at, item.sk))


def get_operator(operator_id: str) -> OperatorItem | None:
    try:
        return OperatorItem.get(OPERATORS, operator_id, consistent_read=True)
    except OperatorItem.DoesNotExist:
        return None


def operator_by_telegram_id(telegram_id: int) -> OperatorItem | None:
    """The operator a Telegram desk member is, by their Telegram user id."""
    try:
        found = TelegramItem.get(*telegram_item_key(telegram_id))
    except TelegramItem.DoesNotExist:
        return None
    return get_operator(found.operator_id)


def create_operator(
    name: str, role: str, telegram_id: int | None, secret: str | None, by: Caller
) -> tuple[OperatorItem, str]:
    """A new operator and their key (returned this once; only its hash is stored)."""
    if not secret:
        raise NoKeySecret
    key = new_key()
    operator = OperatorItem(
        OPERATORS,
        "op-" + secrets.token_hex(6),
        name=name,
        role=role,
        telegram_id=telegram_id,
        key_hash=hash_key(key, secret),
        created_at=datetime.now(UTC),
        created_by=by.id,
    )
    try:
        with transaction() as t:
            t.save(operator, condition=OperatorItem.pk.does_not_exist())
            t.save(_key_item(operator), condition=KeyItem.pk.does_not_exist())
            if telegram_id is not None:
                t.save(
                    TelegramItem(*telegram_item_key(telegram_id), operator_id=operator.sk),
                    condition=TelegramItem.pk.does_not_exist(),
                )
    except TransactWriteError as error:
        if condition_failed(error):
            raise OperatorConflict(f"Telegram id {telegram_id} is another operator's") from None
        raise
    return operator, key


def reissue_key(operator_id: str, secret: str | None) -> tuple[OperatorItem, str] | None:
    """A new key for the operator; the old one stops working in the same transaction.
    None when there is no such operator."""
    if not secret:
        raise NoKeySecret
    operator = get_operator(operator_id)
    if operator is None:
        return None
    old = operator.key_hash
    key = new_key()
    operator.key_hash = hash_key(key, secret)
    try:
        with transaction() as t:
            t.save(operator, condition=OperatorItem.key_hash == old)
            t.delete(KeyItem(*key_item_key(old)))
            t.save(_key_item(operator), condition=KeyItem.pk.does_not_exist())
    except TransactWriteError as error:
        if condition_failed(error):
            raise OperatorConflict(f"operator {operator_id} was changed meanwhile: try again") from None
        raise
    return operator, key


def delete_operator(operator_id: str) -> bool:
    """Remove the operator and their key (and Telegram id); False when there is no such operator."""
    operator = get_operator(operator_id)
    if operator is None:
        return False
    try:
        with transaction() as t:
            t.delete(operator, condition=OperatorItem.key_hash == operator.key_hash)
            t.delete(KeyItem(*key_item_key(operator.key_hash)))
            if operator.telegram_id is not None:
                t.delete(TelegramItem(*telegram_item_key(int(operator.telegram_id))))
    except TransactWriteError as error:
        if condition_failed(error):
            raise OperatorConflict(f"operator {operator_id} was changed meanwhile: try again") from None
        raise
    return True


def _key_item(operator: OperatorItem) -> KeyItem:
    return KeyItem(
        *key_item_key(operator.key_hash), operator_id=operator.sk, name=operator.name, role=operator.role
    )


# --- audit -----------------------------------------------------------------------------------


def record_change(caller: Caller, method: str, route: str, path: str, status: int) -> AuditItem:
    now = datetime.now(UTC)
    item = AuditItem(
        AUDIT,
        f"{now.isoformat(timespec='microseconds')}#{secrets.token_hex(4)}",
        at=now,
        actor_id=caller.id,
        actor_name=caller.name,
        actor_role=caller.role,
        method=method,
        route=route,
        path=path[:300],
        status=status,
    )
    item.save()
    return item


def audit_query() -> Any:
    """The Query of the changes, newest first; the admin pages it (``supportbot_admin/pages.py``)."""
    return functools.partial(AuditItem.query, AUDIT, scan_index_forward=False)
