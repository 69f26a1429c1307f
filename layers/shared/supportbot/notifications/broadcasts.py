"""Broadcasts: one Telegram-HTML message (an optional photo, one URL button) to an audience of
logged-in users, at Telegram's pace, at most once each.

Created by the admin API (``POST /v1/admin/broadcasts``, answered at once). A background job on
the notifications queue (never the support outbox: a large broadcast must not delay support
messages nor trip the outbox's age alarm) fans the audience out **page by page**: one Query of
the sessions' ``Audience`` index per page (``BROADCAST_PAGE_SIZE``; a language is a filter on
it), never a Scan. Each page is one transaction: every recipient item (``B#<id>`` /
``R#<user>``, created only if absent), and the broadcast's counters and ``cursor`` (conditional
on the cursor this page started from), so a page job that runs twice writes its page once.
Then one send job per recipient and the next page's job are queued. Users who turned
notifications off are left out; users known to have blocked the bot are recorded ``blocked``
without a try.

**A send** books its slot in the bot-wide token bucket (``pacing.BROADCAST``: 25 messages/s, a
tenth under Telegram's 30) and waits for it in place when short, else goes back to the queue
until then (the slot is kept on the recipient, ``paced_at``). **At most once**: the recipient
is claimed (``waiting`` → ``sending``, conditional) right before the Bot API call and recorded
right after it, with the broadcast's counter, in one transaction. A job that finds its recipient
``sending`` came back after a crash in between, when the message may have gone: it is not sent
again but counted ``failed`` ("interrupted"), the one outcome nobody can know. Telegram's 429
puts the recipient back to ``waiting`` until its ``retry_after``; a 403 records ``blocked`` and
marks the user's session so the outbox does not try them either; a 400 is ``failed``; a
connection that never reached Telegram is tried again.

Progress is read from the counters kept on write: ``waiting`` is ``total`` less the rest;
``done`` is a running broadcast fanned out with nothing waiting. Cancel stops the fan-out and
every send not yet made (counted ``cancelled``).
"""

from __future__ import annotations

import functools
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from aws_lambda_powertools import Logger
from pynamodb.exceptions import TransactWriteError, UpdateError
from telebot import TeleBot
from telebot.apihelper import ApiTelegramException
from urllib3.exceptions import NewConnectionError

from supportbot import metrics
from supportbot.config import Config
from supportbot.notifications.jobs import Later
from supportbot.notifications.store import (
    BroadcastItem,
    RecipientItem,
    broadcast_key,
    queue_job,
    queue_jobs,
    recipient_key,
)
from supportbot.pacing import BOT_SCOPE, BROADCAST, Clock, Pacer, PacingContendedError
from supportbot.storage.conditions import condition_failed
from supportbot.storage.sessions import AUDIENCES, SessionItem, mark_bot_blocked
from supportbot.storage.transactions import transaction
from supportbot.telegram.replies import inline_markup

logger = Logger(child=True)

SCHEDULED, RUNNING, DONE, CANCELLED = "scheduled", "running", "done", "cancelled"
WAITING, SENDING, SENT, BLOCKED, FAILED = "waiting", "sending", "sent", "blocked", "failed"
USER_TYPES = ("customer", "partner")
MAX_WAIT_IN_PLACE = 1.5  # a longer wait goes back to the queue (the batch's sends run at once)
RETRY_UNREACHED = 10.0  # seconds before trying again a send that never reached Telegram
clock = time.time  # tests move it on (with SQS's and the pacer's)
CACHE_SECONDS = 1.0
INTERRUPTED = "interrupted between sending and recording: not sent again (it may have arrived)"


@dataclass(frozen=True)
class BroadcastSpec:
    text: str
    user_type: str | None = None
    language: str | None = None
    photo_url: str | None = None
    button: dict[str, str] | None = None
    start_at: float | None = None
    test_chat_id: int | None = None


def create(config: Config, spec: BroadcastSpec, now: float | None = None) -> BroadcastItem:
    """Store the broadcast and queue its first job: the first page (at ``start_at``), or the one
    send of a test (``test_chat_id``: that chat only, now)."""
    moment = clock() if now is None else now
    start = max(moment, spec.start_at or moment)
    created = datetime.fromtimestamp(moment, UTC)
    broadcast_id = f"{created:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    audience = {k: v for k, v in (("user_type", spec.user_type), ("language", spec.language)) if v}
    item = BroadcastItem(
        broadcast_key(broadcast_id),
        "-",
        id=broadcast_id,
        created=created.isoformat(),
        status=SCHEDULED if start > moment else RUNNING,
        text=spec.text,
        audience=audience,
        photo_url=spec.photo_url,
        button=spec.button,
        start_at=start,
        test_chat_id=spec.test_chat_id,
        cursor="",
    )
    if spec.test_chat_id is not None:
        item.status, item.total, item.fanned_out, item.cursor = RUNNING, 1, 1, None
        with transaction() as write:
            write.save(item)
            write.save(RecipientItem(item.pk, recipient_key(spec.test_chat_id), user_id=spec.test_chat_id))
        queue_job(config.notifications_queue_url, _send_job(broadcast_id, spec.test_chat_id))
        return item
    item.save()
    queue_job(
        config.notifications_queue_url,
        {"job": "fanout", "id": broadcast_id, "cursor": ""},
        delay=int(start - moment),
    )
    return item


def _send_job(broadcast_id: str, user_id: int) -> dict[str, Any]:
    return {"job": "send", "id": broadcast_id, "user": user_id}


def load(broadcast_id: str) -> BroadcastItem | None:
    try:
        return BroadcastItem.get(broadcast_key(broadcast_id), "-", consistent_read=True)
    except BroadcastItem.DoesNotExist:
        return None


def status_of(item: BroadcastItem) -> str:
    if item.status == RUNNING and item.fanned_out and waiting(item) == 0:
        return DONE
    return str(item.status)


def waiting(item: BroadcastItem) -> int:
    settled = int(item.sent) + int(item.blocked) + int(item.failed) + int(item.cancelled)
    return max(0, int(item.total) - settled)


def view(item: BroadcastItem) -> dict[str, Any]:
    """The admin's view: status and counts (``docs``: GET /v1/admin/broadcasts/{id})."""
    return {
        "id": item.id,
        "status": status_of(item),
        "sent": int(item.sent),
        "blocked": int(item.blocked),
        "failed": int(item.failed),
        "waiting": waiting(item),
        "cancelled": int(item.cancelled),
        "total": int(item.total),
        "text": item.text,
        "audience": item.audience or {},
        "photo_url": item.photo_url,
        "button": item.button,
        "start_at": datetime.fromtimestamp(float(item.start_at), UTC).isoformat(),
        "created_at": item.created,
        "test_chat_id": int(item.test_chat_id) if item.test_chat_id is not None else None,
        "fanned_out": bool(item.fanned_out),
    }


def listing() -> Any:
    """The Query of every broadcast, newest first (the Broadcasts index): the admin pages it
    (``supportbot_admin/pages.py``)."""
    return functools.partial(BroadcastItem.listing.query, "B", scan_index_forward=False)


def cancel(broadcast_id: str) -> BroadcastItem | None:
    """Cancel a scheduled or running broadcast; None when there is none. Raises
    ``ValueError`` when it is done or cancelled already."""
    item = load(broadcast_id)
    if item is None:
        return None
    if status_of(item) in (DONE, CANCELLED):
        raise ValueError(status_of(item))
    try:
        item.update(
            actions=[BroadcastItem.status.set(CANCELLED)],
            condition=BroadcastItem.status.is_in(SCHEDULED, RUNNING),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise ValueError(CANCELLED) from error
        raise
    return item


# Jobs


def fan_out(config: Config, job: dict[str, Any], now: float | None = None) -> None:
    """One page of the audience: recipients stored once, their sends and the next page queued."""
    moment = clock() if now is None else now
    item = load(str(job["id"]))
    if item is None or item.status == CANCELLED:
        return
    if moment < float(item.start_at):
        raise Later("scheduled", float(item.start_at) - moment)
    cursor = str(job.get("cursor") or "")
    sessions, next_cursor = audience_page(item, cursor, config.broadcast_page_size)
    recipients = [s for s in sessions if not s.notifications_off]
    if item.cursor == cursor and item.fanned_out == 0:
        _store_page(item, cursor, next_cursor, recipients)
    # Also after a page stored before (this job ran twice): a send job more is harmless.
    queue_jobs(
        config.notifications_queue_url,
        [_send_job(item.id, int(s.user_id)) for s in recipients if s.bot_blocked_at is None]
        + ([{"job": "fanout", "id": item.id, "cursor": next_cursor}] if next_cursor else []),
    )


def _store_page(
    item: BroadcastItem, cursor: str, next_cursor: str | None, recipients: list[SessionItem]
) -> None:
    blocked = sum(1 for s in recipients if s.bot_blocked_at is not None)
    try:
        with transaction() as write:
            for session in recipients:
                recipient = RecipientItem(
                    item.pk,
                    recipient_key(int(session.user_id)),
                    user_id=int(session.user_id),
                    language=session.language,
                    status=BLOCKED if session.bot_blocked_at is not None else WAITING,
                )
                write.save(recipient, condition=RecipientItem.sk.does_not_exist())
            actions: list[Any] = [
                BroadcastItem.total.add(len(recipients)),
                BroadcastItem.blocked.add(blocked),
                BroadcastItem.status.set(RUNNING),
                BroadcastItem.cursor.set(next_cursor) if next_cursor else BroadcastItem.cursor.remove(),
            ]
            if not next_cursor:
                actions.append(BroadcastItem.fanned_out.set(1))
            write.update(
                item,
                actions=actions,
                condition=(BroadcastItem.cursor == cursor) & BroadcastItem.status.is_in(SCHEDULED, RUNNING),
            )
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        logger.info("Page fanned out before (or cancelled)", extra={"broadcast": item.id, "cursor": cursor})


def audience_page(item: BroadcastItem, cursor: str, size: int) -> tuple[list[SessionItem], str | None]:
    """Up to ``size`` sessions of the audience from ``cursor`` on, and the cursor after them."""
    audience = item.audience or {}
    types = (
        [AUDIENCES[audience["user_type"]]]
        if audience.get("user_type")
        else [AUDIENCES[t] for t in USER_TYPES]
    )
    state: dict[str, Any] = json.loads(cursor) if cursor else {"type": 0, "key": None}
    index = int(state["type"])
    language = audience.get("language")
    condition = SessionItem.language == language if language else None
    result = SessionItem.audiences.query(
        types[index], limit=size, last_evaluated_key=state["key"], filter_condition=condition
    )
    sessions = list(result)
    last = result.last_evaluated_key
    if last:
        return sessions, json.dumps({"type": index, "key": last})
    if index + 1 < len(types):
        return sessions, json.dumps({"type": index + 1, "key": None})
    return sessions, None


def _never_reached(error: requests.RequestException) -> bool:
    """Whether the request surely never reached Telegram (no connection was made): only then is
    sending again safe. A connection dropped after the request went out (requests calls that a
    ConnectionError too) or a read timeout may have delivered it."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectionError) and isinstance(reason, NewConnectionError)


class _Taken(Exception):
    """Another run of the same send job claimed the recipient first."""


class BroadcastSender:
    """Sends one recipient's message (the ``send`` job), paced through the bot-wide bucket."""

    def __init__(self, config: Config, bot: TeleBot, pacer: Pacer | None = None) -> None:
        self.config = config
        self.bot = bot
        self.pacer = pacer or Pacer()
        self._cache: dict[str, tuple[float, BroadcastItem | None]] = {}

    @property
    def clock(self) -> Clock:
        return self.pacer.clock

    def _broadcast(self, broadcast_id: str) -> BroadcastItem | None:
        """The broadcast, read at most once a second per instance (its sends come in batches):
        a cancel stops the sends within that second."""
        now = self.clock.now()
        cached = self._cache.get(broadcast_id)
        if cached is None or now - cached[0] >= CACHE_SECONDS:
            cached = (now, load(broadcast_id))
            self._cache[broadcast_id] = cached
        return cached[1]

    def __call__(self, config: Config, job: dict[str, Any]) -> None:
        item = self._broadcast(str(job["id"]))
        user_id = int(job["user"])
        try:
            recipient = RecipientItem.get(
                broadcast_key(str(job["id"])), recipient_key(user_id), consistent_read=True
            )
        except RecipientItem.DoesNotExist:
            return
        if item is None:
            return
        if recipient.status == SENDING:
            self._record(item, recipient, SENDING, FAILED, INTERRUPTED)
            return
        if recipient.status != WAITING:
            return  # recorded already: a job that ran twice
        if item.status == CANCELLED:
            self._record(item, recipient, WAITING, CANCELLED, None)
            return
        try:
            self._pace(recipient)
        except _Taken:
            return
        try:
            recipient.update(
                actions=[RecipientItem.status.set(SENDING), RecipientItem.paced_at.remove()],
                condition=RecipientItem.status == WAITING,
            )
        except UpdateError as error:
            if condition_failed(error):
                return  # another run of this job has it
            raise
        outcome, reason = self._send(item, user_id, recipient)
        self._record(item, recipient, SENDING, outcome, reason)

    def _pace(self, recipient: RecipientItem) -> None:
        now = self.clock.now()
        if recipient.paced_at is not None:
            at = float(recipient.paced_at)
            if at < now:
                self.pacer.sent_late(BOT_SCOPE, BROADCAST)
        else:
            try:
                at = now + self.pacer.book(BOT_SCOPE, BROADCAST)
            except PacingContendedError as error:
                raise Later(str(error), 1.0) from error
        wait = at - now
        if wait <= 0:
            return
        if wait <= MAX_WAIT_IN_PLACE:
            self.clock.sleep(wait)
            return
        try:
            recipient.update(
                actions=[RecipientItem.paced_at.set(at)], condition=RecipientItem.status == WAITING
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
            raise _Taken from error  # another run of this job has it
        raise Later(f"paced: room in {wait:.1f} s", wait)

    def _send(self, item: BroadcastItem, user_id: int, recipient: RecipientItem) -> tuple[str, str | None]:
        button = item.button or None
        markup = inline_markup([[{"text": button["text"], "url": button["url"]}]]) if button else None
        try:
            if item.photo_url:
                self.bot.send_photo(
                    user_id, item.photo_url, caption=item.text, parse_mode="HTML", reply_markup=markup
                )
            else:
                self.bot.send_message(user_id, item.text, parse_mode="HTML", reply_markup=markup)
        except ApiTelegramException as error:
            if error.error_code == 429:
                retry_after = (error.result_json or {}).get("parameters", {}).get("retry_after") or 5
                self._release(recipient, self.clock.now() + float(retry_after))
                raise Later("Telegram rate limit (429)", float(retry_after)) from error
            if error.error_code == 403:
                if item.test_chat_id is None:
                    mark_bot_blocked(user_id)
                return BLOCKED, str(error.description)
            if error.error_code >= 500:
                self._release(recipient, None)
                raise Later(f"Telegram error {error.error_code}", RETRY_UNREACHED) from error
            return FAILED, f"Telegram refused: {error.description}"
        except requests.RequestException as error:
            if _never_reached(error):
                self._release(recipient, None)
                raise Later(f"Telegram unreachable: {type(error).__name__}", RETRY_UNREACHED) from error
            return FAILED, f"{INTERRUPTED} ({type(error).__name__})"
        return SENT, None

    @staticmethod
    def _release(recipient: RecipientItem, paced_at: float | None) -> None:
        booked = RecipientItem.paced_at.set(paced_at) if paced_at else RecipientItem.paced_at.remove()
        try:
            recipient.update(
                actions=[RecipientItem.status.set(WAITING), booked], condition=RecipientItem.status == SENDING
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise

    @staticmethod
    def _record(
        item: BroadcastItem, recipient: RecipientItem, was: str, outcome: str, reason: str | None
    ) -> None:
        counter = {
            SENT: BroadcastItem.sent,
            BLOCKED: BroadcastItem.blocked,
            FAILED: BroadcastItem.failed,
            CANCELLED: BroadcastItem.cancelled,
        }[outcome]
        try:
            with transaction() as write:
                write.update(
                    recipient,
                    actions=[
                        RecipientItem.status.set(outcome),
                        RecipientItem.reason.set(reason) if reason else RecipientItem.reason.remove(),
                    ],
                    condition=RecipientItem.status == was,
                )
                write.update(item, actions=[counter.add(1)])
        except TransactWriteError as error:
            if not condition_failed(error):
                raise
            return  # another run of this job recorded it
        if outcome != CANCELLED:
            metrics.count(metrics.BROADCAST_SENDS, Outcome=outcome)
