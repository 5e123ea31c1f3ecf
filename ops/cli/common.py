"""What every `rax` sub-command shares: where state and caches live, and how to reach Kafka."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import click
from pydantic import SecretStr

from ops.kafka import LocalCluster
from ops.keys import KeyStore, SealKeyLookup
from schemas.kafka_settings import KafkaSettings
from schemas.regions import UnknownRegion, check_region
from schemas.topics import Catalogue

__all__ = [
    "cache_dir",
    "check_namespace",
    "fail",
    "kafka_options",
    "keys_option",
    "local_cluster",
    "namespace_option",
    "rax_home",
    "region_code",
    "resolve_kafka",
    "seal_keys",
]


def rax_home() -> Path:
    """Where local state lives (broker data, pids, logs): $RAX_HOME, default ./.rax."""
    return Path(os.environ.get("RAX_HOME", ".rax")).resolve()


def cache_dir() -> Path:
    """Where downloaded jars are cached across checkouts: $RAX_CACHE, default ~/.cache/rax."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rax"
    return Path(os.environ.get("RAX_CACHE", default))


def local_cluster(jvm_profile: str = "quick") -> LocalCluster:
    return LocalCluster(
        rax_home() / "broker",
        cache_dir=cache_dir(),
        kafka_home=os.environ.get("KAFKA_HOME") or None,
        jvm_profile=jvm_profile,
    )


def fail(message: str, code: int = 1) -> NoReturn:
    """Ends the command with a message for a person, not a stack trace."""
    click.secho(f"rax: {message}", fg="red", err=True)
    sys.exit(code)


def kafka_options(f: click.decorators.FC) -> click.decorators.FC:
    """--bootstrap / --username / --password / --ca; default: the local broker of `rax broker start`."""
    f = click.option(
        "--ca", "ssl_ca", envvar="RAX_KAFKA_CA", default=None, help="PEM CA file for TLS (implies SASL_SSL)."
    )(f)
    f = click.option("--password", envvar="RAX_KAFKA_PASSWORD", default=None, help="SASL/SCRAM password.")(f)
    f = click.option("--username", envvar="RAX_KAFKA_USERNAME", default=None, help="SASL/SCRAM user name.")(f)
    f = click.option(
        "--bootstrap",
        envvar="RAX_BOOTSTRAP",
        default=None,
        help="Kafka bootstrap servers; default: the local broker started by `rax broker start`.",
    )(f)
    return f


def resolve_kafka(
    bootstrap: str | None, username: str | None, password: str | None, ssl_ca: str | None
) -> KafkaSettings:
    """Settings from explicit options, else the local broker's recorded admin settings."""
    if bootstrap:
        if not username:
            return KafkaSettings(bootstrap_servers=bootstrap)
        return KafkaSettings(
            bootstrap_servers=bootstrap,
            security_protocol="SASL_SSL" if ssl_ca else "SASL_PLAINTEXT",
            username=username,
            password=SecretStr(password or ""),
            ssl_ca_location=ssl_ca,
        )
    state = local_cluster().load_state()
    if state is None:
        fail("no --bootstrap given and no local broker is running; start one with `rax broker start`")
    return state.admin_settings(local_cluster().run_dir)


def region_code(code: str) -> str:
    """``code`` if it is a known GB/T 2260 region, else the command ends saying so."""
    try:
        return check_region(code)
    except UnknownRegion as exc:
        fail(str(exc))


def check_namespace(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``value`` if it can name a namespace (``Catalogue``'s rule): a usage error, not a traceback, if not."""
    try:
        Catalogue(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None
    return value


def namespace_option(f: click.decorators.FC) -> click.decorators.FC:
    """--namespace: the exchange's topic namespace (default rax)."""
    return click.option(
        "--namespace",
        default="rax",
        show_default=True,
        callback=check_namespace,
        help="Topic namespace of the exchange.",
    )(f)


#: ``--keys``: the region's key store, to open sealed deliveries (rax centre, rax ops, rax request)
keys_option = click.option(
    "--keys",
    envvar="RAX_KEYS_DIR",
    default=None,
    help="The region's key store, to open sealed deliveries; default $RAX_HOME/keys (rax keys create).",
)


def authentication_options(f: click.decorators.FC) -> click.decorators.FC:
    """--mac-key / --sign-keys: a region's own records (acks, operation commands) carry its MAC and batch
    signature, as its connectors' do, where the processors require them."""
    f = click.option(
        "--sign-keys",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="The region's key store (`rax keys create`): the record carries its batch signature, rax.sig.",
    )(f)
    return click.option(
        "--mac-key",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="The region's MAC key file (<region>.mac): the record carries rax.mac (for --mac required).",
    )(f)


def seal_keys(directory: str | None, region: str) -> SealKeyLookup:
    """The region's private seal keys in ``directory`` (default ``$RAX_HOME/keys``), loaded on use."""
    return SealKeyLookup(KeyStore(Path(directory) if directory else rax_home() / "keys"), region)
