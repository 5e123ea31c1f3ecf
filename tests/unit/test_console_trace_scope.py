"""A console's trace shows only the audit records its own region is a party to."""

from __future__ import annotations

import uuid
from typing import Any

from ops.audit import build_timeline
from ops.console.review import trace_page
from ops.console.trace_scope import concerns, scoped
from schemas.audit import AuditRecord, audit_id
from schemas.delivery import delivery_id
from tests.unit.models_factories import audit_record

A, B, C = "510521", "500153", "500000"
LATE = "did not acknowledge by 2026-12-05T12:00:00+00:00"  # a breach's detail after the late region
NO_BASIS: dict[str, Any] = {"agreement_id": None, "purpose": None, "redacted": ()}


def _record(**over: Any) -> AuditRecord:
    did = delivery_id(str(uuid.uuid4()), "x", over.get("recipient", B))
    return audit_record(delivery_id=did, audit_id=audit_id(did), **over)


def _own(region: str, **over: Any) -> AuditRecord:
    """A record of ``region`` about itself (an act, a breach or a trace: reason ``owner``)."""
    return _record(**({"recipient": region, "owner": region, "reason": "owner", **NO_BASIS} | over))


def test_a_region_sees_what_it_owns_received_or_was_blamed_for_and_nothing_between_others() -> None:
    refers = "f" * 32
    shown = {
        "A's entry disclosed to B": _record(owner=A, recipient=B, hit_region=C),
        "B's entry disclosed to A": _record(owner=B, recipient=A, hit_region=B),
        "refused to A": _record(owner=B, recipient=A, decision="refused", reason="no_agreement", **NO_BASIS),
        "A acknowledged": _own(A, kind="match", act="acknowledged", actor="510521-0007", refers_to=refers),
        "A traced": _own(A, kind="audit_trace", act="traced", actor="510521-0001"),
        "A late, B told": _own(B, kind="deadline_breach", refers_to=refers, detail=f"{A} {LATE}"),
    }
    hidden = {
        "C's entry to B, read in A": _record(owner=C, recipient=B, hit_region=A),
        "B acknowledged": _own(B, kind="match", act="acknowledged", actor="500153-0007", refers_to=refers),
        "B traced": _own(B, kind="audit_trace", act="traced", actor="500153-0001"),
        "C late, B told": _own(B, kind="deadline_breach", refers_to=refers, detail=f"{C} {LATE}"),
    }
    assert {k for k, r in {**shown, **hidden}.items() if concerns(r, A)} == set(shown)
    everything = [*hidden.values(), *shown.values()]
    assert scoped(everything, A) == list(shown.values())  # in their order

    body = trace_page(A, "plate:川A12345", build_timeline(scoped(everything, A)))
    assert f"{len(shown)} record(s) concerning {A}" in body
    assert "scanned" not in body  # no count of the log's other records either
    assert f"{C}: " not in body.split('id="parties"')[1]  # C appears only in what A was not shown


def test_breach_records_without_a_region_in_their_detail_belong_to_their_owner_only() -> None:
    odd = _own(B, kind="deadline_breach", refers_to="f" * 32, detail="a deadline passed")
    assert concerns(odd, B) and not concerns(odd, A)
