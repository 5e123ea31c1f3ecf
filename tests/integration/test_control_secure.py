"""Production mode: the control app runs on the secured broker as ``rax-processors``, nothing as admin.

Its pattern subscription, inbox, changelogs, group and transactional id all live under the ACLs `rax zone
apply` issued; a region publishes its alert as itself, its partner reads the delivery and answers it as
itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.acks import Acknowledgement, Outcome
from schemas.base import stable_event_id
from schemas.codec import decode, encode
from schemas.delivery import Delivery
from tests.support.control import publish, running_control, wait_for
from tests.support.kafka import consume_all
from tests.support.secure import SecureZone
from tests.unit.models_factories import zone_alert

LUXIAN, RONGCHANG = "510521", "500153"


def test_control_app_runs_as_the_processors_identity(secure_zone: SecureZone) -> None:
    cat, processors = secure_zone.cat, secure_zone.processors
    luxian, rongchang = secure_zone.region(LUXIAN), secure_zone.region(RONGCHANG)
    with running_control(processors, cat, worker_id="secure", tick_s=0.2) as loop:
        a = zone_alert(LUXIAN)  # the whole zone: 泸县 itself and 荣昌 under their joint office
        publish(luxian, cat.in_alerts(LUXIAN), [(a.identifier.encode(), encode(a))])
        centre = cat.region_group_prefix(RONGCHANG) + "centre"
        [msg] = consume_all(rongchang, cat.out(RONGCHANG), expect=1, timeout=60, group=centre)
        d = decode(msg.value(), Delivery)
        assert d.alert is not None and d.alert.identifier == a.identifier
        answer = Acknowledgement(ack_id=stable_event_id(d.delivery_id, "received"), delivery_id=d.delivery_id,
                                 region=RONGCHANG, outcome=Outcome.RECEIVED, at=datetime.now(UTC),
                                 operator="500153-0815")  # fmt: skip
        publish(rongchang, cat.in_acks(RONGCHANG), [(d.delivery_id.encode(), encode(answer))])
        labels = {"region": RONGCHANG, "outcome": "received"}
        wait_for(lambda: loop.registry.get_sample_value("rax_control_acks_total", labels), 60, "the ack")
        assert loop.web is not None and loop.web.port > 0
