"""The delivery ids a command centre has already shown, kept across restarts in a small SQLite store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["SeenStore"]


class SeenStore:
    """Delivery ids already handled by one centre; ``add`` answers whether an id is new.

    Lifecycle: open once per client run, ``add`` each delivery before showing it, ``close`` at the end.
    Ids older than ``keep`` entries are pruned (deliveries are re-sent only within minutes of the
    original, by a replaying processor or a rewound consumer, so a bounded memory is enough).
    """

    def __init__(self, path: Path, keep: int = 1_000_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, n INTEGER)")
        self._keep = keep
        row = self._db.execute("SELECT COALESCE(MAX(n), 0) FROM seen").fetchone()
        self._n = int(row[0])

    def add(self, delivery_id: str) -> bool:
        """Records ``delivery_id``; True if it was not seen before."""
        self._n += 1
        cur = self._db.execute("INSERT OR IGNORE INTO seen (id, n) VALUES (?, ?)", (delivery_id, self._n))
        return cur.rowcount == 1

    def commit(self) -> None:
        """Makes the ids added so far durable (call before committing the Kafka offsets)."""
        if self._n % 10_000 == 0:
            self._db.execute("DELETE FROM seen WHERE n < ?", (self._n - self._keep,))
        self._db.commit()

    def __contains__(self, delivery_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM seen WHERE id = ?", (delivery_id,)).fetchone() is not None

    def close(self) -> None:
        self._db.commit()
        self._db.close()
