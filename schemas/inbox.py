"""The control inbox's envelope: what a record is and where it came from (headers; values unchanged).

The control app keys its state by region (alert threads), entry id (watchlist lifecycle) and delivery id
(acks and deadlines). Records arrive keyed otherwise, so its intake forwards each one to the inbox topic
(``Catalogue.control_inbox``) keyed by what its state is keyed by, value unchanged, with these headers;
every processor that makes a delivery also writes its notice there (kind ``notice``, key delivery id,
value a ``schemas.delivery_notice.DeliveryNotice``), so acks and deliveries of one id meet in one
partition. Kind ``delivery`` (the whole ``Delivery`` as delivered) is what versions before the notice
wrote; it is still read, so an inbox written by them is decided the same.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "HEADER_PREFIX",
    "KIND",
    "RECEIVED",
    "REGION",
    "SOURCE_KEY",
    "SOURCE_OFFSET",
    "SOURCE_PARTITION",
    "SOURCE_TIME",
    "SOURCE_TOPIC",
    "InboxKind",
    "inbox_headers",
]

HEADER_PREFIX = "rax.ctl."
KIND = "rax.ctl.kind"
REGION = "rax.ctl.region"
SOURCE_TOPIC = "rax.ctl.source.topic"
SOURCE_PARTITION = "rax.ctl.source.partition"
SOURCE_OFFSET = "rax.ctl.source.offset"
SOURCE_KEY = "rax.ctl.source.key"  # only when the inbox key is not the original key (alerts)
SOURCE_TIME = "rax.ctl.source.time"  # the original record's timestamp, epoch milliseconds
RECEIVED = "rax.ctl.received"  # when the control app took the original in, its clock, epoch milliseconds


class InboxKind(StrEnum):
    """What an inbox record is."""

    ALERT = "alert"  # a region's CAP alert (key: the sender region)
    WATCHLIST = "watchlist"  # a region's place / withdraw command (key: entry id)
    ACK = "ack"  # a command centre's acknowledgement (key: delivery id)
    NOTICE = "notice"  # a processor's notice of a delivery it made (key: delivery id; DeliveryNotice)
    DELIVERY = "delivery"  # the same, as written before notices: the whole Delivery (still read)
    REQUEST = "request"  # a region's cooperation request or answer to one (key: request id)


def inbox_headers(
    kind: InboxKind,
    region: str,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    *,
    key: bytes | None = None,
    timestamp_ms: int | None = None,
    received_ms: int | None = None,
) -> list[tuple[str, bytes]]:
    """The envelope of one inbox record; region = the topic's region (the publisher, or the recipient).

    ``key``: the original key, when the inbox key is another (an alert is re-keyed by its region), so a
    dead letter can carry the original; ``timestamp_ms``: when the original was written (the
    writer's clock); ``received_ms``: when the control app took it in (the exchange's clock, by which
    its times are judged and acknowledgements timed).
    """
    headers = [(KIND, kind.value.encode()), (REGION, region.encode())]
    if topic is not None:
        headers += [
            (SOURCE_TOPIC, topic.encode()),
            (SOURCE_PARTITION, str(partition or 0).encode()),
            (SOURCE_OFFSET, str(offset or 0).encode()),
        ]
    if key is not None:
        headers.append((SOURCE_KEY, key))
    if timestamp_ms is not None and timestamp_ms > 0:
        headers.append((SOURCE_TIME, str(timestamp_ms).encode()))
    if received_ms is not None:
        headers.append((RECEIVED, str(received_ms).encode()))
    return headers
