"""`zone apply` creates the zone's catalogue topics, changes nothing the second time, rejects bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from confluent_kafka.admin import ConfigResource, ResourceType

from ops.zone import ZoneFileError, apply_zone, load_zone_file
from ops.zone.zone_topic import read_latest_zone
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

EXAMPLE = Path(__file__).parents[2] / "ops" / "zones" / "chuanyu.yaml"


def _topics(settings: KafkaSettings, cat: Catalogue) -> dict[str, int]:
    md = ClientFactory(settings, "test-admin").admin().list_topics(timeout=10)
    ours = (f"{cat.namespace}.", cat.internal_prefix)
    return {name: len(t.partitions) for name, t in md.topics.items() if name.startswith(ours)}


def test_apply_twice_is_a_no_op(kafka: KafkaSettings, catalogue: Catalogue) -> None:
    zone = load_zone_file(EXAMPLE)
    first = apply_zone(zone, kafka, catalogue, secure=False)
    expected = {s.name for s in catalogue.all_topics(sorted(zone.codes))}
    assert set(first.created_topics) == expected
    assert first.zone_published and first.zone_revision == 1
    topics = _topics(kafka, catalogue)
    assert set(topics) == expected
    assert topics[catalogue.in_hits("500153")] == zone.topics.hit_partitions
    assert catalogue.out("510521") in topics and catalogue.in_acks("510000") in topics

    second = apply_zone(zone, kafka, catalogue, secure=False)
    assert not second.changed
    assert second.created_topics == [] and second.zone_revision == 1
    assert _topics(kafka, catalogue) == topics

    published = read_latest_zone(kafka, catalogue, zone.name)
    assert published is not None and published.zone == zone and published.revision == 1


def test_a_second_zone_in_one_namespace_is_refused_before_anything_is_created(
    kafka: KafkaSettings, catalogue: Catalogue
) -> None:
    apply_zone(load_zone_file(EXAMPLE), kafka, catalogue, secure=False)
    before = _topics(kafka, catalogue)
    other = load_zone_file(EXAMPLE.with_name("yuegangao.yaml"))
    with pytest.raises(ValueError, match=f"namespace {catalogue.namespace} already runs zone chuanyu"):
        apply_zone(other, kafka, catalogue, secure=False)
    assert _topics(kafka, catalogue) == before  # nothing of yuegangao was created
    assert read_latest_zone(kafka, catalogue, other.name) is None


def test_compacted_topics_are_compacted(kafka: KafkaSettings, catalogue: Catalogue) -> None:
    apply_zone(load_zone_file(EXAMPLE), kafka, catalogue, secure=False)
    admin = ClientFactory(kafka, "test-admin").admin()
    res = ConfigResource(ResourceType.TOPIC, catalogue.watchlist)
    configs = next(iter(admin.describe_configs([res]).values())).result()
    assert configs["cleanup.policy"].value == "compact"
    res = ConfigResource(ResourceType.TOPIC, catalogue.in_hits("510000"))
    configs = next(iter(admin.describe_configs([res]).values())).result()
    assert configs["cleanup.policy"].value == "delete"


def test_changed_zone_publishes_a_new_revision(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    apply_zone(load_zone_file(EXAMPLE), kafka, catalogue, secure=False)
    changed = tmp_path / "zone.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    assert '  - ["500116", "510522"]\n' in text
    changed.write_text(text.replace('  - ["500116", "510522"]\n', ""), encoding="utf-8")  # one border fewer
    report = apply_zone(load_zone_file(changed), kafka, catalogue, secure=False)
    assert report.zone_published and report.zone_revision == 2 and report.created_topics == []
    assert report.warnings == []  # nothing dropped or narrowed
    zone = load_zone_file(changed)
    smaller = zone.model_copy(
        update={
            "agreements": tuple(a for a in zone.agreements if a.agreement_id != "lx-rc-joint-office"),
            "subscriptions": tuple(s for s in zone.subscriptions if s.region != "510904"),
        }
    )
    report = apply_zone(smaller, kafka, catalogue, secure=False)
    assert report.zone_revision == 3 and "agreements removed: lx-rc-joint-office" in report.warnings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('name: z\nregions: [{code: "510000"}, {code: "999999"}]\n', "regions[1].code: unknown region code"),
        (
            'name: z\nregions: [{code: "510000"}]\nadjacency: [["510000", "500000"]]\n',
            "adjacency[0][1]: 500000 is not a member region",
        ),
        ('name: z\nregions: [{code: "510000"}]\nbogus: 1\n', "bogus: Extra inputs are not permitted"),
        ("name: [unclosed\n", "(yaml)"),
    ],
)
def test_bad_zone_file_names_the_field_and_applies_nothing(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ZoneFileError) as err:
        load_zone_file(path)
    assert expected in str(err.value)


def test_cli_rejects_bad_zone_without_touching_the_broker(
    kafka: KafkaSettings, catalogue: Catalogue, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from ops.cli import main

    path = tmp_path / "bad.yaml"
    path.write_text('name: z\nregions: [{code: "510000"}, {code: "123"}]\n', encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "zone",
            "apply",
            str(path),
            "--namespace",
            catalogue.namespace,
            "--bootstrap",
            kafka.bootstrap_servers,
        ],
    )
    assert result.exit_code == 1
    assert "regions[1].code" in result.output and "nothing applied" in result.output
    assert _topics(kafka, catalogue) == {}
