"""Pure request logic of ``checkpoint-http``: a JSON body as pass records."""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["BodyError", "body_records"]

_BOM = b"\xef\xbb\xbf"


class BodyError(ValueError):
    """A request body that is not one pass record or a batch of them."""


def body_records(body: bytes, max_records: int) -> list[tuple[Any, bytes]]:
    """(fields, raw bytes) per record of a JSON object, an array, or ``{"records": [...]}``."""
    try:
        data = orjson.loads(body.removeprefix(_BOM))  # clients that write UTF-8 with a BOM send one
    except orjson.JSONDecodeError as exc:
        raise BodyError(f"invalid JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    items = data if isinstance(data, list) else [data]
    if not items:
        raise BodyError("no records in the body")
    if len(items) > max_records:
        raise BodyError(f"{len(items)} records in one request; at most {max_records}")
    return [(item, orjson.dumps(item)) for item in items]
