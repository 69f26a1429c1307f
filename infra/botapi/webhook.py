"""Webhook delivery of the world's pending updates, the way Telegram does it.

While `world.webhook` is set (by setWebhook), a `WebhookDeliverer` posts `world.pending` updates to
its URL with the secret header (`delivery.post_update`):

- per chat, one update in flight at a time and in order; different chats in parallel, at most
  min(max_connections, `DeliveryConfig.max_threads`) at once;
- an update is delivered when the webhook answers 2xx: it leaves `pending`, and a method call in
  the answer's body is executed through `dispatch` (validated and recorded like any call) before
  the chat's next update goes out;
- a non-2xx answer, a timeout or a refused connection is retried (at once, then 2 s, 4 s, 8 s ...
  capped at 60 s: `telegram_backoff`) while **the chat's later updates wait behind it**; the
  failure shows in getWebhookInfo's last_error_date/last_error_message; after `give_up_after`
  seconds of failures the update is dropped, as Telegram does after about a day;
- updates of kinds outside the webhook's allowed_updates are dropped, not delivered;
- deleteWebhook stops delivery (an update already in flight finishes); getUpdates then sees what
  is still pending.

It calls the local http URL as given (not Telegram's HTTPS/port rules).

>>> [telegram_backoff(n) for n in range(1, 9)]
[0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
>>> chat_key({"update_id": 1, "callback_query": {"from": {"id": 5}, "message": {"chat": {"id": -9}}}})
-9
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from infra.botapi.delivery import DeliveryResult, post_update, split_call
from infra.botapi.methods import dispatch
from infra.botapi.models import JSON, Webhook
from infra.botapi.world import World

# What Telegram sends when allowed_updates is not given: everything but these three.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

Poster = Callable[[str, "str | None", JSON, float], DeliveryResult]


def telegram_backoff(failures: int) -> float:
    """Seconds to wait before retrying after the `failures`-th failure: 0, 2, 4, 8 ... 60."""
    return 0.0 if failures <= 1 else float(min(2 ** (failures - 1), 60))


@dataclass
class DeliveryConfig:
    """Knobs of the local deliverer (defaults: as Telegram, with a small local thread pool)."""

    max_threads: int = 8  # caps the webhook's max_connections (Telegram's default is 40)
    timeout: float = 60.0  # seconds Telegram waits for the webhook's answer
    backoff: Callable[[int], float] = telegram_backoff  # failures so far -> seconds to wait
    give_up_after: float = 24 * 3600.0  # seconds of failures before an update is dropped
    idle_poll: float = 1.0  # the scheduler re-checks at least this often
    post: Poster = field(
        default=lambda url, secret, update, timeout: post_update(url, secret, update, timeout)
    )


def update_kind(update: JSON) -> str:
    return next((k for k in update if k != "update_id"), "")


def chat_key(update: JSON) -> int | str:
    """The chat an update belongs to (its ordering queue); the sender for chat-less updates."""
    payload = update.get(update_kind(update))
    if not isinstance(payload, dict):
        return f"update:{update.get('update_id')}"
    for holder in (payload, payload.get("message")):
        if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
            return int(holder["chat"]["id"])
    sender = payload.get("from") or payload.get("user")
    if isinstance(sender, dict) and "id" in sender:
        return int(sender["id"])
    return f"update:{update.get('update_id')}"


@dataclass
class _Retry:
    update_id: int
    failures: int = 0
    first_failure: float = 0.0
    next_at: float = 0.0


@dataclass
class Attempt:
    """One delivery attempt, for tests and the sandbox page."""

    update_id: int
    chat: int | str
    status: int
    error: str | None
    at: float


class WebhookDeliverer:
    """Threads that deliver `world.pending` to `world.webhook` (started by BotApiServer).

    `attempts` logs every attempt (last 1000).
    """

    def __init__(self, world: World, config: DeliveryConfig | None = None) -> None:
        self.world = world
        self.config = config or DeliveryConfig()
        self.attempts: list[Attempt] = []
        self._in_flight: dict[int | str, int] = {}  # chat -> update_id being delivered
        self._retry: dict[int | str, _Retry] = {}
        self._hook: Webhook | None = None
        self._jobs: queue.Queue[tuple[Webhook, int | str, JSON] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stopping = False

    # ---- life cycle ---------------------------------------------------------------------------
    def start(self) -> WebhookDeliverer:
        if self._threads:
            return self
        self._stopping = False
        self._threads = [threading.Thread(target=self._schedule_loop, name="webhook-scheduler", daemon=True)]
        for n in range(max(1, self.config.max_threads)):
            self._threads.append(threading.Thread(target=self._work_loop, name=f"webhook-{n}", daemon=True))
        for t in self._threads:
            t.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop scheduling; workers finish (or abandon, being daemons) what is in flight."""
        with self.world.lock:
            self._stopping = True
            self.world.changed.notify_all()
        for _ in self._threads[1:]:
            self._jobs.put(None)
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._threads = []

    def __enter__(self) -> WebhookDeliverer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def in_flight(self) -> dict[int | str, int]:
        with self.world.lock:
            return dict(self._in_flight)

    # ---- scheduling ---------------------------------------------------------------------------
    def _schedule_loop(self) -> None:
        world = self.world
        with world.lock:
            while not self._stopping:
                wait = self._schedule()
                world.changed.wait(min(wait, self.config.idle_poll))

    def _schedule(self) -> float:
        """Hand each chat's first pending update to a worker when its turn has come.

        Runs under world.lock; returns how long the loop may sleep before a retry is due.
        """
        world, hook = self.world, self.world.webhook
        if hook is not self._hook:
            self._hook = hook
            self._retry.clear()  # a new webhook (or none): retry at once
        if hook is None:
            return self.config.idle_poll
        allowed = set(hook.allowed_updates) if hook.allowed_updates else None
        limit = max(1, min(hook.max_connections, self.config.max_threads))
        now = time.monotonic()
        sleep = self.config.idle_poll
        seen: set[int | str] = set()
        for update in list(world.pending):
            kind = update_kind(update)
            if (kind not in allowed) if allowed is not None else (kind in NOT_BY_DEFAULT):
                world.pending.remove(update)
                continue
            key = chat_key(update)
            if key in seen:
                continue  # the chat's earlier update goes first
            seen.add(key)
            if key in self._in_flight:
                continue
            retry = self._retry.get(key)
            if retry is not None and retry.update_id != update["update_id"]:
                del self._retry[key]  # that update is gone (dropped): start afresh
                retry = None
            if retry is not None and retry.next_at > now:
                sleep = min(sleep, retry.next_at - now)
                continue
            if len(self._in_flight) >= limit:
                break
            self._in_flight[key] = update["update_id"]
            self._jobs.put((hook, key, update))
        return max(sleep, 0.005)

    # ---- delivering ---------------------------------------------------------------------------
    def _work_loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            hook, key, update = job
            try:
                result = self.config.post(hook.url, hook.secret_token, update, self.config.timeout)
            except Exception as e:  # a broken injected poster must not kill the worker
                result = DeliveryResult(0, None, f"Failed to deliver the update: {e}")
            self._finish(hook, key, update, result)

    def _finish(self, hook: Webhook, key: int | str, update: JSON, result: DeliveryResult) -> None:
        world = self.world
        with world.lock:
            now = time.monotonic()
            self.attempts.append(Attempt(update["update_id"], key, result.status, result.error, now))
            del self.attempts[:-1000]
            try:
                if result.ok:
                    self._delivered(key, update, result)
                else:
                    self._failed(hook, key, update, result, now)
            finally:
                self._in_flight.pop(key, None)
                world.touch()

    def _delivered(self, key: int | str, update: JSON, result: DeliveryResult) -> None:
        world = self.world
        self._retry.pop(key, None)
        world.pending[:] = [u for u in world.pending if u["update_id"] != update["update_id"]]
        if result.method_call is not None:
            method, params = split_call(result.method_call)
            dispatch(world, world.token, method, params)

    def _failed(
        self, hook: Webhook, key: int | str, update: JSON, result: DeliveryResult, now: float
    ) -> None:
        world = self.world
        hook.last_error_date = world.now()
        hook.last_error_message = result.error or f"Wrong response from the webhook: {result.status}"
        retry = self._retry.get(key)
        if retry is None or retry.update_id != update["update_id"]:
            retry = self._retry[key] = _Retry(update["update_id"], first_failure=now)
        retry.failures += 1
        if now - retry.first_failure >= self.config.give_up_after:
            self._retry.pop(key, None)
            world.pending[:] = [u for u in world.pending if u["update_id"] != update["update_id"]]
            return
        retry.next_at = now + max(0.0, self.config.backoff(retry.failures))
