"""The demo's own publisher, authenticated as each region's connectors would be: every record on a
region's input topic carries the region's MAC and a batch signature, every alert its region signature."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from connectors.sdk.macs import RecordMacs
from connectors.sdk.signatures import BatchSigner, single_record_headers
from ops.keys import KeyStore
from schemas.topics import Catalogue, TopicKind

__all__ = ["SignedProducer"]


class SignedProducer:
    """A producer that authenticates what it sends on ``rax.in.<region>.*`` with that region's keys
    (the demo plays every region; a real region holds only its own). Other topics pass unchanged.

    Lifecycle: made once by the demo around its producer; used from one thread.
    """

    def __init__(self, producer: Producer, keys_dir: Path, catalogue: Catalogue) -> None:
        self._producer, self._keys_dir, self._cat = producer, keys_dir, catalogue
        self._regions: dict[str, tuple[RecordMacs, BatchSigner]] = {}

    def _keys(self, region: str) -> tuple[RecordMacs, BatchSigner]:
        held = self._regions.get(region)
        if held is None:
            macs = RecordMacs(KeyStore(self._keys_dir).mac_path(region), region)
            signer = BatchSigner(self._keys_dir, region)
            macs.load()
            signer.load()
            held = self._regions[region] = (macs, signer)
        return held

    def produce(self, topic: str, value: bytes | None = None, key: bytes | None = None, **kw: Any) -> None:
        parsed = self._cat.parse_region_topic(topic)
        if parsed is None:
            self._producer.produce(topic, value, key, **kw)
            return
        macs, signer = self._keys(parsed[0])
        if parsed[1] is TopicKind.ALERTS and value is not None:
            value = signer.sign_alert(value)
        headers = single_record_headers(macs, signer, topic, key, value)
        self._producer.produce(topic, value, key, headers=headers, **kw)

    def poll(self, timeout: float = 0) -> int:
        return self._producer.poll(timeout)

    def flush(self, timeout: float = -1) -> int:
        return self._producer.flush(timeout)
