"""Where queued messages go: Blinger (the helpdesk), a customer's chat, the warehouse group.

Each part is recorded as sent right after its destination accepted it (the last one together with
the message's outcome), so a retry resumes with the next part: an album half-delivered before a
failure is not sent again from the start.

Telegram's pace: every send to a chat is booked in the chat's token bucket first
(``supportbot.pacing``: a private chat 1 message/s, a group 20/min); a send booked for later is
held back (``HeldBack``: the message waits in the queue, using up no attempt), or waited for in
place when the wait is short. A 429 is held back the same way, for its ``retry_after``.

Telegram's refusals: a 403 (the user blocked the bot) is
final, and marks the user's session so later messages to them are not even tried until they write
again (the webhook clears the mark with the next update it saves for them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
from aws_lambda_powertools import Logger
from telebot import TeleBot, types
from telebot.apihelper import ApiTelegramException

from supportbot.config import Config
from supportbot.i18n import translator
from supportbot.pacing import Pacer, PacingContendedError, chat_rate, chat_scope
from supportbot.storage.sessions import bot_blocked, mark_bot_blocked
from supportbot.support.blinger_ids import blinger_client_id
from supportbot.support.desk_topics import apply_status
from supportbot.support.files import presigned_url
from supportbot.support.messages import (
    BLINGER,
    CLOSE,
    COPY,
    CUSTOMER,
    ECHO,
    TOPIC,
    WAREHOUSE,
    MessageItem,
    Part,
    keep_copies,
    load_message,
)
from supportbot.support.outbox import DeliveryError, HeldBack, PermanentDeliveryError
from supportbot.support.telegram_desk import NOT_MODIFIED, TOPIC_GONE, TelegramDesk, posts, refused
from supportbot.telegram.replies import inline_markup
from supportbot.telegram.split import sends

BLINGER_TIMEOUT = (3, 10)
logger = Logger(child=True)
# Telegram delivers an album as one update per photo, a fraction of a second apart: a message
# marked as an album waits until no part came for this long, so it reaches Blinger as one run
# (a customer, as one album).
ALBUM_SETTLE_SECONDS = 2.0
# A pacing wait this short is spent in place (cheaper than a round trip through the queue), at
# most IN_PLACE_BUDGET per delivery, so that a batch of ten stays well inside the 30 s timeout.
MAX_WAIT_IN_PLACE = 1.5
IN_PLACE_BUDGET = 2.0


class BotBlockedError(PermanentDeliveryError):
    """Telegram answered 403: the user blocked the bot (or the bot left the group)."""


class Destinations:
    """The outbox's ``deliver``: sends every part not yet sent, recording progress."""

    def __init__(
        self,
        config: Config,
        bot: TeleBot,
        session: requests.Session | None = None,
        album_settle: float = ALBUM_SETTLE_SECONDS,
        pacer: Pacer | None = None,
    ) -> None:
        self.config = config
        self.bot = bot
        self.session = session or requests.Session()
        self.album_settle = album_settle
        self.pacer = pacer or Pacer()
        self._waited = 0.0

    def __call__(self, item: MessageItem) -> None:
        self._waited = 0.0
        self._wait_for_album(item)
        if item.destination == BLINGER and self.config.support_desk == "telegram":
            self._post_to_topic(item)
            return
        if item.destination == BLINGER:
            for index in range(int(item.sent_parts), len(item.parts)):
                self._post_to_blinger(item, item.parts[index])
                self._mark_sent_parts(item, index + 1)
            return
        chat_id = int(item.user_id) if item.destination == CUSTOMER else self.config.warehouse_chat_id
        if item.destination not in (CUSTOMER, WAREHOUSE) or chat_id is None:
            raise PermanentDeliveryError(f"no chat for destination {item.destination!r}")
        if item.destination == CUSTOMER and bot_blocked(chat_id):
            raise PermanentDeliveryError("the user has blocked the bot: not tried until they write again")
        try:
            if (item.context or {}).get("edit"):
                # An operator's edit in the Telegram desk's topic (``desk_inbound.py``): of the
                # customer's copy, or nothing to show when no copy is known.
                self._edit_copy(chat_id, item)
                self._mark_sent_parts(item, len(item.parts))
                return
            self._send_to_chat(chat_id, item)
        except BotBlockedError:
            if item.destination == CUSTOMER:
                mark_bot_blocked(chat_id)
            raise

    def _post_to_topic(self, item: MessageItem) -> None:
        """Into the conversation's topic of the support group (``telegram_desk.py``); a topic
        deleted meanwhile is made again and the parts not yet posted go there."""
        desk = TelegramDesk(self.config, self.bot, self._telegram)
        chat_id = desk.chat_id

        def pace() -> None:
            self._pace(chat_id, item, 1)

        try:
            shown = self._edit_copy(chat_id, item)
        except PermanentDeliveryError:
            shown = False  # the copy cannot show it (too old, gone with its topic): posted instead
        thread = desk.topic(item, pace)
        if shown:
            self._mark_sent_parts(item, len(item.parts))
        else:
            try:
                self._copy_to_topic(desk, item, thread)
            except PermanentDeliveryError as error:
                if not refused(error, TOPIC_GONE):
                    raise
                thread = desk.topic(item, pace, gone=True)
                self._copy_to_topic(desk, item, thread)
        self._show_status(desk, item, thread, pace)

    def _show_status(
        self, desk: TelegramDesk, item: MessageItem, thread: int, pace: Callable[[], None]
    ) -> None:
        """The topic shows the status the conversation has now (``desk_topics.apply_status``:
        edited only when it shows another). A message posted already is not failed for its
        topic's name: a refusal is logged, and a status part (``TOPIC``) alone fails with it."""
        conversation = desk.conversation
        if conversation is None:
            return
        t = translator(self.config.default_language)
        try:
            apply_status(self.bot, desk.chat_id, thread, conversation, self._telegram, pace, t)
        except PermanentDeliveryError as error:
            if all(part.kind == TOPIC for part in item.parts):
                raise
            logger.warning("The topic's status could not be shown", extra={"reason": str(error)})

    def _copy_to_topic(self, desk: TelegramDesk, item: MessageItem, thread: int) -> None:
        """Every part not yet posted, in order: the customer's messages copied as what they are
        (an album's in one ``copyMessages``), the rest (an order's intro) posted from the part;
        a message the customer deleted before it was copied is posted from its stored parts."""
        chat_id = desk.chat_id
        album = bool((item.context or {}).get("album"))
        for first, count, sources in posts(item.parts, int(item.sent_parts), album):
            if not sources and item.parts[first].kind == TOPIC:
                self._mark_sent_parts(item, first + count)  # shown after the posts (_show_status)
                continue
            self._pace(chat_id, item, len(sources) or 1)
            if not sources:
                self._send_part(chat_id, item, first, thread)
            elif not desk.copy(item, sources, thread):
                for index in range(first, first + count):
                    self._send_part(chat_id, item, index, thread)
            self._mark_sent_parts(item, first + count)

    def _send_to_chat(self, chat_id: int, item: MessageItem, thread: int | None = None) -> None:
        """Every part not yet sent, in order: runs of images as albums of up to ten
        (``supportbot.telegram.split.sends``), the rest one message each; into the forum topic
        ``thread`` when given."""
        done = int(item.sent_parts)
        pending = item.parts[done:]
        for first, count in sends([part.kind for part in pending]):
            start = done + first
            self._pace(chat_id, item, count)
            run = item.parts[start : start + count]
            if count > 1 and run[0].kind == COPY:
                # An album's messages, copied together so they arrive as one album again.
                ids = [int(part.message_id) for part in run]
                source = int(run[0].from_chat)
                made = self._telegram(
                    lambda ids=ids, source=source: self.bot.copy_messages(
                        chat_id, source, ids, message_thread_id=thread
                    )
                )
                keep_copies(item, ids, made)
            elif count > 1:
                media = [self._media(part) for part in run]
                self._telegram(
                    lambda media=media: self.bot.send_media_group(chat_id, media, message_thread_id=thread)
                )
            else:
                self._send_part(chat_id, item, start, thread)
            self._mark_sent_parts(item, start + count)

    def _edit_copy(self, chat_id: int, item: MessageItem) -> bool:
        """An edit (``context["edit"]``: the stored message, the edited message's id, the field,
        the new words, ``html`` when they are Telegram HTML) made on the copy in ``chat_id`` the
        delivery of that message made, paced as a post: True when the copy shows it ("not
        modified" included), False when no copy is known (not copied, an album's copies not told
        apart); a copy Telegram refuses to edit raises ``PermanentDeliveryError``."""
        edit = (item.context or {}).get("edit")
        if not edit or int(item.sent_parts):
            return False
        original = load_message(item.pk, str(edit["of"]))
        copy = (
            ((original.external or {}).get("copies") or {}).get(str(edit["message_id"])) if original else None
        )
        if copy is None:
            return False
        text, message_id = str(edit["text"]), int(copy)
        parse_mode = "HTML" if edit.get("html") else None
        self._pace(chat_id, item, 1)
        try:
            if edit["field"] == "text":
                self._telegram(
                    lambda: self.bot.edit_message_text(text, chat_id, message_id, parse_mode=parse_mode)
                )
            else:
                self._telegram(
                    lambda: self.bot.edit_message_caption(text, chat_id, message_id, parse_mode=parse_mode)
                )
        except PermanentDeliveryError as error:
            if not refused(error, NOT_MODIFIED):  # these words are shown already (a re-run)
                raise
        return True

    def _pace(self, chat_id: int, item: MessageItem, messages: int) -> None:
        """Wait for the chat's room for ``messages``: the time booked before the message was held
        back, else a new booking; in place when short, else by holding the message back."""
        clock = self.pacer.clock
        now = clock.now()
        if item.paced_at is not None:
            at, item.paced_at = float(item.paced_at), None
            if at < now:
                self.pacer.sent_late(chat_scope(chat_id), chat_rate(chat_id), messages)
        else:
            try:
                at = now + self.pacer.book(chat_scope(chat_id), chat_rate(chat_id), messages)
            except PacingContendedError as error:
                raise HeldBack(str(error), 1.0) from error
        wait = at - now
        if wait <= 0:
            return
        if wait <= MAX_WAIT_IN_PLACE and self._waited + wait <= IN_PLACE_BUDGET:
            self._waited += wait
            clock.sleep(wait)
            return
        raise HeldBack(f"paced: room in chat {chat_id} in {wait:.1f} s", wait, paced_at=at)

    def _wait_for_album(self, item: MessageItem) -> None:
        if not (item.context or {}).get("album") or int(item.sent_parts):
            return
        age = (datetime.now(UTC) - (item.appended_at or item.created_at)).total_seconds()
        if age < self.album_settle:
            raise HeldBack("album still arriving", math.ceil(self.album_settle - age))

    def _post_to_blinger(self, item: MessageItem, part: Part) -> None:
        config = self.config
        if part.kind == CLOSE:
            self._close_in_blinger(str(part.text))
            return
        if not (config.blinger_api_url and config.blinger_token and config.blinger_channel_id):
            raise DeliveryError(
                "Blinger is not configured (BLINGER_API_URL, BLINGER_TOKEN, BLINGER_CHANNEL_ID)"
            )
        context = item.context or {}
        body: dict[str, Any] = {
            "custom_channel_id": config.blinger_channel_id,
            "client_id": blinger_client_id(int(item.user_id)),
            "type": part.kind,
            "data": part.text if part.kind == "text" else self._file_link(part),
        }
        for field in ("client_name", "client_phone", "info"):
            if context.get(field):
                body[field] = context[field]
        if context.get(ECHO):
            body[ECHO] = True  # shown in the thread as an outgoing message (support.desk_echo)
        self._blinger_call(config.blinger_api_url, body, {"Authorization": f"Bearer {config.blinger_token}"})

    def _close_in_blinger(self, conversation_id: str) -> None:
        """Blinger's REST API ``conversations/close`` (docs/blinger.md), with the id its events gave."""
        token = self.config.blinger_api_token
        if not token:
            raise PermanentDeliveryError("BLINGER_API_TOKEN is not set: cannot close in Blinger")
        body = {"conversation_id": int(conversation_id) if conversation_id.isdigit() else conversation_id}
        self._blinger_call(
            f"{self.config.blinger_rest_url}/conversations/close", body, {"Authentication": token}
        )

    def _blinger_call(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        try:
            response = self.session.post(url, json=body, headers=headers, timeout=BLINGER_TIMEOUT)
        except requests.RequestException as error:
            raise DeliveryError(f"Blinger unreachable: {type(error).__name__}") from error
        if response.status_code >= 300:
            raise DeliveryError(f"Blinger answered {response.status_code}")

    def _file_link(self, part: Part) -> str:
        if part.file_url:
            return str(part.file_url)
        if part.file_key and self.config.attachments_bucket:
            return presigned_url(self.config.attachments_bucket, part.file_key)
        raise PermanentDeliveryError("attachment has neither a stored file nor a URL")

    def _media(self, part: Part) -> types.InputMediaPhoto:
        return types.InputMediaPhoto(self._telegram_file(part), caption=part.text or None, parse_mode="HTML")

    def _telegram_file(self, part: Part) -> str:
        return str(part.file_id or part.file_url or self._file_link(part))

    def _send_part(self, chat_id: int, item: MessageItem, index: int, thread: int | None = None) -> None:
        part = item.parts[index]
        # The message's buttons go with its last part (a long text arrives as several).
        last = index == len(item.parts) - 1
        markup = inline_markup((item.context or {}).get("buttons") or []) if last else None
        if part.kind == COPY:
            made = self._telegram(
                lambda: self.bot.copy_message(
                    chat_id,
                    int(part.from_chat),
                    int(part.message_id),
                    reply_markup=markup,
                    message_thread_id=thread,
                )
            )
            keep_copies(item, [int(part.message_id)], [made])
        elif part.kind == TOPIC:
            raise PermanentDeliveryError("a topic's status is only shown in the Telegram desk")
        elif part.kind == "text":
            self._telegram(
                lambda: self.bot.send_message(
                    chat_id, part.text, parse_mode="HTML", reply_markup=markup, message_thread_id=thread
                )
            )
        elif part.kind == "image":
            photo = self._telegram_file(part)
            self._telegram(
                lambda: self.bot.send_photo(
                    chat_id,
                    photo,
                    caption=part.text or None,
                    parse_mode="HTML",
                    reply_markup=markup,
                    message_thread_id=thread,
                )
            )
        else:
            document = self._telegram_file(part)
            self._telegram(
                lambda: self.bot.send_document(
                    chat_id,
                    document,
                    caption=part.text or None,
                    parse_mode="HTML",
                    reply_markup=markup,
                    message_thread_id=thread,
                )
            )

    @staticmethod
    def _telegram(call: Any) -> Any:
        """Telegram's delivery rules: 429 waits retry_after; 403 (blocked) is final."""
        try:
            return call()
        except ApiTelegramException as error:
            if error.error_code == 429:
                retry_after = (error.result_json or {}).get("parameters", {}).get("retry_after")
                raise HeldBack("Telegram rate limit (429)", int(retry_after or 5)) from error
            if error.error_code == 403:
                raise BotBlockedError(f"Telegram refused: {error.description}") from error
            if error.error_code == 400:
                raise PermanentDeliveryError(f"Telegram rejected the message: {error.description}") from error
            raise DeliveryError(f"Telegram error {error.error_code}") from error
        except requests.RequestException as error:
            raise DeliveryError(f"Telegram unreachable: {type(error).__name__}") from error

    @staticmethod
    def _mark_sent_parts(item: MessageItem, count: int) -> None:
        """Record that ``count`` parts went out. The last part's progress is written with the
        message's outcome (``OutboxConsumer._record``): one write fewer per message, and the
        duplicate window stays what it was (a destination call, then the next write)."""
        item.sent_parts = count
        if count < len(item.parts):
            actions: list[Any] = [MessageItem.sent_parts.set(count), MessageItem.paced_at.remove()]
            if item.external:  # the copies made so far (telegram_desk.py)
                actions.append(MessageItem.external.set(item.external))
            item.update(actions=actions)
