"""CAP as agencies send it, through the real broker: drop directory and HTTP, signed, large, .cap, EDXL-DE."""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from connectors.cap import CapConfig, CapSource
from connectors.sdk import RunReport, Runtime, RuntimeConfig
from schemas.alerts import Alert
from schemas.codec import decode
from schemas.kafka_settings import KafkaSettings
from schemas.topics import Catalogue
from tests.integration.connectors.drivers import free_port, wait_listening
from tests.support.kafka import consume_all, create_topics

DATA = Path(__file__).parents[2] / "data" / "cap"
TOKEN = "cap-token-of-510000-0123456789abcdef"
REGION = "510000"


def _headers(msg: Any) -> dict[str, bytes]:
    return dict(msg.headers() or ())


@pytest.fixture
def topics(kafka: KafkaSettings, catalogue: Catalogue) -> Catalogue:
    create_topics(kafka, catalogue.region_topics(REGION, hit_partitions=3) + catalogue.shared_topics(3))
    return catalogue


def _until_acknowledged(report: RunReport, published: int, rejected: int, timeout: float = 60) -> None:
    """Wait until Kafka acknowledged so many records and dead letters (then their topics have leaders)."""
    deadline = time.monotonic() + timeout
    while report.records_out < published or report.rejected < rejected:
        assert time.monotonic() < deadline, f"the connector did not publish in time: {report}"
        time.sleep(0.05)


def _running(kafka: KafkaSettings, catalogue: Catalogue, config: CapConfig) -> Iterator[Runtime]:
    runner = Runtime(CapSource, config, RuntimeConfig(region=REGION, namespace=catalogue.namespace), kafka)
    thread = threading.Thread(target=runner.run)
    thread.start()
    try:
        if config.port is not None:
            wait_listening(config.port)
        yield runner
    finally:
        runner.request_stop()
        thread.join(60)


def test_the_drop_directory_takes_signed_large_cap_and_wrapped_messages(
    kafka: KafkaSettings, topics: Catalogue, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    for name, target in [("naad_signed_thunderstorm.xml", "naad.xml"), ("nws_hurricane_large.xml", "nws.xml"),
                         ("dwd_storm_gusts.cap", "dwd.CAP"), ("edxl_de_chemical_release.xml", "hc.xml"),
                         ("cfs_bushfire_offsets.xml", "cfs.cap")]:  # fmt: skip
        shutil.copy(DATA / name, drop / target)
    (drop / "README.txt").write_text("drop CAP files here")
    oversized = (
        (DATA / "cfs_bushfire_offsets.xml")
        .read_bytes()
        .replace(b"</description>", b" " * (1 << 20) + b"</description>")
    )
    (drop / "huge.xml").write_bytes(oversized)
    for runner in _running(kafka, topics, CapConfig(directory=drop)):
        _until_acknowledged(runner.report, published=6, rejected=2)
        alerts = [decode(m.value(), Alert) for m in consume_all(kafka, topics.in_alerts(REGION), expect=6)]
        letters = consume_all(kafka, topics.dlq("connector", REGION), expect=2)
    by_id = {a.identifier: a for a in alerts}
    assert len(by_id) == 6
    naad = by_id["urn:oid:2.49.0.1.124.3411592107.2024"]
    assert naad.signatures[0].startswith("<ds:Signature") and naad.sent_offset == "-04:00"
    assert (
        len(by_id["urn:oid:2.49.0.1.840.0.5b8a2c7d1e4f60718293a4b5c6d7e8f901234567.001.1"].info[0].areas)
        == 250
    )
    assert by_id["AU-SA-CFS-20240117-0042-2"].info[0].effective_offset == "+09:30"
    wrapped = [a for a in alerts if a.distribution is not None]
    assert {a.info[0].language for a in wrapped} == {"en-US", "es-US"}
    assert any(a.sent_offset == "+02:00" for a in alerts)  # the .CAP file
    reasons = {_headers(m)["rax.connector.origin"]: m for m in letters}
    readme, huge = reasons[b"README.txt"], reasons[b"huge.xml"]
    assert (
        _headers(readme)["rax.dlq.reason"] == b"bad_source_record"
        and readme.value() == b"drop CAP files here"
    )
    assert _headers(huge)["rax.dlq.reason"] == b"too_large"
    assert _headers(huge)["rax.dlq.original.size"] == str(len(oversized)).encode()
    assert _headers(huge)["rax.dlq.original.sha256"] == hashlib.sha256(oversized).hexdigest().encode()
    assert len(huge.value() or b"") <= 512 * 1024 and oversized.startswith(huge.value() or b"")


def _post(port: int, body: bytes) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/cap", data=body, method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/xml"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read() or b"{}")


def test_http_takes_signed_large_and_wrapped_messages_and_dead_letters_an_oversized_one_with_413(
    kafka: KafkaSettings, topics: Catalogue
) -> None:
    port = free_port()
    config = CapConfig(port=port, token=TOKEN)
    for _ in _running(kafka, topics, config):
        assert _post(port, (DATA / "naad_signed_thunderstorm.xml").read_bytes()) == (202, {"accepted": 1})
        assert _post(port, (DATA / "nws_hurricane_large.xml").read_bytes()) == (202, {"accepted": 1})
        assert _post(port, (DATA / "edxl_de_chemical_release.xml").read_bytes()) == (202, {"accepted": 2})
        oversized = b"<alert>" + b"x" * ((1 << 20) + 10) + b"</alert>"
        status, body = _post(port, oversized)
        assert status == 413 and body["reason"] == "too_large" and body["limit"] == 1 << 20
        assert f"{len(oversized)} bytes is over the limit of {1 << 20}" in body["error"]
        # the 413 came after the dead letter was acknowledged
        (letter,) = consume_all(kafka, topics.dlq("connector", REGION), timeout=10)
    assert len(consume_all(kafka, topics.in_alerts(REGION), expect=4)) == 4
    headers = _headers(letter)
    assert headers["rax.dlq.reason"] == b"too_large" and headers["rax.dlq.truncated"] == b"value"
    assert headers["rax.dlq.original.size"] == str(len(oversized)).encode()
    assert headers["rax.dlq.original.sha256"] == hashlib.sha256(oversized).hexdigest().encode()
    assert headers["rax.connector.origin"].startswith(b"http:")
    assert len(letter.value() or b"") == 512 * 1024 and oversized.startswith(letter.value() or b"")
