"""A subscription whose purpose no agreement lists, or that nothing covers, is named (zone check)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ops.cli.zone_cmd import command
from ops.zone import load_zone_file
from ops.zone.subscriptions import subscription_warnings
from schemas.zone import Zone

ZONES = Path(__file__).parents[2] / "ops" / "zones"


def test_the_example_zones_ask_nothing_their_agreements_cannot_give() -> None:
    for path in ZONES.glob("*.yaml"):
        assert subscription_warnings(load_zone_file(path)) == [], path.name


def test_a_purpose_no_agreement_lists_and_a_subscription_nothing_covers_are_named() -> None:
    zone = load_zone_file(ZONES / "chuanyu.yaml")
    first = zone.subscriptions[0]
    odd = first.model_copy(update={"subscription_id": "odd-purpose", "purpose": "curiosity"})
    stranger = first.model_copy(update={"subscription_id": "no-cover", "region": _uncovered(zone)})
    warnings = subscription_warnings(
        zone.model_copy(update={"subscriptions": (*zone.subscriptions, odd, stranger)})
    )
    assert len(warnings) == 2
    assert warnings[0].startswith("subscription odd-purpose: purpose 'curiosity' is listed by no agreement")
    assert warnings[1].startswith(f"subscription no-cover: no agreement to {stranger.region} covers")


def test_zone_check_prints_the_warning(tmp_path: Path) -> None:
    text = (ZONES / "chuanyu.yaml").read_text(encoding="utf-8")
    zone = load_zone_file(ZONES / "chuanyu.yaml")
    purpose = zone.subscriptions[0].purpose
    changed = tmp_path / "zone.yaml"
    changed.write_text(text.replace(f"purpose: {purpose}", "purpose: curiosity", 1), encoding="utf-8")
    result = CliRunner().invoke(command, ["check", str(changed)])
    assert result.exit_code == 0, result.output
    assert "purpose 'curiosity' is listed by no agreement" in result.output


def _uncovered(zone: Zone) -> str:
    """A member region no agreement names as recipient."""
    regions = [r.code for r in zone.regions]
    recipients = {a.recipient for a in zone.agreements}
    free = [r for r in regions if r not in recipients]
    assert free, "every region of the example zone receives under some agreement"
    return free[0]
