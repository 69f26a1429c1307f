"""Order events: the business system's signed ``POST /v1/business/webhook`` (and the built-in
backend's own order changes) turned into a message to the customer.

The contract is ``docs/business-system-openapi.yaml`` (``webhooks``). Checked in this order:
413 over 64 KB; the ``X-Signature`` (``security.check_signature``: 401 missing, 403 wrong or more
than 300 s off); 400 naming the first malformed field; a type other than ``order.created`` /
``order.updated`` is answered 200 and ignored. Then the event is acted on once per
``event_id``: its marker (``IN#biz:<event_id>``, the outbox's "once" scheme, kept 30 days) is
written in one transaction with what it changes, so a repeat is answered ``"duplicate": true``
with the first answer's outcome, and a crash in between loses nothing.

Who it reaches: the sessions that last logged in with ``customer.phone`` (the sessions' phone
index). None: ``not_started`` (the business knows the phone: the built-in backend has the
customer, or an HTTP business system sent the event) or ``unknown_customer`` (the built-in
backend has no such customer); none logged in with it any longer: ``logged_out``; then
``blocked`` (Telegram answered 403 and they have not written since) and ``notifications_off``.

Coalescing: the event updates the user's pending item of that order (its newest status, by
``occurred_at``; an older event never overwrites a newer one) and opens a window of
``ORDER_EVENTS_COALESCE_SECONDS`` (60) if none is open; a job on the notifications queue, due
when the window closes, sends the newest status as one message through the outbox (so it is
paced per chat, retried and recorded like any other message to the customer).
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from supportbot import metrics
from supportbot.backend.models import ORDER_ID_MAX_LENGTH, Order, OrderFormatError, parse_timestamp
from supportbot.backend.phones import normalize_phone
from supportbot.config import Config
from supportbot.notifications.store import PendingOrderItem, pending_key, queue_job
from supportbot.security import check_signature
from supportbot.storage.conditions import condition_failed
from supportbot.storage.sessions import Auth, SessionItem, sessions_with_phone
from supportbot.storage.transactions import transaction
from supportbot.support import once
from supportbot.support.messages import MarkerItem

logger = Logger(child=True)

MAX_BODY_BYTES = 64 * 1024
TYPES = ("order.created", "order.updated")
PENDING_TTL = timedelta(days=7)
DELIVERED = "delivered"
REASONS = ("unknown_customer", "not_started", "logged_out", "notifications_off", "blocked")
MAX_ID = 128
clock = time.time  # tests move it on (and SQS's with it)


@dataclass
class Answer:
    status: HTTPStatus
    body: dict[str, Any]


class Malformed(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


@dataclass(frozen=True)
class OrderEvent:
    event_id: str
    type: str
    occurred: float
    phone: str
    order_id: str
    number: str
    status: str | None
    status_text: str | None


KnowsPhone = Callable[[str], bool]


def handle(
    config: Config,
    body: bytes,
    headers: Mapping[str, str],
    now: float | None = None,
    knows_phone: KnowsPhone | None = None,
) -> Answer:
    """Answer one call of the business system's to the webhook."""
    moment = clock() if now is None else now
    if len(body) > MAX_BODY_BYTES:
        return Answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too_large", "limit": MAX_BODY_BYTES})
    signature = {key.lower(): value for key, value in headers.items()}.get("x-signature")
    refused = check_signature(signature, body, config.accepted("BUSINESS_WEBHOOK_SECRET"), moment)
    if refused is not None:
        metrics.count(metrics.WEBHOOK_CALLS_REFUSED, Webhook="business")
        logger.warning("Business webhook call refused", extra={"status": int(refused)})
        error = "missing_signature" if refused == HTTPStatus.UNAUTHORIZED else "bad_signature"
        return Answer(refused, {"error": error})
    try:
        event = parse_event(body)
    except Malformed as problem:
        return Answer(HTTPStatus.BAD_REQUEST, {"error": "malformed", "field": problem.field})
    if event is None:
        return Answer(HTTPStatus.OK, {"accepted": False, "duplicate": False, "delivered": False})
    return Answer(HTTPStatus.OK, accept(config, event, moment, knows_phone))


def parse_event(body: bytes) -> OrderEvent | None:
    """The event in ``body`` (None: a type the bot ignores); :class:`Malformed` names the field."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Malformed("body") from None
    if not isinstance(data, dict):
        raise Malformed("body")
    event_id = _text(data, "event_id", MAX_ID)
    kind = _text(data, "type", MAX_ID)
    if kind not in TYPES:
        return None
    occurred = _time(data.get("occurred_at"), "occurred_at")
    customer = data.get("customer")
    if not isinstance(customer, dict):
        raise Malformed("customer")
    phone = customer.get("phone")
    normalized = normalize_phone(phone) if isinstance(phone, str) and phone.startswith("+") else None
    if normalized is None:
        raise Malformed("customer.phone")
    order = data.get("order")
    if not isinstance(order, dict):
        raise Malformed("order")
    order_id = _text(order, "id", ORDER_ID_MAX_LENGTH, "order.")
    if not all(c.isalnum() or c in "._~-" for c in order_id) or not order_id.isascii():
        raise Malformed("order.id")
    status = order.get("status")
    status_text = order.get("status_text")
    for name, value in (("status", status), ("status_text", status_text)):
        if value is not None and (not isinstance(value, str) or len(value) > 256):
            raise Malformed(f"order.{name}")
    if status is None and not status_text:
        raise Malformed("order.status")
    if "updated_at" in order:
        _time(order["updated_at"], "order.updated_at")
    return OrderEvent(
        event_id,
        kind,
        occurred,
        normalized,
        order_id,
        _text(order, "number", 64, "order."),
        status,
        status_text,
    )


def _text(data: dict[str, Any], name: str, limit: int, prefix: str = "") -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise Malformed(prefix + name)
    return value


def _time(value: Any, field: str) -> float:
    if not isinstance(value, str):
        raise Malformed(field)
    try:
        return parse_timestamp(value).timestamp()
    except OrderFormatError:
        raise Malformed(field) from None


def accept(
    config: Config, event: OrderEvent, now: float, knows_phone: KnowsPhone | None = None
) -> dict[str, Any]:
    """Act on a well-formed event once; the webhook's 200 body."""
    sessions = sessions_with_phone(event.phone)
    reachable, reason = reach(sessions)
    if not sessions:
        known = (
            knows_phone(event.phone) if knows_phone is not None else builtin_knows_phone(config, event.phone)
        )
        reason = "not_started" if known else "unknown_customer"
    outcome = DELIVERED if reachable else str(reason)
    at = datetime.fromtimestamp(now, UTC)
    marker = once.marker(f"biz:{event.event_id}", at, ref=outcome)
    fresh = once.fresh(at)
    duplicate = False
    try:
        with transaction() as write:
            write.save(marker, condition=fresh)
            for session in reachable:
                _apply(write, event, int(session.user_id), now)
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        reasons = [r.code if r else None for r in error.cancellation_reasons]
        if reasons[0] == "ConditionalCheckFailed":
            duplicate = True
            stored = MarkerItem.get(marker.pk, "-", consistent_read=True)
            outcome = str(stored.ref)
        else:  # only older than what is pending: the marker alone (nothing newer is lost)
            with contextlib.suppress(PutError):  # a repeat of it stored its marker meanwhile
                marker.save(condition=fresh)
    for session in reachable:
        # Again on a repeat: the first call may have stopped before it queued the job.
        queue_job(
            config.notifications_queue_url,
            {"job": "order", "pk": pending_key(int(session.user_id), event.order_id)},
            delay=config.order_events_coalesce_seconds,
        )
    counted = "duplicate" if duplicate else "delivered" if outcome == DELIVERED else "skipped"
    metrics.count(metrics.ORDER_EVENTS, Outcome=counted)
    body: dict[str, Any] = {"accepted": True, "duplicate": duplicate, "delivered": outcome == DELIVERED}
    if outcome != DELIVERED:
        body["reason"] = outcome
    logger.info("Order event", extra={"event_id": event.event_id, "outcome": outcome, "duplicate": duplicate})
    return body


def reach(sessions: list[SessionItem]) -> tuple[list[SessionItem], str | None]:
    """The sessions an event reaches, and the reason when none: logged_out, blocked, notifications_off."""
    logged_in = [s for s in sessions if Auth.from_dict(s.auth) is not None and s.audience]
    if not logged_in:
        return [], "logged_out"
    unblocked = [s for s in logged_in if s.bot_blocked_at is None]
    if not unblocked:
        return [], "blocked"
    willing = [s for s in unblocked if not s.notifications_off]
    return willing, None if willing else "notifications_off"


def _apply(write: Any, event: OrderEvent, user_id: int, now: float) -> None:
    item = PendingOrderItem(pending_key(user_id, event.order_id), "-")
    write.update(
        item,
        actions=[
            PendingOrderItem.user_id.set(user_id),
            PendingOrderItem.order_id.set(event.order_id),
            PendingOrderItem.number.set(event.number),
            PendingOrderItem.status.set(event.status) if event.status else PendingOrderItem.status.remove(),
            PendingOrderItem.status_text.set(event.status_text)
            if event.status_text
            else PendingOrderItem.status_text.remove(),
            PendingOrderItem.event_type.set(event.type),
            PendingOrderItem.occurred.set(event.occurred),
            PendingOrderItem.since.set(PendingOrderItem.since | now),
            PendingOrderItem.expires_at.set(datetime.fromtimestamp(now, UTC) + PENDING_TTL),
        ],
        condition=PendingOrderItem.occurred.does_not_exist() | (PendingOrderItem.occurred <= event.occurred),
    )


def builtin_order_changed(config: Config, phone: str, order: Order, created: bool) -> None:
    """The built-in backend's own order change (an admin set its status): the same event the
    business system would send, acted on in place (no HTTP, no signature)."""
    now = clock()
    event = OrderEvent(
        event_id=f"builtin-{uuid.uuid4().hex}",
        type="order.created" if created else "order.updated",
        occurred=now,
        phone=phone,
        order_id=order.id,
        number=order.number,
        status=order.status,
        status_text=order.status_text,
    )
    accept(config, event, now, knows_phone=lambda _: True)


def builtin_knows_phone(config: Config, phone: str) -> bool:
    """Whether the business knows ``phone``: asked of the built-in backend; an HTTP business
    system sent the event, so it does."""
    if config.backend_url:
        return True
    from supportbot.backend.builtin import BuiltinBackend

    return BuiltinBackend().knows(phone)


# The job: the window closed, tell the user.


class NotDue(Exception):
    """The job came before its window closed: back in the queue for ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"not due for {seconds:.0f} s")
        self.seconds = seconds


Send = Callable[[PendingOrderItem, SessionItem], None]


def notify_due(config: Config, pk: str, send: Send, now: float | None = None) -> bool:
    """Send the order's pending change once its window closed; True when a message was queued."""
    moment = clock() if now is None else now
    try:
        item = PendingOrderItem.get(pk, "-", consistent_read=True)
    except PendingOrderItem.DoesNotExist:
        return False
    if item.since is None:
        return False  # told already (this job came for an event another one covered)
    due = float(item.since) + config.order_events_coalesce_seconds
    if moment < due:
        raise NotDue(due - moment)
    session = _session(int(item.user_id))
    sent = False
    if session is not None and reach([session])[0]:
        send(item, session)
        sent = True
    try:
        item.update(
            actions=[PendingOrderItem.since.remove()],
            condition=(PendingOrderItem.since == item.since) & (PendingOrderItem.occurred == item.occurred),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        # A newer change arrived while this one was sent: it opens a window of its own (its job
        # comes after it closes).
        with contextlib.suppress(UpdateError):  # closed meanwhile by another run of this job
            item.update(
                actions=[PendingOrderItem.since.set(moment)], condition=PendingOrderItem.since.exists()
            )
    return sent


def _session(user_id: int) -> SessionItem | None:
    try:
        return SessionItem.get(user_id, consistent_read=True)
    except SessionItem.DoesNotExist:
        return None
