r"""Message routes: `(pattern, target)` pairs, compiled and checked once per pattern string; and
the check of callback patterns (the routes the engine derives from `Action`s).

A message pattern is a regex matched with `re.match` on the text of a "text" input (write
`^...$` to match the whole text), or a `Matcher` such as `CONTACT`. Named groups become the
handler's keyword arguments.

>>> route = message_route(r"^/order (?P<id>\d{1,9})$", "order", "commands")
>>> route.match(Input.message("/order 12")), route.match(Input.message("hello"))
({'id': '12'}, None)

Callback data is ASCII and at most 64 bytes, of which the token and separator take up to 4, so
an action's pattern must be bounded: `\d{1,6}`, not `\d+`.

>>> compile_callback(r"o:(?P<arg>\w+)")
'is unbounded: bound it, e.g. \\d{1,6} for \\d+'
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import DefinitionError, PatternError
from .inputs import Input, Kind, Matcher
from .screen import MAX_CALLBACK_BYTES, RESERVED, SEP

if TYPE_CHECKING:
    from .context import Nav

# The regex parser gives a pattern's maximum width; it is private but present in 3.11 and later.
_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")

Handler = Callable[..., "Nav | None"]
"""`handler(ctx, **groups) -> Nav | None` (None: stay on the current state)."""
Target = Handler | str
"""A handler, or the name of the state to go to."""
MessageSpec = tuple["str | Matcher", Target]

TOKEN_MAX_LENGTH = 3
ROUTE_DATA_BYTES = MAX_CALLBACK_BYTES - TOKEN_MAX_LENGTH - len(SEP)
"""Bytes left for route data in the callback data."""


@dataclass(frozen=True)
class MessageRoute:
    """A compiled message route."""

    pattern: str | Matcher
    target: Target
    regex: re.Pattern[str] | None

    def match(self, input: Input) -> Mapping[str, str | None] | None:
        """The handler's keyword arguments if `input` matches, else None."""
        if self.regex is None:
            return self.pattern.match(input)  # type: ignore[union-attr]  # no regex: a Matcher
        if input.kind != "text":
            return None
        found = self.regex.match(input.text or "")
        return None if found is None else found.groupdict()


def message_route(pattern: object, target: object, where: str) -> MessageRoute:
    """Compile and check a message route; `where` names its owner in error messages."""
    if isinstance(pattern, str):
        regex = _compile_message(pattern)
        if isinstance(regex, str):
            raise PatternError(f"{where}: message pattern {pattern!r} {regex}")
        return MessageRoute(pattern, _target(target, tuple(regex.groupindex), where), regex)
    if not callable(getattr(pattern, "match", None)):
        raise PatternError(f"{where}: message pattern {pattern!r} is neither a regex string nor a matcher")
    groups = () if isinstance(pattern, Kind) else None
    return MessageRoute(pattern, _target(target, groups, where), None)  # type: ignore[arg-type]


def _target(target: object, groups: tuple[str, ...] | None, where: str) -> Target:
    """Check that `target` is a state name or a handler taking (ctx, **groups)."""
    if isinstance(target, str):
        return target
    if not callable(target):
        raise DefinitionError(f"{where}: target {target!r} is neither a state name nor a handler")
    if groups is not None:
        try:
            signature = inspect.signature(target)
        except (TypeError, ValueError):  # some builtins have no signature: trust them
            return target
        try:
            signature.bind(None, **dict.fromkeys(groups, ""))
        except TypeError as error:
            name = getattr(target, "__qualname__", repr(target))
            raise DefinitionError(
                f"{where}: handler {name} cannot take (ctx, {', '.join(groups)}): {error}"
            ) from None
    return target


@functools.lru_cache(maxsize=4096)
def _compile_message(pattern: str) -> re.Pattern[str] | str:
    """The compiled pattern, or what is wrong with it (cached: families re-resolve per update)."""
    try:
        return re.compile(pattern)
    except (re.error, ValueError) as error:  # ValueError: incompatible flags
        return f"is not a valid regex: {error}"


@functools.lru_cache(maxsize=4096)
def compile_callback(pattern: str) -> re.Pattern[str] | str:
    """The compiled pattern, or what is wrong with it: invalid, colliding with Back/Up/Home, too long."""
    try:
        regex = re.compile(pattern, re.ASCII)
    except (re.error, ValueError) as error:  # ValueError: incompatible flags
        return f"is not a valid regex: {error}"
    for reserved in sorted(RESERVED):
        if regex.fullmatch(reserved):
            return f"matches the reserved data {reserved!r} of Back/Up/Home"
    tree = _parser.parse(pattern, re.ASCII)
    width = tree.getwidth()[1]
    if width >= _constants.MAXREPEAT:
        return r"is unbounded: bound it, e.g. \d{1,6} for \d+"
    size = width * 4 if _may_match_non_ascii(tree) else width  # 4: the most bytes of a UTF-8 char
    if size > ROUTE_DATA_BYTES:
        return (
            f"may match up to {size} bytes, over the {ROUTE_DATA_BYTES} bytes that fit in Telegram's "
            f"{MAX_CALLBACK_BYTES}-byte callback data after the token: bound it"
        )
    return regex


def _may_match_non_ascii(items: Any) -> bool:
    """Whether a parsed pattern (a sequence of (opcode, argument)) can match a non-ASCII char."""
    c = _constants
    for op, arg in items:
        if op in (c.ANY, c.NOT_LITERAL, c.NEGATE):
            return True
        if (op is c.LITERAL and arg > 127) or (op is c.RANGE and arg[1] > 127):
            return True
        if op is c.CATEGORY and "NOT" in str(arg):  # \D, \W, \S
            return True
        if op is c.IN and _may_match_non_ascii(arg):
            return True
        if any(_may_match_non_ascii(sub) for sub in _subpatterns(arg)):
            return True
    return False


def _subpatterns(arg: object) -> Iterator[Any]:
    """The nested subpatterns in an opcode's argument (groups, repeats, branches, assertions)."""
    if isinstance(arg, _parser.SubPattern):
        yield arg
    elif isinstance(arg, list | tuple):
        for item in arg:
            yield from _subpatterns(item)
