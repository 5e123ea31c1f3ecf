"""The one look-alike table: the matcher, the simulator, the schema and the docs all show the same classes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from connectors.simulator import plates as simulator
from schemas.jsonschema_gen import JSONSCHEMA_DIR
from schemas.plates.lookalikes import (
    LOOKALIKE_CLASSES,
    PROVINCE_CLASS,
    lookalikes_of,
    markdown_table,
    summary,
)
from schemas.plates.rules import PROVINCES
from schemas.watchlist import WatchlistEntry
from streams.hotpath import confusion

DOC = Path(__file__).parents[2] / "docs" / "hotpath.md"


def test_the_docs_show_the_table_of_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- lookalikes:begin[^>]*-->\n(.*?)\n<!-- lookalikes:end -->", text, re.DOTALL)
    assert found, "docs/hotpath.md has no look-alike table between its markers"
    assert found.group(1) == markdown_table(), (
        "docs/hotpath.md: paste schemas.plates.lookalikes.markdown_table()"
    )


def test_the_watchlist_schema_names_the_classes_of_the_code() -> None:
    description = WatchlistEntry.model_fields["tolerance"].description or ""
    assert summary() in description
    committed = json.loads((JSONSCHEMA_DIR / "watchlist_entry.json").read_text(encoding="utf-8"))
    assert summary() in committed["properties"]["tolerance"]["description"]


def test_the_matcher_and_the_simulator_use_the_one_table() -> None:
    assert confusion.LOOKALIKE_CLASSES is LOOKALIKE_CLASSES
    assert confusion.PROVINCES == PROVINCE_CLASS == "".join(PROVINCES)
    for ch, alternatives in simulator._SWAP.items():
        assert set(alternatives) <= set(lookalikes_of(ch)) - {ch}


def test_classes_are_disjoint_and_every_member_finds_its_class() -> None:
    members = "".join(LOOKALIKE_CLASSES) + PROVINCE_CLASS
    assert len(members) == len(set(members))
    for cls in (*LOOKALIKE_CLASSES, PROVINCE_CLASS):
        assert all(lookalikes_of(ch) == cls for ch in cls)
    assert lookalikes_of("警") == "警" and lookalikes_of("K") == "K"
