"""Production mode: the processors run on the secured broker as the identity `rax zone apply` issued them.

No admin anywhere on the data path: a region's connector publishes as the region, the hot path runs as
``rax-processors`` (its changelogs, group and transactional id under its own ACLs), and the region's
command centre reads its deliveries as the region.
"""

from __future__ import annotations

from typing import Any

import orjson
from confluent_kafka import Message
from prometheus_client import CollectorRegistry

from ops.kafka import LocalCluster
from ops.zone.plan import PROCESSORS_USER, region_user
from schemas.dlq import parse_dlq_headers
from schemas.topics import Catalogue
from streams.hotpath.config import HotpathSettings
from streams.hotpath.processor import HotpathProcessor
from streams.runtime import ClientFactory, RuntimeSettings, StreamLoop
from tests.support.control import wait_for
from tests.support.hotpath import HitFactory, make_entry, publish_entries, running_loop
from tests.support.kafka import consume_all

LUXIAN = "510521"


def test_hot_path_runs_as_the_processors_identity(
    secured: tuple[LocalCluster, dict[str, str], Catalogue],
) -> None:
    cluster, passwords, cat = secured
    admin = cluster.settings()
    processors = admin.as_user(PROCESSORS_USER, passwords[PROCESSORS_USER])
    region = admin.as_user(region_user(LUXIAN), passwords[region_user(LUXIAN)])
    wanted = make_entry(LUXIAN, "川A77777")
    publish_entries(processors, cat, [wanted])  # as the control app would place it
    runtime = RuntimeSettings(kafka=processors, namespace=cat.namespace, worker_id="secure", web_port=0)
    registry = CollectorRegistry()
    processor = HotpathProcessor(
        HotpathSettings(runtime=runtime), ClientFactory(processors, "secure"), registry
    )
    with running_loop(StreamLoop(processor, runtime, registry)) as loop:
        hits = HitFactory(region, cat)
        event = hits.send(LUXIAN, "川A77777")
        hits.send("510000", "川A77777", topic_region=LUXIAN)  # impersonation: DLQ + audit
        hits.flush()
        centre = cat.region_group_prefix(LUXIAN) + "centre"

        def matched() -> list[dict[str, Any]]:  # the secured zone is shared: other tests deliver here too
            out = consume_all(region, cat.out(LUXIAN), group=centre)
            found = [orjson.loads(m.value() or b"{}") for m in out]
            return [d for d in found if (d.get("match") or {}).get("hit_event_id") == event]

        delivered = wait_for(matched, 60, "the match delivered to 泸县")
        assert loop.web is not None and loop.web.port > 0

        def impersonation() -> list[Message]:  # the operator reads the DLQ
            dead = consume_all(admin, cat.dlq("hotpath"))
            return [m for m in dead if parse_dlq_headers(m.headers()).source_topic == cat.in_hits(LUXIAN)]

        dead = wait_for(impersonation, 30, "the impersonation dead-lettered")
    assert len(delivered) == 1
    assert [parse_dlq_headers(m.headers()).reason.value for m in dead] == ["region_mismatch"]
