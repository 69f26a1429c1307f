"""Tickets: photo requests (``Ф-<n>``) and complaints (``Ж-<n>``), their lifecycle and how one is found.

docs/ARCHITECTURE.md, "Tickets". Keys, in the customer's partition of the Conversations table:
- ``U#<user>`` / ``T#<number>``: the ticket. ``number`` is internal (one sequence for every kind,
  ``COUNTER`` / ``tickets``; the ``Tickets`` index lists every ticket by it, newest first); people
  see ``ref``, a number per kind (``COUNTER`` / ``tickets-photo``, ``tickets-incident``): a
  customer's first complaint is ``Ж-1`` whatever the photo requests before it;
- ``TICKET#<ref>`` / ``-`` and ``TICKET#<number>`` / ``-``: whose ticket it is, so a ref (``Ф-12``)
  or an old bare number (``#1042``, today's buttons and texts) finds it with consistent reads;
- ``STATS`` / ``tickets``: how many tickets there are of each kind in each status, changed in the
  transactions that open and move them (the admin's stats read this one item).

The admin lists tickets newest first by kind and status as key conditions of the ``Lists``
index (``list_pk`` = ``T#<kind>#<status>``, ordered by ``list_sk``, the number zero-padded; one
filter alone merges its few partitions: ``supportbot_admin/pages.py``); a move changes the key
with the status.

The lifecycle is :data:`LIFECYCLE`, ``open → in_progress → closed`` (and ``open → closed``), a
close naming its ``outcome``; :func:`move` is the only way a status changes (bot, warehouse group
and admin API alike), conditional on the status and ``version`` read, so a stale page or two staff
pressing at once never both apply.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from supportbot.storage.attributes import CompactJSONAttribute
from supportbot.storage.conditions import condition_failed, transaction_conflict
from supportbot.storage.tables import TableName
from supportbot.storage.transactions import transaction
from supportbot.support import once
from supportbot.support.lifecycle import Lifecycle, RefusedMove, StaleVersion
from supportbot.support.messages import MarkerItem, next_number, user_key

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

PHOTO, INCIDENT = "photo", "incident"
KINDS = (PHOTO, INCIDENT)
PREFIXES = {PHOTO: "Ф", INCIDENT: "Ж"}
OPEN, IN_PROGRESS, CLOSED = "open", "in_progress", "closed"
LIFECYCLE = Lifecycle("ticket", {OPEN: (IN_PROGRESS, CLOSED), IN_PROGRESS: (CLOSED,), CLOSED: ()})
PHOTOS_SENT, REFUSED, RESOLVED = "photos_sent", "refused", "resolved"
OUTCOMES = {PHOTO: (PHOTOS_SENT, REFUSED, RESOLVED), INCIDENT: (RESOLVED, REFUSED)}
TICKETS_INDEX_KEY = "TICKET"
# A ref as people type it: Ф-12, ж7, F-12 / Z-7 (Latin look-alikes), or an old bare number.
REF = re.compile(r"(?:(?P<prefix>[ФфFfЖжZz])-?)?(?P<number>\d{1,9})")
LATIN = {"F": "Ф", "Z": "Ж"}
MOVE_ATTEMPTS = 3


class TicketsIndex(GlobalSecondaryIndex["TicketItem"]):  # type: ignore[no-untyped-call]
    """Every ticket, by internal number (a sparse index: only tickets carry ``gsi1pk``)."""

    class Meta:
        index_name = "Tickets"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    number = NumberAttribute(range_key=True)


class ListsIndex(GlobalSecondaryIndex["TicketItem"]):  # type: ignore[no-untyped-call]
    """The admin's filtered lists (``list_pk`` = ``T#<kind>#<status>`` for tickets), by ``list_sk``."""

    class Meta:
        index_name = "Lists"
        projection = AllProjection()

    list_pk = UnicodeAttribute(hash_key=True)
    list_sk = UnicodeAttribute(range_key=True)


class TicketItem(Model):
    class Meta:
        table_name = TableName("conversations_table")

    tickets = TicketsIndex()
    lists = ListsIndex()
    gsi1pk = UnicodeAttribute(default=TICKETS_INDEX_KEY)  # puts every ticket in the index
    # The filtered lists' keys (index_keys; null only before make migrate).
    list_pk = UnicodeAttribute(null=True)
    list_sk = UnicodeAttribute(null=True)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    number = NumberAttribute()
    ref = UnicodeAttribute(null=True)  # "Ф-12" (null only before make migrate)
    user_id = NumberAttribute()
    kind = UnicodeAttribute()  # photo | incident
    status = UnicodeAttribute(default=OPEN)
    outcome = UnicodeAttribute(null=True)  # photos_sent | refused | resolved, once closed
    version = NumberAttribute(default=1)
    conversation = NumberAttribute(null=True)  # the C<number> it was opened in
    title = UnicodeAttribute(default="")
    details = CompactJSONAttribute(null=True)  # collected answers, order, article, note, staff...
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    @property
    def label(self) -> str:
        """What people see: the ref, or ``#<number>`` for a ticket not migrated yet."""
        return str(self.ref or f"#{int(self.number)}")


class TicketCountsItem(Model):
    """``STATS`` / ``tickets``: tickets of each kind in each status (``<kind>_<status>``)."""

    class Meta:
        table_name = TableName("conversations_table")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    photo_open = NumberAttribute(default=0)
    photo_in_progress = NumberAttribute(default=0)
    photo_closed = NumberAttribute(default=0)
    incident_open = NumberAttribute(default=0)
    incident_in_progress = NumberAttribute(default=0)
    incident_closed = NumberAttribute(default=0)

    def by(self, kind: str, status: str) -> int:
        return int(getattr(self, f"{kind}_{status}") or 0)


COUNTS_KEY = ("STATS", "tickets")
STATUSES = (OPEN, IN_PROGRESS, CLOSED)


def count(write: TransactWrite, kind: str, **deltas: int) -> None:
    """Add to ``write`` the change of ``kind``'s counters by status (``open=1``, ``open=-1,
    closed=1``), in the same transaction as the change they count."""
    actions = [getattr(TicketCountsItem, f"{kind}_{status}").add(delta) for status, delta in deltas.items()]
    write.update(TicketCountsItem(*COUNTS_KEY), actions=actions)


def counts() -> TicketCountsItem:
    """The counters (all zero before the first ticket)."""
    try:
        return TicketCountsItem.get(*COUNTS_KEY, consistent_read=True)
    except TicketCountsItem.DoesNotExist:
        return TicketCountsItem(*COUNTS_KEY)


def list_key(kind: str, status: str) -> str:
    """The ``Lists`` partition of the tickets of ``kind`` in ``status``."""
    return f"T#{kind}#{status}"


def index_keys(kind: str, status: str, number: int) -> dict[str, str]:
    """The attributes that put a ticket in the ``Lists`` index."""
    return {"list_pk": list_key(kind, status), "list_sk": f"{number:012d}"}


def ticket_key(number: int) -> str:
    return f"T#{number:08d}"


def pointer_key(ref_or_number: str | int) -> str:
    return f"TICKET#{ref_or_number}"


def ticket_ref(kind: str, seq: int) -> str:
    return f"{PREFIXES[kind]}-{seq}"


def normal_ref(text: str) -> str | None:
    """``Ф-12`` / ``ф12`` / ``F-12`` → ``Ф-12``; a bare ``1042`` stays ``1042``; anything else None."""
    found = REF.fullmatch(text.strip())
    if found is None:
        return None
    prefix = found["prefix"]
    if prefix is None:
        return str(int(found["number"]))
    letter = LATIN.get(prefix.upper(), prefix.upper())
    return f"{letter}-{int(found['number'])}"


# ---- finding ------------------------------------------------------------------------------------
def find(ref_or_number: str | int) -> TicketItem | None:
    """The ticket a ref (``Ф-12``) or an old bare number (``1042``) names, whoever's it is."""
    key = normal_ref(str(ref_or_number))
    if key is None:
        return None
    try:
        pointer = MarkerItem.get(pointer_key(key), "-", consistent_read=True)
    except MarkerItem.DoesNotExist:
        return None
    sk = str(pointer.ref) if pointer.ref else ticket_key(int(key))
    try:
        return TicketItem.get(user_key(int(pointer.value or 0)), sk, consistent_read=True)
    except TicketItem.DoesNotExist:
        return None


def of_user(user_id: int, kind: str | None = None, limit: int | None = None) -> list[TicketItem]:
    """The customer's tickets, newest first (the newest ``limit``)."""
    found = TicketItem.query(
        user_key(user_id), TicketItem.sk.startswith("T#"), scan_index_forward=False, limit=limit
    )
    return [ticket for ticket in found if kind is None or ticket.kind == kind]


# ---- opening ------------------------------------------------------------------------------------
def open_ticket(
    user_id: int,
    kind: str,
    key: str,
    title: str,
    details: dict[str, Any],
    conversation: int | None = None,
) -> TicketItem:
    """Open a ticket for the input ``key`` names (``once``): a repeat of it gets the same ticket.

    The ticket, its two pointers and the marker are one transaction; the numbers are claimed just
    before (a failed write leaves a gap, never a duplicate)."""
    for _ in range(2):
        marker = once.claimed(key)
        if marker is not None:
            found = find(int(marker.value or 0))
            if found is None:
                raise RuntimeError(f"the ticket of {key} is missing")
            return found
        number = next_number("tickets")
        ref = ticket_ref(kind, next_number(f"tickets-{kind}"))
        now = datetime.now(UTC)
        ticket = TicketItem(
            user_key(user_id),
            ticket_key(number),
            number=number,
            ref=ref,
            user_id=user_id,
            kind=kind,
            conversation=conversation,
            title=title,
            details={k: v for k, v in details.items() if v} or None,
            created_at=now,
            updated_at=now,
        )
        ticket.list_pk, ticket.list_sk = list_key(kind, OPEN), index_keys(kind, OPEN, number)["list_sk"]
        try:
            with transaction() as write:
                write.save(once.marker(key, now, value=number), condition=once.fresh(now))
                write.save(ticket, condition=TicketItem.pk.does_not_exist())
                write.save(MarkerItem(pointer_key(number), "-", value=user_id, ref=ticket.sk))
                write.save(MarkerItem(pointer_key(ref), "-", value=user_id, ref=ticket.sk))
                count(write, kind, **{OPEN: 1})
        except TransactWriteError as error:
            if not condition_failed(error):
                if transaction_conflict(error):
                    continue  # another ticket's counters at that moment: nothing was written
                raise
            continue  # a concurrent run of the same input stored it first: found above
        return ticket
    raise RuntimeError(f"the ticket of {key} could not be stored")


# ---- moving -------------------------------------------------------------------------------------
def move(
    ticket: TicketItem,
    status: str,
    outcome: str | None = None,
    version: int | None = None,
    **details: str,
) -> TicketItem:
    """Move ``ticket`` to ``status`` by :data:`LIFECYCLE` (a close with an ``outcome``; ``resolved``
    when none is given), conditional on the status read and, when given, on ``version`` (the one
    the caller's page showed). Raises RefusedMove (the table says no), StaleVersion (it changed)."""
    if version is not None and version != int(ticket.version):
        raise StaleVersion(
            f"ticket {ticket.label} changed since version {version} was read (now {int(ticket.version)})",
            str(ticket.status),
            LIFECYCLE.allowed(str(ticket.status)),
        )
    LIFECYCLE.check(str(ticket.status), status)
    if status == CLOSED:
        outcome = outcome or RESOLVED
        if outcome not in OUTCOMES[str(ticket.kind)]:
            raise RefusedMove(
                "ticket",
                str(ticket.status),
                status,
                LIFECYCLE.allowed(str(ticket.status)),
                detail=f"a {ticket.kind} ticket cannot close as {outcome} "
                f"(outcomes: {', '.join(OUTCOMES[str(ticket.kind)])})",
            )
    elif outcome is not None:
        raise RefusedMove(
            "ticket",
            str(ticket.status),
            status,
            LIFECYCLE.allowed(str(ticket.status)),
            detail="only a close has an outcome",
        )
    kind = str(ticket.kind)
    now = datetime.now(UTC)
    changes: dict[str, Any] = {
        "status": status,
        "version": int(ticket.version) + 1,
        "updated_at": now,
        **index_keys(kind, status, int(ticket.number)),
    }
    if outcome is not None:
        changes["outcome"] = outcome
    if details:
        changes["details"] = {**(ticket.details or {}), **details}
    actions = [getattr(TicketItem, name).set(value) for name, value in changes.items()]
    same_version = TicketItem.version == int(ticket.version)
    if int(ticket.version) == 1:  # an item written before versions existed reads as 1
        same_version = same_version | TicketItem.version.does_not_exist()
    attempts = 0
    while True:
        attempts += 1
        try:
            with transaction() as write:
                write.update(
                    ticket, actions=actions, condition=(TicketItem.status == ticket.status) & same_version
                )
                count(write, kind, **{str(ticket.status): -1, status: 1})
            break
        except TransactWriteError as error:
            if transaction_conflict(error) and not condition_failed(error) and attempts < MOVE_ATTEMPTS:
                continue  # another transaction wrote the counters at that moment: nothing was written
            if not condition_failed(error):
                raise
        ticket.refresh(consistent_read=True)
        raise StaleVersion(
            f"ticket {ticket.label} was changed meanwhile (now {ticket.status}): read it again",
            str(ticket.status),
            LIFECYCLE.allowed(str(ticket.status)),
        )
    for name, value in changes.items():
        setattr(ticket, name, value)
    return ticket
