"""A World as JSON and back: what the local stack's sandbox saves on stop and loads on start.

Kept: users, chats (members, the keyboard shown, a forum's topics), messages, files (base64), callback queries and
their answers, bot commands, updates not yet delivered (delivered after the restart, as Telegram
keeps them) and the id counters (so ids keep growing). Not kept: the log of calls and of every
update ever produced (test aids), injected failures, the webhook (set again on start).

>>> import json
>>> w = World()
>>> _ = w.add_user(7, first_name="Ann")
>>> _ = w.user_sends_text(7, "/start")
>>> again = World()
>>> restore(again, json.loads(json.dumps(snapshot(w))))
>>> again.message(7, 1).text, again.pending[0]["message"]["text"], again.user_sends_text(7, "hi")["update_id"]
('/start', '/start', 100000002)
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from infra.botapi.models import JSON, CallbackQuery, Chat, Message, StoredFile, Topic, User
from infra.botapi.world import World

FORMAT = 1


def snapshot(world: World) -> JSON:
    with world.lock:
        next_id, next_update_id = world.counters()
        return {
            "format": FORMAT,
            "users": [dataclasses.asdict(u) for u in world.users.values()],
            "chats": [dataclasses.asdict(c) | {"members": sorted(c.members)} for c in world.chats.values()],
            "messages": [dataclasses.asdict(m) for box in world.messages.values() for m in box.values()],
            "files": [
                dataclasses.asdict(f) | {"data": base64.b64encode(f.data).decode("ascii")}
                for f in world.files.values()
            ],
            "callback_queries": [dataclasses.asdict(q) for q in world.callback_queries.values()],
            "callback_answers": world.callback_answers,
            "commands": world.commands,
            "pending": world.pending,
            "next_id": next_id,
            "next_update_id": next_update_id,
            "version": world.version,
        }


def restore(world: World, data: dict[str, Any]) -> None:
    """Load a `snapshot` into `world` (a fresh one, for the same bot)."""
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown sandbox state format {data.get('format')!r}")
    with world.lock:
        for raw in data["users"]:
            world.users[raw["id"]] = User(**raw)
        for raw in data["chats"]:
            # A forum's topics come back keyed by their thread ids (JSON keys are strings).
            topics = {int(thread): Topic(**topic) for thread, topic in (raw.get("topics") or {}).items()}
            world.chats[raw["id"]] = Chat(**(raw | {"members": set(raw["members"]), "topics": topics}))
            world.messages.setdefault(raw["id"], {})
        for raw in data["messages"]:
            world.messages.setdefault(raw["chat_id"], {})[raw["message_id"]] = Message(**raw)
        for raw in data["files"]:
            world.files[raw["file_id"]] = StoredFile(**(raw | {"data": base64.b64decode(raw["data"])}))
        for raw in data["callback_queries"]:
            world.callback_queries[raw["id"]] = CallbackQuery(**raw)
        world.callback_answers = list(data["callback_answers"])
        world.commands = dict(data["commands"])
        world.pending = list(data["pending"])
        world.continue_counters(data["next_id"], data["next_update_id"])
        world.version = max(world.version, int(data["version"])) + 1
        world.touch()


__all__ = ["restore", "snapshot"]
