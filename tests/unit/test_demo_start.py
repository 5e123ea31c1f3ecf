"""The demo starts its processes as it says: every simulator at the stated rate, whatever the hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.simulator.source import rate_factor
from ops.cli.demo_cmd import _start
from ops.demo.protection import DemoProtection
from ops.demo.roles import demo_roles
from ops.zone import load_zone_file
from schemas.kafka_settings import KafkaSettings

ZONES = Path(__file__).resolve().parents[2] / "ops" / "zones"


class Recorder:
    """A ProcessGroup that records what would be started."""

    def __init__(self) -> None:
        self.started: dict[str, list[str]] = {}

    def start_rax(self, name: str, *args: str) -> None:
        self.started[name] = list(args)


def _option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_each_simulator_runs_at_the_stated_rate_at_every_hour_of_the_day() -> None:
    for path in (ZONES / "chuanyu.yaml", ZONES / "yuegangao.yaml"):
        zone = load_zone_file(path)
        roles = demo_roles(zone, datetime(2026, 12, 7, tzinfo=UTC))
        group = Recorder()
        _start(group, KafkaSettings(), roles, 200.0, 9300, DemoProtection(zone))  # type: ignore[arg-type]
        simulators = {n: a for n, a in group.started.items() if n.startswith("simulator-")}
        assert sorted(simulators) == sorted(f"simulator-{r}" for r in roles.simulated)
        midnight = datetime(2026, 12, 7, tzinfo=UTC)
        for args in simulators.values():
            assert float(_option(args, "--rate")) == 200.0
            rush, night = float(_option(args, "--rush-factor")), float(_option(args, "--night-factor"))
            # China's rush hours (23-01 and 09-11 UTC) and night (16-21 UTC) included
            assert {rate_factor(midnight + timedelta(hours=h), rush, night) for h in range(24)} == {1.0}
