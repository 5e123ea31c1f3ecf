"""`rax audit trace`: accountability (责任倒查) from rax.audit alone, as text or JSON; itself audited."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import click
import orjson
from pydantic import TypeAdapter, ValidationError

from ops.audit import AuditIndex, Query, TraceSubject, run_trace
from ops.cli.common import fail, kafka_options, namespace_option, rax_home, region_code, resolve_kafka
from schemas.base import ShortText
from schemas.topics import Catalogue

__all__ = ["command"]


@click.group("audit")
def command() -> None:
    """The disclosure log (rax.audit): who received what, on which basis, and what they did."""


_SHORT_TEXT: TypeAdapter[str] = TypeAdapter(ShortText)


def _operator(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``value`` if the trace's audit record can carry it as its actor (one line, 1-128 characters)."""
    try:
        return _SHORT_TEXT.validate_python(value)
    except ValidationError:
        raise click.BadParameter(f"one line of 1 to 128 characters, got {value!r}", param=param) from None


def _seconds(_ctx: click.Context, param: click.Parameter, value: float) -> float:
    """``value`` if it is a finite number of seconds above 0."""
    if not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"{value} is not a finite number of seconds above 0", param=param)
    return value


def _index_path(namespace: str, given: Path | None) -> Path:
    return given or rax_home() / "audit" / f"{namespace}-index.sqlite"


@command.command("index")
@kafka_options
@namespace_option
@click.option("--index", "index_path", type=click.Path(path_type=Path), default=None,
              help="The index file; default $RAX_HOME/audit/<namespace>-index.sqlite.")  # fmt: skip
def index(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    namespace: str,
    index_path: Path | None,
) -> None:
    """Bring the trace index up to the end of rax.audit (run it periodically; it resumes where it
    stopped). Traces use it when it exists, and scan only what was written since."""
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    idx = AuditIndex(_index_path(namespace, index_path))
    try:
        count, seconds = idx.update(settings, Catalogue(namespace))
    except (RuntimeError, TimeoutError) as exc:
        fail(str(exc))
    finally:
        idx.close()
    click.echo(f"indexed {count} audit record(s) in {seconds:.1f} s")


@command.command("trace")
@kafka_options
@namespace_option
@click.option("--plate", default=None, help="Trace a plate: every disclosure, answer and breach naming it.")
@click.option("--entry", default=None, help="Trace a watchlist entry id.")
@click.option("--delivery", default=None, help="Trace one delivery id.")
@click.option("--request", "request_id", default=None, help="Trace a cooperation request id.")
@click.option("--operation", default=None, help="Trace a special operation id.")
@click.option("--as-region", "region", required=True, help="The region on whose behalf the log is read.")
@click.option(
    "--operator",
    required=True,
    callback=_operator,
    help="Police number or id of the person asking (audited).",
)
@click.option("--since", type=click.DateTime(), default=None, help="Only records from this time (UTC).")
@click.option("--json", "as_json", is_flag=True, help="The timeline and every region's part as JSON.")
@click.option(
    "--timeout",
    type=float,
    default=120.0,
    show_default=True,
    callback=_seconds,
    help="Seconds for the whole scan.",
)
@click.option(
    "--index",
    "index_path",
    type=click.Path(path_type=Path),
    default=None,
    help="The index of `rax audit index`; default $RAX_HOME/audit/<namespace>-index.sqlite.",
)
@click.option("--no-index", is_flag=True, help="Scan the whole log even if an index exists.")
def trace(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    namespace: str,
    plate: str | None,
    entry: str | None,
    delivery: str | None,
    request_id: str | None,
    operation: str | None,
    region: str,
    operator: str,
    since: datetime | None,
    as_json: bool,
    timeout: float,
    index_path: Path | None,
    no_index: bool,
) -> None:
    """Who received what about ONE subject, when, under which agreement and purpose; who acknowledged,
    answered or acted, and who let a deadline pass. The trace itself is written to rax.audit before
    anything is shown: if it cannot be, nothing is shown."""
    asked = {
        TraceSubject.PLATE: plate,
        TraceSubject.ENTRY: entry,
        TraceSubject.DELIVERY: delivery,
        TraceSubject.REQUEST: request_id,
        TraceSubject.OPERATION: operation,
    }
    chosen = [(s, v) for s, v in asked.items() if v]
    if len(chosen) != 1:
        fail("name exactly one of --plate, --entry, --delivery, --request, --operation")
    try:
        query = Query.of(*chosen[0])
    except ValueError as exc:
        fail(str(exc))
    region = region_code(region)
    settings, cat = resolve_kafka(bootstrap, username, password, ssl_ca), Catalogue(namespace)
    start = since.replace(tzinfo=UTC) if since is not None else None
    path = None if no_index else _index_path(namespace, index_path)
    try:
        found, timeline = run_trace(
            settings, cat, query, region, operator, since=start, timeout=timeout, index_path=path
        )
    except (RuntimeError, TimeoutError) as exc:
        fail(str(exc))
    stats = {"scanned": found.scanned, "decoded": found.decoded, "seconds": round(found.seconds, 3)}
    if as_json:
        body = {
            "query": {"subject": query.subject.value, "value": query.value},
            **stats,
            **timeline.as_json(),
        }
        click.echo(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    for line in timeline.text():
        click.echo(line)
    click.echo(
        f"{len(found.records)} record(s) about {query.label()}; "
        f"{found.scanned} scanned in {found.seconds:.2f} s",
        err=True,
    )
