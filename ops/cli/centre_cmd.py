"""`rax centre tail | ack`: a command centre's live view of its deliveries, and its acknowledgements."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

import click
import orjson
from rich.live import Live
from rich.table import Table

from ops.centre import DeliveryTail, SeenStore, acknowledge, summarise
from ops.cli.common import (
    authentication_options,
    fail,
    kafka_options,
    keys_option,
    namespace_option,
    rax_home,
    resolve_kafka,
    seal_keys,
)
from ops.cli.console_cmd import console, officers
from schemas.acks import Outcome
from schemas.codec import readable
from schemas.keys import RegionKey
from schemas.regions import UnknownRegion, check_region
from schemas.topics import Catalogue
from streams.runtime.signatures import SignKeysError, read_zone_keys

__all__ = ["command"]


_keys_option = keys_option
_seal_keys = seal_keys


def _region(code: str) -> str:
    try:
        return check_region(code)
    except UnknownRegion as exc:
        fail(str(exc))


@click.group("centre")
def command() -> None:
    """A command centre's client: watch deliveries, acknowledge them."""


command.add_command(console)  # the web console (ops/console/, docs/console.md)
command.add_command(officers)


@command.command("tail")
@kafka_options
@click.option("--region", required=True, help="The centre's region (GB/T 2260 code).")
@namespace_option
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per delivery instead of the live view."
)
@click.option("--name", default="tail", show_default=True, help="Client name: its consumer group and store.")
@click.option("--max", "max_count", type=int, default=None, help="Stop after this many new deliveries.")
@click.option("--idle-exit", type=float, default=None, help="Stop after this many seconds without news.")
@_keys_option
@click.option(
    "--zone-keys",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The zone's published keys (the zone file or `rax keys export` output): check who issued each "
    "alert (signature: valid, invalid, absent; without it: unchecked).",
)
def tail(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    region: str,
    namespace: str,
    as_json: bool,
    name: str,
    max_count: int | None,
    idle_exit: float | None,
    keys: str | None,
    zone_keys: Path | None,
) -> None:
    """Follow the region's deliveries (matches, alerts, deadline breaches), read committed, each once.

    Sealed deliveries are opened with the region's private keys (``--keys``); one that does not open is
    shown sealed and logged, never dropped. An alert's issuer is checked with ``--zone-keys``."""
    region = _region(region)
    published: tuple[RegionKey, ...] | None = None
    if zone_keys is not None:
        try:
            published = read_zone_keys(zone_keys)
        except SignKeysError as exc:
            fail(str(exc))
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    store = SeenStore(rax_home() / "centre" / f"{namespace}-{region}-{name}.sqlite")
    client = DeliveryTail(
        settings, Catalogue(namespace), region, store, name=name, keys=_seal_keys(keys, region)
    )
    shown = 0
    last_news = time.monotonic()
    recent: deque[dict[str, object]] = deque(maxlen=15)
    live = None if as_json else _live_view()
    try:
        for delivery in client.deliveries():
            if delivery is not None:
                shown += 1
                last_news = time.monotonic()
                row = summarise(delivery, published)
                if as_json:
                    click.echo(orjson.dumps(row).decode())
                else:
                    recent.appendleft(row)
            if live is not None:
                live.update(_render(region, recent, shown, client.duplicates))
            if max_count is not None and shown >= max_count:
                break
            if idle_exit is not None and time.monotonic() - last_news > idle_exit:
                break
    except KeyboardInterrupt:
        pass
    finally:
        if live is not None:
            live.stop()
        client.close()
    if not as_json:
        click.echo(f"{shown} new deliveries, {client.duplicates} duplicates dropped")


def _live_view() -> Live:
    live = Live(refresh_per_second=4)
    live.start()
    return live


def _render(region: str, recent: deque[dict[str, object]], shown: int, duplicates: int) -> Table:
    table = Table(title=f"deliveries to {region}: {shown} new, {duplicates} duplicates dropped", expand=True)
    for col in ("kind", "plate / alert", "how", "owner", "where", "action", "agreement", "signature"):
        table.add_column(col)
    for r in recent:
        table.add_row(
            str(r["kind"]),
            str(r.get("plate") or r.get("identifier") or r.get("breached")),
            str(r.get("how", r.get("msg_type", ""))),
            str(r["owner"]),
            str(r.get("where", "")),
            str(r.get("action", "")),
            str(r.get("agreement") or "own"),
            str(r.get("signature", "")),
        )
    return table


@command.command("ack")
@kafka_options
@click.argument("delivery_id")
@click.option("--region", required=True, help="The acknowledging centre's region.")
@click.option(
    "--outcome", type=click.Choice([o.value for o in Outcome]), required=True, help="What happened."
)
@click.option("--operator", required=True, help="Police number of the officer answering.")
@click.option("--note", default=None, help="Free text for the owner.")
@namespace_option
@authentication_options
def ack(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    delivery_id: str,
    region: str,
    outcome: str,
    operator: str,
    note: str | None,
    namespace: str,
    mac_key: Path | None,
    sign_keys: Path | None,
) -> None:
    """Acknowledge a delivery: received, verified, intercepted, false_positive or not_found."""
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    cat = Catalogue(namespace)
    try:
        sent = acknowledge(
            settings, cat, _region(region), delivery_id, Outcome(outcome), operator, note, mac_key, sign_keys
        )
    except (RuntimeError, ValueError) as exc:
        fail(readable(exc, "acknowledgement"))
    click.echo(f"acknowledged {delivery_id} as {outcome} (ack {sent.ack_id})")


@command.command("sink")
@kafka_options
@click.option("--region", required=True, help="The centre's region (GB/T 2260 code).")
@click.option("--url", required=True, help="The centre's endpoint: each delivery is POSTed there as JSON.")
@click.option("--token", envvar="RAX_CENTRE_TOKEN", default=None, help="Bearer token for the endpoint.")
@click.option("--name", default="sink", show_default=True, help="Sink name: its consumer group.")
@namespace_option
@click.option(
    "--metrics-port",
    type=int,
    default=None,
    help="Serve Prometheus /metrics on this port (0: any free port).",
)
@_keys_option
def sink(
    bootstrap: str | None,
    username: str | None,
    password: str | None,
    ssl_ca: str | None,
    region: str,
    url: str,
    token: str | None,
    name: str,
    namespace: str,
    metrics_port: int | None,
    keys: str | None,
) -> None:
    """Push the region's deliveries to the centre's own HTTP endpoint, at least once (Idempotency-Key).

    Sealed deliveries are POSTed opened (``--keys``); one that does not open is dead-lettered."""
    import signal
    import threading

    from prometheus_client import CollectorRegistry, start_http_server
    from pydantic import ValidationError

    from connectors.centre_sink import CentreSink, CentreSinkConfig

    try:
        config = CentreSinkConfig.model_validate({"url": url, "token": token})
    except ValidationError as exc:
        fail(f"bad sink settings: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}")
    registry = CollectorRegistry()
    if metrics_port is not None:  # 0: any free port, printed
        server, _ = start_http_server(metrics_port, addr="127.0.0.1", registry=registry)
        click.echo(f"metrics on http://127.0.0.1:{server.server_port}/metrics", err=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    settings = resolve_kafka(bootstrap, username, password, ssl_ca)
    region = _region(region)
    opener = _seal_keys(keys, region)
    CentreSink(settings, Catalogue(namespace), region, config, registry, name, opener).run(stop)
