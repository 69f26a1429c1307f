"""The Telegram Bot API as data, so the stand-in is strict wherever Telegram is.

`telegram-bot-api.json` beside this module is a machine-readable scrape of the official
documentation (MIT, see `telegram-bot-api.LICENSE`). Everything the validator knows about methods,
parameters and object types comes from here; nothing is hand-copied.

>>> spec = load_spec()
>>> spec.method("sendMessage").field("chat_id").types
('Integer', 'String')
>>> spec.type("InputMedia").subtypes[:2]
('InputMediaAnimation', 'InputMediaAudio')
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

SPEC_PATH = Path(__file__).with_name("telegram-bot-api.json")
SCALARS = frozenset({"Integer", "Float", "Boolean", "String", "InputFile"})
_DISCRIMINATOR = re.compile(r'(?:must be |always ")([a-z_]+)')
_LENGTH = re.compile(r"(\d+)-(\d+) (characters|bytes)( after entities parsing)?")


@dataclass(frozen=True)
class Length:
    """A documented size limit of a string field ("1-64 bytes", "0-1024 characters ...")."""

    low: int
    high: int
    unit: str  # "characters" (counted in UTF-16 code units, as Telegram does) or "bytes"
    after_entities: bool  # the limit applies to the text once parse_mode markup is stripped


@dataclass(frozen=True)
class Field:
    """One parameter of a method or one field of an object type."""

    name: str
    types: tuple[str, ...]
    required: bool
    description: str

    @functools.cached_property
    def length(self) -> Length | None:
        """The documented length limit of a String field, if its description states one."""
        if "String" not in self.types:
            return None
        m = _LENGTH.search(self.description)
        if not m:
            return None
        return Length(int(m.group(1)), int(m.group(2)), m.group(3), bool(m.group(4)))


@dataclass(frozen=True)
class Method:
    """A Bot API method: its parameters and its documented return types."""

    name: str
    fields: tuple[Field, ...]
    returns: tuple[str, ...]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


@dataclass(frozen=True)
class Type:
    """An object type (with fields) or an abstract one (a union of subtypes)."""

    name: str
    fields: tuple[Field, ...]
    subtypes: tuple[str, ...]
    description: str

    @property
    def is_abstract(self) -> bool:
        return bool(self.subtypes)

    @functools.cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @functools.cached_property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @functools.cached_property
    def discriminator(self) -> tuple[str, str] | None:
        """(field, value) fixing this subtype, e.g. ("type", "photo") for InputMediaPhoto."""
        for f in self.fields[:1]:
            if f.name in ("type", "source", "status") and f.types == ("String",):
                m = _DISCRIMINATOR.search(f.description)
                if m:
                    return f.name, m.group(1)
        return None


class Spec:
    """Look-ups over the loaded spec; build it with `load_spec()`."""

    def __init__(self, raw: dict[str, object]) -> None:
        self.version = str(raw["version"])
        methods, types = raw["methods"], raw["types"]
        if not isinstance(methods, dict) or not isinstance(types, dict):
            raise TypeError("not a Bot API spec: methods and types must be objects")
        self.methods: dict[str, Method] = {
            name: Method(name, tuple(_fields(m)), tuple(m.get("returns", ()))) for name, m in methods.items()
        }
        self.types: dict[str, Type] = {
            name: Type(
                name,
                tuple(_fields(t)),
                tuple(t.get("subtypes", ())),
                " ".join(t.get("description", ())),
            )
            for name, t in types.items()
        }

    def method(self, name: str) -> Method | None:
        return self.methods.get(name)

    def type(self, name: str) -> Type | None:
        return self.types.get(name)


def _fields(raw: dict[str, list[dict[str, object]]]) -> list[Field]:
    return [
        Field(str(f["name"]), tuple(f["types"]), bool(f["required"]), str(f.get("description", "")))  # type: ignore[arg-type]
        for f in raw.get("fields", ())
    ]


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> Spec:
    """Parse the spec once per process (it is about 1 MB of JSON)."""
    return Spec(json.loads(path.read_text(encoding="utf-8")))
