"""docker-compose.yml parses, and every service, file and command it names exists."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from ops.cli import main

ROOT = Path(__file__).parents[2]


def _compose() -> dict:  # type: ignore[type-arg]
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_services_reference_only_services_that_exist() -> None:
    services = _compose()["services"]
    assert {"kafka", "zone-apply"} <= set(services)
    for name, svc in services.items():
        for dep in svc.get("depends_on", {}):
            assert dep in services, f"{name} depends on unknown service {dep}"
        assert "image" in svc or "build" in svc, f"{name} has neither image nor build"


def test_built_services_have_a_dockerfile_that_copies_existing_paths() -> None:
    for svc in _compose()["services"].values():
        if "build" in svc:
            dockerfile = ROOT / svc["build"] / "Dockerfile"
            assert dockerfile.exists()
            for line in dockerfile.read_text(encoding="utf-8").splitlines():
                if line.startswith("COPY "):
                    for src in line.split()[1:-1]:
                        assert (ROOT / src).exists(), f"Dockerfile copies missing {src}"


def test_rax_commands_in_compose_parse_and_files_they_name_exist() -> None:
    for name, svc in _compose()["services"].items():
        cmd = svc.get("command")
        if not cmd or cmd[0] != "rax":
            continue
        command: click.Command = main
        args = list(cmd[1:])
        path = ["rax"]
        while isinstance(command, click.Group):
            sub = command.get_command(click.Context(command), args[0])
            assert sub is not None, f"{name}: no `{' '.join(path)} {args[0]}`"
            path.append(args.pop(0))
            command = sub
        # parses every option exactly as the container would, without running the command
        command.make_context(" ".join(path), list(args))
        for arg in args:
            if arg.endswith((".yaml", ".yml")):
                assert (ROOT / arg).exists(), f"{name} names missing file {arg}"


def test_mounted_config_files_exist() -> None:
    for name, svc in _compose()["services"].items():
        for volume in svc.get("volumes", []):
            host = volume.split(":")[0]
            assert (ROOT / host).exists(), f"{name} mounts missing {host}"
        for arg in svc.get("command", []):
            if arg.startswith("--config.file=/etc/prometheus/"):
                assert (ROOT / "ops" / "prometheus" / arg.rsplit("/", 1)[1]).exists()
