"""The "Writing a connector" example of docs/connectors.md: under 60 lines, and it works as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.support.kafka import consume_all, create_topics

DOC = Path(__file__).parents[2] / "docs" / "connectors.md"


def _example() -> str:
    section = DOC.read_text(encoding="utf-8").split("## Writing a connector", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "no python example in 'Writing a connector'"
    return match.group(1)


def test_the_example_is_under_60_lines() -> None:
    assert len(_example().strip().splitlines()) < 60


def test_the_example_publishes_its_hits_and_rejects_the_bad_plate(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    create_topics(kafka, catalogue.region_topics("510000", hit_partitions=3) + catalogue.shared_topics(3))
    module: dict[str, Any] = {"__name__": "docs_example"}
    exec(compile(_example(), str(DOC), "exec"), module)
    report = module["run"](kafka, catalogue.namespace, tmp_path / "state")
    assert (report.records_out, report.rejected) == (2, 1)
    hits = consume_all(kafka, catalogue.in_hits("510000"))
    assert sorted(m.key().decode() for m in hits) == ["川A12345", "渝BD12345"]
    assert len(consume_all(kafka, catalogue.dlq("connector", "510000"), expect=1, timeout=10)) == 1
    # run again: it resumes after its stored position and sends nothing twice
    again = module["run"](kafka, catalogue.namespace, tmp_path / "state")
    assert again.records_in == 0 and len(consume_all(kafka, catalogue.in_hits("510000"))) == 2
