"""The demo's protection: keys and blind owners for a sealing zone, nothing for one that does not seal."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pytest import MonkeyPatch

from ops.cli import demo_cmd
from ops.demo.escalation import scenarios
from ops.demo.protection import protect
from ops.demo.roles import demo_roles
from ops.demo.samples import sample_placements
from ops.keys.rest import read_rest_keys
from ops.zone import load_zone_file
from schemas.codec import encode
from schemas.kafka_settings import KafkaSettings

ZONES = Path(__file__).parents[2] / "ops" / "zones"
NOW = datetime.now(UTC)


def test_a_sealing_zone_gets_every_members_keys_and_its_all_sealed_members_place_blind(
    tmp_path: Path,
) -> None:
    zone = load_zone_file(ZONES / "yuegangao.yaml")
    p = protect(zone, tmp_path, NOW)
    assert {k.region for k in p.zone.keys} == set(zone.codes)
    assert p.blind_owners == {"810000", "820000"}
    assert p.matching_file is not None and p.matching_file.stat().st_mode & 0o077 == 0
    assert p.rest_file is not None and read_rest_keys(p.rest_file).keys  # the processors' at-rest key
    assert any("sealed at rest" in line for line in p.lines())
    roles = demo_roles(p.zone, NOW)
    samples = sample_placements(list(roles.owners), 4, roles.sources)
    placed = p.place(samples, NOW)
    for clear, cmd in zip(samples, placed, strict=True):
        blind = cmd.entry.owner in p.blind_owners
        assert (cmd.entry.blind is not None) == blind
        if blind:
            assert clear.entry.plate is not None and clear.entry.plate.encode() not in encode(cmd)


def test_a_zone_that_seals_nothing_is_left_as_it_is(tmp_path: Path) -> None:
    zone = load_zone_file(ZONES / "chuanyu.yaml")
    p = protect(zone, tmp_path, NOW)
    assert p.zone is zone and p.keys_dir is None and p.rest_file is None and p.lines() == []
    assert not (tmp_path / "demo").exists()


class _Sent:
    """A producer that keeps what it is given."""

    def __init__(self) -> None:
        self.values: list[bytes] = []

    def produce(self, topic: str, value: bytes, key: bytes) -> None:
        self.values.append(value)

    def flush(self, timeout: float) -> int:
        return 0


def test_the_demo_never_names_a_blind_entrys_plate_in_its_alerts_or_request(
    tmp_path: Path, monkeypatch: MonkeyPatch
) -> None:
    # the script's alerts and cooperation request name the plates _publish_watchlists returns: a blind
    # entry's plate among them went out in clear (an alert's headline, its audit record) on rax.out.*
    zone = load_zone_file(ZONES / "yuegangao.yaml")
    p = protect(zone, tmp_path, NOW)
    roles = demo_roles(p.zone, NOW)
    scenes = scenarios(p.zone.escalation, roles.region_of, [r.code for r in p.zone.regions])
    sent = _Sent()
    monkeypatch.setattr(demo_cmd, "_producer", lambda settings, protection: sent)
    plates, placed = demo_cmd._publish_watchlists(KafkaSettings(), roles, scenes, 4, p)
    samples = sample_placements(list(roles.owners), 4, roles.sources)
    hidden = {c.entry.plate for c in samples if c.entry.owner in p.blind_owners}
    shown = {c.entry.plate for c in samples if c.entry.owner not in p.blind_owners}
    assert hidden and placed == len(sent.values)
    assert plates and set(plates) <= shown and not set(plates) & (hidden - shown)
