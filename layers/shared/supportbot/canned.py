"""Canned replies: answers an admin writes once and operators send with a click.

Stored in the Content table's ``canned`` partition (one Query lists them). Like a tree node, a
reply has a ``title`` (plain: what the picker shows) and a ``text`` (Telegram HTML) in the default
language, and ``translations`` for the others (``{"en": {"title": ..., "text": ...}}``, field by
field falling back to the default). A text may name ``{name}`` (the customer's name) and
``{order}`` (the number of the order they asked about); the values are escaped when filled in.

>>> placeholders("Hello, {name}! Order {order} {name}")
['name', 'order', 'name']
>>> fill("Hi, <b>{name}</b>", {"name": "<Ann>"})
'Hi, <b>&lt;Ann&gt;</b>'
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute
from pynamodb.models import Model

from supportbot.content import translations_of
from supportbot.support.conversations import ConversationItem

PARTITION = "canned"
PLACEHOLDERS = ("name", "order")
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


class CannedReplyItem(Model):
    class Meta:
        table_name = os.environ.get("CONTENT_TABLE", "content")

    tree = UnicodeAttribute(hash_key=True, default=PARTITION)
    node_id = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute()
    text = UnicodeAttribute()
    translations = JSONAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute()
    version = VersionAttribute()


@dataclass(frozen=True)
class Localized:
    title: str
    text: str


def placeholders(text: str) -> list[str]:
    return _PLACEHOLDER.findall(text)


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with each placeholder replaced by its value, escaped (every one must be given)."""
    return _PLACEHOLDER.sub(lambda match: html.escape(values[match.group(1)], quote=False), text)


class MissingValue(Exception):
    """The reply names a placeholder this customer has no value for."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def customer_values(conversation: ConversationItem) -> dict[str, str]:
    """The placeholders' values for a conversation: the customer's name and the order it is about."""
    values: dict[str, str] = {}
    name = (conversation.customer or {}).get("name")
    number = (conversation.order or {}).get("number")
    if name:
        values["name"] = str(name)
    if number:
        values["order"] = str(number)
    return values


def render(item: CannedReplyItem, conversation: ConversationItem, language: str) -> str:
    """The reply as this customer gets it (Telegram HTML), in their language; MissingValue names
    a placeholder without a value (the admin inbox and the Telegram desk send nothing then)."""
    text = localized(item, language).text
    values = customer_values(conversation)
    missing = [name for name in placeholders(text) if name not in values]
    if missing:
        raise MissingValue(missing[0])
    return fill(text, values)


def localized(item: CannedReplyItem, language: str) -> Localized:
    """The reply in ``language``, each field falling back to the default language's."""
    given = translations_of(item.translations).get(language, {})
    return Localized(given.get("title") or item.title, given.get("text") or item.text)


def all_replies() -> list[CannedReplyItem]:
    return sorted(CannedReplyItem.query(PARTITION), key=lambda item: (item.title.casefold(), item.node_id))


def get_reply(reply_id: str) -> CannedReplyItem | None:
    try:
        return CannedReplyItem.get(PARTITION, reply_id, consistent_read=True)
    except CannedReplyItem.DoesNotExist:
        return None
