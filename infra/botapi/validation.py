"""Validate Bot API calls (and the stand-in's own answers) against the spec, recursively.

Everything structural comes from `spec.py` (names, types, required fields, unions, abstract types,
documented lengths such as "1-64 bytes" or "0-1024 characters after entities parsing"); the few
rules the spec states only in prose live in the small tables below. Errors use Telegram's wording
where it is known (e.g. "Bad Request: chat_id is empty", "Bad Request: BUTTON_DATA_INVALID",
"Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline
keyboard") and a clear "Bad Request: ..." otherwise.

Parameters arrive as strings (query string, form fields, multipart fields: objects and arrays
JSON-encoded) or as JSON values (application/json body) or as uploads; all four decode the same.

>>> validate_call("sendMessage", {"chat_id": "42", "text": "hi", "disable_notification": "True"})
{'chat_id': 42, 'text': 'hi', 'disable_notification': True}
>>> validate_call("sendMessage", {"chat_id": 42})
Traceback (most recent call last):
...
infra.botapi.validation.BotApiError: 400 Bad Request: message text is empty

Deliberately stricter than Telegram (to catch sloppy bots): inside JSON objects numbers and
strings are not converted into each other; a Boolean parameter must read true/false/1/0/yes/no;
an InlineKeyboardButton with two actions is refused; a bare "&" in HTML text is refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from infra.botapi.formatting import PARSE_MODES, EntityParseError, parse_text, utf16_len
from infra.botapi.spec import SCALARS, Field, Length, Spec, Type, load_spec


class BotApiError(Exception):
    """A refusal in Telegram's shape: HTTP status = error_code, plus description/parameters."""

    def __init__(self, error_code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class SpecViolation(ValueError):
    """The stand-in itself produced an object that does not match the spec (a bug here)."""


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart/form-data request (Telegram's InputFile)."""

    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class OneOf:
    """A prose rule "exactly / at most one of the fields ... must be used"."""

    exactly: bool
    besides: tuple[str, ...] = ()
    among: tuple[str, ...] = ()
    none_error: str = ""


# Rules the spec states only in prose (type descriptions), kept as data.
ONE_OF: dict[str, OneOf] = {
    "InlineKeyboardButton": OneOf(
        True,
        besides=("text", "icon_custom_emoji_id", "style"),
        none_error="Text buttons are unallowed in the inline keyboard",
    ),
    "KeyboardButton": OneOf(False, besides=("text", "icon_custom_emoji_id", "style")),
    "InputRichMessage": OneOf(True, among=("html", "markdown")),
    "InlineQueryResultsButton": OneOf(True, besides=("text",)),
}
# "For simple text buttons, String can be used instead of this object".
STRING_ALLOWED = {"KeyboardButton": "text"}
# Limits the spec leaves out of a field's description.
LENGTH_OVERRIDES = {("editMessageText", "text"): Length(1, 4096, "characters", True)}
# Telegram's wording for a limit: (owner or "*", field) -> (too short, too long).
LENGTH_ERRORS = {
    ("*", "text"): ("message text is empty", "message is too long"),
    ("*", "caption"): ("message caption is empty", "message caption is too long"),
    ("InlineKeyboardButton", "callback_data"): ("BUTTON_DATA_INVALID", "BUTTON_DATA_INVALID"),
    ("answerCallbackQuery", "text"): ("MESSAGE_TOO_SHORT", "MESSAGE_TOO_LONG"),
    ("BotCommand", "command"): ("BOT_COMMAND_INVALID", "BOT_COMMAND_INVALID"),
}
# Telegram's wording for a missing parameter: (method or "*", name) -> description.
MISSING_ERRORS = {
    ("*", "chat_id"): "chat_id is empty",
    ("*", "text"): "message text is empty",
    ("sendPhoto", "photo"): "there is no photo in the request",
    ("sendDocument", "document"): "there is no document in the request",
    ("*", "media"): "media is empty",
}
_ITEMS = re.compile(r"(\d+)-(\d+) items")
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


class _Invalid(Exception):
    def __init__(self, reason: str, *, full: bool = False, mismatch: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.full = full  # reason is the whole description (after "Bad Request: ")
        self.mismatch = mismatch  # the expected type, for a plain type mismatch
        self.in_type: str | None = None
        self.path: list[str] = []


def validate_call(method: str, params: dict[str, object], spec: Spec | None = None) -> dict[str, object]:
    """Decode and check one call; return the decoded params or raise BotApiError (400/404)."""
    spec = spec or load_spec()
    m = resolve_method(method, spec)
    if m is None:
        raise BotApiError(404, "Not Found")
    v = _Validator(spec, params, output=False)
    decoded: dict[str, object] = {}
    for f in spec.methods[m].fields:
        raw = _normalize(params.get(f.name))
        if raw is None or (raw == "" and f.types != ("String",)):
            if f.required:
                why = (
                    MISSING_ERRORS.get((m, f.name))
                    or MISSING_ERRORS.get(("*", f.name))
                    or f"{f.name} is required"
                )
                raise BotApiError(400, "Bad Request: " + why)
            continue
        try:
            decoded[f.name] = v.value(f.types, raw, f.name, m, top=True)
        except _Invalid as e:
            raise BotApiError(400, _describe(e, f.name)) from None
    try:
        v.limits(m, spec.methods[m].fields, decoded)
    except _Invalid as e:
        raise BotApiError(400, _describe(e, "")) from None
    _cross_field_rules(spec.methods[m].fields, decoded)
    return decoded


def resolve_method(name: str, spec: Spec | None = None) -> str | None:
    """The canonical method name; Telegram matches method names case-insensitively."""
    spec = spec or load_spec()
    if name in spec.methods:
        return name
    lowered = {k.lower(): k for k in spec.methods}
    return lowered.get(name.lower())


def check_object(types: str | tuple[str, ...], value: object, spec: Spec | None = None) -> None:
    """Raise SpecViolation unless `value` is exactly a valid object of `types` (no extra fields)."""
    spec = spec or load_spec()
    expr = (types,) if isinstance(types, str) else types
    try:
        _Validator(spec, {}, output=True).value(expr, value, "result", "", top=False)
    except _Invalid as e:
        where = ".".join(e.path) or "result"
        raise SpecViolation(f"{' or '.join(expr)}: {where}: {e.reason} (in {e.in_type})") from None


def _normalize(raw: object) -> object:
    """Top-level scalars from a JSON body read like their query-string form."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float):
        return str(raw)
    return raw


def _describe(e: _Invalid, name: str) -> str:
    if e.full:
        return "Bad Request: " + e.reason
    if e.in_type:
        return f"Bad Request: can't parse {_human(e.in_type)}: {e.reason}"
    return "Bad Request: " + e.reason


def _human(type_name: str) -> str:
    """InlineKeyboardButton -> "inline keyboard button" (Telegram's way of naming objects)."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type_name).lower()


def _cross_field_rules(fields: tuple[Field, ...], d: dict[str, object]) -> None:
    """Edits address either inline_message_id or chat_id + message_id."""
    names = {f.name for f in fields}
    if {"inline_message_id", "chat_id", "message_id"} <= names and "inline_message_id" not in d:
        if "chat_id" not in d:
            raise BotApiError(400, "Bad Request: chat_id is empty")
        if "message_id" not in d:
            raise BotApiError(400, "Bad Request: message identifier is not specified")


class _Validator:
    def __init__(self, spec: Spec, params: dict[str, object], *, output: bool) -> None:
        self.spec = spec
        self.params = params
        self.output = output

    def value(self, types: tuple[str, ...], v: object, name: str, owner: str, *, top: bool) -> object:
        """Decode `v` as the first fitting member of a union (plausible members first)."""
        decoded = v
        if top and isinstance(v, str) and any(t not in SCALARS for t in types):
            try:
                decoded = json.loads(v)
            except ValueError:
                if all(t not in SCALARS for t in types):
                    raise _Invalid(f"can't parse {name} JSON object", full=True) from None
        fits = {t: self._fit(t, decoded if t not in SCALARS else v) for t in types}
        if len(types) > 1 and not any(fits.values()):
            raise self._mismatch(" or ".join(types), name, top)
        errors: list[_Invalid] = []
        for t in sorted(types, key=lambda t: -fits[t]):
            try:
                return self._one(t, decoded if t not in SCALARS else v, name, owner, top=top)
            except _Invalid as e:
                errors.append(e)
        if len(errors) > 1 and all(e.mismatch for e in errors):
            raise self._mismatch(" or ".join(types), name, top)
        raise errors[0]

    def _fit(self, t: str, v: object) -> int:
        """How well `v` fits type `t`: 2 shape and required fields, 1 shape only, 0 not at all."""
        if t.startswith("Array of "):
            if not isinstance(v, list):
                return 0
            return min((self._fit(t[9:], x) for x in v[:3]), default=2)
        if t in SCALARS:
            if isinstance(v, UploadedFile):
                return 2 if t == "InputFile" else 0
            return 0 if isinstance(v, dict | list) else 2
        spec_type = self.spec.types.get(t)
        if spec_type is None:
            return 0
        if spec_type.is_abstract:
            return max(self._fit(s, v) for s in spec_type.subtypes)
        if isinstance(v, str) and t in STRING_ALLOWED:
            return 2
        if not isinstance(v, dict):
            return 0
        disc = spec_type.discriminator
        if disc and v.get(disc[0]) != disc[1]:
            return 0
        return 2 if all(r in v for r in spec_type.required) else 1

    def _mismatch(self, expected: str, name: str, top: bool) -> _Invalid:
        if top:
            return _Invalid(f'parameter "{name}" must be of type {expected}', mismatch=expected)
        return _Invalid(f'Field "{name}" must be of type {expected}', mismatch=expected)

    def _one(self, t: str, v: object, name: str, owner: str, *, top: bool) -> object:
        if t.startswith("Array of "):
            inner = t[9:]
            if not isinstance(v, list):
                if top:
                    raise _Invalid(f"can't parse {name}: expected an Array", full=True, mismatch=t)
                arrays = "an Array of Arrays" if inner.startswith("Array of ") else "an Array"
                raise _Invalid(f'field "{name}" of the {owner} should be {arrays}', full=True, mismatch=t)
            out = []
            for k, item in enumerate(v):
                if inner.startswith("Array of ") and not isinstance(item, list):
                    raise _Invalid(
                        f'field "{name}" of the {owner} should be an Array of Arrays', full=True, mismatch=t
                    )
                try:
                    out.append(self.value((inner,), item, name, owner, top=False))
                except _Invalid as e:
                    e.path.insert(0, str(k))
                    raise
            return out
        if t in SCALARS:
            return self._scalar(t, v, name, owner, top=top)
        spec_type = self.spec.types.get(t)
        if spec_type is None:
            raise _Invalid(f"unknown type {t} in the spec", full=True)
        if spec_type.is_abstract:
            return self.value(spec_type.subtypes, v, name, owner, top=top)
        if isinstance(v, str) and t in STRING_ALLOWED and not self.output:
            return {STRING_ALLOWED[t]: v}
        if not isinstance(v, dict):
            if top:
                raise _Invalid(f"can't parse {name} JSON object", full=True, mismatch=t)
            raise self._mismatch(t, name, top)
        return self._object(spec_type, v)

    def _scalar(self, t: str, v: object, name: str, owner: str, *, top: bool) -> object:
        if t == "InputFile":
            if isinstance(v, UploadedFile) and not self.output:
                return v
            raise self._mismatch("InputFile (a multipart/form-data upload)", name, top)
        if isinstance(v, UploadedFile):
            raise self._mismatch(t, name, top)
        if top and isinstance(v, str):
            return self._from_text(t, v, name, owner)
        if t == "Integer" and isinstance(v, int) and not isinstance(v, bool):
            return v
        if t == "Float" and isinstance(v, int | float) and not isinstance(v, bool):
            return v
        if t == "Boolean" and isinstance(v, bool):
            return v
        if t == "String" and isinstance(v, str):
            return self._attach(v, name, owner)
        raise self._mismatch(t, name, top)

    def _from_text(self, t: str, v: str, name: str, owner: str) -> object:
        s = v.strip()
        if t == "Integer" and _INT.fullmatch(s):
            return int(s)
        if t == "Float" and _FLOAT.fullmatch(s):
            return float(s)
        if t == "Boolean" and s.lower() in _TRUE | _FALSE:
            return s.lower() in _TRUE
        if t == "String":
            return self._attach(v, name, owner)
        raise self._mismatch(t, name, True)

    def _attach(self, v: str, name: str, owner: str) -> object:
        """`attach://<part>` in a file field refers to a multipart upload of this request."""
        if self.output or not v.startswith("attach://") or not self._is_file_field(name, owner):
            return v
        part = self.params.get(v.removeprefix("attach://"))
        if not isinstance(part, UploadedFile):
            raise _Invalid(f"file {v} not found in the request", full=True)
        return part

    def _is_file_field(self, name: str, owner: str) -> bool:
        m = self.spec.methods.get(owner)
        fields = m.fields if m else self.spec.types[owner].fields if owner in self.spec.types else ()
        f = next((f for f in fields if f.name == name), None)
        return f is not None and ("InputFile" in f.types or "attach://" in f.description)

    def _object(self, t: Type, d: dict[str, Any]) -> dict[str, object]:
        out: dict[str, object] = {}
        try:
            for f in t.fields:
                if f.name not in d:
                    if f.required:
                        raise _Invalid(f'Can\'t find field "{f.name}"')
                    continue
                try:
                    out[f.name] = self.value(f.types, d[f.name], f.name, t.name, top=False)
                except _Invalid as e:
                    e.path.insert(0, f.name)
                    raise
            if self.output:
                extra = sorted(set(d) - set(t.by_name))
                if extra:
                    raise _Invalid(f"unexpected field(s) {', '.join(extra)}")
                return out
            disc = t.discriminator
            if disc and out.get(disc[0]) != disc[1]:
                raise _Invalid(f'Field "{disc[0]}" must be "{disc[1]}"')
            self._one_of(t, out)
            self.limits(t.name, t.fields, out)
        except _Invalid as e:
            if e.in_type is None:
                e.in_type = t.name
            raise
        return out

    def _one_of(self, t: Type, d: dict[str, object]) -> None:
        rule = ONE_OF.get(t.name)
        if rule is None:
            return
        among = rule.among or tuple(f.name for f in t.fields if f.name not in rule.besides)
        used = [k for k in among if k in d]
        if rule.exactly and not used:
            raise _Invalid(rule.none_error or f"exactly one of the fields {', '.join(among)} must be used")
        if len(used) > 1:
            raise _Invalid(f"only one of the fields {', '.join(among)} can be used, got {', '.join(used)}")

    def limits(self, owner: str, fields: tuple[Field, ...], d: dict[str, object]) -> None:
        """Documented sizes: strings (after entity parsing where stated) and array item counts."""
        if self.output:
            return
        for f in fields:
            value = d.get(f.name)
            if isinstance(value, list) and f.types[0].startswith("Array of "):
                m = _ITEMS.search(f.description)
                if m and not int(m.group(1)) <= len(value) <= int(m.group(2)):
                    raise _Invalid(f"{f.name} must include {m.group(1)}-{m.group(2)} items", full=True)
            if not isinstance(value, str):
                continue
            limit = LENGTH_OVERRIDES.get((owner, f.name)) or f.length
            if limit is None:
                continue
            text = value
            if limit.after_entities:
                mode_field = (
                    f"{f.name}_parse_mode"
                    if any(x.name == f"{f.name}_parse_mode" for x in fields)
                    else "parse_mode"
                )
                mode = d.get(mode_field)
                if isinstance(mode, str) and mode and mode.lower() not in PARSE_MODES:
                    raise _Invalid("unsupported parse_mode", full=True)
                try:
                    text, _ = parse_text(value, mode if isinstance(mode, str) else None)
                except EntityParseError as e:
                    raise _Invalid(f"can't parse entities: {e}", full=True) from None
            size = len(text.encode("utf-8")) if limit.unit == "bytes" else utf16_len(text)
            if limit.low <= size <= limit.high:
                continue
            wording = LENGTH_ERRORS.get((owner, f.name))
            if wording is None and limit.after_entities:
                wording = LENGTH_ERRORS.get(("*", f.name))
            short, long = wording or ("", "")
            why = short if size < limit.low else long
            raise _Invalid(why or f"{f.name} must be {limit.low}-{limit.high} {limit.unit} long", full=True)
