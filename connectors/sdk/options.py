"""A config model's fields as command-line options (name, type, help): the CLI builds them from this."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, SecretStr

__all__ = ["OptionSpec", "option_specs"]


@dataclass(frozen=True)
class OptionSpec:
    """One option: ``--name``; ``kind`` is str, int, float, bool, path or choice."""

    field: str
    flag: str
    kind: str
    help: str
    required: bool
    multiple: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None


def _scalar(tp: Any) -> tuple[str, tuple[str, ...]] | None:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "choice", tuple(str(a) for a in typing.get_args(tp))
    if isinstance(tp, type):
        if issubclass(tp, Enum):
            return "choice", tuple(str(m.value) for m in tp)
        for base, kind in ((bool, "bool"), (int, "int"), (float, "float"), (Path, "path"), (str, "str")):
            if issubclass(tp, base):
                return kind, ()
    return None


def option_specs(model: type[BaseModel]) -> list[OptionSpec]:
    """Options for the model's fields that a command line can express (others: a --config file).

    A secret (``SecretStr``) is never an option: a command line is visible to every user in ``ps``.
    """
    specs: list[OptionSpec] = []
    for name, info in model.model_fields.items():
        tp: Any = info.annotation
        multiple = False
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if len(args) == 1 else tp
        if tp is SecretStr:
            continue
        if typing.get_origin(tp) in (tuple, list):
            args = [a for a in typing.get_args(tp) if a is not Ellipsis]
            tp, multiple = (args[0] if args else str), True
        scalar = _scalar(tp)
        if scalar is None:
            continue
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        specs.append(
            OptionSpec(
                field=name,
                flag="--" + name.replace("_", "-"),
                kind=scalar[0],
                help=info.description or "",
                required=info.is_required(),
                multiple=multiple,
                choices=scalar[1],
                default=default,
            )
        )
    return specs
