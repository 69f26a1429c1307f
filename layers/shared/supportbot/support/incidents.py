"""Incidents: a submitted complaint becomes a numbered ticket and a message to support.

The ticket (kind ``incident``) holds the path of node titles and every answer; support gets,
through the outbox, a readable summary with the ticket number and the customer's name, phone and
Telegram username, then one image per photo (an S3 key, posted to Blinger as a presigned URL).
The summary is written in the deployment's default language: it is read by support, not by the
customer.

Filing runs inside the bot's handler, before the session is saved, so it may run again for the
same submit: after a lost session race, on a replay of a failed update, or when the customer
presses the same Submit button twice. ``key`` names the submit, and every step is idempotent
for it: the ticket is opened once per key (``tickets.open_ticket``, the "exactly once" marker
of ``once.py``), photos are copied to keys derived from Telegram's ``file_unique_id``, and the
message is enqueued ``once`` per ticket, in the customer's conversation. A failure half-way
leaves nothing the next try does not finish under the same number. Filing after the save instead
would lose the complaint to a crash between the save and the filing; this way the worst case is
the outbox's own documented duplicate window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from supportbot.support import tickets
from supportbot.support.files import copy_from_telegram
from supportbot.support.messages import BLINGER, NewMessage
from supportbot.support.outbox import enqueue
from supportbot.support.tickets import INCIDENT

if TYPE_CHECKING:
    from telebot import TeleBot

    from supportbot.config import Config
    from supportbot.i18n import Translator


@dataclass(frozen=True)
class Answer:
    """One collected answer: ``step`` is the title of the node that asked for it."""

    step: str
    kind: str  # "text" | "photo" | "order"
    text: str | None = None
    file_id: str | None = None
    file_key: str | None = None  # the photo's copy in the attachments bucket
    order_id: str | None = None
    order_number: str | None = None


@dataclass(frozen=True)
class Customer:
    """Who complains, as support should see them."""

    user_id: int
    name: str
    phone: str
    username: str | None
    user_type: str


def file_incident(
    config: Config,
    bot: TeleBot,
    customer: Customer,
    topic: list[str],
    path: list[str],
    answers: list[Answer],
    key: str,
    t: Translator,
) -> str:
    """Open the complaint's ticket and send it to support; returns its ref (``Ж-7``; the same for a
    repeat).

    ``topic`` is what the complaint is about (the section's titles, the ticket's title), ``path``
    every title from the top of the tree down to the step that submitted.
    """
    answers = [_stored_photo(config, bot, customer, answer) for answer in answers]
    ticket = tickets.open_ticket(
        customer.user_id,
        INCIDENT,
        f"ticket:{customer.user_id}:{key}",
        title=" → ".join(topic),
        details={"path": path, "answers": [_compact(answer) for answer in answers]},
    )
    message = support_message(customer, ticket.label, topic, answers, t)
    item = enqueue(config, message, once=f"out:incident:{int(ticket.number)}")
    if ticket.conversation is None and item.conversation:
        ticket.update(actions=[tickets.TicketItem.conversation.set(int(item.conversation))])
    return ticket.label


def support_message(
    customer: Customer, number: str, topic: list[str], answers: list[Answer], t: Translator
) -> NewMessage:
    """The summary (plain text: Blinger shows text as is), then the photos in the order given."""
    lines = [
        t.raw("incident.title").format(number=number),
        t.raw("incident.path").format(path=" → ".join(topic)),
    ]
    for answer in answers:
        if answer.kind == "order":
            line = t.raw("incident.order").format(
                step=answer.step, number=answer.order_number, id=answer.order_id
            )
        elif answer.kind == "photo":
            template = "incident.photo" if answer.file_key else "incident.photo_not_stored"
            line = t.raw(template).format(step=answer.step)
        else:
            line = t.raw("incident.text").format(step=answer.step, text=answer.text)
        lines.append(line)
    who = ", ".join(part for part in (customer.name, customer.phone, _at(customer.username)) if part)
    lines.append(t.raw("incident.customer").format(customer=who))
    parts: list[dict[str, Any]] = [{"kind": "text", "text": "\n".join(lines)}]
    parts += [
        {"kind": "image", "file_key": answer.file_key, "file_id": answer.file_id}
        for answer in answers
        if answer.kind == "photo" and answer.file_key
    ]
    info: dict[str, Any] = {"ticket": number, "ticket_kind": INCIDENT, "user_type": customer.user_type}
    if customer.username:
        info["username"] = _at(customer.username)
    context: dict[str, Any] = {"client_name": customer.name, "info": info, "ticket": number}
    orders = [answer for answer in answers if answer.kind == "order"]
    if orders:
        info["order"] = orders[0].order_number
        context["order"] = {"id": orders[0].order_id, "number": orders[0].order_number}
    if customer.phone:
        context["client_phone"] = customer.phone
    return NewMessage(customer.user_id, BLINGER, parts, context)


def _stored_photo(config: Config, bot: TeleBot, customer: Customer, answer: Answer) -> Answer:
    """The photo copied to the attachments bucket (its key derives from the file: a repeat
    overwrites the same object). Without a bucket the photo stays in Telegram only: a Telegram
    file URL holds the bot token, so it is never passed on."""
    if answer.kind != "photo" or not answer.file_id or not config.attachments_bucket:
        return answer
    key = copy_from_telegram(bot, config.attachments_bucket, answer.file_id, f"incidents/{customer.user_id}")
    return Answer(answer.step, answer.kind, file_id=answer.file_id, file_key=key)


def _compact(answer: Answer) -> dict[str, Any]:
    return {name: value for name, value in asdict(answer).items() if value is not None}


def _at(username: str | None) -> str:
    return f"@{username}" if username else ""
