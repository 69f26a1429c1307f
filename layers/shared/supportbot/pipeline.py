"""Order of work for one Telegram update (`docs/ARCHITECTURE.md`, "Order of work for an update"):
load the session -> run the state machine -> save conditionally on the version -> send replies.

A lost race is re-run on the fresh session before anything was sent; an update the session's dedupe
window holds as processed is a Telegram re-delivery and is ignored, and one that arrives after a
newer one (parallel webhook connections) is handled in the session's current state.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from telebot import TeleBot, types

from statemachine import Machine, Result, Session
from statemachine import Outcome as ResultOutcome
from supportbot import metrics
from supportbot.backend import Backend, UnauthorizedError, UnavailableError, make_backend
from supportbot.bot.auth import AUTH, GUEST_DIALOG, NOTIFICATIONS_OFF, SUPPORT
from supportbot.bot.deps import BotDeps, content_store
from supportbot.bot.machine import build_machine
from supportbot.bot.privacy import EraseMe
from supportbot.config import Config, PerConfig, get_config
from supportbot.i18n import Translator, pick_language, translator
from supportbot.storage.sessions import (
    AUDIENCES,
    Auth,
    SessionConflictError,
    SessionItem,
    load_session,
    save_session,
)
from supportbot.support.rating_press import handle_rating_press, is_rating_press
from supportbot.telegram.client import get_bot
from supportbot.telegram.inputs import Incoming, is_group_update, parse_incoming
from supportbot.telegram.replies import callback_answer, contact_keyboard, deliver, inline_markup

if TYPE_CHECKING:
    from supportbot.content import ContentStore

logger = Logger(child=True)

MAX_ATTEMPTS = 3


@dataclass
class Outcome:
    """What processing decided: the replies to send (None: nothing, e.g. a duplicate)."""

    incoming: Incoming | None
    result: Result | None = None
    unavailable: bool = False
    duplicate: bool = False


class StaleReplayError(Exception):
    """A replayed update is now stale (its button's screen is gone): nothing was applied or saved."""


class UpdateProcessor:
    def __init__(
        self,
        config: Config,
        bot: TeleBot,
        machine: Machine,
        backend_factory: Callable[[], Backend],
        content_factory: Callable[[], ContentStore],
    ) -> None:
        self.config = config
        self.bot = bot
        self.machine = machine
        self.backend_factory = backend_factory
        self.content_factory = content_factory

    def process(self, update: types.Update, replay: bool = False) -> dict[str, Any] | None:
        """Handle one update; returns a Bot API call for the webhook's HTTP response, if any.

        ``replay``: an admin re-running a recorded failed update (admin API): the duplicate filter
        (the session's dedupe window) is bypassed on purpose, since later updates of the same
        user have often moved the window past this one by then.
        """
        if is_rating_press(update) and update.callback_query is not None:
            # Sent by the outbox, outside any screen: no screen token, no session (support/rating_press.py).
            query = update.callback_query
            language = pick_language(query.from_user.language_code, self.config.default_language)
            return handle_rating_press(self.bot, query, translator(language))
        if update.edited_message is not None:
            # Not an input to the screens: an edit only matters to support (bot/support.py).
            from supportbot.bot.support import relay_edit  # the support dialog's: loaded by those who edit

            relay_edit(self.config, update.edited_message)
            return None
        outcome = self.compute_and_save(update, replay=replay)
        incoming = outcome.incoming
        if incoming is None or outcome.duplicate:
            return None
        t = translator(pick_language(incoming.user.language_code, self.config.default_language))
        if outcome.unavailable or outcome.result is None:
            return self._say_unavailable(incoming, t)
        if any(isinstance(effect, EraseMe) for effect in outcome.result.effects):
            return self._erase(incoming, t)
        return deliver(self.bot, incoming, outcome.result, t("common.unchanged"))

    def _erase(self, incoming: Incoming, t: Translator) -> dict[str, Any] | None:
        """ "Delete my data" confirmed: erase everything about the user now that the update is saved
        (its session included), then tell them, without storing that message (bot/privacy.py)."""
        from supportbot import people  # the erase's tables and bucket: loaded only by those who erase

        bucket = self.config.attachments_bucket
        answer = people.erase(people.find(people.by_telegram_id(incoming.user.id), bucket), bucket)
        logger.info("Person erased at their request", extra={"erased": answer["erased"]})
        text = t("privacy.done")
        if incoming.message_id is not None and incoming.callback_query_id is not None:
            self.bot.edit_message_text(text, incoming.chat_id, incoming.message_id, parse_mode="HTML")
            return callback_answer(incoming.callback_query_id, [])
        self.bot.send_message(incoming.chat_id, text, parse_mode="HTML")
        return None

    def compute_and_save(self, update: types.Update, replay: bool = False) -> Outcome:
        incoming = parse_incoming(update)
        if incoming is None:
            logger.debug("Update without a customer input ignored", extra={"update_id": update.update_id})
            return Outcome(None)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            item = load_session(incoming.user.id)
            if not replay and item.processed(incoming.update_id):
                logger.info(
                    "Repeated update ignored",
                    extra={"update_id": incoming.update_id, "newest_update_id": item.last_update_id},
                )
                return Outcome(incoming, duplicate=True)
            was = Milestones.of(item, self.machine)
            try:
                result = self._run(item, incoming)
                if replay and result.outcome is ResultOutcome.STALE:
                    raise StaleReplayError(f"update {incoming.update_id}: stale, not applied")
            except UnavailableError as error:
                # The user's place is kept: nothing is saved, the same button can be pressed again.
                logger.warning("Business system unavailable", extra={"reason": str(error)})
                return Outcome(incoming, unavailable=True)
            item.mark_processed(incoming.update_id)
            item.bot_blocked_at = None  # they wrote: they have not blocked the bot (any longer)
            try:
                save_session(item)
            except SessionConflictError:
                logger.info("Concurrent update of the same user; re-running", extra={"attempt": attempt})
                continue
            was.count_changes(Milestones.of(item, self.machine), incoming)
            return Outcome(incoming, result)
        raise SessionConflictError(incoming.user.id)

    def _run(self, item: SessionItem, incoming: Incoming) -> Result:
        language = pick_language(incoming.user.language_code, self.config.default_language)
        deps = BotDeps(
            config=self.config,
            t=translator(language),
            user=incoming.user,
            backend_factory=self.backend_factory,
            content_factory=self.content_factory,
        )
        session = load_machine_session(self.machine, item)
        try:
            result = self.machine.handle(session, incoming.input, deps)
        except UnauthorizedError:
            # The token expired or was revoked: without it the login guard shows the login screen.
            session.user_data.pop(AUTH, None)
            result = self.machine.show(session, deps, notice=deps.t("login.expired"))
        store_machine_session(item, result.session)
        item.language = language
        return result

    def _say_unavailable(self, incoming: Incoming, t: Translator) -> dict[str, Any] | None:
        retry: types.InlineKeyboardMarkup | types.ReplyKeyboardMarkup | None = None
        if incoming.input.kind == "callback" and incoming.input.data:
            # The same callback data again: the session was not changed, so it is still current.
            retry = inline_markup([[{"text": t("common.retry"), "callback_data": incoming.input.data}]])
        elif incoming.input.kind == "contact":
            # Login is retried by sharing the contact again; the one-time keyboard is gone by now.
            retry = contact_keyboard(t("login.button"))
        self.bot.send_message(
            incoming.chat_id, t("common.unavailable"), parse_mode="HTML", reply_markup=retry
        )
        if incoming.callback_query_id:
            return callback_answer(incoming.callback_query_id, [])
        return None


@dataclass(frozen=True)
class Milestones:
    """What the business counts about a user's session: logged in, in the support dialog.

    Logins and support dialogs are counted from what a saved update changed, not in the screens'
    handlers: a lost race re-runs those, and an update whose save fails changed nothing.
    Conversations are the support dialog here until a conversation model with a lifecycle of its
    own exists: its opening and closing then count them (README, "Metrics, dashboard and alarms").
    """

    logged_in: bool
    in_support: bool

    @classmethod
    def of(cls, item: SessionItem, machine: Machine) -> Milestones:
        return cls(item.auth is not None, machine.load(item.machine).state in (SUPPORT, GUEST_DIALOG))

    def count_changes(self, now: Milestones, incoming: Incoming) -> None:
        if now.logged_in and not self.logged_in:
            metrics.count(metrics.LOGINS)
        elif incoming.input.kind == "contact" and not now.logged_in:
            metrics.count(metrics.LOGINS_REFUSED)  # unknown, blocked, someone else's or forwarded
        if now.in_support != self.in_support:
            metrics.count(metrics.CONVERSATIONS_OPENED if now.in_support else metrics.CONVERSATIONS_CLOSED)


def load_machine_session(machine: Machine, item: SessionItem) -> Session:
    """The engine's session of ``item``. The login, the user's data, is stored in an attribute of
    its own (``auth``: the item's TTL depends on it), not inside the engine's session."""
    session = machine.load(item.machine)
    session.user_data.pop(AUTH, None)
    if item.auth:
        # The phone is stored once, in the attribute the Phones index reads (store_machine_session).
        session.user_data[AUTH] = {"p": item.phone, **item.auth} if item.phone else item.auth
    if item.notifications_off:
        session.user_data[NOTIFICATIONS_OFF] = True
    return session


def store_machine_session(item: SessionItem, session: Session) -> None:
    stored = session.to_dict()
    user_data = stored.pop("u", {})
    item.auth = user_data.pop(AUTH, None)
    # Attributes of their own, read by order events and broadcasts through the sessions' indexes.
    item.notifications_off = bool(user_data.pop(NOTIFICATIONS_OFF, False)) or None
    auth = Auth.from_dict(item.auth)
    item.audience = AUDIENCES.get(auth.user_type) if auth is not None else None
    if auth is not None and item.auth is not None:
        item.phone = auth.phone  # kept after a logout: an event for it is then "logged_out"
        item.auth = {key: value for key, value in item.auth.items() if key != "p"}
    if user_data:
        stored["u"] = user_data
    item.machine = stored


def apologize(bot: TeleBot, update: dict[str, Any], language_default: str) -> None:
    """Tell the user briefly that their last action failed (best effort)."""
    parsed = types.Update.de_json(update)  # type: ignore[no-untyped-call]
    incoming = parse_incoming(parsed)
    if incoming is None:
        return
    t = translator(pick_language(incoming.user.language_code, language_default))
    bot.send_message(incoming.chat_id, t("common.error"), parse_mode="HTML")
    if incoming.callback_query_id:
        # Stop the button's spinner: the press was not answered in the webhook response.
        bot.answer_callback_query(incoming.callback_query_id)


def user_id_of(update: dict[str, Any]) -> int | None:
    for key in ("message", "callback_query", "edited_message"):
        sender = (update.get(key) or {}).get("from") if isinstance(update.get(key), dict) else None
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return int(sender["id"])
    return None


def dispatch(update: types.Update, replay: bool = False) -> dict[str, Any] | None:
    """Handle a parsed, well-formed update (the webhook's and the admin's replay): the Telegram
    desk's support group's by the desk, any other group's by the warehouse, never by the customers'
    state machine; every other by the pipeline."""
    if is_group_update(update):
        from supportbot.support.desk_inbound import is_desk_update, process_desk_update  # groups' only
        from supportbot.support.warehouse import process_group_update

        config = get_config()
        if is_desk_update(config, update):
            return process_desk_update(update)
        return process_group_update(update)
    return get_processor().process(update, replay=replay)


def make_processor(config: Config) -> UpdateProcessor:
    return UpdateProcessor(
        config=config,
        bot=get_bot(),
        machine=build_machine(config),
        backend_factory=functools.cache(lambda: make_backend(config)),
        content_factory=content_store,
    )


# Built at the first update, again when re-read secrets change the configuration.
get_processor = PerConfig(make_processor)
