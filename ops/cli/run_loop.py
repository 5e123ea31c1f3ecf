"""Runs one processor's stream loop in the foreground until SIGTERM or Ctrl-C (shared by `rax run …`)."""

from __future__ import annotations

import functools
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from confluent_kafka import KafkaException
from prometheus_client import CollectorRegistry

from ops.cli.common import fail
from streams.runtime import Processor, RuntimeSettings, StreamLoop
from streams.runtime.settings import MacPolicy, SigPolicy

__all__ = ["batch_timeout_option", "lower_priority", "mac_options", "run_processor", "web_options"]


def web_options(f: click.decorators.FC) -> click.decorators.FC:
    """--web-host / --web-port of /metrics, /health and /ready (port 0: any free port, logged)."""
    f = click.option(
        "--web-port",
        "--metrics-port",
        "web_port",
        type=click.IntRange(0, 65535),
        default=None,
        help="Serve /metrics, /health and /ready on this port (0: any free port; the real one is printed).",
    )(f)
    f = click.option(
        "--web-host",
        "--metrics-host",
        "web_host",
        default="127.0.0.1",
        show_default=True,
        help="Address of the web endpoints.",
    )(f)
    return f


def batch_timeout_option(default: float, why: str) -> Callable[[click.decorators.FC], click.decorators.FC]:
    """--batch-timeout: the longest wait for a batch to fill, ``default`` seconds; ``why`` that default."""
    return click.option(
        "--batch-timeout",
        type=click.FloatRange(0.001, 5.0),
        default=default,
        show_default=True,
        help=f"Longest wait, seconds, for a batch to fill (one batch, one transaction): {why}",
    )


def mac_options(f: click.decorators.FC) -> click.decorators.FC:
    """--mac / --mac-keys and --sig / --sign-keys: record authentication of the regions' input topics
    (streams/runtime/macs.py, streams/runtime/signatures.py); --rest-key: the processors' own topics
    sealed at rest (streams/runtime/at_rest.py). The command receives them checked, as one
    ``protection`` argument of ``RuntimeSettings`` fields."""

    @functools.wraps(f)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if kwargs["mac"] != MacPolicy.OFF.value and kwargs["mac_keys"] is None:
            raise click.UsageError(
                f"--mac {kwargs['mac']} needs --mac-keys DIR (the processors' MAC key store)"
            )
        if kwargs["sig"] != SigPolicy.OFF.value and kwargs["sign_keys"] is None:
            raise click.UsageError(
                f"--sig {kwargs['sig']} needs --sign-keys FILE|zone (the zone's keys: a file, or rax.zone)"
            )
        # the command gets them as RuntimeSettings fields, one argument: RuntimeSettings(..., **protection)
        protection = {
            "mac": MacPolicy(kwargs.pop("mac")),
            "mac_keys": kwargs.pop("mac_keys"),
            "sig": SigPolicy(kwargs.pop("sig")),
            "sign_keys": kwargs.pop("sign_keys"),
            "rest_key": kwargs.pop("rest_key"),
        }
        return f(*args, protection=protection, **kwargs)

    g: Any = click.option(
        "--rest-key",
        "rest_key",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="The processors' at-rest key file (`rax keys rest create`, 0600): changelogs, internal "
        "inboxes, rax.matches and rax.watchlist sealed on the broker. Give every processor the same file.",
    )(checked)
    g = click.option(
        "--mac-keys",
        "mac_keys",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="The processors' MAC key store: a 0700 directory of <region>.mac files (`rax keys mac export`).",
    )(g)
    g = click.option(
        "--sign-keys",
        "sign_keys",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="The zone's published keys: the zone file or `rax keys export` output (re-read on change); "
        "`zone`: those of the zone on rax.zone, followed as it changes.",
    )(g)
    g = click.option(
        "--sig",
        "sig",
        type=click.Choice([p.value for p in SigPolicy]),
        default=SigPolicy.OFF.value,
        show_default=True,
        help="Batch signatures on rax.in.<region>.*: off; optional (verify those that carry one); "
        "required (a record without a valid Ed25519 batch signature of its region is forged).",
    )(g)
    g = click.option(
        "--mac",
        "mac",
        type=click.Choice([p.value for p in MacPolicy]),
        default=MacPolicy.OFF.value,
        show_default=True,
        help="Record MACs on rax.in.<region>.*: off; optional (verify those that carry one); required "
        "(a record without a valid MAC of its region is dead-lettered as forged).",
    )(g)
    return g


def lower_priority(steps: int) -> int:
    """Lower this process's CPU priority by ``steps`` (``os.nice``; before any thread starts, so the
    Kafka clients' threads inherit it); returns the niceness now. A step the system refuses is logged."""
    try:
        return os.nice(steps)
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot lower the CPU priority by %d: %s", steps, exc)
        return os.nice(0)


def run_processor(processor: Processor, settings: RuntimeSettings, registry: CollectorRegistry) -> None:
    """Run ``processor`` until a signal; every blocking call of the loop is bounded: it stops in seconds."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    loop = StreamLoop(processor, settings, registry)
    ready = threading.Thread(target=_announce, args=(loop, stop), daemon=True)
    ready.start()
    try:
        loop.run(stop)
    except (RuntimeError, TimeoutError, KafkaException) as exc:
        fail(f"{processor.name}: {exc}")


def _announce(loop: StreamLoop, stop: threading.Event) -> None:
    """Print where the web endpoints are once they are bound (port 0 picks one)."""
    while not stop.is_set() and loop.web is None and loop.settings.web_port is not None:
        stop.wait(0.05)
    if loop.web is not None:
        click.echo(f"web on http://{loop.web.host}:{loop.web.port} (/metrics /health /ready)", err=True)
