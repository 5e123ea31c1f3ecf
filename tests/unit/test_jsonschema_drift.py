"""The committed JSON Schemas in schemas/jsonschema match the wire models integrators validate against."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.jsonschema_gen import JSONSCHEMA_DIR, WIRE_MODELS, generate, main, stale_files

FIX = "run `python -m schemas.jsonschema_gen` and commit schemas/jsonschema/"


def test_committed_schemas_match_the_models() -> None:
    problems = stale_files()
    assert not problems, "JSON Schema out of date:\n  " + "\n  ".join(problems) + f"\n{FIX}"


@pytest.mark.parametrize("name", sorted(WIRE_MODELS))
def test_every_wire_model_has_a_schema_file(name: str) -> None:
    path = JSONSCHEMA_DIR / f"{name}.json"
    assert path.exists(), f"no JSON Schema for wire model {name!r}: {FIX}"
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_drift_is_detected(tmp_path: Path) -> None:
    for file_name, text in generate().items():
        (tmp_path / file_name).write_text(text, encoding="utf-8")
    assert stale_files(tmp_path) == []
    hit = tmp_path / "checkpoint_hit.json"
    hit.write_text(hit.read_text(encoding="utf-8").replace('"plate"', '"plate_number"'), encoding="utf-8")
    (tmp_path / "alert.json").unlink()
    (tmp_path / "old_model.json").write_text("{}\n", encoding="utf-8")
    assert stale_files(tmp_path) == [
        "alert.json: missing",
        "checkpoint_hit.json: differs from the model",
        "old_model.json: no wire model of that name",
    ]
    assert main(["--check", "--dir", str(tmp_path)]) == 1


def test_generator_writes_the_files(tmp_path: Path) -> None:
    assert main(["--dir", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.json" for n in WIRE_MODELS)
    text = (tmp_path / "checkpoint_hit.json").read_text(encoding="utf-8")
    assert text.endswith("}\n") and '"additionalProperties": false' in text
    assert main(["--check", "--dir", str(tmp_path)]) == 0


def test_schema_describes_the_canonical_field_names() -> None:
    hit = json.loads((JSONSCHEMA_DIR / "checkpoint_hit.json").read_text(encoding="utf-8"))
    assert {"checkpoint_id", "plate", "pass_time", "region"} <= set(hit["properties"])
    assert hit["required"] == ["event_id", "checkpoint_id", "region", "plate", "pass_time"]
    assert "description" in hit["properties"]["plate"]
