"""How the Telegram desk groups a message's parts into posts (``telegram_desk.posts``)."""

from __future__ import annotations

from supportbot.support.messages import Part
from supportbot.support.telegram_desk import MAX_COPIES, posts


def part(message_id: int | None, kind: str = "image") -> Part:
    return Part(kind=kind, message_id=message_id)  # type: ignore[no-untyped-call]


def test_a_file_and_its_caption_are_one_copy_and_our_own_text_is_posted():
    parts = [part(None, "text"), part(7), part(7, "text"), part(8)]
    assert posts(parts, 0, album=False) == [(0, 1, []), (1, 2, [7]), (3, 1, [8])]
    assert posts(parts, 3, album=False) == [(3, 1, [8])]  # resumed after what was posted


def test_an_album_is_one_copy_call_within_telegrams_rules():
    assert posts([part(7), part(7, "text"), part(8), part(9)], 0, album=True) == [(0, 4, [7, 8, 9])]
    # ids must increase: a part that came out of order starts another call
    assert posts([part(9), part(8)], 0, album=True) == [(0, 1, [9]), (1, 1, [8])]
    many = [part(n) for n in range(1, MAX_COPIES + 2)]
    assert [len(ids) for _, _, ids in posts(many, 0, album=True)] == [MAX_COPIES, 1]
