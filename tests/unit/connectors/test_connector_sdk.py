"""The SDK's bookkeeping: the position store, the in-order watermark, options from a model, metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from connectors.checkpoint_file import CheckpointFileConfig
from connectors.registry import BUILTIN, load
from connectors.sdk import (
    Batch,
    FatalError,
    PositionStore,
    RecordKind,
    Runtime,
    RuntimeConfig,
    Source,
    connector_metrics,
)
from connectors.sdk.options import option_specs
from connectors.sdk.positions import PendingBatch, Watermark
from connectors.simulator import SimulatorConfig
from schemas.kafka_settings import KafkaSettings


def test_positions_are_stored_atomically_and_read_back(tmp_path: Path) -> None:
    store = PositionStore(tmp_path / "state")
    assert store.load() is None
    store.save({"files": {"1:2": {"offset": 10}}})
    store.save({"files": {"1:2": {"offset": 20}}})
    assert store.load() == {"files": {"1:2": {"offset": 20}}}
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["position.json"]  # no temp files left


def test_a_corrupt_position_is_fatal_with_a_hint(tmp_path: Path) -> None:
    (tmp_path / "position.json").write_text("{not json")
    with pytest.raises(FatalError, match="delete it to start the source from its beginning"):
        PositionStore(tmp_path).load()


def test_the_watermark_releases_positions_in_poll_order_only() -> None:
    marks = Watermark()
    first, second = PendingBatch({"n": 1}, 2, 0.0), PendingBatch({"n": 2}, 1, 0.0)
    marks.add(first)
    marks.add(second)
    second.outstanding = 0  # the later batch is acknowledged first
    assert marks.advance() == (None, [])
    first.outstanding = 0
    position, done = marks.advance()
    assert position == {"n": 2} and done == [first, second]


def test_options_come_from_the_config_model_with_their_descriptions() -> None:
    specs = {s.flag: s for s in option_specs(CheckpointFileConfig)}
    assert specs["--directory"].required and specs["--directory"].kind == "path"
    assert specs["--format"].choices == ("auto", "csv", "jsonl")
    assert all(s.help for s in specs.values())


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_every_builtin_connector_documents_every_config_field(name: str) -> None:
    cls = load(name)
    assert cls.name == name and cls.summary
    assert cls.config_model.model_config.get("frozen") is True
    undocumented = [f for f, info in cls.config_model.model_fields.items() if not info.description]
    assert not undocumented


def test_metrics_are_registered_on_the_given_registry_with_every_reason_initialised() -> None:
    registry = CollectorRegistry()
    metrics = connector_metrics(registry, "checkpoint-file", "510000")
    metrics.records_in.inc(3)
    labels = {"connector": "checkpoint-file", "region": "510000"}
    assert registry.get_sample_value("rax_connector_records_in_total", labels) == 3
    assert (
        registry.get_sample_value("rax_connector_records_rejected_total", {**labels, "reason": "too_large"})
        == 0
    )


class _BrokenGenerator(Source[SimulatorConfig]):
    """Hands over pre-encoded records of which one is not a valid hit."""

    name, kind, config_model = "broken", RecordKind.HITS, SimulatorConfig

    def poll(self, timeout: float) -> Batch:
        return Batch(encoded=[(b"k", b'{"not": "a hit"}')] * 10)


def test_an_invalid_pre_encoded_record_is_caught_by_the_sample_check_and_is_fatal() -> None:
    nowhere = KafkaSettings(bootstrap_servers="127.0.0.1:9")  # never reached: it fails before producing
    runtime = RuntimeConfig(region="510000", validate_sample=5, shutdown_timeout_s=1)
    with pytest.raises(FatalError, match="generated an invalid record"):
        Runtime(_BrokenGenerator, SimulatorConfig(), runtime, nowhere).run()
