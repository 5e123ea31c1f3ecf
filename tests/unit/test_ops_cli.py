"""`rax ops list | show | close` over a region's deliveries, without a broker (issue 14)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from ops.centre.operations import KnownOperation, fold
from ops.cli import main
from schemas.delivery import Delivery, DeliveryKind, delivery_id
from schemas.kafka_settings import KafkaSettings
from schemas.operation import (
    EscalationTrigger,
    EvidenceRead,
    Operation,
    OperationClosure,
    OperationOutcome,
    operation_id,
)
from schemas.vocab import Category, Priority

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
OWNER, OTHER = "500000", "510000"


def operation() -> Operation:
    reads = tuple(
        EvidenceRead(event_id=str(uuid.uuid4()), plate="川A12345", region=r, checkpoint_id="K", pass_time=NOW)
        for r in (OTHER, OWNER)
    )
    oid = operation_id(EscalationTrigger.CLONED_PLATE, "川A12345", "", reads[0].event_id, reads[1].event_id)
    return Operation(
        operation_id=oid,
        trigger=EscalationTrigger.CLONED_PLATE,
        plate="川A12345",
        category=Category.CLONED_PLATE,
        evidence=reads,
        regions=(OWNER, OTHER),
        owner=OWNER,
        priority=Priority.HIGH,
        opened_at=NOW,
    )


def closure(op: Operation) -> OperationClosure:
    return OperationClosure(
        operation_id=op.operation_id,
        trigger=op.trigger,
        plate=op.plate,
        owner=op.owner,
        outcome=OperationOutcome.FALSE_ALARM,
        opened_at=op.opened_at,
        closed_at=NOW,
    )


def delivered(payload: Operation | OperationClosure) -> Delivery:
    kind, key = (
        (DeliveryKind.OPERATION, payload.trigger.value)
        if isinstance(payload, Operation)
        else (DeliveryKind.OPERATION_CLOSED, "closed")
    )
    name = "operation" if isinstance(payload, Operation) else "closure"
    return Delivery.model_validate(
        {
            "delivery_id": delivery_id(payload.operation_id, key, OWNER),
            "recipient": OWNER,
            "kind": kind,
            "owner": OWNER,
            name: payload,
            "produced_at": NOW,
            "source_time": NOW,
        }
    )


def test_a_closing_read_before_its_opening_still_closes_it() -> None:
    op = operation()
    known = fold([delivered(closure(op)), delivered(op)])
    assert known[op.operation_id].status == "closed: false_alarm"
    assert fold([delivered(op)])[op.operation_id].summary()["status"] == "open"
    assert fold([delivered(closure(op))]) == {}  # an end without its operation is not listed


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> tuple[CliRunner, list[Any], dict[str, KnownOperation]]:
    sent: list[Any] = []
    known: dict[str, KnownOperation] = {}
    monkeypatch.setattr("ops.cli.ops_cmd.read_operations", lambda *_a, **_k: known)
    monkeypatch.setattr("ops.cli.ops_cmd.close_operation", lambda *a, **_k: sent.append(a) or _Sent())
    monkeypatch.setattr(
        "ops.cli.ops_cmd.resolve_kafka", lambda *_a: KafkaSettings(bootstrap_servers="127.0.0.1:1")
    )
    return CliRunner(), sent, known


class _Sent:
    close_id = "c" * 32


def test_the_owner_closes_an_open_operation_and_others_are_stopped_before_sending(
    cli: tuple[CliRunner, list[Any], dict[str, KnownOperation]],
) -> None:
    runner, sent, known = cli
    op = operation()
    args = ["ops", "close", op.operation_id, "--outcome", "confirmed", "--region"]
    unknown = runner.invoke(main, [*args, OWNER])
    assert unknown.exit_code == 1 and "was not delivered to 500000" in unknown.output
    known[op.operation_id] = KnownOperation(op)
    other = runner.invoke(main, [*args, OTHER])
    assert other.exit_code == 1 and "owned by 500000" in other.output
    ok = runner.invoke(main, [*args, OWNER, "--note", "seized"])
    assert ok.exit_code == 0, ok.output
    ((_, _, region, oid, outcome, note, _, mac_key, sign_keys),) = sent
    assert mac_key is None and sign_keys is None  # neither --mac-key nor --sign-keys given
    assert (region, oid, outcome, note) == (OWNER, op.operation_id, OperationOutcome.CONFIRMED, "seized")
    known[op.operation_id] = KnownOperation(op, closure(op))
    again = runner.invoke(main, [*args, OWNER])
    assert again.exit_code == 1 and "already" in again.output and len(sent) == 1


def test_list_and_show_print_what_was_delivered(
    cli: tuple[CliRunner, list[Any], dict[str, KnownOperation]],
) -> None:
    runner, _, known = cli
    op = operation()
    known[op.operation_id] = KnownOperation(op)
    listed = runner.invoke(main, ["ops", "list", "--region", OWNER, "--json", "--status", "open"])
    assert listed.exit_code == 0, listed.output
    assert orjson.loads(listed.output)["operation"] == op.operation_id
    closed = runner.invoke(main, ["ops", "list", "--region", OWNER, "--json", "--status", "closed"])
    assert closed.output == ""
    shown = runner.invoke(main, ["ops", "show", op.operation_id, "--region", OWNER])
    assert shown.exit_code == 0, shown.output
    body = orjson.loads(shown.output)
    assert body["status"] == "open" and len(body["operation"]["evidence"]) == 2


@pytest.mark.parametrize("hours", ["0", "-1", "inf", "nan", "1e12"])
def test_an_agreement_that_never_or_cannot_be_in_force_is_refused_before_sending(
    cli: tuple[CliRunner, list[Any], dict[str, KnownOperation]], monkeypatch: pytest.MonkeyPatch, hours: str
) -> None:
    # expiring now or before is refused by the processor in a dead letter the region never sees; inf or
    # a huge figure crashed with a traceback (timedelta overflow)
    runner, sent, _ = cli
    monkeypatch.setattr("ops.cli.ops_cmd.agree_operation", lambda *a, **_k: sent.append(a))
    args = ["ops", "agree", "0" * 32, "--region", OWNER, "--category", "drugs", "--purpose", "interception"]
    result = runner.invoke(main, [*args, "--basis", "法", "--no-check", "--hours", hours])
    assert result.exit_code == 2 and "--hours" in result.output and result.exception is not None
    assert sent == []
