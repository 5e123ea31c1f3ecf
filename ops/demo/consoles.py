"""The demo's command-centre consoles: two regions' web consoles with demo officers, their URLs and logins.

The two regions (ops/demo/roles.py) have agreements both ways: an alert of one reaches the other's page.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from ops.console import OfficerFile, Role
from ops.demo.processes import ProcessGroup
from ops.kafka.ports import free_port_block
from ops.keys import KeyStore
from schemas.kafka_settings import KafkaSettings

__all__ = ["start_consoles"]


def start_consoles(
    group: ProcessGroup,
    settings: KafkaSettings,
    home: Path,
    regions: list[tuple[str, str]],
    scorecards_url: str | None = None,
    keys: Path | None = None,
    sign: bool = False,
) -> list[str]:
    """Starts `rax centre console` for each of ``regions`` (code, name); the lines to print (URL, login).

    ``scorecards_url``: the evaluation app's web address, for the consoles' scorecard pages; ``keys``:
    the regions' key store, to open sealed deliveries; ``sign``: what a console publishes carries its
    region's MAC (the key file in that store) and batch signature, as the processors then require.

    One duty officer per region, with a password drawn for this run (printed: it is a demo).
    """
    lines = []
    for region, name in regions:
        signing = ("--mac-key", str(KeyStore(keys).mac_path(region)), "--sign") if keys and sign else ()
        officers = OfficerFile(home / "demo" / "console" / f"officers-{region}.json")
        officer, password = f"{region}-duty", secrets.token_urlsafe(9)
        officers.add(officer, Role.DUTY_OFFICER, password)
        port = free_port_block([0])  # below the ephemeral range: no client takes it before it binds
        group.start_rax(f"console-{region}", "centre", "console", "--region", region,
                        "--bootstrap", settings.bootstrap_servers, "--port", str(port),
                        "--file", str(officers.path),
                        *(("--scorecards-url", scorecards_url) if scorecards_url else ()),
                        *(("--keys", str(keys)) if keys else ()),
                        *signing)  # fmt: skip
        lines.append(f"console {name} {region}: http://127.0.0.1:{port}/  login {officer} / {password}")
    return lines
