"""Reads a declarative zone file (YAML) into a validated Zone, or says which field is wrong and why."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from ops.zone.strict_yaml import strict_load
from schemas.zone import Zone

__all__ = ["ZoneFileError", "load_zone_file", "parse_zone"]


class ZoneFileError(ValueError):
    """A zone file that cannot be applied; ``problems`` holds one ``field: reason`` line each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{source}: " + ("\n  " if len(problems) > 1 else "") + "\n  ".join(problems))


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(zone)"


def parse_zone(data: object, source: str = "zone") -> Zone:
    """A Zone from already-parsed YAML/JSON data."""
    if not isinstance(data, dict):
        raise ZoneFileError(source, ["(zone): a zone file is a mapping with name, regions, adjacency, …"])
    try:
        return Zone.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            msg = str(err["msg"]).removeprefix("Value error, ")
            ctx_error = (err.get("ctx") or {}).get("error")
            if ctx_error is not None and hasattr(ctx_error, "problems"):
                problems += list(ctx_error.problems)  # the zone's own consistency checks
            else:
                problems.append(f"{_path(tuple(err['loc']))}: {msg}")
        raise ZoneFileError(source, problems) from None


def load_zone_file(path: str | Path) -> Zone:
    """The zone declared in ``path``."""
    path = Path(path)
    try:
        data = strict_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ZoneFileError(str(path), [f"(file): cannot read it: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise ZoneFileError(str(path), [f"(file): not UTF-8 text: byte {exc.start}: {exc.reason}"]) from None
    except yaml.YAMLError as exc:
        raise ZoneFileError(str(path), [f"(yaml): {exc}"]) from None
    return parse_zone(data, str(path))
