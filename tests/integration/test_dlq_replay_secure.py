"""On a secured broker a replay writes only to the inputs of the record's own region, as it, audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner, Result

from ops.cli import main
from ops.dlq.replay import REPLAY_HEADER, REPLAY_ID_HEADER
from ops.kafka import LocalCluster
from ops.zone import apply_zone
from schemas.codec import decode
from schemas.dlq import DeadLetter, DlqReason, DlqStage, dlq_headers
from schemas.kafka_settings import KafkaSettings
from schemas.replay_audit import ReplayAudit, ReplayOutcome, ReplayRefusal
from schemas.topics import Catalogue
from schemas.zone import Zone
from streams.runtime import ClientFactory
from tests.support.kafka import consume_all
from tests.support.secure import SecureZone

A, B = "510521", "510000"  # 泸县 and Sichuan


def _zone_of_two(cluster: LocalCluster, credentials: Path, cat: Catalogue) -> SecureZone:
    zone = Zone.model_validate(
        {
            "name": "replay",
            "regions": [{"code": A}, {"code": B}],
            "topics": {"hit_partitions": 1, "shared_partitions": 1},
        }
    )
    apply_zone(zone, cluster.settings(), cat, secure=True, credentials=credentials)
    return SecureZone(cluster, cat, credentials)


def _dead_letters(settings: KafkaSettings, topic: str, component: str, sources: list[str]) -> None:
    producer = ClientFactory(settings, "test-dlq").producer()
    errors: list[object] = []
    for i, source in enumerate(sources):
        letter = DeadLetter(
            DlqReason.SCHEMA_VIOLATION, DlqStage.DECODE, component, f"bad {i}", source_topic=source
        )
        producer.produce(
            topic,
            f"original-{i}".encode(),
            b"plate",
            headers=dlq_headers(letter),
            on_delivery=lambda e, _m: e and errors.append(e),
        )
    assert producer.flush(15) == 0 and not errors, errors


def _rax(zone: SecureZone, as_: KafkaSettings, *args: str, credentials: Path | None = None) -> Result:
    options, env = zone.cli(as_)
    cred = ["--credentials", str(credentials or zone.credentials)]
    return CliRunner().invoke(
        main, ["dlq", *args, "--namespace", zone.cat.namespace, "--yes", *cred, *options], env=env
    )


def _audits(zone: SecureZone) -> list[ReplayAudit]:
    return [decode(m.value() or b"", ReplayAudit) for m in consume_all(zone.admin, zone.cat.audit)]


def test_a_forged_dead_letter_cannot_reach_another_region_the_zone_or_the_watchlist(
    secured_cluster: tuple[LocalCluster, Path], catalogue: Catalogue
) -> None:
    cluster, credentials = secured_cluster
    zone = _zone_of_two(cluster, credentials, catalogue)
    cat = zone.cat
    dlq = cat.dlq("connector", A)
    # 泸县 writes its own dead-letter topic, naming its own input and three targets it may not write
    _dead_letters(zone.region(A), dlq, "connector", [cat.in_hits(A), cat.in_hits(B), cat.zone, cat.watchlist])

    refused = _rax(zone, zone.operator, "replay", "connector", "--region", A)
    assert refused.exit_code != 0
    assert "3 of the chosen dead letters may not be replayed, so none was" in refused.output
    assert f"came from region {A} but names {cat.in_hits(B)}" in refused.output
    assert f"names {cat.zone}, which is not a region's input topic" in refused.output
    for topic in (cat.in_hits(A), cat.in_hits(B), cat.zone, cat.watchlist):
        assert [m for m in consume_all(zone.admin, topic) if m.key() == b"plate"] == [], topic
    audits = _audits(zone)
    assert sorted((a.dlq_offset, a.outcome, a.refusal) for a in audits) == [
        (1, ReplayOutcome.REFUSED, ReplayRefusal.OTHER_REGION),
        (2, ReplayOutcome.REFUSED, ReplayRefusal.NOT_AN_INPUT),
        (3, ReplayOutcome.REFUSED, ReplayRefusal.NOT_AN_INPUT),
    ]
    assert all(a.operator == "rax-operator" and a.region == A and a.identity is None for a in audits)

    sent = _rax(zone, zone.operator, "replay", "connector", "--region", A, "--offset", "0")
    assert sent.exit_code == 0 and "replayed 1 records" in sent.output, sent.output
    (back,) = consume_all(zone.admin, cat.in_hits(A))
    headers = dict(back.headers() or [])
    assert back.value() == b"original-0" and headers[REPLAY_HEADER] == f"{dlq}:0:0".encode()
    (audit,) = [a for a in _audits(zone) if a.outcome is ReplayOutcome.SENT]
    assert (audit.identity, audit.target_topic, audit.dlq_offset) == (f"region-{A}", cat.in_hits(A), 0)
    assert headers[REPLAY_ID_HEADER] == audit.replay_id.encode()


def test_a_replay_runs_as_the_records_region_or_not_at_all(
    secured_cluster: tuple[LocalCluster, Path], catalogue: Catalogue, tmp_path: Path
) -> None:
    cluster, credentials = secured_cluster
    zone = _zone_of_two(cluster, credentials, catalogue)
    cat = zone.cat
    # the processors' dead letter of a hit 四川 published: it goes back to 四川's input, as 四川
    _dead_letters(zone.processors, cat.dlq("hotpath"), "hotpath", [cat.in_hits(B)])
    without_b = tmp_path / "credentials.json"
    known = orjson.loads(credentials.read_bytes())
    without_b.write_bytes(orjson.dumps({u: p for u, p in known.items() if u != f"region-{B}"}))
    without_b.chmod(0o600)

    refused = _rax(zone, zone.operator, "replay", "hotpath", credentials=without_b)
    assert refused.exit_code != 0 and f"the credentials of region-{B} are not at hand" in refused.output
    assert consume_all(zone.admin, cat.in_hits(B)) == []
    (audit,) = _audits(zone)
    assert audit.refusal is ReplayRefusal.NO_IDENTITY

    sent = _rax(zone, zone.operator, "replay", "hotpath")
    assert sent.exit_code == 0, sent.output
    (back,) = consume_all(zone.admin, cat.in_hits(B))
    assert back.value() == b"original-0"
    assert [a.identity for a in _audits(zone) if a.outcome is ReplayOutcome.SENT] == [f"region-{B}"]


def test_a_region_list_needs_the_region(
    secured_cluster: tuple[LocalCluster, Path], catalogue: Catalogue
) -> None:
    cluster, credentials = secured_cluster
    zone = _zone_of_two(cluster, credentials, catalogue)
    options, env = zone.cli(zone.operator)
    base = ["--namespace", zone.cat.namespace, *options]
    result = CliRunner().invoke(main, ["dlq", "list", "connector", *base], env=env)
    assert result.exit_code != 0 and "say which with --region" in result.output
    result = CliRunner().invoke(main, ["dlq", "list", "connector", "--region", A, *base], env=env)
    assert result.exit_code == 0 and result.output == "", result.output


def test_a_connector_dead_letters_to_its_regions_own_topic_and_the_region_reads_it_back(
    secured_cluster: tuple[LocalCluster, Path], catalogue: Catalogue, tmp_path: Path
) -> None:
    from tests.integration.test_connector_docs_example import _example

    cluster, credentials = secured_cluster
    zone = _zone_of_two(cluster, credentials, catalogue)
    module: dict[str, Any] = {"__name__": "docs_example"}
    exec(compile(_example(), "docs/connectors.md", "exec"), module)
    report = module["run"](zone.region(B), catalogue.namespace, tmp_path / "state")  # the example is 四川's
    assert (report.records_out, report.rejected) == (2, 1)
    group = f"{catalogue.region_group_prefix(B)}check"
    (letter,) = consume_all(zone.region(B), catalogue.dlq("connector", B), expect=1, timeout=10, group=group)
    assert letter.value() == b"not a plate"
    assert consume_all(zone.admin, catalogue.dlq("connector", A)) == []
