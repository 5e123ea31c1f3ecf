"""The ACL matrix: every identity of a three-region zone tries every operation of the least-privilege table.

Each region tries its own resources and those of both others (all six ordered pairs), the processors and
the operator every region's; each attempt must end as ``ops/zone/privileges.py`` (the table the
operator's guide shows) says: allowed, or refused by the broker's authorizer.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ops.kafka import LocalCluster
from ops.zone import apply_zone
from ops.zone.privileges import Attempt, Identity, attempts
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue, TopicKind, TopicSpec
from schemas.zone import Zone
from tests.support.acl_matrix import Outcome, seed, try_all
from tests.support.kafka import create_topics
from tests.support.secure import SecureZone

CODES = ["500153", "510521", "510000"]  # 荣昌, 泸县, Sichuan: a county, a county, a province


def _zone() -> Zone:
    return Zone.model_validate(
        {
            "name": "acl-matrix",
            "regions": [{"code": c} for c in CODES],
            "topics": {"hit_partitions": 1, "shared_partitions": 1},
        }
    )


def test_every_identity_may_do_exactly_what_the_table_says(
    secured_cluster: tuple[LocalCluster, Path], catalogue: Catalogue
) -> None:
    cluster, credentials = secured_cluster
    cat = catalogue
    apply_zone(_zone(), cluster.settings(), cat, secure=True, credentials=credentials)
    zone = SecureZone(cluster, cat, credentials)
    # every topic the table names exists (so a refusal is the authorizer's, not a missing topic), with a
    # record to read; the changelog is one a hot-path worker would create
    changelog = cat.changelog("hotpath", "dedup")
    create_topics(zone.admin, [TopicSpec(changelog, TopicKind.CONTROL, "store key", 1, -1, compacted=True)])
    seed(zone.admin, sorted({t.name for t in cat.all_topics(CODES)} | {changelog}))

    plans: list[tuple[str, KafkaSettings, list[Attempt], str, str]] = [
        (
            f"region-{c}",
            zone.region(c),
            attempts(cat, CODES, Identity.REGION, c),
            f"{cat.region_group_prefix(c)}matrix",
            cat.out(c),
        )
        for c in CODES
    ]
    processors = attempts(cat, CODES, Identity.PROCESSORS)
    plans.append(
        ("rax-processors", zone.processors, processors, f"{cat.processor_prefix}m", cat.in_hits(CODES[0]))
    )
    evaluator = attempts(cat, CODES, Identity.EVALUATOR)
    plans.append(
        ("rax-evaluator", zone.evaluator, evaluator, f"{cat.processor_prefix}evaluate.matrix", cat.audit)
    )
    operator = attempts(cat, CODES, Identity.OPERATOR)
    plans.append(("rax-operator", zone.operator, operator, f"{cat.operator_prefix}matrix", cat.audit))
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(plans)) as pool:
        futures = {
            who: pool.submit(try_all, settings, tried, group=group, readable=readable)
            for who, settings, tried, group, readable in plans
        }
        outcomes: dict[str, dict[Attempt, Outcome]] = {who: f.result() for who, f in futures.items()}
    took = time.monotonic() - started

    wrong = [
        f"{who} {a.op.value} {a.kind} {a.name} ({a.row}): "
        f"expected {'allowed' if a.expected else 'denied'}, got {got}"
        for who, results in outcomes.items()
        for a, got in sorted(results.items())
        if got != ("allowed" if a.expected else "denied")
    ]
    assert not wrong, f"{len(wrong)} attempts disagree with the table:\n" + "\n".join(wrong)
    total = sum(len(r) for r in outcomes.values())
    assert total > 300 and took < 60, (total, took)
