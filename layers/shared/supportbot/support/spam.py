"""Anti-spam: a customer sending more than ``SPAM_LIMIT_PER_MINUTE`` messages a minute is asked
once to slow down. Nothing is dropped: every message is stored and queued as ever, and the outbox
delivers them in order, paced (``pacing.py``); this only tells the customer.

The count lives in the user's session (``ctx.user_data["spam"]``), which every update already reads
and saves: it costs no request, and a session race re-runs the handler on the winner's save, so no
message counts twice. It is ``[minute, count, told]``: the calendar minute (UTC, of Telegram's
``date``) being counted, its messages so far, and the last minute of a burst the customer was told
in. A burst goes on while each minute is past the limit or follows one that was: told once.
"""

from __future__ import annotations

KEY = "spam"

Window = list[int | None]


def too_fast(window: Window | None, sent_at: int, limit: int) -> tuple[Window, bool]:
    """Count a message sent at ``sent_at`` (epoch seconds): the new window, and True for the one
    message to answer with "slow down"."""
    counted, count, told = window or (None, 0, None)
    # A late, older update counts in the minute being counted: the window never goes back.
    minute = sent_at // 60 if counted is None else max(sent_at // 60, counted)
    count = (count or 0) + 1 if minute == counted else 1
    if count <= limit:
        return [minute, count, told], False
    burst_goes_on = told is not None and told >= minute - 1
    return [minute, count, minute], not burst_goes_on
