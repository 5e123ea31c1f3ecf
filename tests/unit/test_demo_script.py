"""The demo's script sends the scenario reads only once the hot path holds the placements (a read before
its entry is in force matches nothing, and its operation never opens), and by 30 s whatever it holds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ops.demo.escalation import DEMO_RULES, scenarios
from ops.demo.roles import demo_roles
from ops.demo.script import Script
from ops.zone import load_zone_file

ZONE = Path(__file__).resolve().parents[2] / "ops" / "zones" / "chuanyu.yaml"


class _Recorder:
    """Stands in for the producer: the topics written to, in order."""

    def __init__(self) -> None:
        self.topics: list[str] = []

    def produce(self, topic: str, value: bytes, key: bytes | None = None, **_: Any) -> None:
        self.topics.append(topic)

    def poll(self, timeout: float) -> int:
        return 0


def _script() -> Script:
    zone = load_zone_file(ZONE).model_copy(update={"escalation": DEMO_RULES})
    roles = demo_roles(zone, datetime.now(UTC))
    scenes = scenarios(zone.escalation, roles.region_of, [r.code for r in zone.regions])
    return Script(roles, scenes, [], "川渝", placements=163)


def test_the_scenario_waits_for_the_placements_in_force() -> None:
    script, producer = _script(), _Recorder()
    script.tick(12, producer, in_force=100)  # type: ignore[arg-type]
    assert producer.topics == [] and script.scenario_line() == "scenario reads: not sent"
    script.tick(13, producer, in_force=163)  # type: ignore[arg-type]
    sent = len(producer.topics)
    assert sent == len(script.scenes.reads(datetime.now(UTC))) > 0
    assert script.scenario_line() == "scenario reads sent at 13 s, with 163 of 163 placements in force"
    script.tick(14, producer, in_force=163)  # type: ignore[arg-type]
    assert len(producer.topics) == sent  # once


def test_not_before_ten_seconds_and_by_thirty_whatever_is_in_force() -> None:
    script, producer = _script(), _Recorder()
    script.tick(5, producer, in_force=163)  # type: ignore[arg-type]
    assert producer.topics == []
    script, producer = _script(), _Recorder()
    for t in range(10, 30):
        script.tick(t, producer, in_force=0)  # type: ignore[arg-type]
    assert producer.topics == []
    script.tick(30, producer, in_force=7)  # type: ignore[arg-type]
    assert producer.topics and script.scenario_line().endswith("with 7 of 163 placements in force")
