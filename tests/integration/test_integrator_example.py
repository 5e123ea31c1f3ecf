"""A command centre's own client, built from docs/integrators.md alone, reads its deliveries on the secured
broker: plain librdkafka (docs/examples/region_consumer.py), read committed, only its own topic."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import orjson

from ops.kafka import LocalCluster
from ops.zone.plan import PROCESSORS_USER, region_user
from schemas.topics import Catalogue
from streams.runtime import ClientFactory

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "integrators.md"
EXAMPLE = ROOT / "docs" / "examples" / "region_consumer.py"
REGION = "510521"


def _documented_properties(bootstrap: str, region: str, password: str, ca: str) -> str:
    """The first `properties` block of the integrators' guide, its placeholders filled in."""
    block = re.search(r"```properties\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block, "docs/integrators.md has no properties block"
    text = block.group(1)
    for name, value in {"bootstrap": bootstrap, "region": region, "password": password, "ca.pem": ca}.items():
        text = text.replace(f"<{name}>", value)
    assert "<" not in text, f"an unfilled placeholder: {text}"
    return text


def _consume(props: Path, topic: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(EXAMPLE), str(props), topic, "--idle", "6"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=False)


def test_a_plain_librdkafka_consumer_reads_only_committed_deliveries_of_its_region(
    secured: tuple[LocalCluster, dict[str, str], Catalogue], tmp_path: Path
) -> None:
    cluster, passwords, cat = secured
    admin = cluster.settings()
    processors = admin.as_user(PROCESSORS_USER, passwords[PROCESSORS_USER])
    producer = ClientFactory(processors, "exchange").transactional_producer(
        f"{cat.processor_prefix}integrator-{uuid.uuid4().hex[:8]}", 10_000, 30.0
    )
    aborted, committed = (orjson.dumps({"delivery_id": f"{n}-{uuid.uuid4().hex}"}) for n in ("a", "c"))
    producer.begin_transaction()
    producer.produce(cat.out(REGION), aborted, b"aborted")
    producer.flush(10)
    producer.abort_transaction(10)
    producer.begin_transaction()
    producer.produce(cat.out(REGION), committed, b"committed")
    producer.commit_transaction(10)

    props = tmp_path / "client.properties"
    ca = admin.ssl_ca_location or ""
    props.write_text(
        _documented_properties(admin.bootstrap_servers, REGION, passwords[region_user(REGION)], ca)
    )
    props.chmod(0o600)
    run = _consume(props, cat.out(REGION))
    assert run.returncode == 0, run.stderr[-2000:]
    got = [orjson.loads(line) for line in run.stdout.splitlines() if line.strip()]
    ids = [g["delivery_id"] for g in got]
    assert orjson.loads(committed)["delivery_id"] in ids
    assert orjson.loads(aborted)["delivery_id"] not in ids  # read committed: the aborted one never shows

    other = _consume(props, cat.out("500153"))  # another region's deliveries: refused by the broker
    assert other.returncode != 0 and "AUTHORIZATION" in other.stderr.upper(), other.stderr[-2000:]
