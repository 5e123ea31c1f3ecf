"""Operations opened by escalations: their regions and owner, and consent for every delivery (issue 14)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from ops.zone import load_zone_file
from schemas.audit import AuditReason, AuditRecord, ConsentSide, Decision
from schemas.codec import decode
from schemas.delivery import Delivery, DeliveryKind
from schemas.escalation import BorderRule, CheckpointSite, ClonedPlateRule, EscalationRules, MultiRegionRule
from schemas.operation import EscalationTrigger
from schemas.topics import Catalogue
from schemas.zone import Zone
from streams.escalate.operations import build_operation, deliver
from streams.escalate.rules import Firing, VehicleState, observe
from streams.escalate.seen import Seen
from tests.support.hotpath import EXAMPLE_ZONE

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
T0 = NOW.timestamp() - 3600
CAT = Catalogue("rax")
RULES = EscalationRules(
    multi_region=MultiRegionRule(min_regions=3),
    border=BorderRule(checkpoints=("RC-1",)),
    cloned_plate=ClonedPlateRule(),
    checkpoints=(CheckpointSite(checkpoint_id="CD-1", lat=30.66, lon=104.07),),
)


@pytest.fixture(scope="module")
def zone() -> Zone:
    z = load_zone_file(EXAMPLE_ZONE)
    return z.model_copy(update={"escalation": RULES})


def seen(region: str, t: float, entry: str = "", checkpoint: str = "K1") -> Seen:
    facts = (entry, "510000", "stolen_vehicle", "high") if entry else ("", "", "", "")
    return Seen(str(uuid.uuid4()), "川A12345", "blue", region, checkpoint, T0 + t, *facts)


def outputs(zone: Zone, firing: Firing) -> tuple[dict[str, Delivery], dict[str, AuditRecord]]:
    op = build_operation(firing, zone, RULES, NOW)
    out, _ = deliver(CAT, zone, op, NOW)
    delivered = (decode(o.value or b"", Delivery) for o in out if o.topic.startswith(CAT.out_prefix))
    deliveries = {d.recipient: d for d in delivered}
    audits = {
        a.recipient: a for a in (decode(o.value or b"", AuditRecord) for o in out if o.topic == CAT.audit)
    }
    for recipient, d in deliveries.items():
        topics = [o.topic for o in out if o.key == d.delivery_id.encode()]
        assert topics == [CAT.out(recipient), CAT.control_inbox, CAT.audit]
    return deliveries, audits


def test_a_multi_region_operation_goes_to_the_regions_that_may_see_every_read(zone: Zone) -> None:
    entry = str(uuid.uuid4())
    evidence = (seen("510000", 0, entry), seen("500000", 600, entry), seen("500153", 1200, entry))
    deliveries, audits = outputs(zone, Firing(EscalationTrigger.MULTI_REGION, evidence, "3 regions"))
    assert set(audits) == {"510000", "500000", "500153"}
    assert set(deliveries) == {"510000"}  # every other region lacks consent for one read at least
    op = deliveries["510000"].operation
    assert op is not None and op.owner == "510000" and op.entry_id == entry
    assert [r.region for r in op.evidence] == ["510000", "500000", "500153"]
    assert deliveries["510000"].kind == DeliveryKind.OPERATION
    # the owner sees its entry, and the others' reads under their agreements (rc-to-sc for 荣昌's)
    assert audits["510000"].reason == AuditReason.AGREEMENT
    assert audits["510000"].read_agreement_id == "cy-2024-cq-sc"
    # 荣昌 may know of the Sichuan entry (sc-to-rc), but Chongqing never agreed to show it its reads;
    # Chongqing may know of the entry and its own read, but 荣昌 never agreed to show it its read
    for region in ("500153", "500000"):
        refused = audits[region]
        assert refused.decision == Decision.REFUSED and refused.refused_by == ConsentSide.READ
        assert refused.reason == AuditReason.NO_AGREEMENT


def test_an_operation_between_agreeing_regions_reaches_them_all(zone: Zone) -> None:
    entry = str(uuid.uuid4())
    evidence = (seen("510000", 0, entry), seen("500000", 600, entry))
    deliveries, _ = outputs(zone, Firing(EscalationTrigger.MULTI_REGION, evidence, "2 regions"))
    assert set(deliveries) == {"510000", "500000"}
    assert deliveries["500000"].agreement_id == "cy-2024-sc-cq"
    assert deliveries["500000"].purpose == "investigation"


def test_a_cloned_plate_operation_is_owned_by_the_later_reads_region(zone: Zone) -> None:
    evidence = (seen("510000", 0), seen("500000", 1200))
    deliveries, audits = outputs(zone, Firing(EscalationTrigger.CLONED_PLATE, evidence, "too fast"))
    assert set(deliveries) == {"510000", "500000"}
    op = deliveries["510000"].operation
    assert op is not None and op.owner == "500000" and op.category == "cloned_plate"
    assert op.priority == "high" and op.entry_id is None
    assert deliveries["510000"].agreement_id == "cy-2024-cq-sc"
    assert all(a.decision == Decision.DISCLOSED for a in audits.values())


def test_a_border_operation_reaches_the_neighbour_under_its_agreements(zone: Zone) -> None:
    entry = str(uuid.uuid4())
    firing = Firing(EscalationTrigger.BORDER, (seen("510521", 0, entry, "RC-1"),), "border")
    op = build_operation(firing, zone, RULES, NOW)
    assert op.regions == ("500153", "510000", "510521")  # owner, read region and its neighbour


def test_the_same_firing_gives_the_same_ids(zone: Zone) -> None:
    evidence = (seen("510000", 0), seen("500000", 1200))
    a = build_operation(Firing(EscalationTrigger.CLONED_PLATE, evidence, "x"), zone, RULES, NOW)
    b = build_operation(Firing(EscalationTrigger.CLONED_PLATE, evidence, "x"), zone, RULES, NOW)
    assert a.operation_id == b.operation_id


def test_a_zone_without_escalation_loads_unchanged_and_sites_are_unique() -> None:
    assert load_zone_file(EXAMPLE_ZONE).escalation is None
    site = CheckpointSite(checkpoint_id="A", lat=1, lon=2)
    with pytest.raises(ValidationError, match="listed twice"):
        EscalationRules(checkpoints=(site, site))


def test_the_audit_names_every_agreement_an_operation_rests_on(zone: Zone) -> None:
    entry = str(uuid.uuid4())
    evidence = (seen("510000", 0, entry), seen("500000", 600, entry), seen("500153", 1200, entry))
    _, audits = outputs(zone, Firing(EscalationTrigger.MULTI_REGION, evidence, "3 regions"))
    detail = audits["510000"].detail or ""
    assert "cy-2024-cq-sc" in detail and "rc-to-sc" in detail


def test_the_documented_escalation_block_loads_in_a_zone_file(tmp_path: Path) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "escalation.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", doc, re.S)
    assert block is not None
    path = tmp_path / "zone.yaml"
    path.write_text(EXAMPLE_ZONE.read_text(encoding="utf-8") + "\n" + block.group(1), encoding="utf-8")
    rules = load_zone_file(path).escalation
    assert rules is not None and rules.multi_region is not None and rules.multi_region.min_regions == 3
    assert rules.border is not None and rules.cloned_plate is not None and len(rules.checkpoints) == 2


def test_two_entries_on_one_plate_matched_by_one_read_open_two_operations_with_their_own_ids(
    zone: Zone,
) -> None:
    # 四川 and 重庆 both watchlist the plate: one read at the border matches both entries, each rule fires
    # per entry, and each operation (its own owner, entry, close) must have its own id and deliveries
    rules = EscalationRules(border=BorderRule(checkpoints=("RC-1",)))
    event = str(uuid.uuid4())
    reads = [
        Seen(event, "川A12345", "blue", "500153", "RC-1", T0, str(uuid.uuid4()), owner, "drugs", "urgent")
        for owner in ("510000", "500000")
    ]
    state = VehicleState()
    firings = [f for read in reads for f in observe(state, read, rules, {})]
    ops = [build_operation(f, zone, rules, NOW) for f in firings]
    assert [op.owner for op in ops] == ["510000", "500000"]
    assert ops[0].operation_id != ops[1].operation_id
    assert build_operation(firings[0], zone, rules, NOW).operation_id == ops[0].operation_id  # stable
