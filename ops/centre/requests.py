"""A region's cooperation-request threads as they were delivered to it, and sending requests and answers.

The requester is given its own copy of each request it sent, every answer, and the deadline breaches
of its recipients; a recipient is given the request and a receipt of each of its own answers. So a
region's threads are folded from its out topic alone (``fold_threads``), each with every party's
status as far as the region was told. Sending goes through the connector SDK's ``RequestPublisher``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from connectors.sdk.requests import RequestPublisher
from ops.centre.outbox import read_deliveries
from schemas.acks import DeadlineBreach
from schemas.delivery import Delivery
from schemas.kafka_settings import KafkaSettings
from schemas.requests import CooperationRequest, RequestAnswer
from schemas.sealed_delivery import PrivateKeyLookup
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

__all__ = ["RequestThread", "fold_threads", "publish", "read_threads"]


@dataclass
class RequestThread:
    """One request and what the region was told of it: answers in order, breaches."""

    request: CooperationRequest
    answers: list[RequestAnswer] = field(default_factory=list)
    breaches: list[DeadlineBreach] = field(default_factory=list)

    def statuses(self) -> dict[str, str]:
        """Each recipient's latest status as far as the region knows (``pending`` if no answer yet)."""
        out = dict.fromkeys(self.request.recipients, "pending")
        for a in sorted(self.answers, key=lambda a: a.at):
            out[a.region] = a.status.value
        return out

    def summary(self, region: str) -> dict[str, Any]:
        """One line of `rax request list` for ``region``."""
        r = self.request
        return {
            "request": r.request_id,
            "role": "requester" if r.requester == region else "recipient",
            "requester": r.requester,
            "kind": r.kind.value,
            "plate": r.plate or r.person or r.checkpoint_id or "",
            "priority": r.priority.value,
            "sent_at": r.sent_at.isoformat(),
            "respond_by": r.respond_by.isoformat(),
            "statuses": self.statuses(),
            "breaches": [f"{b.region}:{b.stage.value}" for b in self.breaches],
        }

    def detail(self) -> dict[str, Any]:
        """The whole thread: the request, every answer, every breach."""
        return {
            "request": self.request.model_dump(mode="json", exclude={"schema_version"}),
            "answers": [a.model_dump(mode="json", exclude={"schema_version"}) for a in self.answers],
            "breaches": [b.model_dump(mode="json", exclude={"schema_version"}) for b in self.breaches],
        }


def fold_threads(deliveries: Iterable[Delivery]) -> dict[str, RequestThread]:
    """The threads among ``deliveries`` (any order), by request id; answers and breaches of a request
    the deliveries do not hold are left out, and so is a second copy of one answer."""
    requests: dict[str, CooperationRequest] = {}
    answers: dict[str, dict[str, RequestAnswer]] = {}
    breaches: dict[str, list[DeadlineBreach]] = {}
    for d in deliveries:
        if d.request is not None:
            requests[d.request.request_id] = d.request
        elif d.answer is not None:
            answers.setdefault(d.answer.request_id, {})[d.answer.answer_id] = d.answer
        elif d.breach is not None:
            breaches.setdefault(d.breach.subject_id, []).append(d.breach)
    return {
        rid: RequestThread(
            req,
            sorted(answers.get(rid, {}).values(), key=lambda a: a.at),
            breaches.get(rid, []),
        )
        for rid, req in requests.items()
    }


def read_threads(
    settings: KafkaSettings,
    cat: Catalogue,
    region: str,
    timeout: float = 30.0,
    keys: PrivateKeyLookup | None = None,
    unopened: list[str] | None = None,
) -> dict[str, RequestThread]:
    """Every thread ``region`` is a party to that its out topic still holds, sealed deliveries opened
    with ``keys``; why any did not open is appended to ``unopened``."""
    return fold_threads(read_deliveries(settings, cat, region, "requests", timeout, keys, unopened))


def publish(
    settings: KafkaSettings, cat: Catalogue, region: str, message: CooperationRequest | RequestAnswer
) -> None:
    """Publish ``message`` as ``region`` and wait until Kafka has it (``RuntimeError`` otherwise)."""
    producer = ClientFactory(settings, f"request@{region}").producer()
    RequestPublisher(producer, cat, region).publish(message)
