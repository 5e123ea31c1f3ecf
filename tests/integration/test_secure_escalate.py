"""Production mode for the escalate processor: on the secured broker, as the identity `rax zone apply` issued.

Reads are published by each region as itself, the processor runs as ``rax-processors``, a region reads
its operation deliveries as itself and closes the operation it owns as itself: no admin on the data path.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry

from ops.centre import close_operation, read_operations
from ops.kafka import LocalCluster
from ops.zone import apply_zone, load_zone_file
from schemas.escalation import CheckpointSite, ClonedPlateRule, EscalationRules
from schemas.operation import EscalationTrigger, OperationOutcome
from schemas.topics import Catalogue
from streams.escalate.config import EscalateSettings
from streams.escalate.processor import EscalateProcessor
from streams.runtime import ClientFactory, RuntimeSettings, StreamLoop
from tests.support.control import wait_for
from tests.support.hotpath import EXAMPLE_ZONE, HitFactory, running_loop
from tests.support.secure import SecureZone

RULES = EscalationRules(
    cloned_plate=ClonedPlateRule(
        max_speed_kmh=200, road_factor=1.3, min_distance_km=20, corroborating_checkpoints=1
    ),  # the rule itself is tested with its default corroboration in tests/unit/test_escalate_rules.py
    checkpoints=(
        CheckpointSite(checkpoint_id="510000-CD1", lat=30.66, lon=104.07),  # 成都
        CheckpointSite(checkpoint_id="500000-CQ1", lat=29.56, lon=106.55),  # 重庆
    ),
)


def test_escalate_opens_and_closes_an_operation_as_the_processors_identity(
    secured_cluster: tuple[LocalCluster, Path], catalogue: Catalogue
) -> None:
    cluster, credentials = secured_cluster
    cat = catalogue
    zone = load_zone_file(EXAMPLE_ZONE)
    topics = zone.topics.model_copy(update={"hit_partitions": 2, "shared_partitions": 2})
    zone = zone.model_copy(update={"topics": topics, "escalation": RULES})
    apply_zone(zone, cluster.settings(), cat, secure=True, credentials=credentials)
    secure = SecureZone(cluster, cat, credentials)
    runtime = RuntimeSettings(
        kafka=secure.processors, namespace=cat.namespace, worker_id="secure", batch_timeout_s=0.02, web_port=0
    )
    registry = CollectorRegistry()
    processor = EscalateProcessor(
        EscalateSettings(runtime=runtime), ClientFactory(secure.processors, "secure-escalate"), registry
    )
    chengdu, chongqing = HitFactory(secure.region("510000"), cat), HitFactory(secure.region("500000"), cat)
    start = datetime.now(UTC) - timedelta(minutes=30)
    with running_loop(StreamLoop(processor, runtime, registry)):
        chengdu.send("510000", "沪B55555", checkpoint="510000-CD1", pass_time=start)
        chengdu.flush()
        # ~350 km by road in 20 minutes: a cloned plate
        chongqing.send("500000", "沪B55555", checkpoint="500000-CQ1", pass_time=start + timedelta(minutes=20))
        chongqing.flush()

        def opened() -> list[str]:
            return list(read_operations(secure.region("510000"), cat, "510000", timeout=10))

        (operation_id,) = wait_for(opened, 60, "the operation delivered to 四川, read as 四川")
        known = read_operations(secure.region("500000"), cat, "500000", timeout=10)[operation_id]
        assert known.operation.trigger == EscalationTrigger.CLONED_PLATE and known.operation.owner == "500000"
        close_operation(secure.region("500000"), cat, "500000", operation_id, OperationOutcome.CONFIRMED)

        def closed() -> bool:
            seen = read_operations(secure.region("510000"), cat, "510000", timeout=10)[operation_id]
            return seen.closure is not None

        wait_for(closed, 60, "the end of the operation delivered to 四川")
