"""A person's data on request: everything stored about one person, exported or erased.

GDPR art. 15/17 and Russia's 152-FZ ask a shop to give a person their data and to erase it. Every
place the bot stores something about a person is one entry of :data:`STORES` (one per table; the
attachments bucket is searched by :func:`find`), so the export and the erase read the same list: a
table that comes to hold personal data gets an entry there, and both follow. What the bot cannot
erase is :data:`NOT_ERASED`, named in every answer and in the README ("A person's data").

Where a person's data is (keys: each model's module):

- Sessions table: their session (its login holds their phone);
- Conversations table: their partition ``U#<id>`` (messages, tickets, ratings), and the items
  outside it that name them: ticket pointers (``value`` = their id) and exactly-once markers whose
  key holds their id (``IN#tg:<id>:…``, ``IN#photo-<id>-…``, ``INC#<id>#…``). Those are found with one filtered
  Scan, the only Scan of a big table: an erase is rare, and it also finds what a future key
  scheme puts there, as long as it names the person's id between separators or in ``user_id`` /
  ``value``;
- Backend table (the built-in business system): the customer's profile and orders
  (``CUSTOMER#<phone>``) and their login tokens;
- Failed-updates table: their updates kept for replay; Pacing table: their chat's bucket;
- the attachments bucket: what they sent (``support/<id>/``, ``incidents/<id>/``), any other file
  their messages point at, and exports made for them (``exports/<id>/``).

Counters stay consistent: the ticket number sequence only grows (numbers are never reused), and
the admin's figures are counted from the tables, so they drop with what is erased.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pynamodb.models import Model

from supportbot.backend.builtin import BackendItem, customer_key
from supportbot.backend.phones import normalize_phone
from supportbot.pacing import BucketItem, chat_scope
from supportbot.storage.failed_updates import FailedUpdateItem
from supportbot.storage.sessions import SessionItem
from supportbot.support import files
from supportbot.support.messages import MarkerItem, MessageItem, TicketItem, user_key
from supportbot.support.rating import RatingItem

# What the bot cannot erase: named in every answer (and the README).
NOT_ERASED = (
    "Blinger's copy of the support conversations: erase the client there (client_id tg-<telegram_id>)",
    "the business system's customer record and orders when BACKEND_URL is set: ask the business system",
    "Telegram's copy of the chat with the bot: the person deletes the chat in Telegram",
    "log lines (phone numbers masked, Telegram ids kept) until the log groups' retention ends",
    "DynamoDB point-in-time recovery backups, for up to 35 days",
)
MAX_INLINE_EXPORT = 5_500_000  # bytes of JSON: Lambda's response is capped at 6 MB, headers included
EXPORTS = "exports"
PERSONAL_PREFIXES = ("support", "incidents", EXPORTS)  # <prefix>/<telegram id>/... in the bucket
NOT_EXPORTED = frozenset({"token"})  # a live credential of the business system, not data about them


@dataclass
class Person:
    """The Telegram accounts and phones of one person (a phone may have logged in from two)."""

    telegram_ids: set[int] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)

    def describe(self) -> dict[str, Any]:
        return {"telegram_ids": sorted(self.telegram_ids), "phones": sorted(self.phones)}


Key = tuple[Any, ...]


@dataclass
class Found:
    """What the stores hold about a person: keys to erase (per store), data to export (per section)."""

    person: Person
    keys: dict[str, set[Key]] = field(default_factory=dict)
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    attachments: set[str] = field(default_factory=set)  # S3 keys of the bucket's objects
    files: set[str] = field(default_factory=set)  # S3 keys their messages name (may have expired)

    def add(
        self, store: str, keys: Iterable[Key], section: str | None = None, items: Iterable[Model] = ()
    ) -> None:
        self.keys.setdefault(store, set()).update(keys)
        if section is not None:
            self.sections.setdefault(section, []).extend(plain(item) for item in items)

    @property
    def empty(self) -> bool:
        return not any(self.keys.values()) and not self.attachments


class Store(ABC):
    """One table: what it holds about a person (``find``), deleted by key as ``model(*key)``."""

    name: str  # its key in the erase's answer
    model: type[Model]

    @abstractmethod
    def find(self, found: Found) -> None:
        """Add the person's keys (and data to export) to ``found``."""


def plain(item: Model) -> dict[str, Any]:
    """An item as JSON-ready data, without what is a credential rather than data about the person."""
    data: dict[str, Any] = item.to_simple_dict()
    for key in ("a", "auth"):
        if isinstance(data.get(key), dict):
            data[key] = {k: v for k, v in data[key].items() if k not in NOT_EXPORTED}
    return data


def _pk_sk(items: Iterable[Any]) -> list[Key]:
    return [(item.pk, item.sk) for item in items]


# ---- the stores -------------------------------------------------------------------------------------
class Sessions(Store):
    name, model = "sessions", SessionItem

    def find(self, found: Found) -> None:
        for user_id in sorted(found.person.telegram_ids):
            try:
                session = SessionItem.get(user_id, consistent_read=True)
            except SessionItem.DoesNotExist:
                continue
            found.add(self.name, [(user_id,)], "sessions", [session])
            phone = (session.auth or {}).get("phone")
            if phone:
                found.person.phones.add(str(phone))


class Conversations(Store):
    """The person's partition, and whatever names them from outside it."""

    name, model = "conversations", MarkerItem
    # What the export shows of their partition, by sort key prefix.
    SECTIONS: tuple[tuple[str, str, type[Model]], ...] = (
        ("T#", "tickets", TicketItem),
        ("R#", "ratings", RatingItem),
    )

    def find(self, found: Found) -> None:
        for user_id in sorted(found.person.telegram_ids):
            pk = user_key(user_id)
            messages = list(MessageItem.query(pk, MessageItem.sk.startswith("M#")))
            found.add(self.name, _pk_sk(messages), "messages", messages)
            found.files.update(str(p.file_key) for m in messages for p in m.parts if p.file_key)
            for prefix, section, model in self.SECTIONS:
                items = list(model.query(pk, model.sk.startswith(prefix)))  # type: ignore[attr-defined]
                found.add(self.name, _pk_sk(items), section, items)
            found.add(self.name, _pk_sk(MarkerItem.query(pk, attributes_to_get=["pk", "sk"])))  # all of it
            found.add(self.name, _pk_sk(self._naming(user_id)))

    @staticmethod
    def _naming(user_id: int) -> Iterator[MarkerItem]:
        """Items outside the partition that name the person: pointers, exactly-once markers."""
        text = str(user_id)
        condition = (
            (MarkerItem.value == user_id)
            | MarkerItem.pk.contains(f":{text}:")
            | MarkerItem.pk.contains(f"-{text}-")
            | MarkerItem.pk.contains(f"#{text}#")
            | (MessageItem.user_id == user_id)
        )
        return MarkerItem.scan(condition, attributes_to_get=["pk", "sk"])


class Backend(Store):
    """The built-in business system: the customer of each of the person's phones, and tokens."""

    name, model = "backend", BackendItem

    def find(self, found: Found) -> None:
        person = found.person
        tokens = [
            token
            for token in BackendItem.scan(BackendItem.sk == "TOKEN")
            if token.telegram_user_id in person.telegram_ids or token.phone in person.phones
        ]
        person.phones.update(str(token.phone) for token in tokens if token.phone)
        found.add(self.name, _pk_sk(tokens))
        for phone in sorted(person.phones):
            canonical = normalize_phone(phone)
            if canonical:
                customer = list(BackendItem.query(customer_key(canonical)))
                found.add(self.name, _pk_sk(customer), "customer", customer)


class FailedUpdates(Store):
    name, model = "failed_updates", FailedUpdateItem

    def find(self, found: Found) -> None:
        for user_id in sorted(found.person.telegram_ids):
            kept = list(FailedUpdateItem.scan(FailedUpdateItem.user_id == user_id))
            found.add(self.name, [(int(u.update_id),) for u in kept], "failed_updates", kept)


class Pacing(Store):
    name, model = "pacing", BucketItem

    def find(self, found: Found) -> None:
        for user_id in sorted(found.person.telegram_ids):
            try:
                BucketItem.get(chat_scope(user_id))
            except BucketItem.DoesNotExist:
                continue
            found.add(self.name, [(chat_scope(user_id),)])


# Sessions and conversations first: they name the phones the backend is searched by.
STORES: tuple[Store, ...] = (Sessions(), Conversations(), Backend(), FailedUpdates(), Pacing())


# ---- finding, exporting, erasing ------------------------------------------------------------------
def find(person: Person, bucket: str | None) -> Found:
    found = Found(person)
    for store in STORES:
        store.find(found)
    if bucket:
        for user_id in sorted(person.telegram_ids):
            for prefix in PERSONAL_PREFIXES:
                found.attachments.update(_listed(bucket, f"{prefix}/{user_id}/"))
        for phone in sorted(person.phones):
            found.attachments.update(_listed(bucket, f"{EXPORTS}/{_phone_folder(phone)}/"))
        found.attachments.update(key for key in found.files - found.attachments if _exists(bucket, key))
    return found


def by_telegram_id(user_id: int) -> Person:
    return Person({user_id})


def by_phone(phone: str) -> Person:
    """The person behind a phone: every Telegram account that logged in with it (sessions, tokens)."""
    canonical = normalize_phone(phone) or phone
    person = Person(phones={canonical})
    for session in SessionItem.scan(SessionItem.auth.contains(canonical), attributes_to_get=["user_id"]):
        person.telegram_ids.add(int(session.user_id))
    for token in BackendItem.scan((BackendItem.sk == "TOKEN") & (BackendItem.phone == canonical)):
        if token.telegram_user_id is not None:
            person.telegram_ids.add(int(token.telegram_user_id))
    return person


def export(found: Found, bucket: str | None) -> dict[str, Any]:
    """The export as the admin API answers it: JSON sections and presigned links to the files."""
    sections = found.sections
    return {
        "person": {**found.person.describe(), "customer": sections.get("customer", [])},
        "sessions": sections.get("sessions", []),
        "conversations": sections.get("conversations", []),
        "messages": sections.get("messages", []),
        "tickets": sections.get("tickets", []),
        "ratings": sections.get("ratings", []),
        "failed_updates": sections.get("failed_updates", []),
        "attachments": [
            {"key": key, "url": files.presigned_url(bucket, key) if bucket else None}
            for key in sorted(k for k in found.attachments if not k.startswith(f"{EXPORTS}/"))
        ],
        "not_erased_by_the_bot": list(NOT_ERASED),
    }


def export_body(found: Found, bucket: str | None, now: datetime | None = None) -> dict[str, Any]:
    """The export, or a presigned link to it in the bucket when it is too big to answer with."""
    data = export(found, bucket)
    text = json.dumps(data, ensure_ascii=False, default=str)
    if len(text.encode()) <= MAX_INLINE_EXPORT or not bucket:
        return data
    owner = min(found.person.telegram_ids, default=None)
    folder = str(owner) if owner is not None else _phone_folder(min(found.person.phones))
    key = f"{EXPORTS}/{folder}/{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}.json"
    files.s3_client().put_object(
        Bucket=bucket, Key=key, Body=text.encode(), ContentType="application/json; charset=utf-8"
    )
    return {"export_url": files.presigned_url(bucket, key), "bytes": len(text.encode())}


def erase(found: Found, bucket: str | None) -> dict[str, Any]:
    """Delete everything found; the answer counts what went, per table, and names what cannot go.

    The session goes last: until then an erase cut short finds the phones again from it."""
    erased: dict[str, int] = {}
    for store in reversed(STORES):
        keys = sorted(found.keys.get(store.name, set()), key=str)
        with store.model.batch_write() as batch:
            for key in keys:
                batch.delete(store.model(*key))
        erased[store.name] = len(keys)
    removed = _delete_objects(bucket, sorted(found.attachments)) if bucket else 0
    return {"erased": dict(reversed(erased.items())), "attachments": removed, "not_erased": list(NOT_ERASED)}


def _listed(bucket: str, prefix: str) -> Iterator[str]:
    pages = files.s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        yield from (str(entry["Key"]) for entry in page.get("Contents", []))


def _exists(bucket: str, key: str) -> bool:
    return any(listed == key for listed in _listed(bucket, key))


def _delete_objects(bucket: str, keys: list[str]) -> int:
    """Delete ``keys`` (1,000 per request); returns how many the bucket held."""
    removed = 0
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        answer = files.s3_client().delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key} for key in chunk], "Quiet": False}
        )
        removed += len(answer.get("Deleted", []))
    return removed


def _phone_folder(phone: str) -> str:
    """Where the export of a person known only by phone goes: a digest, not the phone itself."""
    return "phone-" + hashlib.sha256(phone.encode()).hexdigest()[:16]
