"""What the bot shows: a `Screen` (text, inline keyboard, adapter options) made of `Button`s.

A button runs an `Action` (`action.button(text, arg)`, see `actions.py`), is one of the built-in
navigation buttons or opens a URL. Callback data sent to Telegram is `token + SEP + data`: the
screen token lets the engine tell a button of the current screen from one pressed on an old
message. Callback data is ASCII. Three data values are reserved for the built-in navigation,
handled in every state: `BACK` ("<"), `UP` ("^") and `HOME` ("~").

>>> screen = Screen("Orders", [[Button("Next", "p:2")], [Button.back("Back"), Button("Site", url="https://x.y")]])
>>> for row in screen.keyboard("a"):
...     print(row)
[{'text': 'Next', 'callback_data': 'a|p:2'}]
[{'text': 'Back', 'callback_data': 'a|<'}, {'text': 'Site', 'url': 'https://x.y'}]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import RenderError

if TYPE_CHECKING:
    from .actions import Action

SEP = "|"
"""Separates the screen token from the route data in callback data."""
BACK = "<"
UP = "^"
HOME = "~"
RESERVED = frozenset({BACK, UP, HOME})
MAX_CALLBACK_BYTES = 64
"""Telegram's limit on callback data, in bytes (UTF-8)."""


@dataclass(frozen=True)
class Button:
    """An inline button: `data` (without the token) or a `url`, exactly one of them.

    `action` is the `Action` the data runs (the engine checks the state declares it).

    >>> Button.up("Up")
    Button(text='Up', data='^', url=None)
    """

    text: str
    data: str | None = None
    url: str | None = None
    action: Action | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise RenderError(f"button {self.text!r} needs exactly one of data and url")

    @classmethod
    def back(cls, text: str) -> Button:
        """Back to the previous screen along the path taken."""
        return cls(text, BACK)

    @classmethod
    def up(cls, text: str) -> Button:
        """Up to the parent screen."""
        return cls(text, UP)

    @classmethod
    def home(cls, text: str) -> Button:
        """Home, forgetting the path."""
        return cls(text, HOME)


@dataclass(frozen=True)
class Screen:
    """Text, inline keyboard rows and options the engine does not interpret.

    `options` is for the adapter: e.g. `{"request_contact": "Share my phone"}`,
    `{"remove_keyboard": True}`, `{"parse_mode": "HTML"}`.

    >>> Screen("Hi", options={"parse_mode": "HTML"}).keyboard("0")
    []
    """

    text: str
    buttons: Sequence[Sequence[Button]] = ()
    options: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "buttons", tuple(tuple(row) for row in self.buttons))

    def keyboard(self, token: str) -> list[list[dict[str, str]]]:
        """Rows of Telegram `InlineKeyboardButton` dicts, callback data prefixed with `token`.

        Empty rows are dropped; data over 64 bytes raises `RenderError`.
        """
        rows = []
        for row in self.buttons:
            if row:
                rows.append([_telegram_button(button, token) for button in row])
        return rows


def _telegram_button(button: Button, token: str) -> dict[str, str]:
    if button.data is None:
        return {"text": button.text, "url": str(button.url)}
    data = f"{token}{SEP}{button.data}"
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise RenderError(
            f"button {button.text!r}: callback data {data!r} is over {MAX_CALLBACK_BYTES} bytes"
        )
    return {"text": button.text, "callback_data": data}
