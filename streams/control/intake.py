"""Stage 1: a region's alert, watchlist command, ack or request, forwarded undecoded to the inbox, re-keyed.

The control app's state is keyed by region (alert threads), entry id (watchlist) and delivery id (acks
and deadlines); the regions' topics are keyed otherwise (alerts by identifier). So every input record is
forwarded, value unchanged, to ``Catalogue.control_inbox`` keyed by what its state is keyed by, with the
envelope of ``schemas.inbox`` (kind, region, source topic/partition/offset). Headers the region set
under ``rax.ctl.`` are dropped: only the app writes its envelope.
"""

from __future__ import annotations

from schemas.dlq import DlqReason, DlqStage
from schemas.inbox import HEADER_PREFIX, InboxKind, inbox_headers
from schemas.topics import Catalogue, TopicKind
from streams.control.common import Rejected
from streams.runtime import Headers, InRecord, Outgoing

__all__ = ["STREAM_OF", "forward"]

_KINDS = {
    TopicKind.ALERTS: InboxKind.ALERT,
    TopicKind.WATCHLIST_COMMANDS: InboxKind.WATCHLIST,
    TopicKind.ACKS: InboxKind.ACK,
    TopicKind.REQUESTS: InboxKind.REQUEST,
}
#: The stream (a metric label) of each inbox kind.
STREAM_OF = {
    InboxKind.ALERT: "alerts",
    InboxKind.WATCHLIST: "watchlist",
    InboxKind.ACK: "acks",
    InboxKind.DELIVERY: "deliveries",
    InboxKind.NOTICE: "deliveries",
    InboxKind.REQUEST: "requests",
}
_KEYED_BY = {
    InboxKind.WATCHLIST: "its entry id",
    InboxKind.ACK: "the delivery id it acknowledges",
    InboxKind.REQUEST: "its request id",
}


def forward(rec: InRecord, cat: Catalogue, received: float | None = None) -> tuple[InboxKind, Outgoing]:
    """The inbox record of ``rec`` (from ``rax.in.<r>.alerts|watchlist|acks|requests``); raises ``Rejected``.

    ``received``: the app's clock (epoch seconds) as it takes the record in, kept in the envelope: the
    record's times are judged, and an acknowledgement timed, by it, not by the sender's clock.
    """
    topic = rec.topic() or ""
    parsed = cat.parse_region_topic(topic)
    kind = _KINDS.get(parsed[1]) if parsed is not None else None
    if parsed is None or kind is None:
        raise Rejected(
            DlqReason.SCHEMA_VIOLATION, DlqStage.VALIDATE, f"{topic} is no input of the control app"
        )
    region = parsed[0]
    key = rec.key()
    original_key = None
    if kind == InboxKind.ALERT:
        original_key, key = key, region.encode()  # every thread of a sender region in one partition
    elif not key:
        raise Rejected(
            DlqReason.SCHEMA_VIOLATION,
            DlqStage.VALIDATE,
            f"a record on {topic} must be keyed by {_KEYED_BY[kind]}; this one has no key",
        )
    own: Headers = [(k, v) for k, v in rec.headers() or () if not k.startswith(HEADER_PREFIX)]
    envelope = inbox_headers(
        kind,
        region,
        topic,
        rec.partition(),
        rec.offset(),
        key=original_key,
        timestamp_ms=rec.timestamp()[1],
        received_ms=None if received is None else round(received * 1000),
    )
    return kind, Outgoing(cat.control_inbox, key, rec.value(), [*own, *envelope])
