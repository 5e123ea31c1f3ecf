"""Validation before producing: source fields -> the wire model -> (key, value bytes), or a rejection."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from connectors.sdk.records import RecordKind
from schemas.alerts import Alert
from schemas.codec import DecodeError, decode, decode_any, decode_command, encode
from schemas.dlq import DlqReason
from schemas.hits import CheckpointHit
from schemas.requests import CooperationRequest, RequestMessage
from schemas.topics import Catalogue

__all__ = ["Rejection", "Validated", "topic_for", "validate"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Validated:
    """A record ready to produce."""

    key: bytes
    value: bytes
    region: str


class Rejection(ValueError):
    """A record that is not a valid wire record; ``reason`` is a bounded DLQ code."""

    def __init__(self, message: str, reason: DlqReason) -> None:
        super().__init__(message)
        self.reason = reason


def topic_for(catalogue: Catalogue, kind: RecordKind, region: str) -> str:
    """The input topic of ``region`` for ``kind``."""
    if kind is RecordKind.HITS:
        return catalogue.in_hits(region)
    if kind is RecordKind.WATCHLIST:
        return catalogue.in_watchlist(region)
    if kind is RecordKind.REQUESTS:
        return catalogue.in_requests(region)
    return catalogue.in_alerts(region)


def _hit(data: bytes) -> Validated:
    hit = decode(data, CheckpointHit)
    return Validated(hit.plate.encode(), encode(hit), hit.region)


def _command(data: bytes) -> Validated:
    command = decode_command(data)
    entry_id = command.entry.entry_id if command.op == "place" else command.entry_id
    return Validated(entry_id.encode(), encode(command), command.region)


def _alert(data: bytes) -> Validated:
    alert = decode(data, Alert)
    return Validated(alert.identifier.encode(), encode(alert), alert.sender_region)


def _request(data: bytes) -> Validated:
    message = decode_any(data, RequestMessage, "request or answer")
    region = message.requester if isinstance(message, CooperationRequest) else message.region
    return Validated(message.request_id.encode(), encode(message), region)


_BY_KIND: dict[RecordKind, Callable[[bytes], Validated]] = {
    RecordKind.HITS: _hit,
    RecordKind.WATCHLIST: _command,
    RecordKind.ALERTS: _alert,
    RecordKind.REQUESTS: _request,
}


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def validate(kind: RecordKind, value: Mapping[str, Any] | bytes, region: str) -> Validated:
    """The produced form of ``value``; raises ``Rejection``.

    The region inside the record must be the connector's region: the processors treat any other
    region on a region's topic as an impersonation attempt, so a connector refuses it at the source
    (a province's feed that carries county codes in ``xzqh`` is published by each county's connector,
    or mapped to the province with the county kept in the checkpoint id).
    """
    try:
        data = value if isinstance(value, bytes) else orjson.dumps(dict(value), default=_json_default)
    except TypeError as exc:
        raise Rejection(f"record fields are not JSON: {exc}", DlqReason.BAD_SOURCE_RECORD) from None
    try:
        out = _BY_KIND[kind](data)
    except DecodeError as exc:
        raise Rejection(str(exc), exc.reason) from None
    except Exception as exc:  # a validator's bug must cost one record, never the connector
        log.exception("validating a %s record failed unexpectedly", kind.value)
        error = f"the record could not be validated ({type(exc).__name__}: {exc}): a bug, reported"
        raise Rejection(error, DlqReason.PROCESSING_ERROR) from None
    if out.region != region:
        raise Rejection(
            f"record of region {out.region} on a connector of region {region}: a connector publishes "
            "only its own region's records",
            DlqReason.REGION_MISMATCH,
        )
    return out
