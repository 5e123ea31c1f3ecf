"""Follows a region's delivery topic read-committed, dropping deliveries already seen (by delivery id)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from confluent_kafka import KafkaError

from ops.centre.seen import SeenStore
from schemas.alert_signatures import verify_alert
from schemas.blind_entries import with_entry_details
from schemas.codec import DecodeError, decode
from schemas.crypto import OpenError
from schemas.delivery import Delivery
from schemas.kafka_settings import KafkaSettings
from schemas.keys import RegionKey
from schemas.sealed_delivery import PrivateKeyLookup, open_delivery
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

__all__ = ["DeliveryTail", "summarise"]

log = logging.getLogger(__name__)


class DeliveryTail:
    """A consumer of ``out(region)`` whose offsets advance only after the ids are stored as seen.

    Lifecycle: iterate ``deliveries()`` (it yields each new delivery once, across restarts), call
    ``close()`` at the end. The consumer group is ``<namespace>.region.<code>.centre-<name>``: inside
    the prefix the region's ACLs allow, so the same identity may run several named clients.
    """

    def __init__(
        self,
        settings: KafkaSettings,
        cat: Catalogue,
        region: str,
        seen: SeenStore,
        name: str = "tail",
        from_beginning: bool = True,
        keys: PrivateKeyLookup | None = None,
    ) -> None:
        self.topic = cat.out(region)
        self.seen = seen
        self.keys = keys
        self.duplicates = 0
        self.bad = 0
        self.unopened = 0  # sealed deliveries this client holds no key for: shown sealed, not dropped
        self._consumer = ClientFactory(settings, f"centre-{name}@{region}").consumer(
            f"{cat.region_group_prefix(region)}centre-{name}",
            {"auto.offset.reset": "earliest" if from_beginning else "latest"},
        )
        self._consumer.subscribe([self.topic])

    def deliveries(self, poll_timeout: float = 0.5) -> Iterator[Delivery | None]:
        """New deliveries as they come; ``None`` when a poll found nothing (so a view can refresh)."""
        while True:
            msgs = self._consumer.consume(500, poll_timeout)
            if not msgs:
                yield None
                continue
            for msg in msgs:
                err = msg.error()
                if err is not None:
                    if err.code() != KafkaError._PARTITION_EOF:
                        raise RuntimeError(f"reading {self.topic}: {err}")
                    continue
                try:
                    delivery = decode(msg.value() or b"", Delivery)
                except DecodeError as exc:
                    self.bad += 1
                    log.error(
                        "undecodable delivery at %s[%s]@%s: %s",
                        msg.topic(),
                        msg.partition(),
                        msg.offset(),
                        exc,
                    )
                    continue
                if self.seen.add(delivery.delivery_id):
                    yield self._opened(delivery)
                else:
                    self.duplicates += 1
            self.seen.commit()
            done = [m for m in msgs if m.error() is None]
            if done:  # the ids are stored as seen: now the offsets may advance past them
                for msg in done:
                    self._consumer.store_offsets(message=msg)
                self._consumer.commit(asynchronous=False)

    def _opened(self, delivery: Delivery) -> Delivery:
        """``delivery`` with its sealed payload opened by the region's keys, or as it came if it cannot be."""
        if delivery.sealed is None:
            return delivery
        try:
            if self.keys is None:
                raise OpenError(f"delivery {delivery.delivery_id} is sealed and no key store was given")
            return with_entry_details(open_delivery(delivery, self.keys), self.keys)  # a blind entry's too
        except OpenError as exc:
            self.unopened += 1
            log.error(
                "%s (shown sealed; rax keys list --region %s shows the keys held)", exc, delivery.recipient
            )
            return delivery

    def close(self) -> None:
        self._consumer.close()
        self.seen.close()


def summarise(d: Delivery, zone_keys: Iterable[RegionKey] | None = None) -> dict[str, Any]:
    """One line of the live view: what, for whom, how it matched, where and when.

    An alert's region signature is checked against ``zone_keys`` (the zone's published keys):
    ``signature`` is valid (and ``signed_by`` the issuing region), invalid (``signature_error`` says
    why), absent, or unchecked when no keys were given."""
    row: dict[str, Any] = {
        "delivery_id": d.delivery_id,
        "kind": d.kind.value,
        "owner": d.owner,
        "agreement": d.agreement_id,
        "produced_at": d.produced_at.isoformat(),
    }
    if d.sealed is not None:
        row.update(sealed_to=d.sealed.key_id, note="sealed to a key not held here: not opened")
    elif d.match is not None:
        m = d.match
        row.update(
            plate=m.plate,
            matched=m.matched_plate,
            how=m.kind.value,
            score=round(m.score, 2),
            action=m.action.value,
            priority=m.priority.value,
            category=m.category.value,
            where=m.checkpoint_id or m.hit_region,
            seen_at=m.pass_time.isoformat(),
        )
    elif d.alert is not None:
        info = d.alert.info[0] if d.alert.info else None
        row.update(
            identifier=d.alert.identifier,
            msg_type=d.alert.msg_type.value,
            headline=(info.headline or info.event) if info else None,
            plates=list(d.alert.plates),
        )
        if zone_keys is None:
            row["signature"] = "absent" if d.alert.region_signature is None else "unchecked"
        else:
            verdict = verify_alert(d.alert, zone_keys)
            row["signature"] = verdict.status
            if verdict.status == "valid":
                row["signed_by"] = verdict.signed_by
            elif verdict.status == "invalid":
                row["signature_error"] = verdict.reason
    elif d.breach is not None:
        row.update(
            breached=d.breach.delivery_id,
            region=d.breach.region,
            stage=d.breach.stage.value,
            due_at=d.breach.due_at.isoformat(),
        )
    elif d.operation is not None:
        op = d.operation
        row.update(
            operation=op.operation_id,
            trigger=op.trigger.value,
            plate=op.plate,
            priority=op.priority.value,
            regions=list(op.regions),
            reads=len(op.evidence),
            seen_at=op.evidence[-1].pass_time.isoformat(),
        )
    elif d.closure is not None:
        row.update(
            operation=d.closure.operation_id,
            trigger=d.closure.trigger.value,
            plate=d.closure.plate,
            outcome=d.closure.outcome.value,
        )
    elif d.request is not None:
        r = d.request
        row.update(request=r.request_id, request_kind=r.kind.value, plate=r.plate, priority=r.priority.value)
    elif d.answer is not None:
        row.update(request=d.answer.request_id, region=d.answer.region, status=d.answer.status.value)
    return row
