"""docker-compose.yml parses, and every service, file and command it names exists."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

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


def test_rax_commands_in_compose_exist_and_files_they_name_exist() -> None:
    for name, svc in _compose()["services"].items():
        cmd = svc.get("command")
        if not cmd or cmd[0] != "rax":
            continue
        group = main.get_command(None, cmd[1])  # type: ignore[arg-type]
        assert group is not None, f"{name}: no `rax {cmd[1]}`"
        result = CliRunner().invoke(main, [*cmd[1:3], "--help"])
        assert result.exit_code == 0, f"{name}: `rax {' '.join(cmd[1:3])}` does not exist: {result.output}"
        for arg in cmd[3:]:
            if arg.endswith((".yaml", ".yml")):
                assert (ROOT / arg).exists(), f"{name} names missing file {arg}"
