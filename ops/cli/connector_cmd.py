"""`rax connector list | describe NAME | run NAME`: the connectors and their config, from the models."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path
from typing import Any

import click
import orjson
import yaml
from pydantic import ValidationError

from connectors.registry import UnknownConnector, load, names
from connectors.sdk import FatalError, Runtime, RuntimeConfig
from connectors.sdk.http_config import HttpIntakeConfig
from connectors.sdk.options import OptionSpec, option_specs
from connectors.sdk.tokens import TOKEN_ENV
from ops.cli.common import check_namespace, fail, kafka_options, resolve_kafka
from ops.zone.strict_yaml import strict_load

__all__ = ["command"]

_TYPES: dict[str, Any] = {"str": str, "int": int, "float": float, "path": click.Path(path_type=Path)}


@click.group("connector")
def command() -> None:
    """Connectors: list them, describe their config, run one."""


@command.command("list")
def list_cmd() -> None:
    """The registered connectors and what they publish."""
    for name in names():
        cls = load(name)
        click.echo(f"{name:16} {cls.kind.value:10} {cls.summary}")


@command.command("describe")
@click.argument("name")
def describe(name: str) -> None:
    """The JSON Schema of a connector's config (every field with its description)."""
    try:
        cls = load(name)
    except UnknownConnector as exc:
        fail(str(exc.args[0]))
    click.echo(orjson.dumps(cls.describe(), option=orjson.OPT_INDENT_2).decode())


def _click_option(spec: OptionSpec) -> click.Option:
    if spec.kind == "bool":
        return click.Option([f"{spec.flag}/--no-{spec.flag[2:]}", spec.field], default=None, help=spec.help)
    kind = click.Choice(spec.choices) if spec.kind == "choice" else _TYPES[spec.kind]
    default = f" [default: {spec.default}]" if spec.default not in (None, (), []) else ""
    return click.Option(
        [spec.flag, spec.field], type=kind, multiple=spec.multiple, default=None, help=spec.help + default
    )


_RUNTIME_OPTIONS: list[tuple[list[str], dict[str, Any]]] = [
    (["--region"], {"required": True, "help": "GB/T 2260 code of the region the connector publishes as."}),
    (["--namespace"], {"default": "rax", "show_default": True, "callback": check_namespace,
                       "help": "Topic namespace."}),
    (["--state-dir"], {"type": click.Path(path_type=Path), "help": "Where the resume position is stored."}),
    (["--metrics-port"], {"type": int, "help": "Serve /metrics on this port (0: any free port)."}),
    (["--metrics-host"], {"default": "127.0.0.1", "show_default": True, "help": "/metrics address."}),
    (["--source-id"], {"help": "Instance id written into records' `source`; default NAME@REGION."}),
    (["--mac-key", "mac_key_file"], {"type": click.Path(path_type=Path),
                                     "help": "The region's MAC key file (<region>.mac, 0600): every record "
                                     "carries rax.mac under its newest valid key."}),
    (["--sign-key", "sign_key_store"], {"type": click.Path(file_okay=False, path_type=Path),
                                        "help": "The region's key store (rax keys --dir): every batch "
                                        "carries the region's Ed25519 signature (rax.sig), every alert "
                                        "its region signature."}),
    (["--config", "config_file"], {"type": click.Path(exists=True, path_type=Path),
                                   "help": "YAML/JSON file of connector settings (options win)."}),
    (["--set", "producer_set"], {"multiple": True, "metavar": "KEY=VALUE",
                                 "help": "Extra librdkafka producer setting (repeatable)."}),
]  # fmt: skip


def _refuse_token(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        raise click.UsageError(
            "--token is refused: a token on the command line is visible to every user in `ps`. "
            f"Put it in a file readable only by you (--token-file FILE, chmod 600) or in ${TOKEN_ENV}."
        )


#: an HTTP intake's token never comes from the command line; the old option fails with what to do instead
_NO_TOKEN_OPTION = click.Option(["--token"], hidden=True, expose_value=False, callback=_refuse_token)


def _runtime_options(f: Any) -> Any:
    f = kafka_options(f)
    for args, kwargs in reversed(_RUNTIME_OPTIONS):
        f = click.option(*args, **kwargs)(f)
    return f


def _make_run(name: str) -> click.Command:
    cls = load(name)
    specs = option_specs(cls.config_model)
    intake = issubclass(cls.config_model, HttpIntakeConfig)

    @_runtime_options
    def run(**opts: Any) -> None:
        kafka = resolve_kafka(
            opts.pop("bootstrap"), opts.pop("username"), opts.pop("password"), opts.pop("ssl_ca")
        )
        config_file, producer_set = opts.pop("config_file"), opts.pop("producer_set")
        try:
            fields: dict[str, Any] = (
                strict_load(config_file.read_text(encoding="utf-8")) if config_file else {}
            )
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            fail(f"config file {config_file} cannot be read: {exc}")
        if not isinstance(fields, dict):
            fail(f"config file {config_file}: a mapping of the connector's settings is expected")
        for spec in specs:
            value = opts.pop(spec.field, None)
            if value is not None and value != ():
                fields[spec.field] = value
        if intake and not fields.get("token") and not fields.get("token_file") and TOKEN_ENV in os.environ:
            fields["token"] = os.environ[TOKEN_ENV]  # the entry point reads the environment, no library
        extra = dict(item.split("=", 1) for item in producer_set if "=" in item)
        try:
            config = cls.config_model.model_validate(fields or {})
            runtime = RuntimeConfig(**opts, extra_producer_config=extra)
        except ValidationError as exc:
            fail(f"invalid settings for {name}:\n{exc}")
        if runtime.state_dir is None:
            click.secho(f"{name}: no --state-dir, so no resume position is kept", fg="yellow", err=True)
        runner = Runtime(cls, config, runtime, kafka)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: runner.request_stop())
        try:
            report = runner.run()
        except FatalError as exc:
            fail(f"{name} stopped: {exc}", code=2)
        logging.getLogger("rax.connector").info("stopped: %s", report)
        click.echo(
            f"{name}: {report.records_in} read, {report.records_out} published, {report.rejected} rejected"
        )

    params = [_click_option(s) for s in specs] + list(getattr(run, "__click_params__", []))[::-1]
    if intake:
        params.append(_NO_TOKEN_OPTION)
    return click.Command(name, callback=run, params=params, help=f"Run {name}: {cls.summary}.")


class _RunGroup(click.Group):
    """One sub-command per registered connector, built from its config model when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return names()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        try:
            return _make_run(cmd_name)
        except UnknownConnector:
            return None


@command.group("run", cls=_RunGroup)
def run_group() -> None:
    """Run a connector in the foreground until SIGTERM (it flushes and stores its position)."""
