"""`rax request send | list | answer`: cooperation requests (协查) between regions, as a region."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import click
import orjson

from ops.centre.requests import publish, read_threads
from ops.cli.common import (
    fail,
    kafka_options,
    keys_option,
    namespace_option,
    region_code,
    resolve_kafka,
    seal_keys,
)
from schemas.codec import DecodeError, readable
from schemas.requests import AnswerStatus, CooperationRequest, RequestAnswer, RequestKind
from schemas.topics import Catalogue
from schemas.vocab import Category, Priority

__all__ = ["command"]


_M = TypeVar("_M", CooperationRequest, RequestAnswer)


def _model(model: type[_M], fields: dict[str, object]) -> _M:
    try:
        return model.model_validate(fields)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        fail(readable(exc, model.__name__))


def _attachment(text: str) -> dict[str, object]:
    uri, sep, digest = text.rpartition("#sha256=")
    if not sep:
        fail(
            f"--attach {text!r}: write URI#sha256=HEX (the file stays in your store; only its reference goes)"
        )
    return {"uri": uri, "sha256": digest.lower()}


def _publish(bootstrap: str | None, username: str | None, password: str | None, ssl_ca: str | None,
             namespace: str, region: str, message: CooperationRequest | RequestAnswer) -> None:  # fmt: skip
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    try:
        publish(settings, Catalogue(namespace), region, message)
    except (RuntimeError, DecodeError) as exc:
        fail(str(exc))


@click.group("request")
def command() -> None:
    """Cooperation requests (协查): ask partner regions to act, answer what they ask, follow the threads."""


@command.command("send")
@kafka_options
@namespace_option
@click.option("--region", required=True, help="The requesting region (publishes as it).")
@click.option("--to", "recipients", multiple=True, required=True, help="A partner region asked (repeat).")
@click.option(
    "--kind", type=click.Choice([k.value for k in RequestKind]), required=True, help="What is asked."
)
@click.option("--category", type=click.Choice([c.value for c in Category]), required=True, help="The case.")
@click.option("--purpose", required=True, help="Why: a purpose the agreements with the partners list.")
@click.option("--legal-basis", required=True, help="Legal basis and approval (法律依据, 文号).")
@click.option(
    "--priority", type=click.Choice([p.value for p in Priority]), default="normal", show_default=True
)
@click.option(
    "--respond-within", type=float, default=3600.0, show_default=True, help="Seconds to a final answer."
)
@click.option("--operator", required=True, help="Police number of the officer asking.")
@click.option("--plate", default=None, help="The vehicle (locate, verify_vehicle, intercept).")
@click.option("--person", default=None, help="The person's reference (verify_person).")
@click.option("--checkpoint", default=None, help="checkpoint_reads: the checkpoint id.")
@click.option(
    "--window", nargs=2, type=click.DateTime(), default=None, help="checkpoint_reads: FROM TO (UTC)."
)
@click.option("--details", default=None, help="Free text for the partners.")
def send(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    namespace: str,
    region: str,
    recipients: tuple[str, ...],
    kind: str,
    category: str,
    purpose: str,
    legal_basis: str,
    priority: str,
    respond_within: float,
    operator: str,
    plate: str | None,
    person: str | None,
    checkpoint: str | None,
    window: tuple[datetime, datetime] | None,
    details: str | None,
) -> None:
    """Send a request to the partners; the control app delivers it under the agreements or refuses it
    whole (`rax dlq list --reason not_authorised` shows why). Prints the request id."""
    region = region_code(region)
    now = datetime.now(UTC)
    start, end = window if window is not None else (None, None)
    req = _model(
        CooperationRequest,
        {
            "request_id": str(uuid.uuid4()),
            "requester": region,
            "recipients": tuple(region_code(r) for r in recipients),
            "kind": kind,
            "category": category,
            "purpose": purpose,
            "legal_basis": legal_basis,
            "priority": priority,
            "respond_by": now + timedelta(seconds=respond_within),
            "sent_at": now,
            "operator": operator,
            "plate": plate,
            "person": person,
            "checkpoint_id": checkpoint,
            "window_from": start.replace(tzinfo=UTC) if start else None,
            "window_to": end.replace(tzinfo=UTC) if end else None,
            "details": details,
        },
    )
    _publish(bootstrap, username, password, ssl_ca, namespace, region, req)
    click.echo(req.request_id)


@command.command("answer")
@kafka_options
@namespace_option
@click.argument("request_id")
@click.option("--region", required=True, help="The answering region (publishes as it).")
@click.option("--status", type=click.Choice([s.value for s in AnswerStatus]), required=True)
@click.option("--operator", required=True, help="Police number of the officer answering.")
@click.option("--reason", default=None, help="Why it is declined (required to decline).")
@click.option("--text", default=None, help="The answer for the requester.")
@click.option(
    "--attach", "attachments", multiple=True, help="URI#sha256=HEX of a file in your store (repeat)."
)
def answer(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    namespace: str,
    request_id: str,
    region: str,
    status: str,
    operator: str,
    reason: str | None,
    text: str | None,
    attachments: tuple[str, ...],
) -> None:
    """Accept, answer or decline REQUEST_ID as REGION (one of its recipients). Prints the answer id."""
    region = region_code(region)
    reply = _model(
        RequestAnswer,
        {
            "answer_id": str(uuid.uuid4()),
            "request_id": request_id,
            "region": region,
            "status": status,
            "at": datetime.now(UTC),
            "operator": operator,
            "reason": reason,
            "text": text,
            "attachments": [_attachment(a) for a in attachments],
        },
    )
    _publish(bootstrap, username, password, ssl_ca, namespace, region, reply)
    click.echo(reply.answer_id)


@command.command("list")
@kafka_options
@namespace_option
@click.option("--region", required=True, help="The region whose threads are read (its rax.out topic).")
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per thread; the whole thread in `thread`."
)
@keys_option
def list_(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    namespace: str,
    region: str,
    as_json: bool,
    keys: str | None,
) -> None:
    """The threads REGION is a party to (as requester or recipient) that its out topic holds, oldest first."""
    region = region_code(region)
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    unopened: list[str] = []
    try:
        threads = read_threads(settings, Catalogue(namespace), region, keys=seal_keys(keys, region),
                               unopened=unopened)  # fmt: skip
    except (RuntimeError, TimeoutError) as exc:
        fail(str(exc))
    for why in unopened:
        click.echo(f"not shown, sealed: {why}", err=True)
    for thread in sorted(threads.values(), key=lambda t: t.request.sent_at):
        s = thread.summary(region)
        if as_json:
            click.echo(orjson.dumps({**s, "thread": thread.detail()}).decode())
            continue
        parties = " ".join(f"{r}:{st}" for r, st in s["statuses"].items())
        late = f"  late: {','.join(s['breaches'])}" if s["breaches"] else ""
        click.echo(
            f"{s['request']}  {s['sent_at'][:19]}  {s['role']:<9}  {s['kind']:<16}  {s['plate']:<10}  "
            f"{s['priority']:<6}  by {s['respond_by'][:19]}  {parties}{late}"
        )
    if not as_json:
        click.echo(f"{len(threads)} thread(s)", err=True)
