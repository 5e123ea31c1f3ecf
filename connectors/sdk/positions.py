"""Resume positions: the local store (one JSON file, replaced atomically) and the in-order watermark.

A batch's position may be stored only once Kafka acknowledged every record of it and of every batch
before it; delivery reports arrive out of order across partitions, so ``Watermark`` keeps the batches
in poll order and releases positions from the front as batches complete.
"""

from __future__ import annotations

import os
import tempfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import orjson

from connectors.sdk.errors import FatalError
from connectors.sdk.records import Position

__all__ = ["PendingBatch", "PositionStore", "Watermark"]

_FILE = "position.json"


class PositionStore:
    """The last stored position of one connector instance, in ``<state_dir>/position.json``."""

    def __init__(self, state_dir: Path | None) -> None:
        self.path = state_dir / _FILE if state_dir is not None else None
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)

    def load(self) -> Position | None:
        if self.path is None or not self.path.exists():
            return None
        try:
            data = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise FatalError(
                f"cannot read the stored position {self.path}: {exc}",
                "restore it from a backup, or delete it to start the source from its beginning "
                "(records already sent are then sent again with the same event ids)",
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("position"), dict):
            raise FatalError(f"stored position {self.path} is not a position object", "delete or fix it")
        position: Position = data["position"]
        return position

    def save(self, position: Position) -> None:
        """Replace the stored position atomically (write a temp file, then rename over the old one)."""
        if self.path is None:
            return
        data = orjson.dumps({"version": 1, "position": position})
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".position-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


@dataclass(slots=True)
class PendingBatch:
    """One polled batch on its way to Kafka: how many of its records are not yet acknowledged."""

    position: Position | None
    outstanding: int
    started: float
    acked: int = 0


class Watermark:
    """Batches in poll order; ``advance`` pops the completed ones from the front, newest position last."""

    def __init__(self) -> None:
        self._batches: deque[PendingBatch] = deque()

    def add(self, batch: PendingBatch) -> None:
        self._batches.append(batch)

    def __len__(self) -> int:
        return len(self._batches)

    def advance(self) -> tuple[Position | None, list[PendingBatch]]:
        """(the newest position whose batches are all acknowledged, the batches completed now)."""
        position: Position | None = None
        completed: list[PendingBatch] = []
        while self._batches and self._batches[0].outstanding == 0:
            batch = self._batches.popleft()
            completed.append(batch)
            if batch.position is not None:
                position = batch.position
        return position, completed
