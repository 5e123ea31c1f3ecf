"""The peer's configuration: one JSON file the benchmark writes, read once at start-up."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class PeerConfig:
    """Everything the peer needs to know of the run and the zone (no RAX import in its venv)."""

    bootstrap: str
    consumer_group: str
    transactional_id: str
    hits_topics: tuple[str, ...]
    watchlist_topic: str
    #: region code -> its ``rax.out.<region>`` topic
    out_topics: dict[str, str]
    #: the look-alike classes (``schemas.plates.lookalikes``): a misread stays within one
    lookalike_classes: tuple[str, ...]
    #: ``"owner|category|hit region"`` -> the regions a match is delivered to (``decide_recipients``)
    recipients: dict[str, list[str]]
    dedup_window_s: float
    commit_interval: float
    state_dir: str

    @classmethod
    def read(cls, path: Path) -> PeerConfig:
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["hits_topics"] = tuple(doc["hits_topics"])
        doc["lookalike_classes"] = tuple(doc["lookalike_classes"])
        return cls(**doc)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")
