"""A person's data on request: everything stored about one person, exported or erased.

GDPR art. 15/17 and Russia's 152-FZ ask a shop to give a person their data and to erase it. Every
place the bot stores something about a person is one entry of :data:`STORES` (one per table; the
attachments bucket is searched by :func:`find`), so the export and the erase read the same list: a
table that comes to hold personal data gets an entry there, and both follow. What the bot cannot
erase is :data:`NOT_ERASED`, named in every answer and in the README ("A person's data").

Where a person's data is (keys: docs/ARCHITECTURE.md, "Data" and "A person's data"):

- Sessions table: their session (``p``: the phone it last logged in with). By phone, the
  ``Phones`` index finds every account that logged in with it;
- Conversations table: their partition ``U#<id>`` (conversations with their ratings, the live
  pointer, messages, tickets), and the items outside it that name them: each conversation's owner
  pointer ``CONV#<number>``, each Telegram-desk topic's pointer ``TOPIC#<chat>#<thread>``, each
  ticket's pointers ``TICKET#<ref>`` / ``TICKET#<number>`` (read from the conversations and tickets
  found), and the exactly-once markers ``IN#<key>`` whose
  ``ref`` is one of their messages, whose ``value`` is one of their tickets or whose key names
  them (``tg:<id>:…``, ``ticket:<id>:…``): one Scan of the table's ``IN#`` items, the only Scan of
  a big table, made by an erase only (an erase is rare; the markers have no index and live 30
  days; an export leaves them out: a marker is bookkeeping, no data about the person);
- the counters kept on write lose what the person added: each conversation is deleted in one
  transaction with its share of ``STATS`` / ``conversations`` (total, live, undelivered, rated,
  rating sum), conditional on the status, ``undelivered`` and rating read, and each ticket with
  its kind and status in ``STATS`` / ``tickets``, conditional on the status read, so a move
  landing meanwhile is read again, never miscounted;
- Notifications table: their pending order notifications (``N#<id>#<order>``) and their
  recipient items of broadcasts (``B#<broadcast>`` / ``R#<id>``), found by the ``People`` index
  (``user_id``), each deleted with its
  broadcast's counters (``total`` and its outcome's) so a broadcast's progress stays right;
- Backend table (the built-in business system): the profile and orders of each of their phones
  (``CUSTOMER#<phone>``; login tokens are signed, not stored);
- Failed-updates table: their updates kept for replay (each found by its pointer
  ``U#<id>`` / ``FU#<update id>`` in Conversations); Pacing table: their chat's bucket;
- the attachments bucket: what they sent (``support/<id>/``, ``incidents/<id>/``), any other file
  their messages point at, and exports made for them (``exports/<id>/``).

Sequences (``C…``, ``Ф-…``, ``Ж-…``) only grow: numbers are never reused.
"""

from __future__ import annotations

import hashlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model

from supportbot.backend.builtin import BackendItem, customer_key
from supportbot.backend.phones import normalize_phone
from supportbot.notifications.store import BroadcastItem, PendingOrderItem, RecipientItem, keys_of_user
from supportbot.pacing import BucketItem, chat_scope
from supportbot.storage.attributes import CompactJSONAttribute
from supportbot.storage.conditions import condition_failed, transaction_conflict
from supportbot.storage.failed_updates import FailedUpdateItem, failed_updates_of
from supportbot.storage.sessions import SessionItem, sessions_with_phone
from supportbot.storage.transactions import transaction
from supportbot.support import conversations, desk_topics, files, once, tickets
from supportbot.support.bans import BAN_SK, BanItem
from supportbot.support.conversations import ConversationItem
from supportbot.support.messages import MarkerItem, MessageItem, user_key
from supportbot.support.tickets import TicketItem


def shown_phone(phone: str | None) -> str:
    """A phone as a person is shown it (the admin page, the Telegram desk's card): enough to
    recognise a customer, not to call them; "" for what is no phone. Logs mask theirs their own
    way (``redact.py``).

    >>> shown_phone("+79001234567"), shown_phone("4930123456789"), shown_phone("12345")
    ('+7 900 ***-45-67', '+493012 ***-67-89', '')
    """
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 8:
        return ""
    tail = f"***-{digits[-4:-2]}-{digits[-2:]}"
    if len(digits) == 11 and digits.startswith("7"):
        return f"+7 {digits[1:4]} {tail}"
    return f"+{digits[:-7]} {tail}"


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
NOT_EXPORTED = frozenset({"t", "token"})  # a live credential of the business system, not data about them
ERASE_ATTEMPTS = 5
# A broadcast recipient's outcome and the counter it was added to (waiting and sending: none yet).
OUTCOME_COUNTERS = {
    "sent": BroadcastItem.sent,
    "blocked": BroadcastItem.blocked,
    "failed": BroadcastItem.failed,
    "cancelled": BroadcastItem.cancelled,
}


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
    """What the stores hold about a person: keys to erase (per store), data to export (per section),
    and the items whose erase changes counters (erased one by one, with them)."""

    person: Person
    erasing: bool = True  # False for an export: what only an erase needs is not looked for
    keys: dict[str, set[Key]] = field(default_factory=dict)
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counted: dict[str, list[Model]] = field(default_factory=dict)
    attachments: set[str] = field(default_factory=set)  # S3 keys of the bucket's objects
    files: set[str] = field(default_factory=set)  # S3 keys their messages name (may have expired)

    def add(
        self, store: str, keys: Iterable[Key], section: str | None = None, items: Iterable[Model] = ()
    ) -> None:
        self.keys.setdefault(store, set()).update(keys)
        if section is not None:
            self.sections.setdefault(section, []).extend(plain(item) for item in items)

    def add_counted(self, store: str, items: list[Model], section: str) -> None:
        self.counted.setdefault(store, []).extend(items)
        self.sections.setdefault(section, []).extend(plain(item) for item in items)

    @property
    def empty(self) -> bool:
        return not any(self.keys.values()) and not any(self.counted.values()) and not self.attachments


class Store(ABC):
    """One table: what it holds about a person (``find``), deleted by key as ``model(*key)``; items
    in ``Found.counted`` are erased by ``erase_counted``, each with the counters it is part of."""

    name: str  # its key in the erase's answer
    model: type[Model]

    @abstractmethod
    def find(self, found: Found) -> None:
        """Add the person's keys (and data to export) to ``found``."""

    def erase_counted(self, item: Model) -> None:  # pragma: no cover - only stores that count override it
        raise NotImplementedError


def plain(item: Model) -> dict[str, Any]:
    """An item as JSON-ready data, without what is a credential rather than data about the person."""
    data: dict[str, Any] = item.to_simple_dict()
    for name, attribute in item.get_attributes().items():
        key = attribute.attr_name if attribute.attr_name in data else name
        if isinstance(attribute, CompactJSONAttribute) and isinstance(data.get(key), str):
            data[key] = json.loads(data[key])  # simplified to its JSON text: the data itself instead
    for key in ("a", "auth"):
        if isinstance(data.get(key), dict):
            data[key] = {k: v for k, v in data[key].items() if k not in NOT_EXPORTED}
    return data


def _pk_sk(items: Iterable[Any]) -> list[Key]:
    return [(item.pk, item.sk) for item in items]


def _retried(erase: Callable[[], None]) -> None:
    """Run ``erase`` (a transaction conditional on what was read) until it holds: it re-reads on a
    refused condition and returns once nothing is left to erase."""
    for _ in range(ERASE_ATTEMPTS):
        try:
            erase()
        except TransactWriteError as error:
            if not (condition_failed(error) or transaction_conflict(error)):
                raise
            continue
        return
    raise RuntimeError("the person's items kept changing during the erase: try again")


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
            if session.phone:
                found.person.phones.add(str(session.phone))


class Conversations(Store):
    """The person's partition, the pointers and markers naming it, and the counters it is in."""

    name, model = "conversations", MarkerItem

    def find(self, found: Found) -> None:
        message_sks: set[str] = set()
        ticket_numbers: set[int] = set()
        for user_id in sorted(found.person.telegram_ids):
            pk = user_key(user_id)
            held = conversations.of_user(user_id)[::-1]  # oldest first
            found.add_counted(self.name, list(held), "conversations")
            found.sections.setdefault("ratings", []).extend(
                {"conversation": c.ref, "rating": int(c.rating), "rated_at": c.rated_at.isoformat()}
                for c in held
                if c.rating is not None and c.rated_at is not None
            )
            found.add(self.name, [(conversations.owner_key(int(c.number)), "-") for c in held])
            found.add(self.name, desk_topics.pointers_of(held))
            messages = list(MessageItem.query(pk, MessageItem.sk.startswith("M#")))
            found.add(self.name, _pk_sk(messages), "messages", messages)
            message_sks.update(str(m.sk) for m in messages)
            found.files.update(str(p.file_key) for m in messages for p in m.parts if p.file_key)
            held_tickets = tickets.of_user(user_id)[::-1]
            found.add_counted(self.name, list(held_tickets), "tickets")
            for ticket in held_tickets:
                ticket_numbers.add(int(ticket.number))
                pointers: list[str | int] = [int(ticket.number), *([str(ticket.ref)] if ticket.ref else [])]
                found.add(self.name, [(tickets.pointer_key(p), "-") for p in pointers])
            # Whatever else is in the partition (the live pointer, items of a later scheme); the
            # conversations go with their counters.
            rest = MarkerItem.query(pk, attributes_to_get=["pk", "sk"])
            found.add(self.name, [k for k in _pk_sk(rest) if not str(k[1]).startswith("C#")])
            try:  # an operator's ban of them, in force or run out: data about them, exported whole
                ban = BanItem.get(pk, BAN_SK, consistent_read=True)
            except BanItem.DoesNotExist:
                continue
            found.add(self.name, _pk_sk([ban]), "bans", [ban])
        if found.erasing:
            found.add(
                self.name, _pk_sk(self._markers(found.person.telegram_ids, message_sks, ticket_numbers))
            )

    @staticmethod
    def _markers(user_ids: set[int], message_sks: set[str], ticket_numbers: set[int]) -> Iterator[MarkerItem]:
        """The exactly-once markers of the person's input: they point at one of their messages or
        tickets, or their key names them (``tg:<id>:…``, ``tg-album:<id>:…``, ``ticket:<id>:…``)."""
        if not user_ids:
            return
        named = tuple(f":{user_id}:" for user_id in user_ids)
        scanned = MarkerItem.scan(
            MarkerItem.pk.startswith(once.PREFIX), attributes_to_get=["pk", "sk", "ref", "value"]
        )
        for marker in scanned:
            if (
                marker.ref in message_sks
                or (marker.value is not None and int(marker.value) in ticket_numbers)
                or any(part in str(marker.pk) for part in named)
            ):
                yield marker

    def erase_counted(self, item: Model) -> None:
        """Delete a conversation (its live pointer too) or a ticket and take it out of the
        counters, in one transaction conditional on what the counters were given for it."""
        if isinstance(item, TicketItem):
            self._erase_ticket(item)
            return
        conversation = cast(ConversationItem, item)

        def attempt() -> None:
            current = conversations.get(int(conversation.user_id), int(conversation.number))
            if current is None:
                return
            live = current.status in conversations.LIVE
            undelivered = int(current.undelivered or 0)
            same = ConversationItem.undelivered == undelivered
            if not undelivered:  # an item stored before the count existed has none
                same = same | ConversationItem.undelivered.does_not_exist()
            rating = None if current.rating is None else int(current.rating)
            if rating is None:
                same = same & ConversationItem.rating.does_not_exist()
            else:
                same = same & (ConversationItem.rating == rating)
            with transaction() as write:
                write.delete(current, condition=(ConversationItem.status == current.status) & same)
                conversations.count(write, **conversations.taken_out(current))
                if live:
                    write.delete(
                        MarkerItem(user_key(int(current.user_id)), conversations.LIVE_SK),
                        condition=MarkerItem.pk.does_not_exist() | (MarkerItem.value == int(current.number)),
                    )

        _retried(attempt)

    @staticmethod
    def _erase_ticket(ticket: TicketItem) -> None:
        def attempt() -> None:
            try:
                current = TicketItem.get(ticket.pk, ticket.sk, consistent_read=True)
            except TicketItem.DoesNotExist:
                return
            with transaction() as write:
                write.delete(current, condition=TicketItem.status == current.status)
                tickets.count(write, str(current.kind), **{str(current.status): -1})

        _retried(attempt)


class Notifications(Store):
    """Pending order notifications and broadcasts' recipient items (both carry ``user_id``): the
    ``People`` index's keys, then the items themselves (consistent)."""

    name, model = "notifications", PendingOrderItem

    def find(self, found: Found) -> None:
        for user_id in sorted(found.person.telegram_ids):
            keys = keys_of_user(user_id)
            pending: list[PendingOrderItem] = sorted(
                PendingOrderItem.batch_get([k for k in keys if k[1] == "-"], consistent_read=True),
                key=lambda item: str(item.pk),
            )
            found.add(self.name, _pk_sk(pending), "notifications", pending)
            recipients: list[RecipientItem] = sorted(
                RecipientItem.batch_get([k for k in keys if k[1] != "-"], consistent_read=True),
                key=lambda item: str(item.pk),
            )
            found.add_counted(self.name, list[Model](recipients), "broadcasts")

    def erase_counted(self, item: Model) -> None:
        """Delete a recipient with its broadcast's counters (``total``, and its outcome's)."""
        recipient = cast(RecipientItem, item)

        def attempt() -> None:
            try:
                current = RecipientItem.get(recipient.pk, recipient.sk, consistent_read=True)
            except RecipientItem.DoesNotExist:
                return
            try:
                BroadcastItem.get(current.pk, "-")
            except BroadcastItem.DoesNotExist:  # a recipient left by a broadcast deleted by hand
                current.delete()
                return
            actions: list[Any] = [BroadcastItem.total.add(-1)]
            counter = OUTCOME_COUNTERS.get(str(current.status))
            if counter is not None:
                actions.append(counter.add(-1))
            with transaction() as write:
                write.delete(current, condition=RecipientItem.status == current.status)
                write.update(
                    BroadcastItem(current.pk, "-"), actions=actions, condition=BroadcastItem.pk.exists()
                )

        _retried(attempt)


class Backend(Store):
    """The built-in business system: the customer of each of the person's phones (its login
    tokens are signed, never stored)."""

    name, model = "backend", BackendItem

    def find(self, found: Found) -> None:
        for phone in sorted(found.person.phones):
            canonical = normalize_phone(phone)
            if canonical:
                customer = list(BackendItem.query(customer_key(canonical)))
                found.add(self.name, _pk_sk(customer), "customer", customer)


class FailedUpdates(Store):
    """Their updates kept for replay, found by the pointers in their partition of Conversations
    (the pointers go with that partition)."""

    name, model = "failed_updates", FailedUpdateItem

    def find(self, found: Found) -> None:
        for user_id in sorted(found.person.telegram_ids):
            kept = sorted(failed_updates_of(user_id), key=lambda u: int(u.update_id))
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
STORES: tuple[Store, ...] = (
    Sessions(),
    Conversations(),
    Notifications(),
    Backend(),
    FailedUpdates(),
    Pacing(),
)


# ---- finding, exporting, erasing ------------------------------------------------------------------
def find(person: Person, bucket: str | None, erasing: bool = True) -> Found:
    found = Found(person, erasing)
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
    """The person behind a phone: every Telegram account that logged in with it (the sessions'
    ``Phones`` index)."""
    canonical = normalize_phone(phone) or phone
    person = Person(phones={canonical})
    person.telegram_ids.update(int(session.user_id) for session in sessions_with_phone(canonical))
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
        "bans": sections.get("bans", []),
        "notifications": sections.get("notifications", []),
        "broadcasts": sections.get("broadcasts", []),
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
    topics, kept = _delete_topics(found.counted.get("conversations", []))
    erased: dict[str, int] = {}
    for store in reversed(STORES):
        for item in found.counted.get(store.name, []):
            store.erase_counted(item)
        keys = sorted(found.keys.get(store.name, set()), key=str)
        with store.model.batch_write() as batch:
            for key in keys:
                batch.delete(store.model(*key))
        erased[store.name] = len(keys) + len(found.counted.get(store.name, []))
    removed = _delete_objects(bucket, sorted(found.attachments)) if bucket else 0
    return {
        "erased": dict(reversed(erased.items())),
        "attachments": removed,
        "topics": topics,
        "not_erased": [*NOT_ERASED, *kept],
    }


def _delete_topics(held: list[Any]) -> tuple[int, list[str]]:
    """The person's topics in the Telegram desk's support group (``deleteForumTopic``, their
    messages with them), before the conversations that name them go. A topic already deleted in
    the group counts as gone; one Telegram refuses is named in the answer, the rest still erased."""
    topics = desk_topics.topics_of(held)
    if not topics:
        return 0, []
    # Only an erase of a Telegram-desk customer needs the Bot API client.
    from requests import RequestException
    from telebot.apihelper import ApiTelegramException

    from supportbot.support.telegram_desk import TOPIC_GONE, refused_for
    from supportbot.telegram.client import get_bot

    deleted, kept = 0, []
    for chat_id, thread in topics:
        try:
            get_bot().delete_forum_topic(chat_id, thread)
        except ApiTelegramException as error:
            if not refused_for(error, TOPIC_GONE):
                kept.append(f"the support group's topic {thread}: Telegram refused ({error.description})")
            continue
        except RequestException as error:
            kept.append(f"the support group's topic {thread}: Telegram unreachable ({type(error).__name__})")
            continue
        deleted += 1
    return deleted, kept


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
