"""JSON Schema of every wire model, for integrators in any language; ``python -m schemas.jsonschema_gen``.

Writes ``schemas/jsonschema/<name>.json`` (sorted keys, indent 2, trailing newline) for each entry of
``WIRE_MODELS``; with ``--check`` writes nothing and exits 1 if a committed file is missing, differs
or has no model. The schemas describe the canonical (English) field names in validation mode: what a
producer may send. Input aliases (the Chinese hit field names, CAP element names) are accepted by the
decoder but not listed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from schemas.acks import Acknowledgement, DeadlineBreach
from schemas.alerts import Alert
from schemas.audit import AuditRecord
from schemas.delivery import Delivery
from schemas.delivery_notice import DeliveryNotice
from schemas.hits import CheckpointHit
from schemas.matching import Match
from schemas.operation import OperationClose, TemporaryAgreement
from schemas.replay_audit import ReplayAudit
from schemas.requests import RequestMessage
from schemas.scorecard import Scorecard
from schemas.sealed import SealedEnvelope
from schemas.watchlist import WatchlistCommand, WatchlistEntry
from schemas.zone import Zone, ZoneObject

__all__ = ["JSONSCHEMA_DIR", "WIRE_MODELS", "generate", "json_schema", "main", "render", "stale_files"]

#: Where the committed schemas live.
JSONSCHEMA_DIR = Path(__file__).resolve().parent / "jsonschema"

_DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: Every wire model by the name of its schema file. A union (WatchlistCommand) is a type expression.
WIRE_MODELS: dict[str, Any] = {
    "acknowledgement": Acknowledgement,
    "alert": Alert,
    "audit_record": AuditRecord,
    "checkpoint_hit": CheckpointHit,
    "deadline_breach": DeadlineBreach,
    "delivery": Delivery,
    "delivery_notice": DeliveryNotice,
    "match": Match,
    "operation_close": OperationClose,
    "temporary_agreement": TemporaryAgreement,
    "replay_audit": ReplayAudit,
    "request_message": RequestMessage,
    "scorecard": Scorecard,
    "sealed_envelope": SealedEnvelope,
    "watchlist_command": WatchlistCommand,
    "watchlist_entry": WatchlistEntry,
    "zone": Zone,
    "zone_object": ZoneObject,
}


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of the wire model registered as ``name``."""
    schema = TypeAdapter(WIRE_MODELS[name]).json_schema(mode="validation")
    schema.setdefault("title", "".join(part.capitalize() for part in name.split("_")))
    return {"$schema": _DIALECT, **schema}


def render(schema: dict[str, Any]) -> str:
    """The committed text of a schema: sorted keys, indent 2, UTF-8 characters kept, trailing newline."""
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def generate() -> dict[str, str]:
    """File name -> text, for every wire model."""
    return {f"{name}.json": render(json_schema(name)) for name in sorted(WIRE_MODELS)}


def stale_files(directory: Path = JSONSCHEMA_DIR) -> list[str]:
    """Why the committed schemas in ``directory`` are out of date (empty when they are current)."""
    expected = generate()
    problems = []
    for file_name, text in expected.items():
        path = directory / file_name
        if not path.exists():
            problems.append(f"{file_name}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{file_name}: differs from the model")
    if directory.is_dir():
        problems += [
            f"{p.name}: no wire model of that name"
            for p in sorted(directory.glob("*.json"))
            if p.name not in expected
        ]
    return problems


def main(argv: list[str] | None = None) -> int:
    """Write the schemas (or with ``--check`` only compare them); returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m schemas.jsonschema_gen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when out of date")
    parser.add_argument("--dir", type=Path, default=JSONSCHEMA_DIR, help="output directory")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_files(args.dir)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: python -m schemas.jsonschema_gen", file=sys.stderr)
        return 1 if problems else 0
    args.dir.mkdir(parents=True, exist_ok=True)
    for file_name, text in generate().items():
        (args.dir / file_name).write_text(text, encoding="utf-8")
    for orphan in stale_files(args.dir):
        print(f"warning: {orphan}", file=sys.stderr)
    print(f"wrote {len(WIRE_MODELS)} schemas to {args.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
