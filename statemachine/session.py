"""The per-user session: where the user is, how they got there, what the current flow remembers
and what outlives flows (the user's data: a login).

A `Session` serializes to a compact JSON-safe dict for storage (DynamoDB) and back. Loading is
tolerant: missing, damaged, unknown or unmigratable data gives a fresh session at home.

>>> session = Session("order", {"id": 7}, [("home", {}), ("orders", {"page": 2})], token="b",
...                   flow="photo", data={"note": "red"}, user_data={"lang": "ru"})
>>> session.to_dict()  # doctest: +NORMALIZE_WHITESPACE
{'v': 2, 's': 'order', 'p': {'id': 7}, 'h': [['home'], ['orders', {'page': 2}]],
 'f': 'photo', 'd': {'note': 'red'}, 'u': {'lang': 'ru'}, 't': 'b'}
>>> Session.from_dict(session.to_dict(), home="home") == session
True
>>> Session.from_dict({"v": 99, "s": "?"}, home="home").state
'home'

A dict without "v" is read as version 1, so `from_dict({"s": "login"}, home=...)` works.

Upgrading the format: bump `Session.VERSION` and add `MIGRATIONS[old_version]`, a function
that turns a dict of version `old_version` into one of version `old_version + 1` (or raises
`ValueError` to give up, which yields a fresh session). `from_dict` chains them.

Version 1 had one flat "d" shared by every flow and no flows: its data becomes the data of the
flow of the state the user is in (`ADOPT`), which the machine settles on the next update.

>>> Session.from_dict({"v": 1, "s": "photo_note", "d": {"note": "red"}, "t": "5"}, home="home").flow
'*'
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from .errors import ParamsError

Scalar = str | int | float | bool | None
Params = dict[str, Scalar]
Migration = Callable[[dict[str, Any]], dict[str, Any]]

ADOPT = "*"
"""The flow of data whose flow is not known yet: the flow of the state the user is in takes it."""


def _flows(stored: dict[str, Any]) -> dict[str, Any]:
    """Version 1 -> 2: the flat data becomes the current flow's (whichever that is)."""
    return {**stored, "v": 2, "f": ADOPT} if stored.get("d") else {**stored, "v": 2}


MIGRATIONS: dict[int, Migration] = {1: _flows}
"""Version n -> function upgrading a stored dict of version n to version n + 1."""

TOKEN_SPACE = 36**3
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_TOKEN = re.compile(r"[0-9a-z]{1,3}", re.ASCII)


def next_token(token: str) -> str:
    """The screen token after `token`: a base36 counter of at most 3 characters, wrapping.

    >>> next_token("0"), next_token("z"), next_token("zzz")
    ('1', '10', '0')
    """
    n = (int(token, 36) + 1) % TOKEN_SPACE
    digits = ""
    while True:
        n, digit = divmod(n, 36)
        digits = _DIGITS[digit] + digits
        if not n:
            return digits


def check_params(params: Mapping[str, object], where: str) -> Params:
    """A copy of `params` if it maps str to JSON-safe scalars, else `ParamsError`.

    >>> check_params({"page": 2}, "orders")
    {'page': 2}
    """
    checked: Params = {}
    for key, value in params.items():
        if not isinstance(key, str) or not _is_scalar(value):
            raise ParamsError(f"{where}: param {key!r}={value!r} is not a JSON-safe scalar")
        checked[key] = value  # type: ignore[assignment]  # _is_scalar checked the type
    return checked


def plain(value: object) -> Any:
    """A JSON-safe deep copy of `value` (Decimal from DynamoDB -> int/float, tuple -> list).

    Raises `ValueError` for anything JSON cannot hold.

    >>> plain({"n": Decimal("2"), "xs": (Decimal("1.5"), None)})
    {'n': 2, 'xs': [1.5, None]}
    """
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if _is_scalar(value):
        return value
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: plain(item) for key, item in value.items()}
    raise ValueError(f"not JSON-safe: {value!r}")


def _is_scalar(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int | bool)


@dataclass
class Session:
    """Current state and params, the breadcrumbs (oldest first), the current flow's data, the
    screen token, the current flow, and the user's data (kept across flows)."""

    VERSION: ClassVar[int] = 2

    state: str
    params: Params = field(default_factory=dict)
    history: list[tuple[str, Params]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    token: str = "0"  # noqa: S105  # a screen token, not a secret
    flow: str | None = None
    user_data: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> Session:
        """A deep copy: the engine works on one and never touches the session it was given."""
        return Session(
            self.state,
            dict(self.params),
            [(name, dict(params)) for name, params in self.history],
            copy.deepcopy(self.data),
            self.token,
            self.flow,
            copy.deepcopy(self.user_data),
        )

    def to_dict(self) -> dict[str, Any]:
        """A compact JSON-safe dict with the format version under "v"; empty parts omitted."""
        stored: dict[str, Any] = {"v": self.VERSION, "s": self.state}
        if self.params:
            stored["p"] = dict(self.params)
        if self.history:
            stored["h"] = [[name, dict(params)] if params else [name] for name, params in self.history]
        if self.flow is not None:
            stored["f"] = self.flow
        if self.data:
            stored["d"] = copy.deepcopy(self.data)
        if self.user_data:
            stored["u"] = copy.deepcopy(self.user_data)
        stored["t"] = self.token
        return stored

    @classmethod
    def from_dict(cls, stored: object, *, home: str) -> Session:
        """The session `stored` holds, or a fresh one at `home` if it holds none we can read."""
        try:
            return cls._load(stored)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, ParamsError):
            return cls(home)

    @classmethod
    def _load(cls, stored: object) -> Session:
        if not isinstance(stored, Mapping):
            raise TypeError("not a mapping")
        loaded: dict[str, Any] = plain(dict(stored))
        version = loaded.get("v", 1)  # no version: the first format
        if type(version) is not int or version > cls.VERSION:
            raise ValueError(f"unknown version {version!r}")
        while version < cls.VERSION:
            loaded = MIGRATIONS[version](loaded)  # KeyError: no way up from this version
            version += 1
        state = loaded["s"]
        token = loaded.get("t", "0")
        data, user_data, flow = loaded.get("d", {}), loaded.get("u", {}), loaded.get("f")
        if (
            not isinstance(state, str)
            or not state
            or not isinstance(data, dict)
            or not isinstance(user_data, dict)
        ):
            raise TypeError("bad state or data")
        if flow is not None and not isinstance(flow, str):
            raise TypeError("bad flow")
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise ValueError(f"bad token {token!r}")
        entries = loaded.get("h", [])
        if not isinstance(entries, list):
            raise TypeError("bad history")
        history = [_entry(entry) for entry in entries]
        params = check_params(loaded.get("p", {}), "stored session")
        return cls(state, params, history, data, token, flow, user_data)


def _entry(entry: list[Any]) -> tuple[str, Params]:
    name, *rest = entry
    if not isinstance(name, str) or len(rest) > 1:
        raise ValueError(f"bad history entry {entry!r}")
    return name, check_params(rest[0] if rest else {}, "stored history")
