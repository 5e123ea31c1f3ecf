"""The one codec between wire models and Kafka record bytes (JSON via orjson), with one decode error.

Exceptions::

    ValueError
    └── DecodeError          bytes that are not a valid record of the expected model
        .reason              DlqReason: invalid_json | schema_violation | unsupported_version
        .errors              tuple[FieldError]: path, message, type of every schema violation

pydantic's ``ValidationError`` and orjson's ``JSONDecodeError`` never leave this module.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError

from schemas.base import REFUSED_CHARACTER, UNREPRESENTABLE_TIME
from schemas.dlq import DlqReason
from schemas.watchlist import PlaceCommand, WatchlistCommand, WithdrawCommand

__all__ = [
    "DecodeError",
    "FieldError",
    "decode",
    "decode_any",
    "decode_command",
    "decode_fast",
    "encode",
    "readable",
]

M = TypeVar("M", bound=BaseModel)

#: How many field errors a DecodeError message lists (all of them stay in ``errors``).
_MESSAGE_ERRORS = 5


@dataclass(frozen=True, slots=True)
class FieldError:
    """One schema violation: where (``info[0].areas[1].circles``), what, and pydantic's error type."""

    path: str
    message: str
    type: str


class DecodeError(ValueError):
    """Bytes that do not decode to the expected wire model; the message says what and where."""

    def __init__(self, message: str, *, reason: DlqReason, errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(message)
        self.reason = reason
        self.errors = errors


def encode(model: BaseModel) -> bytes:
    """The JSON bytes of a wire model: English field names, UTC times as ``…Z``, enums as values."""
    # pydantic-core writes JSON bytes directly: measured faster than orjson.dumps(model_dump(...))
    # and it is the same serialiser that produces the JSON Schema's view of the model.
    return model.__pydantic_serializer__.to_json(model)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<record>"


_ESCAPE = re.compile(r"[^\x21-\x7e]")


def _escaped(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _message(error: Any) -> str:
    if error["type"] == "string_pattern_mismatch":
        value, pattern = error.get("input"), str(error.get("ctx", {}).get("pattern", ""))
        found = REFUSED_CHARACTER.search(value) if isinstance(value, str) else None
        if found is not None and REFUSED_CHARACTER.search(pattern):  # a text pattern refused a character
            ch = found.group()
            what = unicodedata.name(ch, "a control character")
            return (
                f"holds U+{ord(ch):04X} ({what}) at position {found.start()}: no text may hold a control, "
                "format, bidi or line-separator character"
            )
        # the pattern itself, its invisible characters escaped: a log or a dead letter shows them
        return f"String should match pattern '{_ESCAPE.sub(_escaped, pattern)}'"
    msg = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def _from_validation_error(exc: ValidationError, name: str) -> DecodeError:
    errors = tuple(FieldError(_path(e["loc"]), _message(e), e["type"]) for e in exc.errors())
    if any(e.path == "schema_version" or e.path.endswith(".schema_version") for e in errors):
        reason = DlqReason.UNSUPPORTED_VERSION
    elif any(e.type == UNREPRESENTABLE_TIME for e in errors):
        reason = DlqReason.IMPLAUSIBLE_TIME
    else:
        reason = DlqReason.SCHEMA_VIOLATION
    listed = "; ".join(f"{e.path}: {e.message}" for e in errors[:_MESSAGE_ERRORS])
    more = f" (and {len(errors) - _MESSAGE_ERRORS} more)" if len(errors) > _MESSAGE_ERRORS else ""
    return DecodeError(f"not a valid {name}: {listed}{more}", reason=reason, errors=errors)


def readable(exc: BaseException, name: str = "record") -> str:
    """``exc`` worded for a person: a pydantic ``ValidationError`` as ``decode`` words it (field paths,
    the refused character named, never a pattern's invisible characters), anything else as it is."""
    if isinstance(exc, ValidationError):
        return str(_from_validation_error(exc, name))
    return str(exc)


def _loads(data: bytes | bytearray | memoryview | str | None) -> Any:
    if not data:
        raise DecodeError("empty record value: expected a JSON object", reason=DlqReason.INVALID_JSON)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"invalid JSON: {exc}", reason=DlqReason.INVALID_JSON) from None


def decode(data: bytes | bytearray | memoryview | str | None, model_type: type[M]) -> M:
    """The ``model_type`` instance in ``data``; raises ``DecodeError``."""
    obj = _loads(data)
    if not isinstance(obj, dict):
        raise DecodeError(
            f"not a valid {model_type.__name__}: expected a JSON object, got {type(obj).__name__}",
            reason=DlqReason.SCHEMA_VIOLATION,
        )
    try:
        return model_type.model_validate(obj)
    except ValidationError as exc:
        raise _from_validation_error(exc, model_type.__name__) from None


def decode_fast(data: bytes | bytearray | memoryview | str | None, model_type: type[M]) -> M:
    """``decode``, parsing and validating in one pass in pydantic-core (~20 % less time for a hit).

    What it accepts, ``decode`` accepts with an equal result; whatever it refuses goes through ``decode``
    again, so a refused record gets exactly ``decode``'s error and reason, and a record the one-pass
    parser refuses but ``decode`` takes is taken. ``tests/unit/test_codec_fast.py`` checks both on
    generated hits, valid and broken. For the hot path's hits, where the refusals are rare.
    """
    if data is None or isinstance(data, memoryview):
        return decode(data, model_type)
    try:
        return model_type.model_validate_json(data)
    except ValidationError:
        return decode(data, model_type)


@cache
def _adapter(type_: Any) -> TypeAdapter[Any]:
    return TypeAdapter(type_)


def decode_any(data: bytes | bytearray | memoryview | str | None, type_: Any, name: str = "record") -> Any:
    """The value of any pydantic type expression (a union such as ``WatchlistCommand``) in ``data``.

    The type's adapter is built once and cached; ``type_`` must be hashable (type aliases are).
    """
    obj = _loads(data)
    try:
        return _adapter(type_).validate_python(obj)
    except ValidationError as exc:
        raise _from_validation_error(exc, name) from None


def decode_command(data: bytes | bytearray | memoryview | str | None) -> PlaceCommand | WithdrawCommand:
    """A watchlist command (place or withdraw, told apart by ``op``); raises ``DecodeError``."""
    command: PlaceCommand | WithdrawCommand = decode_any(data, WatchlistCommand, "watchlist command")
    return command
