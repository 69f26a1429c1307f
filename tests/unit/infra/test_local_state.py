"""What the local stack keeps across restarts: the console's and the sandbox's JSON, the state folder."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from infra.blinger import BlingerConsole
from infra.botapi import World
from infra.botapi.snapshot import restore, snapshot
from infra.localstack.persistence import AWS_WRITES, LocalState


def test_the_consoles_conversations_and_files_round_trip_as_json() -> None:
    with BlingerConsole("app-token", "telegram") as console:
        post = {"custom_channel_id": "telegram", "client_id": "42", "type": "text", "data": "Hi",
                "client_name": "Ann", "info": {"order": {"id": "A1", "number": "10"}}}  # fmt: skip
        requests.post(console.send_url, json=post, headers={"Authorization": "Bearer app-token"}, timeout=5)
        console.inbox.set_status("42", "assigned", console.inbox.operator("Мария"))
        upload = console.add_file("photo.png", b"png-bytes", "image/png")
        saved = json.loads(json.dumps(console.snapshot()))
    again = BlingerConsole("app-token", "telegram")
    again.restore(saved)
    thread = again.conversation("42")
    assert thread is not None
    assert (thread.client_name, thread.status, thread.operator and thread.operator.name) == (
        "Ann",
        "assigned",
        "Мария",
    )
    assert [m.data for m in thread.messages] == ["Hi"]
    assert thread.info == {"order": {"id": "A1", "number": "10"}}
    with again:
        path = upload.removeprefix(console.base_url)
        assert requests.get(again.base_url + path, timeout=5).content == b"png-bytes"
    # AND new ids go on from the saved ones
    assert again.inbox.operator("Пётр").id == 2


def test_the_sandbox_world_round_trips_with_files_keyboards_and_pending_updates() -> None:
    world = World()
    world.add_user(7, first_name="Ann", phone_number="+79990001122")
    world.add_group(-100, "Warehouse", members=(7,))
    world.user_sends_photo(7, b"\x89PNG-bytes", caption="box")
    world.chats[7].reply_keyboard = {"keyboard": [[{"text": "Share", "request_contact": True}]]}
    again = World()
    restore(again, json.loads(json.dumps(snapshot(world))))
    photo = again.message(7, 1)
    assert (photo.caption, again.files[photo.photo[0]["file_id"]].data) == ("box", b"\x89PNG-bytes")
    assert again.chats[-100].members == {7}
    assert again.chats[7].reply_keyboard == world.chats[7].reply_keyboard
    assert [u["update_id"] for u in again.pending] == [u["update_id"] for u in world.pending]
    # AND the next message and update ids follow on
    nxt = again.user_sends_text(7, "hi")
    assert nxt["message"]["message_id"] == 2
    assert nxt["update_id"] > world.updates[-1]["update_id"]


def test_the_state_folder_saves_atomically_ignores_unreadable_files_and_starts_fresh(tmp_path: Path) -> None:
    state = LocalState(tmp_path / "state")
    state.save("sandbox", {"a": 1})
    assert state.load("sandbox") == {"a": 1}
    assert not list((tmp_path / "state").glob("*.partial"))
    (tmp_path / "state" / "blinger.json").write_text("{not json", encoding="utf-8")
    assert state.load("blinger") is None  # said in the log; the console starts empty
    (tmp_path / "state" / AWS_WRITES).write_text('{"url": "x"}\n', encoding="utf-8")
    assert LocalState(tmp_path / "state").has_aws
    assert not LocalState(tmp_path / "state", fresh=True).has_aws
    assert LocalState(tmp_path / "state").load("sandbox") is None
