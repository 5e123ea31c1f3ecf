"""Every text field of every wire model refuses invisible and control characters and unpaired surrogates."""

from __future__ import annotations

import types
import typing
import unicodedata
from typing import Annotated, Any

import orjson
import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from schemas.base import MULTI_LINE, REFUSED_CHARACTER, SINGLE_LINE
from schemas.codec import DecodeError, decode
from schemas.hits import CheckpointHit
from schemas.jsonschema_gen import WIRE_MODELS
from tests.unit.models_factories import hit_data

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "川A12345" + RLO + "txt" shows reversed on another screen


def _models(tp: Any) -> list[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [m for arg in typing.get_args(tp) for m in _models(arg)]


def _all_models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    todo = [m for tp in WIRE_MODELS.values() for m in _models(tp)]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.append(model)
        todo += [m for f in model.model_fields.values() for m in _models(f.annotation)]
    return seen


def _wrap(tp: Any, text: str) -> list[Any]:
    """Values of type ``tp`` that carry ``text`` in a string slot ([] if ``tp`` holds no strings)."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _wrap(typing.get_args(tp)[0], text)
    if tp is str:
        return [text]
    if origin in (typing.Union, types.UnionType):
        return [v for arg in typing.get_args(tp) if arg is not type(None) for v in _wrap(arg, text)]
    if origin in (tuple, list, frozenset, set):
        return [[v] for arg in typing.get_args(tp) if arg is not Ellipsis for v in _wrap(arg, text)]
    return []


def _string_fields() -> list[tuple[str, FieldInfo]]:
    return [
        (f"{model.__name__}.{name}", info)
        for model in _all_models()
        for name, info in model.model_fields.items()
        if _wrap(info.annotation, "x")
    ]


FIELDS = _string_fields()


def _refused(info: FieldInfo, text: str) -> bool:
    tp: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    adapter: TypeAdapter[Any] = TypeAdapter(tp)
    for value in _wrap(info.annotation, text):
        try:
            adapter.validate_python(value)
        except ValidationError:
            continue
        return False
    return True


def test_the_walk_finds_the_text_fields() -> None:
    names = {name for name, _ in FIELDS}
    assert len(names) > 60
    assert {"Alert.identifier", "Alert.signatures", "Info.headline", "Acknowledgement.note",
            "WithdrawCommand.reason", "ValuePair.value", "CheckpointHit.checkpoint_id"} <= names  # fmt: skip


@pytest.mark.parametrize(("name", "info"), FIELDS, ids=[n for n, _ in FIELDS])
def test_a_right_to_left_override_is_refused(name: str, info: FieldInfo) -> None:
    assert _refused(info, f"510000{RLO}gpj.exe"), f"{name} accepts U+202E"


#: one of each: C0, DEL, C1, soft hyphen, Arabic number sign, zero width space, LRI, BOM, tag character,
#: a musical-symbol format control (beyond the BMP), a lone surrogate
BAD = ["\x00", "\x1b", "\x7f", "\x85", "\u00ad", "\u0600", "\u200b", "\u2066", "\ufeff", "\U000e0041",
       "\U0001d173", "\ud800"]  # fmt: skip


@pytest.mark.parametrize(("name", "info"), FIELDS, ids=[n for n, _ in FIELDS])
def test_invisible_and_control_characters_are_refused(name: str, info: FieldInfo) -> None:
    accepted = [hex(ord(c)) for c in BAD if not _refused(info, f"ab{c}cd")]
    assert not accepted, f"{name} accepts {accepted}"


def test_every_format_character_of_this_python_is_refused() -> None:
    """The hard-coded class covers Unicode's whole Cf category (and Cc beyond tab, LF, CR)."""
    single, multi = (
        TypeAdapter(Annotated[str, SINGLE_LINE_FIELD]),
        TypeAdapter(Annotated[str, MULTI_LINE_FIELD]),
    )
    missed = []
    for code in range(0x110000):
        char = chr(code)
        if unicodedata.category(char) not in ("Cf", "Cc") or char in "\t\n\r":
            continue
        for adapter in (single, multi):
            try:
                adapter.validate_python(f"a{char}b")
                missed.append(hex(code))
            except ValidationError:
                pass
    assert not missed


def test_multi_line_text_keeps_tabs_and_line_breaks_and_single_line_text_does_not() -> None:
    text = "line one\n\tline two\r\nline three"
    assert TypeAdapter(Annotated[str, MULTI_LINE_FIELD]).validate_python(text) == text
    with pytest.raises(ValidationError):
        TypeAdapter(Annotated[str, SINGLE_LINE_FIELD]).validate_python(text)


SINGLE_LINE_FIELD = FieldInfo(annotation=str, pattern=SINGLE_LINE)
MULTI_LINE_FIELD = FieldInfo(annotation=str, pattern=MULTI_LINE)


def test_single_line_text_refuses_the_unicode_line_and_paragraph_separators() -> None:
    for sep in ("\u2028", "\u2029"):
        with pytest.raises(ValidationError):
            TypeAdapter(Annotated[str, SINGLE_LINE_FIELD]).validate_python(f"510000-K1{sep}gpj.exe")
        assert TypeAdapter(Annotated[str, MULTI_LINE_FIELD]).validate_python(f"a{sep}b") == f"a{sep}b"


NAMED = [(RLO, "RIGHT-TO-LEFT OVERRIDE"), ("\u2028", "LINE SEPARATOR"), ("\x07", "a control character"),
         ("\U000e0041", "TAG LATIN CAPITAL LETTER A")]  # fmt: skip


@pytest.mark.parametrize(("char", "name"), NAMED)
def test_a_refusal_names_the_character_and_never_repeats_the_invisible_pattern(char: str, name: str) -> None:
    data = hit_data(checkpoint_id=f"K1{char}X")
    with pytest.raises(DecodeError) as caught:
        decode(orjson.dumps(data), CheckpointHit)
    message = str(caught.value)
    assert f"checkpoint_id: holds U+{ord(char):04X} ({name}) at position 2" in message
    assert not REFUSED_CHARACTER.search(message) and message.isprintable()  # nothing invisible in a log


def test_another_patterns_refusal_shows_the_pattern_with_its_invisible_characters_escaped() -> None:
    with pytest.raises(DecodeError) as caught:
        decode(orjson.dumps(hit_data(region="51000A")), CheckpointHit)
    assert "region: String should match pattern '^[0-9]{6}$'" in str(caught.value)
