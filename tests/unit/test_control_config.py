"""The control app's settings, metric names and the `rax run control` option parsing."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from ops.cli.run_control import command
from schemas.kafka_settings import KafkaSettings
from streams.control.config import ControlSettings
from streams.control.metrics import ControlMetrics


def test_app_id_is_under_the_namespace_internal_prefix() -> None:
    settings = ControlSettings(kafka=KafkaSettings(), namespace="t1")
    assert settings.app_id == "t1-control"
    assert settings.app_id.startswith(settings.catalogue.internal_prefix)
    with pytest.raises(ValidationError):
        ControlSettings(kafka=KafkaSettings(), instance="Not Valid")


def test_metrics_are_named_rax_control_and_start_at_zero_for_zone_regions() -> None:
    registry = CollectorRegistry()
    metrics = ControlMetrics(registry)
    metrics.init_labels(["510521"])
    names = {m.name for m in registry.collect()}
    assert names and all(n.startswith("rax_control_") for n in names)
    assert (
        registry.get_sample_value("rax_control_acks_total", {"region": "510521", "outcome": "received"}) == 0
    )


def test_bad_deadline_options_end_with_a_message() -> None:
    result = CliRunner().invoke(command, ["--bootstrap", "127.0.0.1:1", "--ack-deadline", "intercept:urgent"])
    assert result.exit_code == 1 and "action:priority=seconds" in result.output
