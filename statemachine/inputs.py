"""What the user sent: an `Input`, and matchers for message routes that are not text.

The Telegram adapter turns an update into an `Input`; the engine only looks at `kind`,
`text` and `data`, and leaves `payload` (the Telegram object) to handlers.

>>> CONTACT.match(Input("contact"))
{}
>>> PHOTO.match(Input.message("hello")) is None
True
>>> ANY.match(Input("sticker")), ANY.match(Input.callback("0|x"))
({}, None)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Input:
    """One update from the user.

    `kind` is "text", "contact", "photo", "document", "callback" or anything else the adapter
    produces ("sticker", "location"...). For "callback", `data` is the raw callback data,
    token included. `payload` is opaque to the engine.

    >>> Input.message("/start")
    Input(kind='text', text='/start', data=None, payload=None)
    >>> Input.callback("a|p:2").data
    'a|p:2'
    """

    kind: str
    text: str | None = None
    data: str | None = None
    payload: object = None

    @classmethod
    def message(cls, text: str, payload: object = None) -> Input:
        """A text message."""
        return cls("text", text=text, payload=payload)

    @classmethod
    def callback(cls, data: str, payload: object = None) -> Input:
        """An inline button press carrying `data` (token, separator, route data)."""
        return cls("callback", data=data, payload=payload)


class Matcher(Protocol):
    """Matches a message input; returns the keyword arguments for the handler, or None."""

    def match(self, input: Input, /) -> Mapping[str, str] | None: ...


class Kind:
    """Matches messages of the given kinds (of any kind when none is given).

    Callbacks are never messages.

    >>> Kind("location", "venue").match(Input("venue"))
    {}
    >>> Kind("location")
    Kind('location')
    """

    __slots__ = ("kinds",)

    def __init__(self, *kinds: str) -> None:
        self.kinds = frozenset(kinds)

    def match(self, input: Input, /) -> Mapping[str, str] | None:
        if input.kind == "callback" or (self.kinds and input.kind not in self.kinds):
            return None
        return {}

    def __repr__(self) -> str:
        return f"Kind({', '.join(map(repr, sorted(self.kinds)))})"


CONTACT = Kind("contact")
"""A shared contact (the handler checks it is the user's own, in `ctx.input.payload`)."""
PHOTO = Kind("photo")
DOCUMENT = Kind("document")
TEXT = Kind("text")
"""Any text; a regex pattern is the way to match particular texts."""
ANY = Kind()
"""Any message at all (not a callback)."""
