"""The session's dedupe window (storage/sessions.py): the user's ``KEPT`` most recent processed
update ids, counted in this user's updates, not in the bot's (update ids are bot-wide)."""

from __future__ import annotations

from supportbot.storage.sessions import KEPT, SessionItem

NEWEST = 512_000_000  # a busy bot's update ids: 9 digits


def session_after(*update_ids: int) -> SessionItem:
    item = SessionItem(1)
    for update_id in update_ids:
        item.mark_processed(update_id)
    return item


def full_window(step: int = 1) -> SessionItem:
    """A user's ``KEPT`` processed updates, ``step`` bot-wide ids apart, the newest ``NEWEST``."""
    return session_after(*range(NEWEST - (KEPT - 1) * step, NEWEST + 1, step))


def test_a_new_session_has_processed_nothing():
    item = SessionItem(1)
    assert not item.processed(500)
    assert item.kept() == []
    assert item.kept_below is None


def test_newer_ids_are_new_and_the_newest_is_processed():
    item = session_after(500)
    assert item.processed(500)
    assert not item.processed(501)
    assert (item.last_update_id, item.kept_below) == (500, None)


def test_an_older_id_not_kept_is_new_until_marked():
    item = session_after(500, 510)
    assert item.processed(500)
    assert not item.processed(505)
    item.mark_processed(505)
    assert item.processed(505)
    assert not item.processed(506)
    assert item.last_update_id == 510  # an older id never moves the newest back
    assert item.kept_below == "5,10"  # distances from the newest, ascending


def test_while_the_window_is_not_full_any_older_id_not_kept_is_new():
    item = session_after(500, 510)
    assert not item.processed(100)


def test_marking_twice_changes_nothing():
    item = session_after(500, 510, 505)
    stored = (item.last_update_id, item.kept_below)
    item.mark_processed(505)
    item.mark_processed(510)
    assert (item.last_update_id, item.kept_below) == stored


def test_on_a_busy_bot_a_late_update_far_below_the_newest_is_handled_once():
    # GIVEN a user's updates 10,000 bot-wide ids apart (other users' updates between), all but the
    # second newest handled: a full window
    late = NEWEST - 10_000
    item = session_after(*sorted(NEWEST - n * 10_000 for n in range(KEPT + 1) if n != 1))
    assert len(item.kept()) == KEPT
    # WHEN the late one arrives THEN it is new
    assert not item.processed(late)
    item.mark_processed(late)
    # AND Telegram re-delivering it (or any other kept one) is a repeat
    assert all(item.processed(kept) for kept in item.kept())
    assert late in item.kept()
    # AND the oldest kept id dropped out for it: the window stays KEPT ids wide
    assert item.kept()[-1] == NEWEST - (KEPT - 1) * 10_000
    assert item.last_update_id == NEWEST


def test_below_the_oldest_kept_id_of_a_full_window_it_cannot_know_and_says_repeat():
    item = full_window(step=1_000)
    oldest = item.kept()[-1]
    assert item.processed(oldest - 1)
    assert not item.processed(oldest + 1)  # newer than the oldest kept, not kept: new
    item.mark_processed(oldest - 1)  # a replay (which bypasses the check) keeps nothing older
    assert item.kept()[-1] == oldest


def test_the_window_never_grows_past_kept_ids():
    item = session_after(*range(1, 3 * KEPT))
    assert item.kept() == list(range(3 * KEPT - 1, 2 * KEPT - 1, -1))
    assert item.kept_below == ",".join(str(n) for n in range(1, KEPT))


def test_a_session_stored_with_only_the_newest_id_knows_only_that():
    # GIVEN a session saved before the window (only "u"), or with ad1d2e1's bitmap "w" of bot-wide ids
    for stored in ({"u": {"N": "500"}}, {"u": {"N": "500"}, "w": {"N": str((1 << 64) - 1)}}):
        item = SessionItem(1)
        item.deserialize({"user_id": {"N": "1"}, "v": {"N": "3"}, **stored})
        # THEN the newest is a repeat, an older id is new (nothing below it is known), a newer one too
        assert item.kept() == [500]
        assert item.processed(500)
        assert not item.processed(499)
        assert not item.processed(501)
        # AND the next save stores the window, not the bitmap
        item.mark_processed(499)
        assert item.serialize()["d"] == {"S": "1"}
        assert "w" not in item.serialize()
