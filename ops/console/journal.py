"""The console's own record of what its officers did (answers, alerts sent): an append-only JSON-lines file.

It is the local audit (who did what, when, from which address) and, read back at start, the state of
every answer and the alerts this centre may update or cancel: the region may publish to its acks and
alerts topics but not read them back (the broker's ACLs), so the console remembers what it sent.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

__all__ = ["Journal"]


class Journal:
    """Appends one JSON object per line (``at``, ``officer``, ``what`` …) and reads them all back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, entry: dict[str, Any]) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "ab") as f:
            f.write(orjson.dumps(entry) + b"\n")

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_bytes().splitlines():
            try:
                out.append(orjson.loads(line))
            except orjson.JSONDecodeError:  # a line cut by a crash mid-write: the rest still counts
                continue
        return out
