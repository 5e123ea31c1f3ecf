"""A request's deadlines, per recipient, through the acknowledgement machinery (``acks.deadlines``).

Each recipient of a request is seen as a delivery (``party_delivery``): owed an acknowledgement (any
answer; by the deadline policy for its action and priority, never later than ``respond_by``) and a
final answer (answered or declined) by the requester's ``respond_by``. Due items are keyed
``"<request id> <region>"``; a popped item is checked against the stored thread, so a stale one is
harmless, and the breached stage is stored with the breach, so it is raised once.
"""

from __future__ import annotations

from datetime import datetime

from schemas.delivery import DeliveryKind
from schemas.requests import RequestKind
from schemas.topics import Catalogue
from streams.control.acks.deadlines import BreachResult, Due, breach, due_items
from streams.control.config import DeadlinePolicy
from streams.control.requests.logic import FINAL
from streams.control.state import DeliveryState, PartyState, RequestState

__all__ = ["party_delivery", "request_breach", "request_due_items", "with_party_breached"]


def _item_key(request_id: str, region: str) -> str:
    return f"{request_id} {region}"


def party_delivery(request_id: str, state: RequestState, region: str) -> DeliveryState:
    """The request's delivery to ``region`` as the acknowledgement machinery sees a delivery."""
    party = state["parties"][region]
    return DeliveryState(
        recipient=region,
        owner=state["requester"],
        kind=DeliveryKind.REQUEST.value,
        subject=request_id,
        action=RequestKind(state["kind"]).action.value,
        priority=state["priority"],
        category=state["category"],
        delivered_at=state["delivered_at"],
        checkpoint=None,
        entry=None,
        received_at=party["received_at"],
        outcome=party["status"] if party["status"] in FINAL else None,
        acks=party["answers"],
        breached=party["breached"],
        respond_by=state["respond_by"],
    )


def request_due_items(policy: DeadlinePolicy, request_id: str, state: RequestState) -> list[Due]:
    """Every deadline the request's recipients still owe."""
    items: list[Due] = []
    for region, party in state["parties"].items():
        view = party_delivery(request_id, state, region)
        key = _item_key(request_id, region)
        items += [(due, key, stage) for due, _, stage in due_items(policy, party["delivery"], view)]
    return items


def request_breach(
    item: Due, requests: dict[str, RequestState], *, catalogue: Catalogue, now: datetime
) -> tuple[str, str, BreachResult] | None:
    """The breach of ``item`` if that answer is still missing at ``now``: (request id, region, breach)."""
    due, key, stage = item
    request_id, _, region = key.partition(" ")
    state = requests.get(request_id)
    if state is None or region not in state["parties"]:
        return None
    party = state["parties"][region]
    result = breach(
        (due, party["delivery"], stage),
        party_delivery(request_id, state, region),
        catalogue=catalogue,
        now=now,
    )
    return None if result is None else (request_id, region, result)


def with_party_breached(state: RequestState, region: str, stage: str) -> RequestState:
    """A copy of ``state`` with ``stage`` recorded as breached for ``region``."""
    party = PartyState(**state["parties"][region])
    party["breached"] = [*party["breached"], stage]
    new = RequestState(**state)
    new["parties"] = {**state["parties"], region: party}
    return new
