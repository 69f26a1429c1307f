"""Telegram's flood limits, enforced by the stand-in as strictly as Telegram applies them.

Telegram documents them loosely ("about one message per second in a chat, short bursts allowed",
"no more than 20 messages per minute in a group", "about 30 messages per second" in all); here
each is a sliding window, at most N messages in any W seconds, counted per scope:

- a private chat: 5 in any 5 s (one a second, bursts of up to five);
- a group or supergroup: 20 in any 60 s;
- the bot as a whole: 30 in any 1 s.

Every sending method counts (``send*`` but sendChatAction, copy and forward), an album as its
number of messages; edits, callback answers and reads do not. A call over a limit is answered as
Telegram answers it, 429 ``Too Many Requests: retry after N`` with ``parameters.retry_after`` = N
(whole seconds until the window has room), and sends nothing. An album larger than a window
goes only into an empty one (it could never fit otherwise). ``World(rate_limits=False)`` turns the
limits off for tests that are not about them. Refusals are kept (``refusals``) so the web chat
can show a person that a 429 was answered.

>>> clock = [1000.0]
>>> limits = FloodControl(lambda: clock[0])
>>> [limits.refusal("private:1", 1, PRIVATE_CHAT) for _ in range(6)][-2:]
[None, 5]
>>> clock[0] += 5
>>> limits.refusal("private:1", 1, PRIVATE_CHAT) is None
True
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Window:
    """At most ``messages`` in any ``seconds``."""

    messages: int
    seconds: float


PRIVATE_CHAT = Window(5, 5.0)
GROUP = Window(20, 60.0)
OVERALL = Window(30, 1.0)
UNCOUNTED = frozenset({"sendChatAction"})
BATCHES = {"sendMediaGroup": "media", "copyMessages": "message_ids", "forwardMessages": "message_ids"}


@dataclass(frozen=True)
class Refusal:
    """A 429 the stand-in answered: to which chat, for which method, when, how long to wait."""

    seq: int
    chat_id: int
    method: str
    at: float
    retry_after: int


def messages_sent(method: str, params: dict[str, Any]) -> int:
    """How many messages a call sends (0: not a sending call)."""
    if method in BATCHES:
        return len(params.get(BATCHES[method]) or [])
    if method in UNCOUNTED:
        return 0
    return 1 if method.startswith(("send", "copy", "forward")) else 0


class FloodControl:
    """The sliding windows of one simulated Telegram (callers hold the world's lock)."""

    def __init__(self, clock: Callable[[], float], enabled: bool = True) -> None:
        self.clock = clock
        self.enabled = enabled
        self.sent: dict[str, deque[tuple[float, int]]] = {}
        self.refusals: list[Refusal] = []

    def admit(self, chat_id: int, private: bool, method: str, count: int) -> int | None:
        """Record ``count`` messages to the chat, or return the retry_after of a 429 (nothing recorded)."""
        if not self.enabled or count <= 0:
            return None
        scopes = [(f"chat:{chat_id}", PRIVATE_CHAT if private else GROUP), ("bot", OVERALL)]
        waits = [self.refusal(scope, count, window, record=False) for scope, window in scopes]
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            self.refusals.append(Refusal(len(self.refusals), chat_id, method, self.clock(), wait))
            return wait
        for scope, window in scopes:
            self.refusal(scope, count, window)
        return None

    def refusal(self, scope: str, count: int, window: Window, record: bool = True) -> int | None:
        """Seconds to wait before ``count`` more messages fit the scope's window (None: they fit now,
        and are recorded unless ``record`` is false)."""
        now = self.clock()
        sent = self.sent.setdefault(scope, deque())
        while sent and sent[0][0] <= now - window.seconds:
            sent.popleft()
        used = sum(n for _, n in sent)
        if used == 0 or used + count <= window.messages:
            if record:
                sent.append((now, count))
            return None
        freed = 0
        for at, n in sent:
            freed += n
            if used - freed == 0 or used - freed + count <= window.messages:
                return max(1, math.ceil(at + window.seconds - now))
        raise AssertionError("unreachable: the window empties at the latest")
