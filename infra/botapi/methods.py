"""What the Bot API methods a support bot uses do to the world, with Telegram's refusals.

`dispatch()` is the whole request pipeline (token, method, injected failures, validation, the
method's behaviour, a self-check of the result against the spec, the call log); the HTTP server
and the webhook deliverer (a method call in the webhook's answer) both go through it.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.botapi.formatting import parse_text
from infra.botapi.limits import messages_sent
from infra.botapi.models import JSON, Call, Chat, Message, StoredFile, Topic, Webhook
from infra.botapi.spec import load_spec
from infra.botapi.validation import (
    BotApiError,
    SpecViolation,
    UploadedFile,
    check_object,
    resolve_method,
    validate_call,
)
from infra.botapi.world import CONTENT_KEYS as CONTENT_FIELDS
from infra.botapi.world import World

Handler = Callable[[World, dict[str, Any]], Any]
HANDLERS: dict[str, Handler] = {}
CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
# The content that carries a caption (editMessageCaption refuses the rest).
CAPTIONED = ("photo", "document", "audio", "video", "voice")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


@dataclass
class Reply:
    """An HTTP answer: status and a JSON body (or raw bytes, for injected proxy failures)."""

    status: int
    body: JSON | bytes


def dispatch(world: World, token: str, method: str, params: dict[str, Any]) -> Reply:
    """Run one Bot API call against the world and record it in `world.calls`."""
    if token != world.token:
        return Reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    name = resolve_method(method) or method
    decoded: dict[str, Any] = dict(params)
    try:
        if resolve_method(method) is None:
            raise BotApiError(404, "Not Found")
        failure = world.take_failure(name)
        if failure is not None:
            reply = Reply(failure.status, failure.body)
        else:
            decoded = validate_call(name, params)
            _legacy_reply_to(name, params, decoded)
            with world.lock:
                _within_flood_limits(world, name, decoded)
                result = _run(world, name, decoded)
                returns = load_spec().methods[name].returns
                if world.check_results:
                    check_object(returns, result)
            reply = Reply(200, {"ok": True, "result": result})
    except BotApiError as e:
        reply = Reply(e.error_code, e.to_dict())
    except SpecViolation as e:
        reply = Reply(
            500, {"ok": False, "error_code": 500, "description": f"Internal Server Error: stand-in bug: {e}"}
        )
    body = reply.body if isinstance(reply.body, dict) else {"raw": reply.body.decode("utf-8", "replace")}
    with world.lock:
        world.calls.append(Call(name, decoded, reply.status, body))
        if not name.startswith("get"):
            world.touch()  # the sandbox page sees sends, edits, deletions and answers at once
    return reply


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def _run(world: World, name: str, p: dict[str, Any]) -> Any:
    fn = HANDLERS.get(name)
    if fn is not None:
        return fn(world, p)
    if load_spec().methods[name].returns == ("Boolean",):
        return True  # a documented "Returns True on success" method with nothing to simulate
    raise BotApiError(400, "Bad Request: method not supported by the local stand-in")


def _within_flood_limits(world: World, name: str, p: dict[str, Any]) -> None:
    """Telegram's 429 for a send over its flood limits (``limits.py``); nothing is sent then."""
    count = messages_sent(name, p)
    if not count or "chat_id" not in p:
        return
    try:
        chat = _chat(world, p["chat_id"], sending=False)
    except BotApiError:
        return  # the method itself answers "chat not found"
    wait = world.flood.admit(chat.id, chat.type == "private", name, count)
    if wait is not None:
        raise BotApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})


def _legacy_reply_to(name: str, raw: dict[str, Any], decoded: dict[str, Any]) -> None:
    """reply_to_message_id is gone from the docs since Bot API 7.0 but Telegram still honours it."""
    value = raw.get("reply_to_message_id")
    if value is None or "reply_parameters" in decoded or not str(value).lstrip("-").isdigit():
        return
    if any(f.name == "reply_parameters" for f in load_spec().methods[name].fields):
        decoded["reply_parameters"] = {"message_id": int(str(value))}
        allow = str(raw.get("allow_sending_without_reply", "")).lower()
        if allow in ("true", "1"):
            decoded["reply_parameters"]["allow_sending_without_reply"] = True


# ---- helpers ----------------------------------------------------------------------------------
def _chat(world: World, chat_id: Any, *, sending: bool = True) -> Chat:
    chat: Chat | None
    if isinstance(chat_id, str):
        chat = next((c for c in world.chats.values() if c.username and "@" + c.username == chat_id), None)
    else:
        chat = world.chats.get(chat_id)
    if chat is None:
        raise BotApiError(400, "Bad Request: chat not found")
    if sending and chat.type == "private":
        user = world.users.get(chat.id)
        if user is not None and user.blocked_bot:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
    return chat


def _reply_to(world: World, chat: Chat, p: dict[str, Any]) -> int | None:
    rp = p.get("reply_parameters")
    if not rp:
        return None
    target = world.messages.get(
        rp.get("chat_id", chat.id) if isinstance(rp.get("chat_id"), int) else chat.id, {}
    )
    m = target.get(rp["message_id"])
    if m is None or m.deleted:
        if rp.get("allow_sending_without_reply"):
            return None
        raise BotApiError(400, "Bad Request: message to be replied not found")
    return int(rp["message_id"])


def _text(p: dict[str, Any], key: str, entities_key: str) -> tuple[str, list[JSON]]:
    raw = p.get(key) or ""
    if p.get(entities_key):
        return raw.strip(), list(p[entities_key])
    return parse_text(raw, p.get("parse_mode"))


def _thread(chat: Chat, p: dict[str, Any]) -> int | None:
    """The forum topic a send goes to: it must exist and be open (General, thread 1, is not ours)."""
    thread_id = p.get("message_thread_id")
    if thread_id is None or not chat.is_forum:
        return None  # Telegram ignores a thread id outside forums
    topic = chat.topics.get(thread_id)
    if topic is None or topic.deleted:
        raise BotApiError(400, "Bad Request: message thread not found")
    if topic.closed and not chat.can_manage_topics:
        raise BotApiError(400, "Bad Request: TOPIC_CLOSED")
    return int(thread_id)


def _send(world: World, chat: Chat, p: dict[str, Any], **content: Any) -> Message:
    reply_to = _reply_to(world, chat, p)
    markup = p.get("reply_markup")
    thread_id = _thread(chat, p)
    m = world.new_message(
        chat.id,
        world.bot.id,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        message_thread_id=thread_id,
        **content,
    )
    if markup is not None:
        if "keyboard" in markup:
            chat.reply_keyboard = markup
        elif "remove_keyboard" in markup:
            chat.reply_keyboard = None
    return m


def _caption(p: dict[str, Any]) -> dict[str, Any]:
    if not p.get("caption"):
        return {}
    caption, entities = _text(p, "caption", "caption_entities")
    return {
        "caption": caption,
        "raw_caption": p["caption"],
        "caption_entities": entities,
        "parse_mode": p.get("parse_mode"),
    }


def _file(world: World, value: Any, kind: str) -> StoredFile:
    """An upload, an existing file_id of the right kind, or a URL (recorded, not fetched)."""
    if isinstance(value, UploadedFile):
        if not value.data:
            raise BotApiError(400, "Bad Request: file must be non-empty")
        return world.store_file(
            value.data, kind, file_name=value.filename, mime_type=value.content_type or None
        )
    value = str(value)
    if value.startswith(("http://", "https://")):
        return world.store_file(b"", kind, file_name=value.rsplit("/", 1)[-1] or None, url=value)
    f = world.files.get(value)
    if f is None:
        raise BotApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
    if f.kind != kind:
        raise BotApiError(400, f"Bad Request: can't use file of type {f.kind.title()} as {kind.title()}")
    return f


def _editable(world: World, p: dict[str, Any]) -> Message:
    if "inline_message_id" in p:
        raise BotApiError(400, "Bad Request: inline messages are not supported by the local stand-in")
    chat = _chat(world, p["chat_id"])
    m = world.messages.get(chat.id, {}).get(p["message_id"])
    if m is None or m.deleted:
        raise BotApiError(400, "Bad Request: message to edit not found")
    if m.sender_id != world.bot.id:
        raise BotApiError(400, "Bad Request: message can't be edited")
    return m


def _edited(world: World, m: Message, **changes: Any) -> JSON:
    before = {k: getattr(m, k) for k in changes}
    compare = {k: v for k, v in changes.items() if k not in ("raw_text", "raw_caption", "parse_mode")}
    if all(before[k] == v for k, v in compare.items()):
        raise BotApiError(400, NOT_MODIFIED)
    for k, v in changes.items():
        setattr(m, k, v)
    m.edit_date = world.now()
    return world.message_dict(m)


# ---- methods ----------------------------------------------------------------------------------
@handler("getMe")
def get_me(world: World, p: dict[str, Any]) -> JSON:
    return {
        **world.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


@handler("sendMessage")
def send_message(world: World, p: dict[str, Any]) -> JSON:
    chat = _chat(world, p["chat_id"])
    text, entities = _text(p, "text", "entities")
    m = _send(
        world, chat, p, text=text, raw_text=p["text"], parse_mode=p.get("parse_mode"), entities=entities
    )
    return world.message_dict(m)


@handler("sendPhoto")
def send_photo(world: World, p: dict[str, Any]) -> JSON:
    chat = _chat(world, p["chat_id"])
    f = _file(world, p["photo"], "photo")
    m = _send(world, chat, p, photo=world.photo_sizes(f), **_caption(p))
    return world.message_dict(m)


@handler("sendDocument")
def send_document(world: World, p: dict[str, Any]) -> JSON:
    chat = _chat(world, p["chat_id"])
    f = _file(world, p["document"], "document")
    m = _send(world, chat, p, document=world.document_dict(f), **_caption(p))
    return world.message_dict(m)


@handler("sendMediaGroup")
def send_media_group(world: World, p: dict[str, Any]) -> list[JSON]:
    chat = _chat(world, p["chat_id"])
    kinds = {item["type"] for item in p["media"]}
    if len(kinds) > 1 and kinds & {"document", "audio"}:
        raise BotApiError(
            400,
            f"Bad Request: {sorted(kinds & {'document', 'audio'})[0]} can't be mixed with other media types",
        )
    if kinds - {"photo", "document"}:
        raise BotApiError(
            400, "Bad Request: only photo and document albums are supported by the local stand-in"
        )
    group_id = str(13_000_000_000_000_000 + world.next_id())
    reply_to = _reply_to(world, chat, p)
    out = []
    for item in p["media"]:
        kind = item["type"]
        f = _file(world, item["media"], kind)
        media = {"photo": world.photo_sizes(f)} if kind == "photo" else {"document": world.document_dict(f)}
        m = world.new_message(
            chat.id,
            world.bot.id,
            media_group_id=group_id,
            reply_to_message_id=reply_to,
            **media,
            **_caption(item),
        )
        out.append(world.message_dict(m))
    return out


@handler("editMessageText")
def edit_message_text(world: World, p: dict[str, Any]) -> JSON:
    m = _editable(world, p)
    if m.text is None:
        raise BotApiError(400, "Bad Request: there is no text in the message to edit")
    text, entities = _text(p, "text", "entities")
    return _edited(
        world,
        m,
        text=text,
        entities=entities,
        raw_text=p["text"],
        parse_mode=p.get("parse_mode"),
        reply_markup=p.get("reply_markup"),
    )


@handler("editMessageCaption")
def edit_message_caption(world: World, p: dict[str, Any]) -> JSON:
    m = _editable(world, p)
    if all(getattr(m, key) is None for key in CAPTIONED):
        raise BotApiError(400, "Bad Request: there is no caption in the message to edit")
    c = _caption(p)
    return _edited(
        world,
        m,
        caption=c.get("caption"),
        caption_entities=c.get("caption_entities", []),
        raw_caption=c.get("raw_caption"),
        reply_markup=p.get("reply_markup"),
    )


@handler("editMessageReplyMarkup")
def edit_message_reply_markup(world: World, p: dict[str, Any]) -> JSON:
    m = _editable(world, p)
    return _edited(world, m, reply_markup=p.get("reply_markup"))


@handler("deleteMessage")
def delete_message(world: World, p: dict[str, Any]) -> bool:
    chat = _chat(world, p["chat_id"], sending=False)
    m = world.messages.get(chat.id, {}).get(p["message_id"])
    if m is None or m.deleted:
        raise BotApiError(400, "Bad Request: message to delete not found")
    m.deleted = True
    return True


@handler("answerCallbackQuery")
def answer_callback_query(world: World, p: dict[str, Any]) -> bool:
    q = world.callback_queries.get(p["callback_query_id"])
    if q is None or q.answered or world.clock() - q.date > world.callback_timeout:
        raise BotApiError(
            400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
        )
    q.answered = True
    world.callback_answers.append(dict(p))
    return True


@handler("sendChatAction")
def send_chat_action(world: World, p: dict[str, Any]) -> bool:
    _chat(world, p["chat_id"])
    if p["action"] not in CHAT_ACTIONS:
        raise BotApiError(400, "Bad Request: wrong parameter action in request")
    return True


@handler("getFile")
def get_file(world: World, p: dict[str, Any]) -> JSON:
    f = world.files.get(p["file_id"])
    if f is None:
        raise BotApiError(400, "Bad Request: invalid file_id")
    return {
        "file_id": f.file_id,
        "file_unique_id": f.file_unique_id,
        "file_size": len(f.data),
        "file_path": f.file_path,
    }


@handler("setWebhook")
def set_webhook(world: World, p: dict[str, Any]) -> bool:
    url = p["url"]
    if p.get("drop_pending_updates"):
        world.pending.clear()
    if not url:
        world.webhook = None
        return True
    if not url.startswith(("http://", "https://")):
        raise BotApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.get("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise BotApiError(400, "Bad Request: secret token contains unallowed characters")
    connections = p.get("max_connections", 40)
    if not 1 <= connections <= 100:
        raise BotApiError(400, "Bad Request: bad webhook: max_connections must be between 1 and 100")
    world.webhook = Webhook(url, secret, connections, p.get("allowed_updates"))
    return True


@handler("deleteWebhook")
def delete_webhook(world: World, p: dict[str, Any]) -> bool:
    world.webhook = None
    if p.get("drop_pending_updates"):
        world.pending.clear()
    return True


@handler("getWebhookInfo")
def get_webhook_info(world: World, p: dict[str, Any]) -> JSON:
    hook = world.webhook
    info: JSON = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(world.pending),
    }
    if hook:
        info["max_connections"] = hook.max_connections
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message or ""
        if hook.allowed_updates is not None:
            info["allowed_updates"] = hook.allowed_updates
    return info


@handler("getUpdates")
def get_updates(world: World, p: dict[str, Any]) -> list[JSON]:
    if world.webhook is not None:
        raise BotApiError(409, WEBHOOK_CONFLICT)
    offset, limit = p.get("offset", 0), min(max(p.get("limit", 100), 1), 100)
    deadline = time.monotonic() + min(max(p.get("timeout", 0), 0), world.long_poll_cap)
    if offset < 0:
        del world.pending[: max(0, len(world.pending) + offset)]
    elif offset:
        world.pending[:] = [u for u in world.pending if u["update_id"] >= offset]
    allowed = p.get("allowed_updates")
    while True:
        ready = [u for u in world.pending if not allowed or any(k in u for k in allowed)]
        remaining = deadline - time.monotonic()
        if ready or remaining <= 0:
            return ready[:limit]
        world.changed.wait(remaining)


@handler("setMyCommands")
def set_my_commands(world: World, p: dict[str, Any]) -> bool:
    for c in p["commands"]:
        if not re.fullmatch(r"[a-z0-9_]{1,32}", c["command"]):
            raise BotApiError(400, "Bad Request: BOT_COMMAND_INVALID")
    world.commands[_scope_key(p)] = p["commands"]
    return True


@handler("getMyCommands")
def get_my_commands(world: World, p: dict[str, Any]) -> list[JSON]:
    return world.commands.get(_scope_key(p), [])


@handler("deleteMyCommands")
def delete_my_commands(world: World, p: dict[str, Any]) -> bool:
    world.commands.pop(_scope_key(p), None)
    return True


def _scope_key(p: dict[str, Any]) -> str:
    scope = p.get("scope") or {"type": "default"}
    return f"{sorted(scope.items())}|{p.get('language_code', '')}"


@handler("getChat")
def get_chat(world: World, p: dict[str, Any]) -> JSON:
    chat = _chat(world, p["chat_id"], sending=False)
    gifts = dict.fromkeys(
        ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"),
        True,
    )
    return {**chat.to_api(), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}


# ---- forum topics and copies ------------------------------------------------------------------
TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)
COPIED = ("text", "raw_text", "parse_mode", "entities", *CONTENT_FIELDS)
MAX_COPIES = 100  # copyMessages: "a list of 1-100 identifiers"


def _forum(world: World, p: dict[str, Any]) -> Chat:
    chat = _chat(world, p["chat_id"], sending=False)
    if not chat.is_forum:
        raise BotApiError(400, "Bad Request: the chat is not a forum")
    if not chat.can_manage_topics:
        raise BotApiError(400, "Bad Request: not enough rights to manage topics")
    return chat


def _topic(world: World, p: dict[str, Any]) -> Topic:
    topic = _forum(world, p).topics.get(p["message_thread_id"])
    if topic is None or topic.deleted:
        raise BotApiError(400, "Bad Request: TOPIC_ID_INVALID")
    return topic


@handler("createForumTopic")
def create_forum_topic(world: World, p: dict[str, Any]) -> JSON:
    chat = _chat(world, p["chat_id"], sending=False)
    if not chat.is_forum:
        raise BotApiError(400, "Bad Request: the chat is not a forum")
    if not chat.can_manage_topics:
        raise BotApiError(400, "Bad Request: not enough rights to create a topic")
    name = p["name"]
    if not 1 <= len(name) <= 128:
        raise BotApiError(400, "Bad Request: TOPIC_NAME_INVALID")
    color = p.get("icon_color", TOPIC_COLORS[0])
    if color not in TOPIC_COLORS:
        raise BotApiError(400, "Bad Request: TOPIC_COLOR_INVALID")
    created = {"name": name, "icon_color": color}
    m = world.new_message(chat.id, world.bot.id, forum_topic_created=created)
    m.message_thread_id = m.message_id
    topic = Topic(m.message_id, name, color, p.get("icon_custom_emoji_id"))
    chat.topics[topic.message_thread_id] = topic
    return topic.to_api()


@handler("editForumTopic")
def edit_forum_topic(world: World, p: dict[str, Any]) -> bool:
    topic = _topic(world, p)
    if "name" in p:
        if not 1 <= len(p["name"]) <= 128:
            raise BotApiError(400, "Bad Request: TOPIC_NAME_INVALID")
        topic.name = p["name"]
    if "icon_custom_emoji_id" in p:
        topic.icon_custom_emoji_id = p["icon_custom_emoji_id"] or None
    return True


def _set_closed(world: World, p: dict[str, Any], closed: bool) -> bool:
    topic = _topic(world, p)
    if topic.closed == closed:
        raise BotApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
    topic.closed = closed
    return True


HANDLERS["closeForumTopic"] = lambda world, p: _set_closed(world, p, closed=True)
HANDLERS["reopenForumTopic"] = lambda world, p: _set_closed(world, p, closed=False)


@handler("deleteForumTopic")
def delete_forum_topic(world: World, p: dict[str, Any]) -> bool:
    """The topic and every message in it are gone."""
    topic = _topic(world, p)
    topic.deleted = True
    for m in world.messages.get(int(p["chat_id"]), {}).values():
        if m.message_thread_id == topic.message_thread_id:
            m.deleted = True
    return True


def _original(world: World, p: dict[str, Any], message_id: int) -> Message:
    source = _chat(world, p["from_chat_id"], sending=False)
    original = world.messages.get(source.id, {}).get(message_id)
    if original is None or original.deleted:
        raise BotApiError(400, "Bad Request: message to copy not found")
    if original.forum_topic_created is not None:
        raise BotApiError(400, "Bad Request: message can't be copied")
    return original


@handler("copyMessages")
def copy_messages(world: World, p: dict[str, Any]) -> list[JSON]:
    """Copies of several messages, in order; those not found or not copyable are skipped, and an
    album's copies are an album again (a media group of their own)."""
    ids = p["message_ids"]
    if not 1 <= len(ids) <= MAX_COPIES:
        raise BotApiError(
            400, "Bad Request: too many messages to copy" if ids else "Bad Request: no messages to copy"
        )
    if any(later <= earlier for earlier, later in itertools.pairwise(ids)):
        raise BotApiError(400, "Bad Request: message identifiers must be in strictly increasing order")
    originals = []
    for message_id in ids:
        try:
            originals.append(_original(world, p, message_id))
        except BotApiError:
            continue  # "If some of the specified messages can't be found or copied, they are skipped"
    if not originals:
        raise BotApiError(400, "Bad Request: message to copy not found")
    chat = _chat(world, p["chat_id"])
    _thread(chat, p)  # a topic gone refuses the whole call before anything is posted
    groups: dict[str, str] = {}
    out = []
    for original in originals:
        content = {key: getattr(original, key) for key in COPIED}
        if p.get("remove_caption"):
            content.update(caption=None, raw_caption=None, caption_entities=[])
        else:
            content.update(
                caption=original.caption,
                raw_caption=original.raw_caption,
                caption_entities=original.caption_entities,
            )
        if original.media_group_id is not None:
            group = groups.setdefault(original.media_group_id, str(13_000_000_000_000_000 + world.next_id()))
            content["media_group_id"] = group
        out.append({"message_id": _send(world, chat, p, **content).message_id})
    return out


@handler("copyMessage")
def copy_message(world: World, p: dict[str, Any]) -> JSON:
    """A new message with the original's content and no link to it (no download: file ids)."""
    original = _original(world, p, p["message_id"])
    chat = _chat(world, p["chat_id"])
    content = {key: getattr(original, key) for key in COPIED}
    if "caption" in p:
        content.update(_caption(p) or {"caption": None, "raw_caption": None, "caption_entities": []})
    else:
        content.update(
            caption=original.caption,
            raw_caption=original.raw_caption,
            caption_entities=original.caption_entities,
        )
    m = _send(world, chat, p, **content)
    return {"message_id": m.message_id}
