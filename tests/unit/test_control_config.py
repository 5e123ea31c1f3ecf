"""The control app's settings, metric names, subscription and stores, and `rax run control` options."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from ops.cli.run_control import command
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from streams.control.config import ControlSettings
from streams.control.metrics import ControlMetrics
from streams.control.processor import ControlProcessor
from streams.runtime import ClientFactory, RuntimeSettings


def test_settings_take_the_namespace_from_the_runtime_and_refuse_unknown_fields() -> None:
    settings = ControlSettings(runtime=RuntimeSettings(namespace="t1"))
    assert settings.catalogue == Catalogue("t1") and settings.park_s == 30
    with pytest.raises(ValidationError):
        ControlSettings(replay_margin=500)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        ControlSettings(park_s=0)


def test_the_processor_subscribes_by_pattern_and_keeps_its_stores_for_the_inbox_only() -> None:
    cat = Catalogue("t1")
    settings = ControlSettings(runtime=RuntimeSettings(namespace="t1"))
    processor = ControlProcessor(settings, ClientFactory(KafkaSettings(), "test"))
    patterns = [t for t in processor.topics() if t.startswith("^")]
    assert len(patterns) == 4 and cat.control_inbox in processor.topics()
    assert any(re.fullmatch(p[1:-1], cat.in_requests("510521")) for p in patterns)
    assert any(re.fullmatch(p[1:-1], cat.in_alerts("510521")) for p in patterns)
    assert not any(re.fullmatch(p[1:-1], cat.in_hits("510521")) for p in patterns)
    specs = processor.store_specs()
    assert {s.name for s in specs} == {"alerts", "threads", "deliveries", "entries", "parked", "requests"}
    assert all(s.applies_to(cat.control_inbox) and not s.applies_to(cat.in_acks("510521")) for s in specs)
    assert processor.not_ready() == ["no zone loaded (apply one: rax zone apply)"]


def test_metrics_are_named_rax_control_and_start_at_zero_for_zone_regions() -> None:
    registry = CollectorRegistry()
    metrics = ControlMetrics(registry)
    metrics.init_labels(["510521"])
    names = {m.name for m in registry.collect()}
    assert names and all(n.startswith("rax_control_") for n in names)
    assert (
        registry.get_sample_value("rax_control_acks_total", {"region": "510521", "outcome": "received"}) == 0
    )
    labels = {"stream": "alerts", "outcome": "parked"}
    assert registry.get_sample_value("rax_control_records_total", labels) == 0


def test_bad_deadline_options_end_with_a_message() -> None:
    result = CliRunner().invoke(command, ["--bootstrap", "127.0.0.1:1", "--ack-deadline", "intercept:urgent"])
    assert result.exit_code == 1 and "action:priority=seconds" in result.output


@pytest.mark.parametrize("gone", ["--replication", "--partitions", "--stall-seconds", "--retry-delay"])
def test_the_faust_options_are_gone(gone: str) -> None:
    result = CliRunner().invoke(command, ["--bootstrap", "127.0.0.1:1", gone, "1"])
    assert result.exit_code == 2 and "No such option" in result.output
