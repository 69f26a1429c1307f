"""The session's dedupe window (storage/sessions.py): the newest update id and a bitmap of the
``WINDOW`` ids below it, as IPsec's anti-replay window."""

from __future__ import annotations

from supportbot.storage.sessions import WINDOW, SessionItem


def session_after(*update_ids: int) -> SessionItem:
    item = SessionItem(1)
    for update_id in update_ids:
        item.mark_processed(update_id)
    return item


def test_a_new_session_has_processed_nothing():
    item = SessionItem(1)
    assert not item.processed(500)
    assert item.processed_below is None


def test_newer_ids_are_new_and_the_newest_is_processed():
    item = session_after(500)
    assert item.processed(500)
    assert not item.processed(501)
    assert (item.last_update_id, item.processed_below) == (500, None)


def test_an_older_id_inside_the_window_is_new_until_marked():
    item = session_after(500, 510)
    assert item.processed(500)  # slid into the window when 510 came
    assert not item.processed(505)
    item.mark_processed(505)
    assert item.processed(505)
    assert not item.processed(506)
    assert item.last_update_id == 510  # an older id never moves the newest back


def test_marking_twice_changes_nothing():
    item = session_after(500, 510, 505)
    bits = item.processed_below
    item.mark_processed(505)
    item.mark_processed(510)
    assert (item.last_update_id, item.processed_below) == (510, bits)


def test_the_window_edge():
    item = session_after(1000, 1000 + WINDOW)
    assert item.processed(1000)  # exactly WINDOW below the newest: still remembered
    assert not item.processed(1001)
    assert item.processed(999)  # older than the window: taken as processed


def test_a_jump_past_the_window_forgets_everything_below():
    item = session_after(1000, 1003, 1000 + WINDOW + 1)
    assert item.processed_below == 1 << (WINDOW - 3)  # 1003 is WINDOW - 2 below the newest
    item = session_after(1000, 1000 + WINDOW + 1)
    assert item.processed_below is None
    assert item.processed(1000)  # out of the window


def test_the_bitmap_never_grows_past_the_window():
    item = session_after(*range(1, 3 * WINDOW))
    assert item.processed_below == (1 << WINDOW) - 1
    assert all(item.processed(n) for n in range(1, 3 * WINDOW))
